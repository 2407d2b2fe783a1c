/* The exhaustion forecaster on small synthetic series of every shape watch
 * meets: steady leaks (fast from minutes of samples, slow from hours),
 * falling MemAvailable, and the decoys that must never forecast — a
 * sawtooth, a nightly burst, a step that stays flat, a daily cycle, noise;
 * every reason; edge cases (no samples, the limit reached, a constant
 * series, bad input). */
#include "test_util.h"

#include <errno.h>
#include <math.h>

#include "analysis/forecast.h"

#define L 100000.0
#define MAXN 40000

/* Uniform in [-1, 1], reproducible (a 64-bit LCG). */
static double noise(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*state >> 11) / (double)(1ULL << 53) * 2 - 1;
}

typedef double (*shape_fn)(double t, double end);

/* Samples every step seconds over [0, end], value f(t) + amp × noise. */
static size_t fill(double *t, double *v, double end, double step, shape_fn f, double amp)
{
	uint64_t st = 99;
	size_t n = 0;
	double x;

	for (x = 0; x <= end + 1e-9 && n < MAXN; x += step) {
		t[n] = x;
		v[n] = round(f(x, end) + amp * noise(&st));
		n++;
	}
	return n;
}

static struct forecast run(shape_fn f, double end, double step, double amp, double limit,
			   enum forecast_direction dir)
{
	static double t[MAXN], v[MAXN];
	struct forecast fc;
	size_t n = fill(t, v, end, step, f, amp);

	assert_int_equal(forecast_exhaustion(t, v, n, limit, t[n - 1], dir, NULL, &fc), 0);
	return fc;
}

