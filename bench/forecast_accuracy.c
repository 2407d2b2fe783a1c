/* Accuracy of the exhaustion forecaster (src/analysis/forecast.h) on
 * simulated series: a month of samples resembling real machines — steady
 * leaks of several rates, leaks that start late, leaks on a daily cycle, a
 * falling MemAvailable — and decoys that must never alert: nightly bursts,
 * a sawtooth cache, a step that stays flat, a pid reused by another
 * program (the forecaster sees only the new series), a daily cycle, noise.
 * A deterministic simulation, not a timing benchmark.
 *
 *   forecast_accuracy [--seeds N] [--first-seed S] [--step SECONDS] [--eval SECONDS]
 *                     [--buckets B]   (B: forecast_params.buckets, to try others)
 *                     [--raw]         (3 days of raw samples, not watch's folded window)
 *
 * Per scenario, over the seeds: when the first forecast came (after the
 * leak began; earliest and latest seed), the worst relative error (the
 * best and the worst seed's) of a forecast against the true time to
 * exhaustion once 5 % of that time had passed (until 5 % of it remains),
 * the share of those evaluations that had a forecast, and the alerts
 * raised (forecast under 48 h; counted once per change into the alert
 * state) — for a decoy over the month, for a leak before it began or while
 * more than 72 h remained — apart from those in the series' first day
 * ("day-1": a cold start with no history, where the first tooth of a
 * sawtooth or the first rising half of a cycle is a leak for all anyone
 * can tell). Exit status 1 when a steady leak's worst error passes 20 % or
 * an alert is raised after day 1. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/forecast.h"
#include "model/series.h"
#include "util/parse.h"

#define DAY 86400.0
#define HOUR 3600.0
#define MONTH (30 * DAY)
#define LIMIT 1e6
#define ALERT_S (48 * HOUR)
/* History handed to the forecaster with --raw: the longest window and two
 * days more for its "been this high before" check. By default it gets what
 * watch keeps: the same three days folded by series_watch_window, folded
 * at every sample as watch does. */
#define HISTORY_S (3 * DAY)

enum shape {
	LEAK,	      /* base + rate × (t − start) after start */
	CYCLE_LEAK,   /* the same on a daily sine */
	FALLING,      /* MemAvailable falling to 0 */
	BURSTS,	      /* nightly burst, freed again */
	SAWTOOTH,     /* fills for 3 h, reclaimed */
	STEP,	      /* one step up on day 3, then flat */
	PID_REUSE,    /* a leak until its process dies, then another program's fds */
	CYCLE,	      /* a daily cycle alone */
	NOISE,	      /* flat with noise */
};

struct scenario {
	const char *name;
	enum shape shape;
	double start_s;	 /* when the leak (or the new series) begins */
	double tte_s;	 /* leaks: seconds from start to the limit without a cycle */
	double base;	 /* fraction of LIMIT */
	double amp;	 /* cycle/burst/step size, fraction of LIMIT */
	double noise;	 /* standard deviation, fraction of LIMIT */
};

static const struct scenario scenarios[] = {
	{ "leak_2h", LEAK, 0, 2 * HOUR, 0.3, 0, 0.002 },
	{ "leak_1d", LEAK, 0, DAY, 0.3, 0, 0.002 },
	{ "leak_5d", LEAK, 0, 5 * DAY, 0.3, 0, 0.002 },
	{ "leak_20d", LEAK, 0, 20 * DAY, 0.3, 0, 0.002 },
	{ "late_leak_2h", LEAK, 5 * DAY, 2 * HOUR, 0.3, 0, 0.002 },
	{ "late_leak_1d", LEAK, 10 * DAY, DAY, 0.3, 0, 0.002 },
	{ "late_leak_5d", LEAK, 10 * DAY, 5 * DAY, 0.3, 0, 0.002 },
	{ "cycle_leak_5d", CYCLE_LEAK, 0, 5 * DAY, 0.3, 0.05, 0.002 },
	{ "cycle_leak_20d", CYCLE_LEAK, 0, 20 * DAY, 0.3, 0.05, 0.002 },
	{ "falling_5d", FALLING, 0, 5 * DAY, 0.7, 0, 0.002 },
	{ "decoy_nightly_burst", BURSTS, 0, 0, 0.3, 0.3, 0.002 },
	{ "decoy_sawtooth", SAWTOOTH, 0, 0, 0.2, 0.5, 0.002 },
	{ "decoy_step", STEP, 3 * DAY, 0, 0.3, 0.3, 0.002 },
	{ "decoy_pid_reuse", PID_REUSE, 2 * DAY, 2 * DAY, 0.1, 0.05, 0.002 },
	{ "decoy_daily_cycle", CYCLE, 0, 0, 0.35, 0.25, 0.002 },
	{ "decoy_noise", NOISE, 0, 0, 0.5, 0, 0.02 },
};

