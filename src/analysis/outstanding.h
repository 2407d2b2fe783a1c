/* Classify every allocation of a trace against a window [from, to]:
 *   AIFO  allocated inside, freed outside (or never): outstanding at `to`
 *   AIFI  allocated and freed inside
 *   AOFI  allocated before `from` (or before the trace), freed inside
 *   AOFO  allocated before, still outstanding at `to` (seen in the trace, or
 *         estimated from aggregate snapshots)
 * Records are pushed one by one (outstanding__add_record), so tests feed
 * records built in memory and `report` feeds the trace reader's output.
 * Memory is proportional to the live allocations (a 24-byte slot each in a
 * per-kind open-addressing table) and the distinct sites,
 * never to the number of events: a freed allocation is folded straight into
 * its site's counters. */
#ifndef POOLSCOPE_ANALYSIS_OUTSTANDING_H
#define POOLSCOPE_ANALYSIS_OUTSTANDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

enum alloc_class {
	AC_AIFO,
	AC_AIFI,
	AC_AOFI,
	AC_AOFO,
	AC_COUNT,
};

const char *alloc_class_name(enum alloc_class c);
/* "AIFO" (any case) → class. 0 or -EINVAL. */
int alloc_class_parse(const char *s, enum alloc_class *c);
/* "AIFO,aofo" → a bit per class ORed into *mask. 0, -EINVAL (an unknown
 * name, or an empty list) or -ENOMEM. */
int alloc_class_parse_list(const char *s, unsigned int *mask);

#define SITE_NO_COMM UINT32_MAX /* a free whose allocation was never seen */
#define SITE_AGGREGATE_COMM (UINT32_MAX - 1) /* aggregate snapshots record no comm */

/* One distinct allocation site: every attribute `--group` can select. */
struct alloc_site {
	uint64_t call_site;
	uint64_t size; /* bytes_alloc of each allocation (0: allocation not seen) */
	uint32_t tag_id, comm_id, stack_id, tgid;
	uint16_t cpu;
	uint8_t kind;	       /* enum trace_kind */
	bool alloc_unseen;     /* only frees of allocations made before the trace */
	bool from_snapshot;    /* counts estimated from aggregate snapshots */
	uint64_t count[AC_COUNT];
	uint64_t bytes[AC_COUNT];
	uint64_t oldest_ns; /* oldest allocation outstanding at `to`; 0 if none */
	/* Records inside the window: allocations of this site, and frees of
	 * its objects (frees of objects allocated before the trace: the
	 * alloc_unseen site the free names). */
	uint64_t window_allocs, window_frees;
	uint32_t trend_tag, trend_stack; /* for the observer: trend's series index + 1 */
};

struct outstanding_opts {
	uint64_t from_ns; /* absolute CLOCK_MONOTONIC; 0 = from the start */
	uint64_t to_ns;	  /* UINT64_MAX = to the end */
};

struct outstanding_totals {
	uint64_t count[AC_COUNT];
	uint64_t bytes[AC_COUNT];
	uint64_t records, allocs, frees; /* all pushed, inside the window or not */
	uint64_t window_other;		 /* LOST and SNAPSHOT records inside the window */
	uint64_t unmatched_frees; /* frees of allocations made before the trace */
	uint64_t reused_ptrs;	  /* an allocation at a live address: a free was lost */
	uint64_t lost_ringbuf, lost_map, lost_misses;
	uint64_t snapshots;
	/* Aggregate traces: the snapshots the window's ends were taken from
	 * (the last at or before `from`, the last at or before `to`); 0 = none. */
	uint64_t snapshot_from_ns, snapshot_to_ns;
	uint64_t first_ns, last_ns; /* timestamps seen */
	uint64_t first_event_ns;    /* of the first allocation or free; 0 if none */
	uint64_t oldest_ns;	    /* oldest outstanding allocation at `to`; 0 if none */
	uint64_t live;		    /* allocations still tracked (peak memory driver) */
	uint64_t peak_live;
};

struct outstanding;

int outstanding__new(const struct outstanding_opts *opts, struct outstanding **out);
void outstanding__free(struct outstanding *o);
/* Who hears of every allocation inside the window (dcount +1, dbytes its
 * size) and of the free of each (-1, -size), in record order: a time series
 * (trend__observer) or anything else. The site is the allocation's; the
 * listener may use its trend_tag/trend_stack fields as its own cache. */
struct outstanding_observer {
	void (*event)(void *ctx, struct alloc_site *site, uint64_t ts_ns, int dcount,
		      int64_t dbytes);
	void *ctx; /* borrowed */
};

/* Optional, before the first record: obs is copied (NULL = none). */
void outstanding__set_observer(struct outstanding *o, const struct outstanding_observer *obs);
/* 0 (used or ignored), 1 when the record lies past the window's end (the
 * caller may stop reading: nothing later changes the result), -ENOMEM. */
int outstanding__add_record(struct outstanding *o, const struct trace_record *rec);
/* Classify what is still live. end_ns: the window's effective end (the
 * trace's stop time when `to` is open), used for ages. 0 or -ENOMEM. */
int outstanding__finish(struct outstanding *o, uint64_t end_ns);

/* Every allocation still live at the window's end, after outstanding__finish
 * (AIFO when ts_ns >= from, AOFO before): fn(ctx, ptr, ts_ns, site) for each,
 * in no particular order; a non-zero return stops the walk and is returned.
 * `diagnose` matches the live struct files to the fd tables that hold them. */
int outstanding__each_live(const struct outstanding *o,
			   int (*fn)(void *ctx, uint64_t ptr, uint64_t ts_ns,
				     const struct alloc_site *site),
			   void *ctx);
size_t outstanding__nsites(const struct outstanding *o);
const struct alloc_site *outstanding__site(const struct outstanding *o, size_t i);
const struct outstanding_totals *outstanding__totals(const struct outstanding *o);
/* The window actually applied: from/to clamped to what the trace holds. */
uint64_t outstanding__from(const struct outstanding *o);
uint64_t outstanding__to(const struct outstanding *o);

#endif
