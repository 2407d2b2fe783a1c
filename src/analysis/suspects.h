/* Leak suspects of a trace analysis, two kinds:
 *   growing  tags and (tag, stack) pairs whose outstanding count grows
 *            steadily across the window (analysis/growth.h's verdict on
 *            trend's series), ranked by the steadiness of the growth;
 *   held     those that hold objects allocated long ago in the window and
 *            never freed — the leak made all at once (5,000 fds in one go)
 *            that no slope shows — ranked by count, bytes and age. */
#ifndef POOLSCOPE_ANALYSIS_SUSPECTS_H
#define POOLSCOPE_ANALYSIS_SUSPECTS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/outstanding.h"
#include "analysis/trend.h"

struct leak_suspect {
	enum trend_key key;
	uint32_t tag_id, stack_id;
	double slope_per_s; /* outstanding objects gained per second (least squares) */
	double r2;	    /* how well a straight line fits: 1 = perfectly steady */
	double rising;	    /* fraction of bucket steps that did not go down */
	int64_t first, last, peak; /* outstanding at the first/last bucket, maximum */
	uint64_t aifo, aifo_bytes;
	double share;	       /* of its tag's AIFO (stack), of all AIFO (tag) */
	uint64_t oldest_age_ns; /* of its oldest outstanding object at the window's end */
	uint64_t held_since_ns; /* that object's allocation time (absolute) */
	double score;
};

/* The series of t that grow steadily (growth_assess's GROWTH_STEADY with
 * the default parameters: positive slope, R² ≥ 0.8, ending within 20% of
 * the peak, gaining at least 3) and still hold AIFO objects, best score
 * (slope × R² × rising) first. Needs the finished outstanding analysis for
 * AIFO, share and oldest age; end_ns is the window's end (ages). Fewer
 * than 4 buckets: none. *out is malloc'd (caller frees). 0 or -ENOMEM. */
int suspects__find(const struct trend *t, const struct outstanding *o, uint64_t end_ns,
		   struct leak_suspect **out, size_t *n);

/* A series held, not growing: AIFO of at least HELD_MIN_OBJECTS, its
 * oldest outstanding object older than HELD_MIN_WINDOW_SHARE of the window
 * [from_ns, end_ns], still at least 80% of its peak at the end (not being
 * released), and not one of the growing suspects (growing, ngrowing: what
 * suspects__find returned). Most objects first, then most bytes, then the
 * oldest. *out malloc'd (caller frees). 0 or -ENOMEM. */
#define HELD_MIN_OBJECTS 3
#define HELD_MIN_WINDOW_SHARE 0.5
int suspects__held(const struct trend *t, const struct outstanding *o, uint64_t from_ns,
		   uint64_t end_ns, const struct leak_suspect *growing, size_t ngrowing,
		   struct leak_suspect **out, size_t *n);

#endif