static bool is_leak(const struct scenario *s)
{
	return s->shape == LEAK || s->shape == CYCLE_LEAK || s->shape == FALLING;
}

/* The noiseless value at t. */
static double signal_at(const struct scenario *s, double t)
{
	double rate = (1 - s->base) / (s->tte_s > 0 ? s->tte_s : 1), day = fmod(t, DAY), x;

	switch (s->shape) {
	case LEAK:
		return LIMIT * (s->base + (t > s->start_s ? rate * (t - s->start_s) : 0));
	case CYCLE_LEAK:
		return LIMIT * (s->base + s->amp * sin(2 * M_PI * t / DAY) +
				rate * (t > s->start_s ? t - s->start_s : 0));
	case FALLING:
		return LIMIT * (s->base - s->base / s->tte_s * t);
	case BURSTS:
		/* 02:00–02:40 it fills by amp, 02:40–02:50 it is freed. */
		x = day - 2 * HOUR;
		if (x < 0 || x >= 50 * 60)
			return LIMIT * s->base;
		return LIMIT * (s->base + s->amp * (x < 40 * 60 ? x / 2400 : (3000 - x) / 600));
	case SAWTOOTH:
		return LIMIT * (s->base + s->amp * fmod(t, 3 * HOUR) / (3 * HOUR));
	case STEP:
		return LIMIT * (s->base + (t >= s->start_s ? s->amp : 0));
	case PID_REUSE:
		/* The old process leaks toward the limit in 2.5 d and dies at
		 * start_s; the new one opens its files in its first 2 min. */
		if (t < s->start_s)
			return LIMIT * (s->base + 0.9 / (2.5 * DAY) * t);
		x = t - s->start_s;
		return LIMIT * s->amp * (x < 120 ? x / 120 : 1);
	case CYCLE:
		return LIMIT * (s->base + s->amp * sin(2 * M_PI * t / DAY));
	case NOISE:
		return LIMIT * s->base;
	}
	return 0;
}

/* The start of the series the forecaster sees at t. */
static double series_start(const struct scenario *s, double t)
{
	return s->shape == PID_REUSE && t >= s->start_s ? s->start_s : 0;
}

/* First time the noiseless signal reaches the limit (INFINITY: never). */
static double true_exhaustion(const struct scenario *s)
{
	double t;

	if (!is_leak(s))
		return INFINITY;
	for (t = 0; t < 2 * MONTH; t += 10) {
		double v = signal_at(s, t);

		if (s->shape == FALLING ? v <= 0 : v >= LIMIT)
			return t;
	}
	return INFINITY;
}

