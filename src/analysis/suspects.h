/* Leak suspects of a trace analysis: the tags and (tag, stack) pairs whose
 * outstanding count grows steadily across the window (analysis/growth.h's
 * verdict on trend's series), ranked. */
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

#endif
