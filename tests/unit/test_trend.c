/* Trend: series per tag and stack, bucket merging, the line fit, and leak
 * suspects — steady growth ranks, grow-then-shrink and flat churn do not. */
#include "test_util.h"

#include <math.h>

#include "analysis/outstanding.h"
#include "analysis/suspects.h"
#include "analysis/trend.h"

#define MS 1000000ULL

static void test_fit(void **state)
{
	int64_t line[] = { 0, 2, 4, 6, 8, 10 };
	int64_t hump[] = { 0, 5, 10, 10, 5, 0 };
	double slope, r2, rising;

	(void)state;
	trend_fit(line, 6, &slope, &r2, &rising);
	assert_true(fabs(slope - 2.0) < 1e-9);
	assert_true(fabs(r2 - 1.0) < 1e-9);
	assert_true(fabs(rising - 1.0) < 1e-9);
	trend_fit(hump, 6, &slope, &r2, &rising);
	assert_true(fabs(slope) < 1e-9);
	assert_true(r2 < 0.1);
	assert_true(fabs(rising - 0.6) < 1e-9);
}

static struct trace_record alloc_rec(uint64_t ts, uint64_t ptr, uint32_t tag, uint32_t stack)
{
	struct trace_record r = { .type = TR_ALLOC };

	r.alloc = (struct trace_alloc){ .ts_ns = ts, .ptr = ptr, .bytes_alloc = 32, .tag_id = tag,
					.stack_id = stack, .tgid = 1, .kind = TK_SLAB };
	return r;
}

static struct trace_record free_rec(uint64_t ts, uint64_t ptr)
{
	struct trace_record r = { .type = TR_FREE };

	r.free = (struct trace_free){ .ts_ns = ts, .ptr = ptr, .tgid = 1, .kind = TK_SLAB };
	return r;
}

/* Tag 1 leaks one object every 10 ms for 10 s; tag 2 grows for 5 s then
 * frees everything; tag 3 churns with a flat live set. Only tag 1 (and its
 * stack) may be a suspect. */
static void test_suspects(void **state)
{
	struct outstanding *o;
	struct trend *t = trend__new(0, MS);
	struct leak_suspect *list;
	struct outstanding_observer obs;
	struct trace_record r;
	size_t n, i;
	uint64_t k;

	(void)state;
	assert_non_null(t);
	assert_int_equal(outstanding__new(NULL, &o), 0);
	obs = trend__observer(t);
	outstanding__set_observer(o, &obs);
	for (k = 0; k < 1000; k++) {
		uint64_t ts = MS + k * 10 * MS; /* 0 would read as "no timestamp" */

		r = alloc_rec(ts, 0x100000 + k * 64, 1, 11);
		assert_int_equal(outstanding__add_record(o, &r), 0);
		if (k < 500) {
			r = alloc_rec(ts + 1, 0x200000 + k * 64, 2, 22);
		} else {
			r = free_rec(ts + 1, 0x200000 + (k - 500) * 64);
		}
		assert_int_equal(outstanding__add_record(o, &r), 0);
		r = alloc_rec(ts + 2, 0x300000 + k * 64, 3, 33);
		assert_int_equal(outstanding__add_record(o, &r), 0);
		if (k >= 5) {
			r = free_rec(ts + 3, 0x300000 + (k - 5) * 64);
			assert_int_equal(outstanding__add_record(o, &r), 0);
		}
	}
	assert_int_equal(outstanding__finish(o, 10001 * MS), 0);
	/* 10 s in 1 ms buckets outgrew 128 buckets: widths doubled. */
	assert_true(trend__bucket_ns(t) >= 10000 * MS / TREND_MAX_BUCKETS);
	assert_true(trend__nbuckets(t) <= TREND_MAX_BUCKETS);
	assert_true(trend__nbuckets(t) > TREND_MAX_BUCKETS / 2);
	{
		const struct trend_series *s = trend__tag_series(t, 1);
		int64_t y[TREND_MAX_BUCKETS];

		assert_non_null(s);
		trend_series__outstanding(s, trend__nbuckets(t), y, NULL);
		assert_int_equal(y[trend__nbuckets(t) - 1], 1000);
		s = trend__tag_series(t, 2);
		trend_series__outstanding(s, trend__nbuckets(t), y, NULL);
		assert_int_equal(y[trend__nbuckets(t) - 1], 0);
	}
	assert_int_equal(suspects__find(t, o, 10001 * MS, &list, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(list[i].tag_id, 1);
		assert_int_equal(list[i].aifo, 1000);
		assert_true(list[i].r2 > 0.99);
		if (fabs(list[i].slope_per_s - 100.0) >= 2.0)
			print_error("slope %f\n", list[i].slope_per_s);
		assert_true(fabs(list[i].slope_per_s - 100.0) < 2.0);
		assert_true(list[i].oldest_age_ns == 10000 * MS);
	}
	/* the tag ranks with share of all AIFO (1000 of 1005), the stack
	 * with its share of its tag's */
	assert_true(fabs(list[0].share - 1000.0 / 1005.0) < 1e-9 || fabs(list[0].share - 1.0) < 1e-9);
	free(list);
	outstanding__free(o);
	trend__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_suspects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
