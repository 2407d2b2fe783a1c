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

static void test_compact(void **state)
{
	struct series_set *set = series_set_new();
	const struct series *s;
	char name[64];
	int i, k;

	(void)state;
	/* 3 h of 10 s samples: a slow ramp with a burst every 10 min. */
	for (k = 0; k < 50; k++) {
		snprintf(name, sizeof(name), "proc/%d:1/fds", k + 1);
		for (i = 0; i < 1080; i++)
			assert_int_equal(series_set_add(set, name, i * 10.0,
							 i + (i % 60 == 30 ? 1000 : 0)), 0);
	}
	/* One that died 2 h ago. */
	assert_int_equal(series_set_add(set, "proc/999:1/fds", 10, 5), 0);
	assert_int_equal(series_set_compact(set, 10790, 3600, 60, 7200), 0);
	assert_int_equal(series_set_count(set), 50);
	assert_null(series_set_find(set, "proc/999:1/fds"));
	s = series_set_find(set, "proc/50:1/fds");
	assert_non_null(s);
	/* 1 h raw (360) + 1 h in 60 buckets of a minute. */
	assert_true(s->n >= 415 && s->n <= 422);
	for (i = 1; i < (int)s->n; i++)
		assert_true(s->t[i] > s->t[i - 1]);
	/* The folded part keeps the lower envelope: no burst survives. */
	for (i = 0; i < (int)s->n && s->t[i] < 10790 - 3600; i++)
		assert_true(s->v[i] < 1000);
	/* Folding again (as watch does every interval) changes nothing. */
	{
		size_t n = s->n;

		assert_int_equal(series_set_compact(set, 10790, 3600, 60, 7200), 0);
		s = series_set_find(set, "proc/50:1/fds");
		assert_int_equal(s->n, n);
	}
	/* Found by name after the move, and still appendable. */
	for (k = 0; k < 50; k++) {
		snprintf(name, sizeof(name), "proc/%d:1/fds", k + 1);
		assert_non_null(series_set_find(set, name));
		assert_int_equal(series_set_add(set, name, 10800, 1), 0);
	}
	assert_int_equal(series_set_count(set), 50);
	series_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find_order),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_compact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