#define expect_no_forecast(f, end, step, amp, want) \
	expect_no_forecast_(#f, f, end, step, amp, want)

static void expect_no_forecast_(const char *what, shape_fn f, double end, double step, double amp,
				enum forecast_reason want)
{
	struct forecast fc = run(f, end, step, amp, L, FORECAST_RISING);

	if (fc.valid || fc.reason != want)
		print_error("%s: valid %d reason %s (want %s), %g s\n", what, fc.valid,
			    forecast_reason_name(fc.reason), forecast_reason_name(want),
			    fc.seconds);
	assert_false(fc.valid);
	assert_int_equal(fc.reason, want);
	assert_int_equal(fc.judge, -1);
	assert_true(isinf(fc.seconds));
}

/* 30 % of the limit rising to it in 4 h. */
static double leak_4h(double t, double end)
{
	(void)end;
	return 0.3 * L + 0.7 * L / (4 * 3600) * t;
}

/* Runs out in 15 min. */
static double leak_15min(double t, double end)
{
	(void)end;
	return 0.3 * L + 0.7 * L / 900 * t;
}

/* Rising, but to run out only in ten days. */
static double leak_10d(double t, double end)
{
	(void)end;
	return 0.3 * L + 0.7 * L / (10 * 86400) * t;
}

static double constant(double t, double end)
{
	(void)t;
	(void)end;
	return 0.4 * L;
}

/* A cache filling over 20 min and reclaimed, again and again. */
static double sawtooth(double t, double end)
{
	(void)end;
	return 0.2 * L + 0.4 * L * fmod(t, 1200) / 1200;
}

/* Flat for two days, then the last 30 min a burst filling fast. */
static double late_burst(double t, double end)
{
	return 0.3 * L + (t > end - 1800 ? 0.3 * L * (t - (end - 1800)) / 1800 : 0);
}

/* A jump 10 min before the end of 20 min of data: half low, half high. */
static double step_mid(double t, double end)
{
	return t < end - 600 ? 0.2 * L : 0.5 * L;
}

/* Rising by 10 a second under noise as large as its rise. */
static double noisy_leak(double t, double end)
{
	(void)end;
	return 0.3 * L + 10 * t;
}

/* A step on the first day, flat ever since. */
static double step_then_flat(double t, double end)
{
	(void)end;
	return t < 86400 ? 0.2 * L : 0.5 * L;
}

/* A peak of 95 % two days ago, back down, then a steady ramp over the
 * last day that has not yet reached the old peak. */
static double ramp_below_old_peak(double t, double end)
{
	double ramp_start = end - 86400;

	if (t < 3600)
		return 0.95 * L;
	if (t < ramp_start)
		return 0.1 * L;
	return 0.1 * L + 0.4 * L * (t - ramp_start) / 86400;
}

static double daily_cycle(double t, double end)
{
	(void)end;
	return 0.35 * L + 0.25 * L * sin(2 * M_PI * t / 86400);
}

/* MemAvailable: 8 GB in kB falling by 100 kB/s. */
static double mem_falling(double t, double end)
{
	(void)end;
	return 8e6 - 100 * t;
}

static void test_steady_leak(void **state)
{
	struct forecast fc = run(leak_4h, 7200, 10, 200, L, FORECAST_RISING);
	double truth = 7200;

	(void)state;
	assert_true(fc.valid);
	assert_int_equal(fc.reason, FORECAST_OK);
	assert_true(fabs(fc.seconds - truth) < 0.1 * truth);
	assert_true(fc.seconds_lo <= fc.seconds && fc.seconds <= fc.seconds_hi);
	assert_true(fabs(fc.slope_per_s - 0.7 * L / 14400) < 0.1 * 0.7 * L / 14400);
	assert_true(fc.judge >= 0 && (size_t)fc.judge < fc.nwindows);
	assert_true(fc.agreed_mask & (1u << fc.judge));
	assert_true(fc.windows[fc.judge].agreed);
	assert_true(fc.level > 0.6 * L && fc.level < L);
}

/* Steady data that runs out in minutes is forecast from five minutes of
 * samples (from one with min_span_s = 60); one that runs out in ten days
 * is not forecast from ten minutes, however straight. */
static void test_evidence_scales_with_horizon(void **state)
{
	static double t[MAXN], v[MAXN];
	struct forecast fc = run(leak_15min, 300, 10, 0, L, FORECAST_RISING);
	struct forecast_params p;
	size_t n;

	(void)state;
	assert_true(fc.valid);
	assert_true(fabs(fc.seconds - 600) < 30);
	n = fill(t, v, 60, 10, leak_15min, 0);
	assert_int_equal(forecast_exhaustion(t, v, n, L, 60, FORECAST_RISING, NULL, &fc), 0);
	assert_int_equal(fc.reason, FORECAST_TOO_LITTLE_DATA);
	forecast_params_init(&p);
	p.min_span_s = 60;
	assert_int_equal(forecast_exhaustion(t, v, n, L, 60, FORECAST_RISING, &p, &fc), 0);
	assert_true(fc.valid);
	assert_true(fabs(fc.seconds - 840) < 30);
	expect_no_forecast(leak_10d, 600, 10, 0, FORECAST_NEEDS_MORE_DATA);
	fc = run(leak_10d, 86400, 60, 0, L, FORECAST_RISING);
	assert_true(fc.valid);
	assert_true(fabs(fc.seconds - 9 * 86400) < 0.05 * 9 * 86400);
}

static void test_falling(void **state)
{
	struct forecast fc = run(mem_falling, 7200, 10, 500, 0, FORECAST_FALLING);
	double truth = (8e6 - 100 * 7200) / 100;

	(void)state;
	assert_true(fc.valid);
	assert_true(fabs(fc.seconds - truth) < 0.05 * truth);
	assert_true(fc.slope_per_s < -90 && fc.slope_per_s > -110);
	assert_true(fc.level > 7e6 && fc.level < 8e6);
	/* the same data judged as rising never runs out */
	fc = run(mem_falling, 7200, 10, 500, 1e7, FORECAST_RISING);
	assert_false(fc.valid);
	assert_int_equal(fc.reason, FORECAST_NOT_GROWING);
}

static void test_decoys(void **state)
{
	(void)state;
	expect_no_forecast(constant, 7200, 10, 0, FORECAST_NOT_GROWING);
	/* at a reclaim, and in the middle of a tooth */
	expect_no_forecast(sawtooth, 6 * 3600, 10, 100, FORECAST_NOT_STEADY);
	expect_no_forecast(sawtooth, 6 * 3600 + 900, 10, 100, FORECAST_WINDOWS_DISAGREE);
	expect_no_forecast(late_burst, 2 * 86400, 30, 100, FORECAST_WINDOWS_DISAGREE);
	expect_no_forecast(step_mid, 1200, 10, 0, FORECAST_NOT_GROWING);
	/* growing for sure, but too noisy to be a line */
	expect_no_forecast(noisy_leak, 600, 10, 3000, FORECAST_NOT_STEADY);
	expect_no_forecast(step_then_flat, 3 * 86400, 60, 100, FORECAST_NOT_GROWING);
	expect_no_forecast(ramp_below_old_peak, 3 * 86400, 60, 100, FORECAST_WITHIN_PAST_RANGE);
}

/* A daily cycle alone raises no alert at any hour of its third day. */
/* Flat for two days, then a leak that runs out a day after it began: it
 * is forecast once the history that says "flat" is older than the
 * horizon needs (16 h in, 8 h left). */
static double late_leak(double t, double end)
{
	double start = end - 16 * 3600;

	(void)end;
	return 0.3 * L + (t > start ? 0.7 * L / 86400 * (t - start) : 0);
}

static void test_late_leak(void **state)
{
	struct forecast fc = run(late_leak, 2 * 86400 + 16 * 3600, 60, 200, L, FORECAST_RISING);

	(void)state;
	assert_true(fc.valid);
	assert_true(fabs(fc.seconds - 8 * 3600) < 0.2 * 8 * 3600);
}

/* A pid reused by another program: the forecaster sees only the new
 * series, which opens its files in its first two minutes and then holds
 * them. No alert from any of its first hours. */
static double new_program(double t, double end)
{
	(void)end;
	return t < 120 ? 5000 * t / 120 : 5000;
}

static void test_pid_reuse(void **state)
{
	static double t[MAXN], v[MAXN];
	size_t n = fill(t, v, 6 * 3600, 10, new_program, 20), end;

	(void)state;
	for (end = 2; end <= n; end++) {
		struct forecast fc;

		assert_int_equal(forecast_exhaustion(t, v, end, L, t[end - 1], FORECAST_RISING,
						     NULL, &fc), 0);
		assert_false(fc.valid && fc.seconds < 48 * 3600);
		if (end > 100)
			end += 50;
	}
}

static void test_daily_cycle(void **state)
{
	static double t[MAXN], v[MAXN];
	size_t n = fill(t, v, 3 * 86400, 60, daily_cycle, 200), end;

	(void)state;
	for (end = 2 * 1440; end <= n; end += 60) {
		struct forecast fc;

		assert_int_equal(forecast_exhaustion(t, v, end, L, t[end - 1], FORECAST_RISING,
						     NULL, &fc), 0);
		assert_false(fc.valid && fc.seconds < 48 * 3600);
	}
}

/* Noise alone, with the default rules, never forecasts. */
static void test_noise(void **state)
{
	(void)state;
	expect_no_forecast(constant, 86400, 30, 2000, FORECAST_NOT_GROWING);
}

static void test_edges(void **state)
{
	double t[] = { 0, 10, 20, 30, 40, 50, 60, 70 }, v[] = { 5, 5, 5, 5, 5, 5, 5, 5 };
	double up[] = { 10, 20, 30, 40, 50, 60, 70, 80 };
	double t60[] = { 0, 60, 120, 180, 240, 300, 360, 420 };
	struct forecast_params p;
	struct forecast fc;
	size_t k;

	(void)state;
	/* no samples */
	assert_int_equal(forecast_exhaustion(NULL, NULL, 0, 100, 0, FORECAST_RISING, NULL, &fc),
			 0);
	assert_false(fc.valid);
	assert_int_equal(fc.reason, FORECAST_TOO_LITTLE_DATA);
	/* too few samples, too short a span */
	assert_int_equal(forecast_exhaustion(t, up, 3, 1000, 20, FORECAST_RISING, NULL, &fc), 0);
	assert_int_equal(fc.reason, FORECAST_TOO_LITTLE_DATA);
	assert_int_equal(forecast_exhaustion(t, up, 6, 1000, 50, FORECAST_RISING, NULL, &fc), 0);
	assert_int_equal(fc.reason, FORECAST_TOO_LITTLE_DATA);
	/* the limit reached (rising and falling) */
	assert_int_equal(forecast_exhaustion(t, up, 8, 80, 70, FORECAST_RISING, NULL, &fc), 0);
	assert_true(fc.valid && fc.reason == FORECAST_LIMIT_REACHED && fc.seconds == 0);
	assert_int_equal(forecast_exhaustion(t, v, 8, 5, 70, FORECAST_FALLING, NULL, &fc), 0);
	assert_true(fc.valid && fc.reason == FORECAST_LIMIT_REACHED && fc.seconds == 0);
	/* no limit */
	assert_int_equal(forecast_exhaustion(t, up, 8, NAN, 70, FORECAST_RISING, NULL, &fc), 0);
	assert_int_equal(fc.reason, FORECAST_NO_LIMIT);
	assert_int_equal(forecast_exhaustion(t, up, 8, INFINITY, 70, FORECAST_RISING, NULL, &fc),
			 0);
	assert_int_equal(fc.reason, FORECAST_NO_LIMIT);
	/* a constant series: no NaN anywhere */
	assert_int_equal(forecast_exhaustion(t60, v, 8, 100, 420, FORECAST_RISING, NULL, &fc), 0);
	assert_int_equal(fc.reason, FORECAST_NOT_GROWING);
	assert_true(fc.nwindows == 1);
	for (k = 0; k < fc.nwindows; k++) {
		assert_false(isnan(fc.windows[k].slope_per_s));
		assert_false(isnan(fc.windows[k].slope_lo) || isnan(fc.windows[k].slope_hi));
		assert_false(isnan(fc.windows[k].r2) || isnan(fc.windows[k].seconds));
	}
	/* bad input */
	assert_int_equal(forecast_exhaustion(NULL, v, 8, 100, 70, FORECAST_RISING, NULL, &fc),
			 -EINVAL);
	assert_int_equal(forecast_exhaustion(t, v, 8, 100, 60, FORECAST_RISING, NULL, &fc),
			 -EINVAL);
	forecast_params_init(&p);
	p.windows_s[1] = p.windows_s[0];
	assert_int_equal(forecast_exhaustion(t, v, 8, 100, 70, FORECAST_RISING, &p, &fc),
			 -EINVAL);
	forecast_params_init(&p);
	p.buckets = 1;
	assert_int_equal(forecast_exhaustion(t, v, 8, 100, 70, FORECAST_RISING, &p, &fc),
			 -EINVAL);
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(forecast_reason_name(FORECAST_OK), "ok");
	assert_string_equal(forecast_reason_name(FORECAST_LIMIT_REACHED), "limit_reached");
	assert_string_equal(forecast_reason_name(FORECAST_TOO_LITTLE_DATA), "too_little_data");
	assert_string_equal(forecast_reason_name(FORECAST_NOT_GROWING), "not_growing");
	assert_string_equal(forecast_reason_name(FORECAST_NOT_STEADY), "not_steady");
	assert_string_equal(forecast_reason_name(FORECAST_NEEDS_MORE_DATA), "needs_more_data");
	assert_string_equal(forecast_reason_name(FORECAST_WINDOWS_DISAGREE), "windows_disagree");
	assert_string_equal(forecast_reason_name(FORECAST_WITHIN_PAST_RANGE),
			    "within_past_range");
	assert_string_equal(forecast_reason_name(FORECAST_NO_LIMIT), "no_limit");
	assert_string_equal(forecast_reason_name(FORECAST_REASON_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_leak),
		cmocka_unit_test(test_evidence_scales_with_horizon),
		cmocka_unit_test(test_falling),
		cmocka_unit_test(test_decoys),
		cmocka_unit_test(test_late_leak),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_daily_cycle),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
