/* /sys/kernel/slab: per-cache attributes (reclaim_account, object_size,
 * slab_size) and the merge aliases. SLUB merges compatible caches: the real
 * directory of a merged cache is named ":<flags>-<size>" and every name that
 * shares it is a symlink to it, while /proc/slabinfo lists the cache under
 * one of those names only. A slab_group is one real cache with every name it
 * answers to. Attribute files are mode 0400: without root the names and
 * merges are still known, the attributes are not (->attrs_denied). */
#ifndef POOLSCOPE_KERNEL_SLABSYS_H
#define POOLSCOPE_KERNEL_SLABSYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct slab_group {
	char *dir;    /* owned: directory name, "filp" or ":0000048" */
	char **names; /* owned: every cache name sharing the directory, sorted */
	int nnames;
	bool have_attrs;
	bool reclaimable; /* reclaim_account: SReclaimable, PoolMon's "Paged" */
	uint32_t object_size;
	uint32_t slab_size;
};

struct slabsys_entry; /* internal */
struct slabsys_name;  /* internal */

struct slabsys {
	struct slab_group *groups; /* owned, sorted by dir */
	size_t count;
	unsigned int skipped; /* malformed fixture lines skipped */
	unsigned int first_skipped_line; /* line number of the first of them; 0: none */
	bool attrs_denied;    /* attribute files unreadable (not root) */
	/* internal: the entries being collected, and the name → group index */
	struct slabsys_entry *entries;
	size_t nentries, cap;
	struct slabsys_name *by_name;
	size_t nby_name;
};

/* Building (the live reader and the fixture parser share these): a real
 * directory with or without its attributes, and a symlink name → target.
 * Then slabsys_finish groups everything. 0 or -ENOMEM/-EINVAL. */
int slabsys_add_dir(struct slabsys *ss, const char *dir, bool have_attrs, bool reclaimable,
		    uint32_t object_size, uint32_t slab_size);
int slabsys_add_link(struct slabsys *ss, const char *name, const char *target);
int slabsys_finish(struct slabsys *ss);

/* Parse the capture format of tests/fixtures/capture-slabsys.sh (modified in
 * place): "link NAME TARGET" and "dir NAME RECLAIM OBJSIZE SLABSIZE" lines;
 * malformed lines are skipped and counted (nothing is printed). Finishes. */
int slabsys_parse(char *text, struct slabsys *ss);
/* Scan root (normally "/sys/kernel/slab") and finish. 0 or -errno. */
int slabsys_read(struct slabsys *ss, const char *root);

/* The group a cache name belongs to (any of its names), or NULL. */
const struct slab_group *slabsys_find(const struct slabsys *ss, const char *name);
void slabsys_release(struct slabsys *ss);

#endif
