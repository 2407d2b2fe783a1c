/* The AIFO/AIFI/AOFI/AOFO classification on records built in memory, with
 * every boundary of the window exercised. */
#include "test_util.h"

#include <errno.h>

#include "analysis/outstanding.h"

#define MS 1000000ULL

static struct trace_record alloc_rec(uint64_t ts, uint64_t ptr, uint32_t tag, uint8_t kind,
				     uint64_t bytes, uint32_t stack)
{
	struct trace_record r = { .type = TR_ALLOC };

	r.alloc = (struct trace_alloc){ .ts_ns = ts, .ptr = ptr, .call_site = 0xffffffff81000000ULL,
					.bytes_req = bytes, .bytes_alloc = bytes, .tag_id = tag,
					.comm_id = 7, .stack_id = stack, .tgid = 100, .tid = 100,
					.kind = kind };
	return r;
}

static struct trace_record free_rec(uint64_t ts, uint64_t ptr, uint8_t kind)
{
	struct trace_record r = { .type = TR_FREE };

	r.free = (struct trace_free){ .ts_ns = ts, .ptr = ptr, .tgid = 100, .kind = kind };
	return r;
}

static void push(struct outstanding *o, struct trace_record r, int want)
{
	assert_int_equal(outstanding__add_record(o, &r), want);
}

/* Window [100ms, 200ms]. Objects:
 *  A alloc 50  free 150 → AOFI      B alloc 50  free 250 → AOFO
 *  C alloc 120 free 180 → AIFI      D alloc 120 free 250 → AIFO
 *  E alloc 130 never    → AIFO      F alloc 10  free 20  → nothing
 *  G alloc 60  never    → AOFO      H alloc 150 free 200 → AIFI (edge) */
static void test_window_classes(void **state)
{
	struct outstanding_opts opts = { .from_ns = 100 * MS, .to_ns = 200 * MS };
	const struct outstanding_totals *t;
	struct outstanding *o;

	(void)state;
	assert_int_equal(outstanding__new(&opts, &o), 0);
	push(o, alloc_rec(10 * MS, 0xF, 1, TK_SLAB, 64, 1), 0);
	push(o, free_rec(20 * MS, 0xF, TK_SLAB), 0);
	push(o, alloc_rec(50 * MS, 0xA, 1, TK_SLAB, 64, 1), 0);
	push(o, alloc_rec(50 * MS, 0xB, 1, TK_SLAB, 64, 1), 0);
	push(o, alloc_rec(60 * MS, 0x6, 1, TK_SLAB, 64, 1), 0);
	push(o, alloc_rec(120 * MS, 0xC, 1, TK_SLAB, 64, 1), 0);
	push(o, alloc_rec(120 * MS, 0xD, 1, TK_SLAB, 64, 1), 0);
	push(o, alloc_rec(130 * MS, 0xE, 1, TK_SLAB, 64, 1), 0);
	push(o, free_rec(150 * MS, 0xA, TK_SLAB), 0);
	push(o, alloc_rec(150 * MS, 0x8, 1, TK_SLAB, 64, 1), 0);
	push(o, free_rec(180 * MS, 0xC, TK_SLAB), 0);
	push(o, free_rec(200 * MS, 0x8, TK_SLAB), 0);
	/* past the window: the caller may stop */
	push(o, free_rec(250 * MS, 0xB, TK_SLAB), 1);
	push(o, free_rec(250 * MS, 0xD, TK_SLAB), 1);
	assert_int_equal(outstanding__finish(o, 200 * MS), 0);
	t = outstanding__totals(o);
	assert_int_equal(t->count[AC_AOFI], 1);
	assert_int_equal(t->count[AC_AOFO], 2);
	assert_int_equal(t->count[AC_AIFI], 2);
	assert_int_equal(t->count[AC_AIFO], 2);
	assert_int_equal(t->bytes[AC_AIFO], 128);
	assert_int_equal(t->oldest_ns, 50 * MS); /* B, an AOFO */
	assert_int_equal(outstanding__nsites(o), 1);
	outstanding__free(o);
}

