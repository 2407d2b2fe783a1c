/* The shared "grows steadily" verdict on synthetic series of every shape
 * diagnose and watch meet (60 one-second samples, several noise seeds):
 * steady growth, flat, a large flat value, noise, a sawtooth, a burst that
 * returns, a step, a fall; the robust slope, the lower envelope and the
 * time to a limit. */
#include "test_util.h"

#include <errno.h>
#include <math.h>

#include "analysis/growth.h"

#define N 60
#define SEEDS 10

/* Uniform in [-1, 1], reproducible per seed (a 64-bit LCG). */
static double noise(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*state >> 11) / (double)(1ULL << 53) * 2 - 1;
}

typedef double (*shape_fn)(size_t i);

static double steady(size_t i) { return 100 + 2.0 * (double)i; }
static double flat(size_t i) { (void)i; return 40; }
static double large_flat(size_t i) { (void)i; return 1e6; }
static double sawtooth(size_t i) { return 100 + (double)(i % 10); }
static double burst(size_t i) { return i >= 20 && i < 30 ? 80 : 20; }
static double step(size_t i) { return i < 30 ? 50 : 150; }
static double falling(size_t i) { return 500 - 3.0 * (double)i; }

static enum growth_verdict verdict_of(shape_fn f, double amp, uint64_t seed,
				      const struct growth_params *p, struct growth_fit *fit)
{
	double y[N];
	uint64_t st = seed * 7919 + 1;
	size_t i;

	for (i = 0; i < N; i++)
		y[i] = f(i) + amp * noise(&st);
	assert_int_equal(growth_assess(NULL, y, N, p, fit), 0);
	return fit->verdict;
}

static void expect_shape(shape_fn f, double amp, enum growth_verdict want)
{
	struct growth_fit fit;
	uint64_t seed;

	for (seed = 0; seed < SEEDS; seed++) {
		enum growth_verdict got = verdict_of(f, amp, seed, NULL, &fit);

		if (got != want)
			print_error("seed %llu: %s, want %s (slope %g r2 %g rising %g)\n",
				    (unsigned long long)seed, growth_verdict_name(got),
				    growth_verdict_name(want), fit.slope_per_s, fit.r2, fit.rising);
		assert_int_equal(got, want);
	}
}

static void test_shapes(void **state)
{
	(void)state;
	expect_shape(steady, 3, GROWTH_STEADY);
	expect_shape(flat, 1, GROWTH_FLAT);
	expect_shape(large_flat, 100, GROWTH_FLAT);
	expect_shape(flat, 20, GROWTH_NOISY);
	expect_shape(sawtooth, 0.3, GROWTH_SAWTOOTH);
	expect_shape(burst, 0.5, GROWTH_BURST_RETURNED);
	expect_shape(step, 2, GROWTH_STEP);
	expect_shape(falling, 2, GROWTH_FALLING);
	/* without noise too */
	expect_shape(steady, 0, GROWTH_STEADY);
	expect_shape(step, 0, GROWTH_STEP);
	expect_shape(burst, 0, GROWTH_BURST_RETURNED);
}

/* report's suspect rules: a hump that ends below 80% of its peak is not
 * growth; fewer than 4 samples give no verdict; a gain under 3 is flat. */
static void test_report_rules(void **state)
{
	double hump[] = { 0, 5, 10, 15, 20, 25, 30, 22 };
	double tiny[] = { 0, 1, 2 };
	double small[] = { 0, 0.5, 1, 1.5, 2, 2.5 };
	struct growth_fit fit;

	(void)state;
	assert_int_equal(growth_assess(NULL, hump, 8, NULL, &fit), 0);
	assert_int_not_equal(fit.verdict, GROWTH_STEADY);
	assert_int_equal(growth_assess(NULL, tiny, 3, NULL, &fit), 0);
	assert_int_equal(fit.verdict, GROWTH_TOO_SHORT);
	assert_int_equal(growth_assess(NULL, small, 6, NULL, &fit), 0);
	assert_int_equal(fit.verdict, GROWTH_FLAT);
	assert_int_equal(growth_assess(NULL, NULL, 0, NULL, &fit), 0);
	assert_int_equal(fit.verdict, GROWTH_TOO_SHORT);
	assert_int_equal(growth_assess(NULL, NULL, 3, NULL, &fit), -EINVAL);
}

/* A large value growing by one a second is steady by report's rules;
 * diagnose's min_rel_gain calls it flat. */
static void test_relative_gain(void **state)
{
	double y[N];
	struct growth_params p;
	struct growth_fit fit;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++)
		y[i] = 1e6 + (double)i;
	assert_int_equal(growth_assess(NULL, y, N, NULL, &fit), 0);
	assert_int_equal(fit.verdict, GROWTH_STEADY);
	growth_params_init(&p);
	p.min_rel_gain = 0.01;
	assert_int_equal(growth_assess(NULL, y, N, &p, &fit), 0);
	assert_int_equal(fit.verdict, GROWTH_FLAT);
}

/* Slopes are per second of t_s; Theil–Sen ignores a few wild samples that
 * pull least squares away. */
