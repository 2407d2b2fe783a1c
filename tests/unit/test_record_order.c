/* The batched path's merge (bpf/record_order.c): records added out of time
 * order come out in ts order, ties in arrival order, only those before the
 * watermark, each exactly once; a record of another size survives the
 * compaction intact; a callback's stop keeps the rest held. */
#include "test_util.h"

#include <errno.h>

#include <linux/types.h>

#include "bpf/record_abi.h"
#include "bpf/record_order.h"

struct seen {
	uint64_t ts[64];
	uint64_t ptr[64];
	size_t size[64];
	int n, stop_at;
};

static int collect(void *ctx, const void *rec, size_t size)
{
	struct seen *s = ctx;
	const struct rec_event *ev = rec;

	assert_true(s->n < 64);
	s->ts[s->n] = ev->ts;
	s->ptr[s->n] = ev->ptr;
	s->size[s->n] = size;
	s->n++;
	if (size == sizeof(struct rec_alloc_event))
		assert_string_equal(((const struct rec_alloc_event *)rec)->comm, "alloc");
	return s->n == s->stop_at;
}

static uint16_t cpu_of_frees = 1; /* frees on CPU 1, allocs on CPU 0 */

static void add_free(struct record_order *o, uint64_t ts, uint64_t ptr)
{
	struct rec_event ev = { .ts = ts, .ptr = ptr, .type = RT_FREE, .cpu = cpu_of_frees };

	assert_int_equal(record_order__add(o, &ev, sizeof(ev)), 0);
}

static void add_alloc(struct record_order *o, uint64_t ts, uint64_t ptr)
{
	struct rec_alloc_event a = { .ev = { .ts = ts, .ptr = ptr, .type = RT_ALLOC } };

	strcpy(a.comm, "alloc");
	assert_int_equal(record_order__add(o, &a, sizeof(a)), 0);
}

static void test_merge_by_ts(void **state)
{
	(void)state;
	struct record_order *o = record_order__new();
	struct seen s = { .stop_at = -1 };

	assert_non_null(o);
	/* CPU 1's batch (a free at 20) arrives before CPU 0's (its alloc at 10). */
	add_free(o, 20, 0xa);
	add_free(o, 40, 0xb);
	add_alloc(o, 10, 0xa);
	add_alloc(o, 30, 0xb);
	add_free(o, 30, 0xc); /* same ts as the alloc of 0xb: arrival order */
	assert_int_equal(record_order__held(o), 5);
	assert_int_equal(record_order__emit(o, 35, collect, &s), 4);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.ts[0], 10);
	assert_int_equal(s.ptr[0], 0xa);
	assert_int_equal(s.size[0], sizeof(struct rec_alloc_event));
	assert_int_equal(s.ts[1], 20);
	assert_int_equal(s.size[1], sizeof(struct rec_event));
	assert_int_equal(s.ptr[2], 0xb); /* the alloc at 30 came first */
	assert_int_equal(s.ptr[3], 0xc);
	/* The free at 40 stays held: nothing before the watermark is left. */
	assert_int_equal(record_order__held(o), 1);
	assert_int_equal(record_order__emit(o, 35, collect, &s), 0);
	/* Records added after a compaction still merge with the held one. */
	add_alloc(o, 38, 0xd);
	add_free(o, 50, 0xd);
	assert_int_equal(record_order__emit(o, UINT64_MAX, collect, &s), 3);
	assert_int_equal(s.n, 7);
	assert_int_equal(s.ts[4], 38);
	assert_int_equal(s.size[4], sizeof(struct rec_alloc_event)); /* moved intact */
	assert_int_equal(s.ts[5], 40);
	assert_int_equal(s.ts[6], 50);
	assert_int_equal(record_order__held(o), 0);
	record_order__free(o);
}

static void test_stop_keeps_the_rest(void **state)
{
	(void)state;
	struct record_order *o = record_order__new();
	struct seen s = { .stop_at = 2 };

	for (uint64_t ts = 5; ts > 0; ts--)
		add_alloc(o, ts, ts);
	/* The callback stops at its second record: it counts, the rest wait. */
	assert_int_equal(record_order__emit(o, UINT64_MAX, collect, &s), 2);
	assert_int_equal(record_order__held(o), 3);
	s.stop_at = -1;
	assert_int_equal(record_order__emit(o, UINT64_MAX, collect, &s), 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(s.ts[i], (uint64_t)i + 1);
	/* A record shorter than an event is not one: ignored; one longer than
	 * an allocation event is refused. */
	uint8_t big[RECORD_ORDER_MAX + 8] = { 0 };

	assert_int_equal(record_order__add(o, "x", 1), 0);
	assert_int_equal(record_order__add(o, big, sizeof(big)), -EINVAL);
	assert_int_equal(record_order__held(o), 0);
	record_order__free(o);
	record_order__free(NULL);
}

/* Many records in a shuffled order: out sorted, none lost or repeated. */
static int check_sorted(void *ctx, const void *rec, size_t size)
{
	uint64_t *last = ctx;
	const struct rec_event *ev = rec;

	(void)size;
	assert_true(ev->ts > last[0]);
	last[0] = ev->ts;
	last[1]++;
	return 0;
}

static void test_many(void **state)
{
	(void)state;
	struct record_order *o = record_order__new();
	uint64_t last[2] = { 0, 0 };
	uint64_t x = 88172645463325252ull;

	/* ts 1..20000 over 8 CPUs, each CPU's own in order but for one in 16
	 * pairs that comes swapped (a record staged after an interrupting
	 * program's), emitted in four steps of the watermark. */
	for (uint64_t ts = 1; ts <= 20000; ts++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		cpu_of_frees = (uint16_t)((x >> 4) & 7);
		if ((x & 15) == 0 && ts < 20000) {
			add_free(o, ts + 1, ts + 1);
			add_free(o, ts, ts);
			ts++;
		} else {
			add_free(o, ts, ts);
		}
	}
	for (uint64_t wm = 5001; wm <= 20001; wm += 5000)
		record_order__emit(o, wm, check_sorted, last);
	assert_int_equal(last[1], 20000);
	assert_int_equal(last[0], 20000);
	assert_int_equal(record_order__held(o), 0);
	record_order__free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_by_ts),
		cmocka_unit_test(test_stop_keeps_the_rest),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