/* Pages and slab objects have separate key spaces: pfn 0x1000 and slab
 * pointer 0x1000 are different objects. */
static void test_kinds_never_collide(void **state)
{
	const struct outstanding_totals *t;
	struct outstanding *o;

	(void)state;
	assert_int_equal(outstanding__new(NULL, &o), 0);
	push(o, alloc_rec(1, 0x1000, 1, TK_SLAB, 64, TRACE_NO_STACK), 0);
	push(o, alloc_rec(2, 0x1000, 2, TK_PAGE, 4096, TRACE_NO_STACK), 0);
	push(o, free_rec(3, 0x1000, TK_PAGE), 0);
	assert_int_equal(outstanding__finish(o, 10), 0);
	t = outstanding__totals(o);
	assert_int_equal(t->reused_ptrs, 0);
	assert_int_equal(t->count[AC_AIFI], 1);
	assert_int_equal(t->bytes[AC_AIFI], 4096);
	assert_int_equal(t->count[AC_AIFO], 1);
	assert_int_equal(t->bytes[AC_AIFO], 64);
	outstanding__free(o);
}

/* Frees of objects allocated before the trace are AOFI under the tag the
 * free names; a live address allocated again means a lost free. */
static void test_unmatched_and_reused(void **state)
{
	const struct outstanding_totals *t;
	struct outstanding *o;
	struct trace_record f = free_rec(5, 0xdead, TK_SLAB);
	size_t i;
	bool found = false;

	(void)state;
	f.free.tag_id = 3;
	assert_int_equal(outstanding__new(NULL, &o), 0);
	push(o, f, 0);
	push(o, alloc_rec(6, 0xbeef, 1, TK_SLAB, 32, 1), 0);
	push(o, alloc_rec(7, 0xbeef, 1, TK_SLAB, 32, 1), 0);
	assert_int_equal(outstanding__finish(o, 10), 0);
	t = outstanding__totals(o);
	assert_int_equal(t->unmatched_frees, 1);
	assert_int_equal(t->reused_ptrs, 1);
	assert_int_equal(t->count[AC_AOFI], 1);
	assert_int_equal(t->count[AC_AIFI], 1);
	assert_int_equal(t->count[AC_AIFO], 1);
	for (i = 0; i < outstanding__nsites(o); i++) {
		const struct alloc_site *s = outstanding__site(o, i);

		if (s->alloc_unseen) {
			assert_int_equal(s->tag_id, 3);
			assert_int_equal(s->count[AC_AOFI], 1);
			found = true;
		}
	}
	assert_true(found);
	outstanding__free(o);
}

/* Memory follows live objects, not events: a million alloc/free pairs on
 * the same few addresses keep the live set at 4 and one site. */
static void test_memory_follows_live_set(void **state)
{
	const struct outstanding_totals *t;
	struct outstanding *o;
	uint64_t i;

	(void)state;
	assert_int_equal(outstanding__new(NULL, &o), 0);
	for (i = 0; i < 1000000; i++) {
		push(o, alloc_rec(2 * i, 0x100 + (i % 4) * 8, 1, TK_SLAB, 64, 9), 0);
		if (i >= 3)
			push(o, free_rec(2 * i + 1, 0x100 + ((i - 3) % 4) * 8, TK_SLAB), 0);
	}
	assert_int_equal(outstanding__finish(o, 2 * i), 0);
	t = outstanding__totals(o);
	assert_true(t->peak_live <= 4);
	assert_int_equal(t->count[AC_AIFO], 3);
	assert_int_equal(t->count[AC_AIFI], 1000000 - 3);
	assert_int_equal(outstanding__nsites(o), 1);
	outstanding__free(o);
}

/* The live table against a plain array: random allocs and frees over
 * 50,000 addresses (tables grow, probe runs collide, removals shift), every
 * count must match the reference exactly. */
