/* /proc/slabinfo: one row per slab cache (version 2.x, SLUB). Reading is kept
 * apart from parsing so unit tests feed captured fixtures to the parser. */
#ifndef POOLSCOPE_KERNEL_SLABINFO_H
#define POOLSCOPE_KERNEL_SLABINFO_H

#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

#define SLAB_NAME_MAX 64

struct slabinfo_row {
	char name[SLAB_NAME_MAX];
	uint64_t active_objs;
	uint64_t num_objs;
	uint32_t objsize; /* bytes one object occupies in its slab */
	uint32_t objperslab;
	uint32_t pagesperslab;
	uint64_t active_slabs;
	uint64_t num_slabs;
};

struct slabinfo {
	struct slabinfo_row *rows; /* owned */
	size_t count;
	size_t cap;
	unsigned int skipped; /* malformed lines skipped by the last parse */
	unsigned int first_skipped_line; /* line number of the first of them; 0: none */
};

/* Parse slabinfo text (modified in place). Malformed lines are skipped and
 * counted in ->skipped (the caller says so: nothing is printed); a missing or foreign
 * version header is -EPROTO. Replaces any previous rows. 0 or -errno. */
int slabinfo_parse(char *text, struct slabinfo *si);
/* Read and parse /proc/slabinfo (root only: -EACCES otherwise); sb is a
 * reusable scratch buffer. Says nothing: the caller names what is missing. */
int slabinfo_read(struct slabinfo *si, struct strbuf *sb);
/* The same from path (a fixture); NULL is /proc/slabinfo. */
int slabinfo_read_from(struct slabinfo *si, struct strbuf *sb, const char *path);
/* Memory the cache holds: every slab, full or not. */
uint64_t slabinfo_row_bytes(const struct slabinfo_row *row, uint64_t page_size);
const struct slabinfo_row *slabinfo_find(const struct slabinfo *si, const char *name);
void slabinfo_release(struct slabinfo *si);

#endif
