/* The history database of `watch`: named series sampled every interval, kept
 * for days in one SQLite file, and read back by `poolscope history` (and by a
 * post-mortem after a hang: what grew during the previous boot, with the
 * alerts and forecasts that were in force).
 *
 * Storage. Every sample belongs to a boot (its kernel boot id): a new boot
 * starts new series even under the same names. Samples of the hour being
 * written sit in a small "head" table, a row per (series, time, value), so a
 * killed writer loses nothing it committed; when the hour ends they are folded
 * into one compact chunk per series (model/history_codec.h: ~0–3 bytes per
 * sample) together with that hour's 1-minute buckets (min, max, mean, last),
 * and every few minutes day-old minute buckets are rolled into 1-hour buckets
 * and whatever is older than its tier's retention is pruned. Raw samples are
 * kept 24 h, 1-minute buckets 30 days, 1-hour buckets a year (history_opts).
 *
 * Durability. One transaction per interval's samples, WAL journal with
 * synchronous=NORMAL: a killed process loses nothing committed; a power cut
 * may lose the last commits but never corrupts the file. When the disk is
 * full or the file unwritable, an append returns -ENOSPC or -EIO and keeps
 * what it could not write in a bounded in-memory queue that is retried first
 * by the next append; past the bound the oldest entries are dropped and
 * counted (history_stats).
 *
 * Times are ms since the Unix epoch (CLOCK_REALTIME), as the caller saw them;
 * pruning and downsampling go by the latest time appended, not by the clock,
 * so simulated time works. A struct history is used by one thread. */
#ifndef POOLSCOPE_MODEL_HISTORY_H
#define POOLSCOPE_MODEL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/series.h"
#include "util/notes.h"

#define HISTORY_BOOT_ID_MAX 64

struct history_opts {
	int64_t raw_keep_s;    /* raw samples: 24 h */
	int64_t minute_keep_s; /* 1-minute buckets: 30 days */
	int64_t hour_keep_s;   /* 1-hour buckets and events: 365 days */
	int64_t prune_every_s; /* downsample and prune at most this often: 300 s */
	size_t queue_max;      /* appends and events kept while the disk refuses: 360 */
	int busy_timeout_ms;   /* wait this long for another process's lock: 2000 */
	/* Sample times are rounded to this: 1000 ms. A daemon's timer is a few
	 * ms late each time; kept to the ms, that jitter would cost a byte per
	 * sample, kept to the second it costs nothing at a 10 s interval. */
	int64_t time_resolution_ms;
	bool read_only; /* open an existing database for reading only */
};

/* Fill in the defaults above. */
void history_opts_init(struct history_opts *opts);
/* -EINVAL (with a note "history-opts") unless every retention is positive,
 * raw ≤ minute ≤ hour, queue_max ≥ 1 and the time resolution 1 ms to
 * 1 minute. */
int history_opts_validate(const struct history_opts *opts, struct notes *ns);

struct history;

/* Open (creating when absent, unless read_only) the database at path. opts
 * may be NULL for the defaults; it is copied. On failure *out is NULL and a
 * note "history-open" says why. 0, -EPROTO (a schema version this build does
 * not know), -EINVAL (bad opts), -ENOMEM, -EIO or -ENOSPC. */
int history_open(const char *path, const struct history_opts *opts, struct history **out,
		 struct notes *ns);
/* Close; entries still queued are lost (history_stats tells how many).
 * Accepts NULL. */
void history_close(struct history *h);

/* The boot the next appends and events belong to: its boot id (e.g. from
 * kernel/boot.h) and when it started (ms). Copied. Must be called before the
 * first append. 0 or -EINVAL (empty or too long an id). */
int history_set_boot(struct history *h, const char *boot_id, int64_t boot_start_ms);

struct history_sample {
	const char *name; /* borrowed: "slab/filp/bytes", see model/series.h */
	double value;	  /* a value that is not finite is skipped */
};

/* Store one interval's samples, taken at ts_ms (rounded to the nearest
 * time_resolution_ms), in one transaction, after
 * any entries queued by earlier failures (oldest first). A series that
 * already has a sample at ts_ms keeps the newer one. 0, or -ENOSPC (disk
 * full) / -EIO (unwritable, I/O error, locked): the interval waits in the
 * queue; -EINVAL (no boot set), -ENOMEM. A failure leaves a note
 * "history-write" (its wording says what and how many are queued); pruning
 * that fails leaves "history-prune" and is retried later. */
int history_append(struct history *h, int64_t ts_ms, const struct history_sample *samples, size_t n,
		   struct notes *ns);

/* Store a small event (an alert raised, the forecasts in force, ...) of this
 * boot: kind is a short word ("alert", "forecast"), json its body. Queued
 * like an interval when the write fails. Same returns as history_append. */
int history_add_event(struct history *h, int64_t ts_ms, const char *kind, const char *json,
		      struct notes *ns);

struct history_stats {
	size_t queued;	    /* entries waiting to be written */
	uint64_t dropped;   /* entries dropped since open: the queue was full */
	uint64_t intervals; /* intervals written since open */
	int64_t last_ts_ms; /* latest time written, INT64_MIN when none */
};

void history_stats(const struct history *h, struct history_stats *out);

/* The boots in the database, oldest first. */
struct history_boot {
	char boot_id[HISTORY_BOOT_ID_MAX + 1];
	int64_t start_ms;	   /* as given to history_set_boot */
	int64_t first_ms, last_ms; /* first and last interval written; INT64_MIN none */
};

/* *out is malloc'd (free() it), *n its length. 0, -ENOMEM or -EIO. */
int history_boots(struct history *h, struct history_boot **out, size_t *n);

/* Which boot a query reads: 0 the newest in the database, -1 the one before
 * ("the previous boot"), ...; HISTORY_ALL_BOOTS every boot in order (a name
 * then continues across boots). */
#define HISTORY_ALL_BOOTS INT32_MIN

/* What a downsampled point stands for (a raw sample is all of them). */
enum history_stat { HISTORY_MEAN, HISTORY_MIN, HISTORY_MAX, HISTORY_LAST };

struct history_query {
	const char *glob;	    /* fnmatch(3) pattern on names; NULL: every series */
	int64_t since_ms, until_ms; /* inclusive; INT64_MIN / INT64_MAX for open */
	int boot;		    /* see HISTORY_ALL_BOOTS */
	enum history_stat stat;
};

/* since/until open, boot 0, glob NULL, stat HISTORY_MEAN. */
void history_query_init(struct history_query *q);

/* The matching series in [since, until], each in creation order: raw samples
 * where they are still kept, before them 1-minute buckets, before those
 * 1-hour buckets (a bucket's time is its start). In the series_set, t is
 * seconds since the Unix epoch (ms / 1000.0); samples whose time went
 * backwards (a clock stepped back) are left out. *out is owned by the
 * caller (series_set_free). A boot that does not exist gives an empty set.
 * 0, -ENOMEM, -EIO (unreadable or corrupt: a note "history-read" says
 * what). */
int history_query(struct history *h, const struct history_query *q, struct series_set **out,
		  struct notes *ns);

struct history_event {
	int64_t ts_ms;
	char *kind; /* owned */
	char *json; /* owned */
};

/* The events of a boot (same numbering as history_query) in [since, until],
 * in time order. *out malloc'd: free with history_events_free. 0, -ENOMEM,
 * -EIO. */
int history_events(struct history *h, int boot, int64_t since_ms, int64_t until_ms,
		   struct history_event **out, size_t *n);
void history_events_free(struct history_event *v, size_t n);

#endif
