/* One "grows steadily" verdict for any series: a slab cache's bytes sampled
 * every second, a process's fd count, a SysV total, the outstanding count of
 * an allocation site per trend bucket. Every command that says "this grows"
 * says it through growth_assess, with the same rules.
 *
 * Input: n samples y[i] at times t_s[i] (seconds, increasing; NULL = one
 * step per sample, so slopes come out per sample). Output: the shape of the
 * series (enum growth_verdict), its least-squares and Theil–Sen slopes, the
 * fit, and the numbers a reader needs to judge (first/last/min/max, rising
 * fraction). Nothing is kept between calls; the Theil–Sen slope allocates
 * its m(m−1)/2 pairwise slopes (≤ 1 MiB) and works on m = GROWTH_TS_MAX
 * evenly spaced samples of a longer series.
 *
 * Cost: O(n) for the fit, the verdict and the step search (and a copy of y
 * for the median absolute deviation); O(m²) for the
 * Theil–Sen slope with m = min(n, GROWTH_TS_MAX) (median by quickselect).
 * With the defaults a 60-sample series costs ~2k slope pairs. */
#ifndef POOLSCOPE_ANALYSIS_GROWTH_H
#define POOLSCOPE_ANALYSIS_GROWTH_H

#include <stddef.h>

/* Theil–Sen works on at most this many samples (evenly spaced). */
#define GROWTH_TS_MAX 512

enum growth_verdict {
	GROWTH_TOO_SHORT,      /* fewer than min_samples: no verdict */
	GROWTH_FLAT,	       /* moves less than the flat thresholds */
	GROWTH_STEADY,	       /* rises along a line, ends near its peak: a leak's shape */
	GROWTH_FALLING,	       /* falls along a line */
	GROWTH_STEP,	       /* one jump between two levels, then held */
	GROWTH_BURST_RETURNED, /* rose and came back near where it started */
	GROWTH_SAWTOOTH,       /* ramps up, drops, ramps up again (caches, GC) */
	GROWTH_NOISY,	       /* moves, but in none of the shapes above */
	GROWTH_VERDICT_COUNT,
};

/* "flat", "steady_growth", "falling", "step", "burst_returned", "sawtooth",
 * "noisy", "too_short": stable names for JSON and tests. */
const char *growth_verdict_name(enum growth_verdict v);

struct growth_params {
	size_t min_samples; /* 4: fewer is GROWTH_TOO_SHORT */
	/* Steady growth (and, mirrored, falling): least-squares slope > 0,
	 * r² ≥ min_r2, last − first ≥ min_gain, last ≥ near_peak × max.
	 * These are report's leak-suspect rules; min_rel_gain (0 = off) also
	 * asks last − first ≥ min_rel_gain × |first| (a large, almost flat
	 * value growing by a handful is not news to diagnose). */
	double min_r2;	     /* 0.8 */
	double min_gain;     /* 3 */
	double near_peak;    /* 0.8 */
	double min_rel_gain; /* 0 */
	/* Flat: max − min < min_gain, or ≤ flat_rel × max(|min|, |max|). */
	double flat_rel; /* 0.01 */
	/* Step: a split into two constant levels explains ≥ step_r2 of the
	 * variance (a straight ramp explains 0.75 at most). */
	double step_r2; /* 0.9 */
	/* Burst returned: max − first ≥ min_gain, |last − first| ≤
	 * returned_frac × (max − first), and the peak stands out of the
	 * series' usual spread: max − median ≥ burst_spread × the median
	 * absolute deviation (plain noise also ends near where it began). */
	double returned_frac; /* 0.2 */
	double burst_spread;  /* 4 */
	/* Sawtooth: at least 2 drops of ≥ sawtooth_drop × (max − min) each,
	 * and ≥ sawtooth_rising of the steps not going down. */
	double sawtooth_drop;	/* 0.5 */
	double sawtooth_rising; /* 0.7 */
	/* Lower envelope (watch: growth under a sawtooth): when > 1, the
	 * Theil–Sen slope of the minima of consecutive windows of this many
	 * samples is computed too. 0 = off. */
	size_t envelope_window;
};

/* The defaults above. */
void growth_params_init(struct growth_params *p);

struct growth_fit {
	enum growth_verdict verdict;
	size_t n;
	double slope_per_s;	/* least squares, per second (per sample if t_s NULL) */
	double robust_per_s;	/* Theil–Sen: median of pairwise slopes */
	double envelope_per_s;	/* Theil–Sen of the lower envelope; 0 when off */
	double r2;		/* of the least-squares line: 1 = perfectly straight */
	double rising;		/* fraction of steps that did not go down */
	double first, last, min, max;
};

/* Assess y[0..n) (t_s may be NULL). p NULL = defaults. 0, -EINVAL (y NULL
 * with n > 0), or -ENOMEM. */
int growth_assess(const double *t_s, const double *y, size_t n, const struct growth_params *p,
		  struct growth_fit *out);

/* The least-squares line alone: slope per unit of t (per sample if t_s is
 * NULL), r² and the fraction of non-decreasing steps. O(n). */
void growth_line_fit(const double *t_s, const double *y, size_t n, double *slope, double *r2,
		     double *rising);

/* The Theil–Sen slope of y over t (t_s NULL = per sample) into *slope
 * (0 for n < 2). O(m²) with m = min(n, GROWTH_TS_MAX). 0 or -ENOMEM. */
int growth_theil_sen(const double *t_s, const double *y, size_t n, double *slope);

/* A Theil–Sen line with Sen's confidence interval for its slope. */
struct growth_ts_fit {
	double slope;	  /* median of the pairwise slopes (0 for n < 2) */
	double slope_lo;  /* Sen's interval: the pairwise slopes at ranks */
	double slope_hi;  /* (N ∓ z·√Var(S))/2 of the N pairs, S Kendall's */
	double intercept; /* median of y − slope·t: the line is intercept + slope·t */
	size_t pairs;	  /* N: pairs with distinct times */
};

/* The Theil–Sen line of y over t (t_s NULL = per sample) with Sen's
 * confidence interval at z standard deviations (z = 1.96: 95 %; the rank
 * variance assumes no ties and independent samples, so on autocorrelated
 * data the interval is narrower than the truth). Same subsample and cost as
 * growth_theil_sen (slope equal to it), plus an O(n) copy for the
 * intercept. n < 2: all zero. 0 or -ENOMEM. */
int growth_theil_sen_fit(const double *t_s, const double *y, size_t n, double z,
			 struct growth_ts_fit *out);

/* Seconds until a value now at y_now reaches limit, rising at slope_per_s:
 * 0 when already there, INFINITY when it does not rise. */
double growth_seconds_to_limit(double y_now, double limit, double slope_per_s);

#endif
