/* series: named time series found by name, in creation order, time only
 * forward; and notes: keyed, replaced on the same key. */
#include "test_util.h"

#include <errno.h>
#include <math.h>

#include "model/series.h"
#include "model/series_name.h"
#include "util/notes.h"

static void test_add_find_order(void **state)
{
	struct series_set *set = series_set_new();
	const struct series *s;
	char name[64];
	int i;

	(void)state;
	assert_non_null(set);
	/* Enough names to collide in any hash and to grow every array. */
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "proc/%d:1/fds/eventfd", i);
		assert_int_equal(series_set_add(set, name, 0.0, i), 0);
		assert_int_equal(series_set_add(set, name, 1.0, i + 1), 0);
	}
	assert_int_equal(series_set_count(set), 5000);
	for (i = 0; i < 5000; i += 499) {
		snprintf(name, sizeof(name), "proc/%d:1/fds/eventfd", i);
		s = series_set_find(set, name);
		assert_non_null(s);
		assert_string_equal(s->name, name);
		assert_int_equal(s->n, 2);
		assert_true(s->v[1] == i + 1);
		assert_true(series_last(s) == i + 1);
		assert_ptr_equal(series_set_at(set, (size_t)i), s);
		assert_true(s->limit == SERIES_NO_LIMIT);
	}
	assert_null(series_set_find(set, "proc/5000:1/fds/eventfd"));
	assert_null(series_set_at(set, 5000));
	series_set_limit(set, "proc/7:1/fds/eventfd", 1024);
	assert_true(series_set_find(set, "proc/7:1/fds/eventfd")->limit == 1024);
	/* Time only goes forward. */
	assert_int_equal(series_set_add(set, "proc/7:1/fds/eventfd", 0.5, 3), -EINVAL);
	assert_int_equal(series_set_find(set, "proc/7:1/fds/eventfd")->n, 2);
	assert_true(isnan(series_last(NULL)));
	series_set_free(set);
	series_set_free(NULL);
}

static void test_notes(void **state)
{
	struct notes ns = NOTES_INIT;
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		assert_int_equal(notes_add(&ns, "counters-off", "counters off: try %d", i), 0);
	assert_int_equal(notes_add(&ns, "kallsyms", "cannot read /proc/kallsyms"), 0);
	/* One note per key, the latest text. */
	assert_int_equal(ns.n, 2);
	assert_string_equal(notes_find(&ns, "counters-off")->text, "counters off: try 99");
	assert_null(notes_find(&ns, "nothing"));
	notes_clear(&ns);
	assert_int_equal(ns.n, 0);
	assert_null(notes_find(&ns, "kallsyms"));
	notes_release(&ns);
}

static void test_names_round_trip(void **state)
{
	struct series_name_parts p;
	char buf[256];

	(void)state;
	assert_int_equal(series_name_parse(series_name_slab(buf, sizeof(buf), "kmalloc-cg-64", "objs"), &p), 0);
	assert_int_equal(p.subject, SERIES_SLAB);
	assert_string_equal(p.id, "kmalloc-cg-64");
	assert_string_equal(p.what, "objs");
	/* A cache name may hold '/': the last segment is what is measured. */
	assert_int_equal(series_name_parse("slab/odd/name/bytes", &p), 0);
	assert_string_equal(p.id, "odd/name");
	assert_string_equal(p.what, "bytes");
	assert_int_equal(series_name_parse(series_name_proc(buf, sizeof(buf), 1234, 98765, "fds/eventfd"), &p), 0);
	assert_int_equal(p.subject, SERIES_PROC);
	assert_int_equal(p.pid, 1234);
	assert_int_equal(p.start, 98765);
	assert_string_equal(p.what, "fds/eventfd");
	assert_int_equal(series_name_parse(series_name_keys(buf, sizeof(buf), 1000, "bytes"), &p), 0);
	assert_int_equal(p.subject, SERIES_KEYS);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(series_name_parse(series_name_sysv_msg(buf, sizeof(buf), 32769, "messages"), &p), 0);
	assert_int_equal(p.subject, SERIES_SYSV_MSG);
	assert_int_equal(p.msqid, 32769);
	assert_string_equal(p.what, "messages");
	assert_int_equal(series_name_parse(series_name_sys(buf, sizeof(buf), "file handles"), &p), 0);
	assert_int_equal(p.subject, SERIES_SYS);
	assert_string_equal(p.id, "file handles");
	assert_int_equal(series_name_parse(series_name_mem(buf, sizeof(buf), "MemAvailable"), &p), 0);
	assert_string_equal(p.id, "MemAvailable");
	assert_int_equal(series_name_parse(series_name_memcg(buf, sizeof(buf), "system.slice/x.service", "slab"), &p), 0);
	assert_int_equal(p.subject, SERIES_MEMCG);
	assert_string_equal(p.id, "system.slice/x.service");
	assert_string_equal(p.what, "slab");
	/* Not of the grammar. */
	assert_int_equal(series_name_parse("proc/x:1/fds", &p), -EINVAL);
	assert_int_equal(series_name_parse("proc/12/fds", &p), -EINVAL);
	assert_int_equal(series_name_parse("proc/12:3/", &p), -EINVAL);
	assert_int_equal(series_name_parse("proc/-1:3/fds", &p), -EINVAL);
	assert_int_equal(series_name_parse("slab/objs", &p), -EINVAL);
	assert_int_equal(series_name_parse("slab//objs", &p), -EINVAL);
	assert_int_equal(series_name_parse("keys/1/", &p), -EINVAL);
	assert_int_equal(series_name_parse("sys/", &p), -EINVAL);
	assert_int_equal(series_name_parse("other/1", &p), -EINVAL);
}

