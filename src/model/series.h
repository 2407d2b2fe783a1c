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
	/* Folded sets (series_set_fold): each point's bucket's other extreme —
	 * its maximum, the minimum of an upper-envelope series; a raw point's
	 * value. NULL until the first fold. */
	double *peak;
	size_t n, cap;
	double limit; /* the value at which it runs out; SERIES_NO_LIMIT */
	bool upper;   /* folded to maxima (series_set_upper_envelope) */
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

/* Folding keeps each bucket's maximum for this series instead of its
 * minimum: a resource that runs out by falling (MemAvailable), whose
 * forecaster reads the upper envelope. The series must exist. */
void series_set_upper_envelope(struct series_set *set, const char *name);

/* Bounding a long-running set (watch). A point older than now - after_s of
 * a tier is folded into that tier's buckets of bucket_s seconds, keeping the
 * bucket's lower envelope (the minimum, or the maximum for an upper-envelope
 * series) at the time it was sampled: what the forecaster reads, so a burst
 * does not survive. Buckets are aligned to absolute time and each tier's
 * width is a multiple of the one before, so a bucket folds whole into the
 * next tier's and folding again changes nothing. */
struct series_tier {
	double after_s, bucket_s;
};

struct series_window {
	const struct series_tier *tiers; /* ascending after_s; see above */
	size_t ntiers;
	double keep_s;	/* points older than now - keep_s are dropped */
	double stale_s; /* a series without a point that recent is removed (a
			 * process that exited, a cache destroyed); 0: never */
};

/* watch's window, shaped by the forecaster's (analysis/forecast.h: 10 min,
 * 1 h, 6 h and 24 h, 40 envelope buckets each): about two folded points per
 * envelope bucket of each window, and two more days of 36-minute points
 * for its "been this high before" check. */
extern const struct series_window series_watch_window;

/* Append a point that already stands for a bucket — v its kept extreme,
 * peak its other one — as when the window is rebuilt from the history:
 * a series at its capacity is folded under w at now first, so a reserved
 * series never grows past series_window_points. The rest is as
 * series_set_add. 0, -EINVAL or -ENOMEM. */
int series_set_add_folded(struct series_set *set, const char *name, double t, double v,
			  double peak, double now, const struct series_window *w);

/* The most points one series holds under w when sampled every interval_s. */
size_t series_window_points(const struct series_window *w, double interval_s);

/* Fold every series under w (above). Series with no point left, or stale,
 * are removed. 0 or -ENOMEM (the set is left consistent either way). */
int series_set_fold(struct series_set *set, double now, const struct series_window *w);

/* Series created from now on get room for SERIES_FIRST_POINTS points, and
 * once they outlive those, for this many at once, the memory touched: a
 * set bounded by series_set_fold then takes its whole footprint within its
 * first points, not over days (watch's RSS is flat minutes after the start;
 * what it costs is seen at once), while a process seen for a few samples
 * (a fork-heavy machine sees thousands) costs a few points per series, not
 * a window. 0: grow as needed. */
#define SERIES_FIRST_POINTS 16
void series_set_reserve(struct series_set *set, size_t points);

#endif
