/* The reader of host snapshots (docs/SNAPSHOT.md, version 1): one JSON file
 * written by `watch --snapshot` on one host → one plain struct, parsed with
 * jansson. Files come from other machines: anything may be in them. A file
 * that is not valid JSON, not a snapshot, of another version, or holds a
 * value of the wrong type or out of range is refused whole with one line
 * saying which file and what is wrong; names may hold any byte but NUL
 * (renderers escape them). Fields the reader does not know are ignored. */
#ifndef POOLSCOPE_MODEL_SNAPSHOT_READ_H
#define POOLSCOPE_MODEL_SNAPSHOT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SNAPSHOT_VERSION 1
/* Larger files are refused before parsing (a snapshot is tens of KiB). */
#define SNAPSHOT_MAX_BYTES (64u << 20)
/* Numbers beyond ±1e18 (an exbibyte) are refused: no host has them, and
 * sums and differences of them must stay finite. */
#define SNAPSHOT_MAX_ABS 1e18

/* Every number below is NAN when the file says null or leaves it out. */
struct snapshot_cache {
	char *name; /* owned */
	double bytes, objects;
	double bytes_per_s, objects_per_s;
	int reclaimable; /* 1, 0, or -1 when unknown */
};

struct snapshot_resource {
	char *name; /* owned */
	double used, limit, per_s;
	double exhaustion_s; /* seconds to the limit at per_s; NAN: no forecast */
};

struct snapshot_fd_type {
	char *name; /* owned: "eventfd", "tcp", … */
	double count;
};

struct snapshot_process {
	double pid;
	char *comm; /* owned */
	double fds, fds_per_s, threads, maps;
	struct snapshot_fd_type *types; /* owned */
	size_t ntypes;
};

struct snapshot_meminfo_value {
	char *key; /* owned: top's JSON key ("slab_unrecl") */
	double value;
};

struct host_snapshot {
	char *host;		  /* owned, never empty */
	char *kernel, *boot_id, *time; /* owned; NULL when absent */
	double uptime_s, window_s;
	/* A section the file leaves out is not the same as an empty one: the
	 * has_* flags say which the file had (compare names what a host lacks). */
	bool has_caches, has_resources, has_meminfo, has_processes;
	struct snapshot_cache *caches; /* owned, in the file's order */
	size_t ncaches;
	struct snapshot_resource *resources; /* owned */
	size_t nresources;
	struct snapshot_meminfo_value *meminfo; /* owned */
	size_t nmeminfo;
	struct snapshot_process *processes; /* owned */
	size_t nprocesses;
};

/* Parse len bytes of snapshot JSON into *out (zeroed first). name is what
 * the error line calls the input (a path). 0; -EINVAL for bad JSON or a
 * value of the wrong type or range; -EPROTONOSUPPORT for another version;
 * -ENOMEM. On error why holds one line "NAME: problem" and *out is empty. */
int snapshot_read_buf(const char *buf, size_t len, const char *name, struct host_snapshot *out,
		      char *why, size_t whylen);
/* The same for a file: also -errno from open/read, -EFBIG past
 * SNAPSHOT_MAX_BYTES. */
int snapshot_read_file(const char *path, struct host_snapshot *out, char *why, size_t whylen);
/* Many files at once: thousands of snapshots are parsed on every CPU.
 * res[i] is what snapshot_read_file(paths[i]) gives; the results do not
 * depend on the number of threads. */
#define SNAPSHOT_WHY_MAX 512
struct snapshot_result {
	struct host_snapshot snap; /* owned: release each */
	int err;
	char why[SNAPSHOT_WHY_MAX];
};

/* Read paths[0..n) into res[0..n) with up to nthreads threads (this one
 * included; 0 or 1: this one only). Always fills every res[i]; returns 0
 * (a thread that cannot be started leaves its share to the others). */
int snapshot_read_files(char *const *paths, size_t n, struct snapshot_result *res,
			unsigned int nthreads);
/* Free what s owns and zero it. Accepts NULL and a zeroed struct. */
void host_snapshot_release(struct host_snapshot *s);

/* A list of snapshot paths (owned strings), sorted by snapshot_paths_sort
 * so what is said about the files does not depend on the order given. */
struct snapshot_paths {
	char **v;
	size_t n, cap;
};

int snapshot_paths_add(struct snapshot_paths *p, const char *path);
/* Every *.json in dir (not recursive, hidden files skipped). 0 or -errno. */
int snapshot_paths_add_dir(struct snapshot_paths *p, const char *dir);
/* One path per line of text (`compare -` reads them from stdin); empty
 * lines are skipped. 0 or -errno (-EIO on a read error). */
int snapshot_paths_add_lines(struct snapshot_paths *p, FILE *in);
void snapshot_paths_sort(struct snapshot_paths *p);
void snapshot_paths_release(struct snapshot_paths *p);

#endif
