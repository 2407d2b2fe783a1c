/* The per-tag snapshot behind `top` (PoolMon's pool tags): one tag per slab
 * cache with its merged names, type, slabinfo figures, the eBPF counters when
 * they run, and the change of each since the previous snapshot. Built from
 * plain reader results; knows nothing of /proc, curses or output formats
 * (output/pool_table.h fills the table model from a snapshot). */
#ifndef POOLSCOPE_MODEL_POOL_H
#define POOLSCOPE_MODEL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/slabcount.h"
#include "kernel/meminfo.h"
#include "kernel/slabinfo.h"
#include "kernel/slabsys.h"

struct symtab;

struct pool_tag {
	char name[SLAB_NAME_MAX];
	const struct slab_group *group; /* borrowed from the slabsys; NULL if unknown */
	bool have_type;
	bool reclaimable;
	bool have_slab;	  /* slabinfo figures below are known */
	uint64_t objs;	  /* active objects */
	uint64_t bytes;	  /* num_slabs * pages per slab * page size */
	uint32_t size;	  /* bytes per object in its slab */
	bool have_counts; /* eBPF counters below are known */
	uint64_t allocs, frees;
	uint64_t owner_call_site;
	char owner[128]; /* resolved owner_call_site; "" if none */
	bool have_prev;	 /* the previous snapshot had this tag: changes are known */
	int64_t allocs_change, frees_change, objs_change, bytes_change;
	/* false once Diff has outgrown Objs beyond pool_frees_slack() in two
	 * samples in a row: this cache has frees the tracepoints do not see
	 * (kfree_bulk, kfree_rcu batches), so its Diff is no growth figure and
	 * its growth comes from Objs (pool_tag_growth). Sticky for the run;
	 * true while counters or slabinfo are unknown. */
	bool frees_exact;
	/* The check's baseline: Diff, Objs and Allocs when the tag was first
	 * seen with both counters and slabinfo; excess_samples in a row so far. */
	bool have_base;
	int64_t base_diff;
	uint64_t base_objs, base_allocs;
	uint32_t objperslab;
	unsigned int excess_samples;
};

/* The excess of Diff over Objs growth (since the baseline) that timing and
 * SLUB's caches explain, in objects: each CPU holds a slab and a few partial
 * slabs whose free objects slabinfo counts as active (4 slabs per CPU, plus
 * one), and the counters are read a moment after slabinfo, so allocations in
 * between are in Diff and not yet in Objs (an eighth of the allocations
 * since the baseline bounds that, since the gap is far below an eighth of
 * any refresh interval). Excess beyond this twice in a row: frees untraced. */
uint64_t pool_frees_slack(const struct pool_tag *tag, unsigned int ncpus);
/* A "Diff since the start" a reader can rank by: Diff where frees are
 * exact, else the baseline's Diff plus the growth of Objs since then. */
int64_t pool_tag_growth(const struct pool_tag *tag);

struct pool_snapshot {
	struct pool_tag *tags; /* owned, sorted by name */
	size_t count;
	size_t cap;
	uint64_t realtime_ns;
	struct meminfo mem;
	bool have_slabinfo;
	bool have_counters;
	uint64_t unattributed_frees;
	uint64_t missed_events; /* events in no cache's counts; 0 means exact */
	size_t frees_inexact;	/* tags with frees_exact false */
};

/* What one snapshot is built from; everything borrowed. */
struct pool_sources {
	const struct slabinfo *slabinfo; /* NULL: not readable (tags from slabsys) */
	const struct slabsys *slabsys;	 /* NULL: unknown */
	bool counters_on;		 /* counts below are meaningful (may be none yet) */
	const struct slab_count *counts; /* borrowed, ncounts entries */
	size_t ncounts;
	uint64_t unattributed_frees;
	uint64_t missed_events;
	const struct symtab *ksyms; /* NULL: owners shown as addresses */
	const struct meminfo *mem;
	uint64_t page_size;
	uint64_t realtime_ns;
	unsigned int ncpus; /* online CPUs (the frees check's slack); 0: 1 */
};

/* Build snap (its previous contents replaced) from src; prev (may be NULL or
 * empty) gives the changes. A tag that appeared has no changes yet; one that
 * vanished is simply absent. 0 or -ENOMEM. */
int pool_snapshot_build(struct pool_snapshot *snap, const struct pool_sources *src,
			const struct pool_snapshot *prev);
const struct pool_tag *pool_snapshot_find(const struct pool_snapshot *snap, const char *name);
void pool_snapshot_release(struct pool_snapshot *snap);

/* Which cache types a view shows (output/pool_table.h). */
enum pool_type_filter {
	POOL_TYPE_ALL,
	POOL_TYPE_UNRECL,
	POOL_TYPE_RECL,
};

/* "recl", "unrecl", "all" → filter. 0 or -EINVAL. */
int pool_type_parse(const char *s, enum pool_type_filter *type);
const char *pool_type_name(enum pool_type_filter type);

#endif
