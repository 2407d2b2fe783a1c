/* Time series of the counting phase: one named series per thing sampled (a
 * cache's objects, a process's eventfds, a queue's bytes), each a growing
 * array of (seconds, value) pairs. Names are paths whose parts say what the
 * series is ("slab/filp/objs", "proc/1234:98765/fds/eventfd",
 * "sys/file-nr"); the sampler that fills a series owns its naming. A series
 * also carries the limit that applies to it, when there is one, so the
 * verdict can say when it runs out. Used by `diagnose` and `watch`. */
#ifndef POOLSCOPE_MODEL_SERIES_H
#define POOLSCOPE_MODEL_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIES_NO_LIMIT (-1.0)

struct series {
	char *name; /* owned */
	double *t;  /* seconds since the set's origin, non-decreasing */
	double *v;
	size_t n, cap;
	double limit; /* the value at which it runs out; SERIES_NO_LIMIT */
	size_t next;  /* internal: hash chain */
};

struct series_set;

struct series_set *series_set_new(void);
void series_set_free(struct series_set *set);
/* Append (t, v) to the named series, creating it on first use. A sample
 * older than the series' last one is refused (-EINVAL): time only goes
 * forward. 0, -EINVAL or -ENOMEM. */
int series_set_add(struct series_set *set, const char *name, double t, double v);
/* Set the series' limit (it must exist: call after series_set_add). */
void series_set_limit(struct series_set *set, const char *name, double limit);
/* Borrowed; valid until the next add. NULL when absent. */
const struct series *series_set_find(const struct series_set *set, const char *name);
size_t series_set_count(const struct series_set *set);
const struct series *series_set_at(const struct series_set *set, size_t i);

/* The last value (NaN when empty). */
double series_last(const struct series *s);

/* Bound a long-running set (watch): in every series, points older than
 * now - raw_s are folded into buckets of bucket_s seconds keeping each
 * bucket's minimum (its lower envelope: what forecasts read, so a burst
 * does not survive the folding), points older than now - keep_s are
 * dropped, and series with no point left are removed. Memory then stays
 * within raw_s / interval + keep_s / bucket_s points per series. 0 or
 * -ENOMEM (the set is left consistent either way). */
int series_set_compact(struct series_set *set, double now, double raw_s, double bucket_s,
		       double keep_s);

#endif