/* A ramp with a burst every 10 min, sampled every 10 s. */
static double ramp(int i)
{
	return i / 10.0 + (i % 60 == 30 ? 1000 : 0);
}

static bool near_boundary(const struct series_window *w, double age)
{
	size_t k;

	if (age > w->keep_s - 2 * 2160)
		return true;
	for (k = 0; k < w->ntiers; k++)
		if (fabs(age - w->tiers[k].after_s) < 2 * w->tiers[k].bucket_s)
			return true;
	return false;
}

static void test_fold(void **state)
{
	const struct series_window *w = &series_watch_window;
	size_t most = series_window_points(w, 10);
	struct series_set *inc = series_set_new(), *once = series_set_new();
	const struct series *a, *b, *s;
	const int n = 4 * 86400 / 10; /* four days: past keep_s */
	double now = (n - 1) * 10.0;
	size_t j;
	int i;

	(void)state;
	assert_true(most > 300 && most < 360);
	series_set_reserve(inc, most);
	/* Folded as watch does, every interval, and once at the end: the same
	 * points (buckets are aligned to absolute time). */
	for (i = 0; i < n; i++) {
		assert_int_equal(series_set_add(inc, "proc/1:1/fds", i * 10.0, ramp(i)), 0);
		assert_int_equal(series_set_add(inc, "mem/MemAvailable", i * 10.0, 1e9 - ramp(i)), 0);
		if (i == 0)
			series_set_upper_envelope(inc, "mem/MemAvailable");
		assert_int_equal(series_set_add(once, "proc/1:1/fds", i * 10.0, ramp(i)), 0);
		{
			assert_int_equal(series_set_fold(inc, i * 10.0, w), 0);
			s = series_set_find(inc, "proc/1:1/fds");
			/* Its first points, then its reserve: never grown past. */
			assert_true(s->n <= most);
			/* (folding keeps it under 16 points for its first
			 * minutes: raw for 2 min, then 15 s buckets) */
			if (s->cap != most)
				assert_int_equal(s->cap, SERIES_FIRST_POINTS);
			if (i >= 30) /* 5 min */
				assert_int_equal(s->cap, most);
		}
	}
	/* One that died 20 min ago: stale. */
	assert_int_equal(series_set_add(inc, "proc/999:1/fds", now - 1200, 5), 0);
	assert_int_equal(series_set_fold(inc, now, w), 0);
	assert_null(series_set_find(inc, "proc/999:1/fds"));
	assert_int_equal(series_set_count(inc), 2);
	assert_int_equal(series_set_fold(once, now, w), 0);
	a = series_set_find(inc, "proc/1:1/fds");
	b = series_set_find(once, "proc/1:1/fds");
	assert_true(a->n <= most && b->n <= most && a->n > 300);
	/* Away from the tiers' boundaries (where a bucket folded earlier stays
	 * whole while the one-shot fold splits it by age) and from the cut at
	 * keep_s, the same points. */
	{
		size_t ia = 0, ib = 0, compared = 0;

		for (;;) {
			while (ia < a->n && near_boundary(w, now - a->t[ia]))
				ia++;
			while (ib < b->n && near_boundary(w, now - b->t[ib]))
				ib++;
			if (ia == a->n || ib == b->n)
				break;
			assert_true(a->t[ia] == b->t[ib]);
			assert_true(a->v[ia] == b->v[ib]);
			ia++, ib++, compared++;
		}
		assert_int_equal(ia, a->n);
		assert_int_equal(ib, b->n);
		assert_true(compared > 250);
	}
	for (j = 1; j < a->n; j++)
		assert_true(a->t[j] > a->t[j - 1]);
	/* The lower envelope: no burst survives the folding, and each point is
	 * a sample at its own time. */
	for (j = 0; j < a->n && a->t[j] < now - 120; j++) {
		int at = (int)(a->t[j] / 10);

		assert_true(at % 60 != 30);
		assert_true(a->v[j] == ramp(at));
	}
	/* Its peaks keep the bursts: every bucket of 18 min or more held one. */
	for (j = 0; j < a->n; j++) {
		double age = now - a->t[j];

		if (age > 21600 + 2 * 1080 && !near_boundary(w, age))
			assert_true(a->peak[j] >= a->v[j] + 999);
		assert_true(a->peak[j] >= a->v[j]);
	}
	/* A falling resource keeps its upper envelope: no dip survives. */
	s = series_set_find(inc, "mem/MemAvailable");
	for (j = 0; j < s->n && s->t[j] < now - 120; j++)
		assert_true(s->v[j] == 1e9 - ramp((int)(s->t[j] / 10)) && ((int)(s->t[j] / 10)) % 60 != 30);
	/* Folding again changes nothing; still found and appendable. */
	{
		size_t before = a->n;

		assert_int_equal(series_set_fold(inc, now, w), 0);
		a = series_set_find(inc, "proc/1:1/fds");
		assert_int_equal(a->n, before);
		assert_int_equal(series_set_add(inc, "proc/1:1/fds", now + 10, 1), 0);
	}
	series_set_free(inc);
	series_set_free(once);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find_order),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