static void test_live_table_stress(void **state)
{
	enum { NPTR = 50000 };
	static bool live[NPTR];
	const struct outstanding_totals *t;
	struct outstanding *o;
	uint64_t rng = 12345, i, frees = 0, nlive = 0;

	(void)state;
	memset(live, 0, sizeof(live));
	assert_int_equal(outstanding__new(NULL, &o), 0);
	for (i = 1; i <= 2000000; i++) {
		uint64_t k;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		k = rng % NPTR;
		if (live[k]) {
			push(o, free_rec(i, 0xffff888000000000ULL + k * 4096, TK_SLAB), 0);
			live[k] = false;
			frees++;
			nlive--;
		} else {
			push(o, alloc_rec(i, 0xffff888000000000ULL + k * 4096, 1, TK_SLAB, 32, 1), 0);
			live[k] = true;
			nlive++;
		}
	}
	assert_int_equal(outstanding__finish(o, i), 0);
	t = outstanding__totals(o);
	assert_int_equal(t->reused_ptrs, 0);
	assert_int_equal(t->unmatched_frees, 0);
	assert_int_equal(t->count[AC_AIFI], frees);
	assert_int_equal(t->count[AC_AIFO], nlive);
	assert_int_equal(t->live, nlive);
	outstanding__free(o);
}

/* Aggregate mode: outstanding per stack at two snapshots. */
static void test_snapshots(void **state)
{
	struct trace_snapshot_entry e0[] = {
		{ .stack_id = 1, .tag_id = 1, .tgid = 5, .kind = TK_SLAB, .outstanding_count = 10,
		  .outstanding_bytes = 640, .allocs = 10, .frees = 0, .oldest_ts_ns = 1 * MS },
	};
	struct trace_snapshot_entry e1[] = {
		{ .stack_id = 1, .tag_id = 1, .tgid = 5, .kind = TK_SLAB, .outstanding_count = 25,
		  .outstanding_bytes = 1600, .allocs = 30, .frees = 5, .oldest_ts_ns = 1 * MS },
	};
	struct trace_record r = { .type = TR_SNAPSHOT };
	struct outstanding_opts opts = { .from_ns = 50 * MS, .to_ns = UINT64_MAX };
	const struct outstanding_totals *t;
	struct outstanding *o;

	(void)state;
	assert_int_equal(outstanding__new(&opts, &o), 0);
	r.snapshot = (struct trace_snapshot){ .ts_ns = 40 * MS, .nentries = 1, .entries = e0 };
	push(o, r, 0);
	r.snapshot = (struct trace_snapshot){ .ts_ns = 90 * MS, .nentries = 1, .entries = e1 };
	push(o, r, 0);
	assert_int_equal(outstanding__finish(o, 90 * MS), 0);
	t = outstanding__totals(o);
	assert_int_equal(t->count[AC_AOFO], 10);
	assert_int_equal(t->count[AC_AIFO], 15);
	assert_int_equal(t->bytes[AC_AIFO], 15 * 64);
	assert_int_equal(t->count[AC_AIFI], 5);
	assert_int_equal(t->count[AC_AOFI], 0);
	outstanding__free(o);
}

static void test_class_names(void **state)
{
	enum alloc_class c;

	(void)state;
	assert_int_equal(alloc_class_parse("aifo", &c), 0);
	assert_int_equal(c, AC_AIFO);
	assert_int_equal(alloc_class_parse("AOFO", &c), 0);
	assert_int_equal(c, AC_AOFO);
	assert_int_equal(alloc_class_parse("AIF", &c), -EINVAL);
	assert_string_equal(alloc_class_name(AC_AOFI), "AOFI");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_classes),
		cmocka_unit_test(test_kinds_never_collide),
		cmocka_unit_test(test_unmatched_and_reused),
		cmocka_unit_test(test_memory_follows_live_set),
		cmocka_unit_test(test_live_table_stress),
		cmocka_unit_test(test_snapshots),
		cmocka_unit_test(test_class_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