static uint64_t next_rand(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

/* Standard normal (Box–Muller). */
static double gauss(uint64_t *st)
{
	double u = ((double)(next_rand(st) >> 11) + 1) / 9007199254740994.0;
	double w = ((double)(next_rand(st) >> 11) + 1) / 9007199254740994.0;

	return sqrt(-2 * log(u)) * cos(2 * M_PI * w);
}

struct result {
	double first_s;	   /* first forecast after the leak began; INFINITY: none */
	double worst_err;  /* max |forecast − truth| / truth after the 5 % point */
	size_t judged, covered; /* evaluations after the 5 % point, with a forecast */
	size_t alerts;	   /* false alerts (changes into the alert state): a decoy's,
			    * a leak's before it began or while more than 72 h
			    * remained (premature) */
	size_t day1_alerts; /* the same in the series' first day of data */
	size_t calls;	    /* forecasts computed */
};

/* FORECAST_VERBOSE=1: what each false alert saw, to tune the rules. */
static void print_alert(const struct scenario *s, double now, size_t n, const struct forecast *fc)
{
	size_t k;

	fprintf(stderr, "%s: alert at %.2f d (%zu samples): %.1f h (%.1f–%.1f), judge %d\n",
		s->name, now / DAY, n, fc->seconds / HOUR, fc->seconds_lo / HOUR,
		fc->seconds_hi / HOUR, fc->judge);
	for (k = 0; k < fc->nwindows; k++) {
		const struct forecast_window *w = &fc->windows[k];

		fprintf(stderr, "  w%zu %6.0f s span %6.0f n %5zu slope %.4g [%.4g, %.4g] r2 %.2f "
			"tte %.1f h%s\n", k, w->window_s, w->span_s, w->samples, w->slope_per_s,
			w->slope_lo, w->slope_hi, w->r2, w->seconds / HOUR,
			w->agreed ? " agreed" : "");
	}
}

static bool raw_history; /* --raw */

/* The folded history (watch's): restarted when the series is (pid reuse). */
static int fold_add(struct series_set **set, bool restart, bool upper, double now, double v)
{
	int err;

	if (restart || !*set) {
		series_set_free(*set);
		*set = series_set_new();
		if (!*set)
			return -ENOMEM;
	}
	err = series_set_add(*set, "x", now, v);
	if (!err && upper)
		series_set_upper_envelope(*set, "x");
	if (!err)
		err = series_set_fold(*set, now, &series_watch_window);
	return err;
}

static int run_one(const struct scenario *s, uint64_t seed, double step, double eval_every,
		   const struct forecast_params *fp, struct result *r)
{
	struct series_set *set = NULL;
	size_t cap = (size_t)(MONTH / step) + 2, n = 0, first = 0;
	double *t = malloc(cap * sizeof(*t)), *v = malloc(cap * sizeof(*v));
	double tte = true_exhaustion(s), end = fmin(MONTH, tte), now, next_eval = 0;
	enum forecast_direction dir = s->shape == FALLING ? FORECAST_FALLING : FORECAST_RISING;
	double limit = s->shape == FALLING ? 0 : LIMIT;
	uint64_t st = seed * 0x9E3779B97F4A7C15ULL + 1;
	bool alerting = false;
	int err = 0;

	*r = (struct result){ .first_s = INFINITY };
	if (!t || !v) {
		err = -ENOMEM;
		goto out;
	}
	for (now = 0; now < end; now += step) {
		struct forecast fc;
		double since, total, remaining;
		bool alert;

		const struct series *fs;
		bool restart = n && series_start(s, now) > t[0];

		/* A new series (pid reuse) drops the old samples. */
		if (restart) {
			n = 0;
			first = 0;
		}
		t[n] = now;
		v[n] = round(signal_at(s, now) + LIMIT * s->noise * gauss(&st));
		n++;
		if (!raw_history) {
			err = fold_add(&set, restart, dir == FORECAST_FALLING, now, v[n - 1]);
			if (err)
				goto out;
		}
		if (now < next_eval)
			continue;
		next_eval = now + eval_every;
		while (t[first] < now - HISTORY_S)
			first++;
		fs = raw_history ? NULL : series_set_find(set, "x");
		if (fs)
			err = forecast_exhaustion_folded(fs->t, fs->v, fs->peak, fs->n, limit, now,
							 dir, fp, &fc);
		else
			err = forecast_exhaustion(t + first, v + first, n - first, limit, now, dir,
						  fp, &fc);
		r->calls++;
		if (err)
			goto out;
		alert = fc.valid && fc.seconds < ALERT_S;
		if (!is_leak(s) || now < s->start_s) {
			/* A pid reuse's decoy is the new program; the old one leaked. */
			bool scored = s->shape != PID_REUSE || now >= s->start_s;

			if (alert && !alerting && scored && now - series_start(s, now) < DAY)
				r->day1_alerts++;
			else if (alert && !alerting && scored) {
				r->alerts++;
				if (getenv("FORECAST_VERBOSE"))
					print_alert(s, now, n - first, &fc);
			}
			alerting = alert;
			continue;
		}
		since = now - s->start_s;
		total = tte - s->start_s;
		remaining = tte - now;
		if (alert && !alerting && remaining > 72 * HOUR && now < DAY)
			r->day1_alerts++;
		else if (alert && !alerting && remaining > 72 * HOUR) {
			r->alerts++;
			if (getenv("FORECAST_VERBOSE"))
				print_alert(s, now, n - first, &fc);
		}
		alerting = alert;
		if (fc.valid && isinf(r->first_s))
			r->first_s = since;
		if (since < 0.05 * total || remaining < 0.05 * total)
			continue;
		r->judged++;
		if (!fc.valid)
			continue;
		r->covered++;
		if (getenv("FORECAST_VERBOSE") && fabs(fc.seconds - remaining) > 0.2 * remaining) {
			fprintf(stderr, "%s seed %llu: off by more than 20 %% (truth %.1f h)\n",
				s->name, (unsigned long long)seed, remaining / HOUR);
			print_alert(s, now, n - first, &fc);
		}
		r->worst_err = fmax(r->worst_err, fabs(fc.seconds - remaining) / remaining);
	}
out:
	series_set_free(set);
	free(t);
	free(v);
	return err;
}

static void format_duration(double s, char *buf, size_t len)
{
	if (isinf(s))
		snprintf(buf, len, "never");
	else if (s < 2 * HOUR)
		snprintf(buf, len, "%.0f min", s / 60);
	else if (s < 2 * DAY)
		snprintf(buf, len, "%.1f h", s / HOUR);
	else
		snprintf(buf, len, "%.1f d", s / DAY);
}

static int usage(void)
{
	fprintf(stderr, "usage: forecast_accuracy [--seeds N] [--first-seed S] [--step SECONDS] "
			"[--eval SECONDS] [--buckets B] [--raw]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seeds", required_argument, NULL, 'n' },
		{ "first-seed", required_argument, NULL, 's' },
		{ "step", required_argument, NULL, 't' },
		{ "eval", required_argument, NULL, 'e' },
		{ "buckets", required_argument, NULL, 'b' },
		{ "raw", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seeds = 5, first_seed = 1, step = 30, eval_every = 300, buckets = 0, seed;
	struct forecast_params fp;
	size_t i, failures = 0, calls = 0;
	clock_t cpu0 = clock();
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'r') {
			raw_history = true;
			continue;
		}
		uint64_t *dst = opt == 'n' ? &seeds : opt == 's' ? &first_seed :
				opt == 't' ? &step : opt == 'e' ? &eval_every :
				opt == 'b' ? &buckets : NULL;

		if (!dst || parse_u64(optarg, dst) || *dst == 0)
			return usage();
	}
	forecast_params_init(&fp);
	if (buckets)
		fp.buckets = (size_t)buckets;
	printf("forecast accuracy: %llu seeds from %llu, %llu s samples, forecast every %llu s, "
	       "alert under 48 h, %s\n",
	       (unsigned long long)seeds, (unsigned long long)first_seed,
	       (unsigned long long)step, (unsigned long long)eval_every,
	       raw_history ? "3 days of raw history (--raw)" : "history folded as watch keeps it");
	printf("%-20s %9s %12s %12s %14s %9s %7s %7s\n", "scenario", "true tte", "first fc min",
	       "first fc max", "worst err", "coverage", "alerts", "day-1");
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];
		double first_min = INFINITY, first_max = 0, worst = 0, worst_min = INFINITY;
		double tte = true_exhaustion(s);
		size_t judged = 0, covered = 0, alerts = 0, day1 = 0;
		char b_tte[32], b_min[32], b_max[32], b_err[32] = "-", b_cov[32] = "-";

		for (seed = first_seed; seed < first_seed + seeds; seed++) {
			struct result r;
			int err = run_one(s, seed, (double)step, (double)eval_every, &fp, &r);

			if (err) {
				fprintf(stderr, "forecast_accuracy: %s: %s\n", s->name,
					strerror(-err));
				return 1;
			}
			first_min = fmin(first_min, r.first_s);
			first_max = fmax(first_max, r.first_s);
			worst = fmax(worst, r.worst_err);
			if (r.covered)
				worst_min = fmin(worst_min, r.worst_err);
			judged += r.judged;
			covered += r.covered;
			alerts += r.alerts;
			day1 += r.day1_alerts;
			calls += r.calls;
		}
		format_duration(is_leak(s) ? tte - s->start_s : INFINITY, b_tte, sizeof(b_tte));
		format_duration(is_leak(s) ? first_min : INFINITY, b_min, sizeof(b_min));
		format_duration(is_leak(s) ? first_max : INFINITY, b_max, sizeof(b_max));
		if (covered)
			snprintf(b_err, sizeof(b_err), "%.1f–%.1f %%", 100 * worst_min, 100 * worst);
		if (judged)
			snprintf(b_cov, sizeof(b_cov), "%.0f %%",
				 100.0 * (double)covered / (double)judged);
		if (is_leak(s) && s->shape != CYCLE_LEAK && (worst > 0.2 || !covered))
			failures++;
		if (alerts)
			failures++;
		printf("%-20s %9s %12s %12s %16s %9s %7zu %7zu\n", s->name, b_tte, b_min, b_max,
		       b_err, b_cov, alerts, day1);
	}
	printf("%zu forecasts, %.0f µs of CPU each (simulation included)\n", calls,
	       1e6 * (double)(clock() - cpu0) / CLOCKS_PER_SEC / (double)(calls ? calls : 1));
	printf("%s: %zu scenario(s) outside the goal (steady leaks within 20 %% after the 5 %% "
	       "point; no false alert)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
