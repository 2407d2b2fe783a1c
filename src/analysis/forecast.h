/* Time-to-exhaustion forecast of one finite resource (watch: MemAvailable,
 * unreclaimable slab, a process's fds against its soft RLIMIT_NOFILE,
 * file-nr, mappings, threads, inotify watches, keys, msgmni, memcg usage):
 * "this runs out in X (between A and B)", or no forecast and why. The point
 * is no false alarms: a nightly burst, a cache that fills and is reclaimed
 * (sawtooth), a step that then stays flat, a daily cycle never forecast
 * exhaustion.
 *
 * How it decides (every number is a field of forecast_params):
 *  - Each window (10 min, 1 h, 6 h, 24 h back from `now`) is reduced to
 *    the minima of `buckets` equal time buckets (a cap on the samples a
 *    window costs, whatever its length) — its lower envelope, which
 *    ignores bursts and the teeth of a sawtooth — and fitted by Theil–Sen
 *    with Sen's confidence interval (growth_theil_sen_fit). A window longer
 *    than the data is fitted on all of it; windows beyond that add nothing.
 *  - A window can carry the forecast ("judge") when its slope's interval
 *    is above 0 and tight (max_rel_ci), its envelope is straight (r² ≥
 *    min_r2), its data span is
 *    at least evidence_frac of the time to exhaustion it predicts (the data
 *    a forecast needs scales with its horizon: minutes of samples for a
 *    resource that runs out in an hour, a day for one that runs out in
 *    three weeks), and every window it must agree with does.
 *  - It must agree with every shorter window, with the recent half of its
 *    own span, and with every longer window that looks back no further than
 *    lookback_frac × its forecast: their slope intervals (widened by two
 *    `quantum`s over the window: integer counts look flat in short windows)
 *    overlap its own, or their slopes are within 10 % of each other. A growth that just stopped, or that only began
 *    within a flat history, or a rising half of a cycle, fails this.
 *  - No value older than the judge's window may reach the level the
 *    envelope had at the window's midpoint (it has not been this high
 *    before): a daily cycle's rising half, the second night's burst, the
 *    next tooth of a sawtooth fail this.
 *  - Of the windows that pass, the one with the narrowest slope interval
 *    (relative to its slope) is the judge. No window passes: no forecast,
 *    and the reason of the most promising window.
 *
 * Falling resources (MemAvailable toward 0): FORECAST_FALLING mirrors the
 * values and the limit, so the same rules apply.
 *
 * Pure: no I/O, no global state; allocates scratch buffers per call.
 * Cost per call: O(log n) to find each window, O(samples in the longest
 * window) to take the bucket minima and O(samples before it) for the "been
 * this high" scan, and per window fitted O(buckets²) for Theil–Sen: with
 * the defaults (4 windows of 40 buckets, ~780 pairwise slopes each, plus
 * the recent half of a candidate) ~80 µs measured on 3 days of 30 s samples
 * (bench/forecast_accuracy): 300 series every 10 s cost ~0.25 % of a core.
 * A series whose values in the longest window are all equal is not_growing
 * after one pass, without a fit (most of an always-on watch's series).
 * Pass at least the longest window's history; older samples only feed the
 * "been this high before" check. watch passes its folded window
 * (model/series.h series_watch_window: ~2 points per envelope bucket of each
 * window, and two more days of 36-minute extremes), which bench/
 * forecast_accuracy feeds too. */
#ifndef POOLSCOPE_ANALYSIS_FORECAST_H
#define POOLSCOPE_ANALYSIS_FORECAST_H

#include <stdbool.h>
#include <stddef.h>

#define FORECAST_MAX_WINDOWS 8

enum forecast_direction {
	FORECAST_RISING,  /* runs out when the value reaches the limit from below */
	FORECAST_FALLING, /* runs out when the value falls to the limit (MemAvailable → 0) */
};

