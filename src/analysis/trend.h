/* Time series of the window, per tag and per (tag, stack): allocations,
 * frees and the outstanding count/bytes at the end of each bucket (the leak
 * suspects they reveal: analysis/suspects.h). Buckets start narrow and double in width
 * (pairs merged) whenever the window outgrows TREND_MAX_BUCKETS, so memory
 * per series is fixed and the trace length need not be known in advance. */
#ifndef POOLSCOPE_ANALYSIS_TREND_H
#define POOLSCOPE_ANALYSIS_TREND_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/outstanding.h"

#define TREND_MAX_BUCKETS 128

enum trend_key {
	TREND_TAG = 1,
	TREND_STACK = 2, /* one (tag, stack) pair */
};

struct trend_series {
	enum trend_key key;
	uint32_t tag_id, stack_id; /* stack_id TRACE_NO_STACK for TREND_TAG */
	uint64_t allocs[TREND_MAX_BUCKETS], frees[TREND_MAX_BUCKETS];
	int64_t net_count[TREND_MAX_BUCKETS], net_bytes[TREND_MAX_BUCKETS];
};

struct trend;

/* origin_ns: the window's start; min_bucket_ns: the narrowest bucket. */
struct trend *trend__new(uint64_t origin_ns, uint64_t min_bucket_ns);
void trend__free(struct trend *t);
/* One allocation (+1) or free (-1) of an object allocated inside the window. */
void trend__event(struct trend *t, struct alloc_site *site, uint64_t ts_ns, int dcount,
		  int64_t dbytes);
/* The observer that feeds t from an outstanding analysis (t borrowed). */
struct outstanding_observer trend__observer(struct trend *t);
/* Let the buckets span up to ts_ns (the window's end) even when no event
 * came that late, so a series shows its flat tail instead of ending at its
 * last event. Merges buckets as an event would. */
void trend__extend(struct trend *t, uint64_t ts_ns);
/* Did any event fail to be recorded (out of memory)? */
int trend__error(const struct trend *t);

uint64_t trend__origin_ns(const struct trend *t);
uint64_t trend__bucket_ns(const struct trend *t);
size_t trend__nbuckets(const struct trend *t); /* buckets spanned so far */
size_t trend__nseries(const struct trend *t);
const struct trend_series *trend__series(const struct trend *t, size_t i);
/* The tag's series (NULL if the tag had no event inside the window). */
const struct trend_series *trend__tag_series(const struct trend *t, uint32_t tag_id);
/* Outstanding count (and bytes, if non-NULL) at the end of each bucket. */
void trend_series__outstanding(const struct trend_series *s, size_t nbuckets, int64_t *counts,
			       int64_t *bytes);

/* Fit a line through y[0..n): slope per step, R² and the fraction of
 * non-decreasing steps. Exposed for tests. */
void trend_fit(const int64_t *y, size_t n, double *slope, double *r2, double *rising);

#endif