static void test_slopes(void **state)
{
	double t[N], y[N];
	struct growth_fit fit;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++) {
		t[i] = 10.0 * (double)i;
		y[i] = 5 + 0.5 * t[i];
	}
	y[50] = y[51] = y[52] = 1e5;
	assert_int_equal(growth_assess(t, y, N, NULL, &fit), 0);
	assert_true(fabs(fit.robust_per_s - 0.5) < 1e-9);
	assert_true(fabs(fit.slope_per_s - 0.5) > 1);
	assert_true(fit.first == 5 && fit.max == 1e5 && fit.min == 5);
	assert_true(fabs(fit.last - (5 + 0.5 * 590)) < 1e-9);
}

/* A long series (watch: days of samples) goes through the subsample. */
static void test_long_series(void **state)
{
	static double y[20000];
	struct growth_fit fit;
	uint64_t st = 42;
	size_t i;

	(void)state;
	for (i = 0; i < 20000; i++)
		y[i] = 1000 + 0.25 * (double)i + 5 * noise(&st);
	assert_int_equal(growth_assess(NULL, y, 20000, NULL, &fit), 0);
	assert_int_equal(fit.verdict, GROWTH_STEADY);
	assert_true(fabs(fit.robust_per_s - 0.25) < 0.01);
}

/* Under a sawtooth that creeps up, the lower envelope's slope is the
 * creep; the sawtooth itself is still named. */
static void test_envelope(void **state)
{
	double y[N * 4];
	struct growth_params p;
	struct growth_fit fit;
	size_t i;

	(void)state;
	for (i = 0; i < N * 4; i++)
		y[i] = 100 + 0.1 * (double)i + 20 * (double)(i % 20);
	growth_params_init(&p);
	p.envelope_window = 20;
	assert_int_equal(growth_assess(NULL, y, N * 4, &p, &fit), 0);
	assert_int_equal(fit.verdict, GROWTH_SAWTOOTH);
	assert_true(fabs(fit.envelope_per_s - 0.1) < 1e-9);
	p.envelope_window = 0;
	assert_int_equal(growth_assess(NULL, y, N * 4, &p, &fit), 0);
	assert_true(fit.envelope_per_s == 0);
}

/* Theil–Sen with Sen's interval: the slope equals growth_theil_sen's, the
 * interval holds it and narrows with more samples, the intercept puts the
 * line through the data; a perfect line has a zero-width interval. */
static void test_theil_sen_fit(void **state)
{
	double t[N], y[N], slope;
	struct growth_ts_fit fit, fit10;
	uint64_t st = 7;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++) {
		t[i] = 10.0 * (double)i;
		y[i] = 50 + 0.5 * t[i] + 20 * noise(&st);
	}
	assert_int_equal(growth_theil_sen_fit(t, y, N, 1.96, &fit), 0);
	assert_int_equal(growth_theil_sen(t, y, N, &slope), 0);
	assert_true(fit.slope == slope);
	assert_true(fit.slope_lo < fit.slope && fit.slope < fit.slope_hi);
	assert_true(fit.slope_lo < 0.5 && 0.5 < fit.slope_hi);
	assert_true(fabs(fit.intercept - 50) < 10);
	assert_int_equal(fit.pairs, N * (N - 1) / 2);
	assert_int_equal(growth_theil_sen_fit(t, y, 10, 1.96, &fit10), 0);
	assert_true(fit10.slope_hi - fit10.slope_lo > fit.slope_hi - fit.slope_lo);
	for (i = 0; i < N; i++)
		y[i] = 7 - 2 * t[i];
	assert_int_equal(growth_theil_sen_fit(t, y, N, 2.58, &fit), 0);
	assert_true(fit.slope == -2 && fit.slope_lo == -2 && fit.slope_hi == -2);
	assert_true(fabs(fit.intercept - 7) < 1e-9);
	/* too short: all zero; three samples: the interval is all pairs */
	assert_int_equal(growth_theil_sen_fit(t, y, 1, 1.96, &fit), 0);
	assert_true(fit.slope == 0 && fit.slope_lo == 0 && fit.slope_hi == 0 && fit.pairs == 0);
	y[0] = 0, y[1] = 10, y[2] = 40;
	assert_int_equal(growth_theil_sen_fit(t, y, 3, 1.96, &fit), 0);
	assert_true(fit.slope_lo == 1 && fit.slope == 2 && fit.slope_hi == 3);
}

static void test_time_to_limit(void **state)
{
	(void)state;
	assert_true(fabs(growth_seconds_to_limit(100, 1000, 3) - 300) < 1e-9);
	assert_true(growth_seconds_to_limit(1000, 1000, 3) == 0);
	assert_true(isinf(growth_seconds_to_limit(100, 1000, 0)));
	assert_true(isinf(growth_seconds_to_limit(100, 1000, -1)));
	assert_string_equal(growth_verdict_name(GROWTH_STEADY), "steady_growth");
	assert_string_equal(growth_verdict_name(GROWTH_BURST_RETURNED), "burst_returned");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_report_rules),
		cmocka_unit_test(test_relative_gain),
		cmocka_unit_test(test_slopes),
		cmocka_unit_test(test_long_series),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_theil_sen_fit),
		cmocka_unit_test(test_time_to_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