enum forecast_reason {
	FORECAST_OK,		    /* a forecast (valid) */
	FORECAST_LIMIT_REACHED,	    /* the last value is at or past the limit (valid, 0 s) */
	FORECAST_TOO_LITTLE_DATA,   /* fewer samples or a shorter span than any window needs */
	FORECAST_NOT_GROWING,	    /* no window's slope is above 0 with confidence */
	FORECAST_NOT_STEADY,	    /* growing, but not along a line (burst, step, cycle) */
	FORECAST_NEEDS_MORE_DATA,   /* growing, but the data span is short for the horizon */
	FORECAST_WINDOWS_DISAGREE,  /* a window it must agree with grows slower */
	FORECAST_WITHIN_PAST_RANGE, /* the value has been this high before */
	FORECAST_NO_LIMIT,	    /* the limit is not a finite number */
	FORECAST_REASON_COUNT,
};

/* "ok", "limit_reached", "too_little_data", "not_growing", "not_steady",
 * "needs_more_data", "windows_disagree", "within_past_range", "no_limit":
 * stable names for JSON, alerts and tests. */
const char *forecast_reason_name(enum forecast_reason r);

struct forecast_params {
	double windows_s[FORECAST_MAX_WINDOWS]; /* 600, 3600, 21600, 86400, ascending */
	size_t nwindows;			/* 4 */
	size_t buckets;		/* 40: envelope points per window (≤ GROWTH_TS_MAX) */
	size_t min_samples;	/* 6: fewer samples in a window: it is not used */
	double min_span_s;	/* 300: a shorter span of data: too_little_data. Not
				 * 60: a program's start-up (opening its files for
				 * a minute or two) looks like a leak that runs out
				 * in minutes until it stops, and the recent half
				 * of 5 min tells the two apart */
	double evidence_frac;	/* 0.05: judge's span ≥ this × its time to exhaustion */
	double lookback_frac;	/* 3: longer windows up to this × the forecast must agree */
	double min_r2;		/* 0.8: of the judge's envelope points (a centred step
				 * fits a line with r² 0.75) */
	double max_rel_ci;	/* 0.5: judge's slope − its interval's low end ≤ this × slope */
	double z;		/* 2.58: Sen's interval, in standard deviations (99 %) */
	double quantum;		/* 1: the value's resolution (counts, kB) */
};

/* The defaults above. */
void forecast_params_init(struct forecast_params *p);

/* One window's fit, for the reader who wants to see why. */
struct forecast_window {
	double window_s; /* as configured */
	double span_s;	 /* data it held: ≤ window_s */
	size_t samples;
	double slope_per_s, slope_lo, slope_hi; /* of the lower envelope (rising form) */
	double r2;				/* of the envelope points */
	double seconds;				/* time to exhaustion at slope_per_s; INFINITY */
	bool agreed;				/* agreed with the judge (the judge too) */
};

struct forecast {
	bool valid;			/* a forecast is in force */
	enum forecast_reason reason;	/* OK / LIMIT_REACHED when valid, else why not */
	double seconds;			/* time to exhaustion from now (INFINITY unless valid) */
	double seconds_lo, seconds_hi;	/* its range (slope interval); hi may be INFINITY */
	double slope_per_s;		/* the slope used, in the value's own direction
					 * (negative for a falling resource) */
	double level;			/* the envelope's value at now */
	int judge;			/* index in windows[] of the one that carried it; -1 */
	unsigned agreed_mask;		/* bit k: windows[k] agreed (the judge's included) */
	size_t nwindows;		/* windows fitted (those with data) */
	struct forecast_window windows[FORECAST_MAX_WINDOWS];
};

/* Forecast when v reaches limit (dir). t_s[0..n) seconds, non-decreasing,
 * v the values (finite; both borrowed, read only); now ≥ t_s[n−1]
 * (usually equal). p NULL = defaults. Fills
 * *out in every case (n = 0: too_little_data). 0, -EINVAL (t_s or v NULL
 * with n > 0, bad params) or -ENOMEM. */
int forecast_exhaustion(const double *t_s, const double *v, size_t n, double limit, double now,
			enum forecast_direction dir, const struct forecast_params *p,
			struct forecast *out);
/* The same on a folded history (model/series.h): v holds each bucket's
 * envelope extreme (what the fits read) and peak its other extreme, read by
 * the "been this high before" check — last night's burst is gone from the
 * lower envelope but not from the peaks. peak NULL: v. */
int forecast_exhaustion_folded(const double *t_s, const double *v, const double *peak, size_t n,
			       double limit, double now, enum forecast_direction dir,
			       const struct forecast_params *p, struct forecast *out);

#endif
