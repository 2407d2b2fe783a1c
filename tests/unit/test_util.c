/* util/: number parsing, the hash map, glob lists, strbuf, line iteration. */
#include "test_util.h"

#include <errno.h>

#include "util/globlist.h"
#include "util/hashmap.h"
#include "util/parse.h"
#include "util/procfs.h"
#include "util/strbuf.h"

static void test_parse_size(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(parse_size("100MiB", &v), 0);
	assert_int_equal(v, 100ULL << 20);
	assert_int_equal(parse_size("1.5g", &v), 0);
	assert_int_equal(v, 3ULL << 29);
	assert_int_equal(parse_size("-1", &v), -EINVAL);
	assert_int_equal(parse_size("10Q", &v), -EINVAL);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999T", &v), -ERANGE);
}

static void test_parse_duration(void **state)
{
	uint64_t ns;

	(void)state;
	assert_int_equal(parse_duration_ns("2", &ns), 0);
	assert_int_equal(ns, 2000000000ULL);
	assert_int_equal(parse_duration_ns("250ms", &ns), 0);
	assert_int_equal(ns, 250000000ULL);
	assert_int_equal(parse_duration_ns("1.5m", &ns), 0);
	assert_int_equal(ns, 90000000000ULL);
	assert_int_equal(parse_duration_ns("1h", &ns), 0);
	assert_int_equal(ns, 3600000000000ULL);
	assert_int_equal(parse_duration_ns("soon", &ns), -EINVAL);
	assert_int_equal(parse_duration_ns("nan", &ns), -EINVAL);
}

static void test_parse_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u64("12x", &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", &v), -EINVAL);
	assert_int_equal(parse_u64_range("5", 1, 4, &v), -ERANGE);
}

static void test_parse_size_range(void **state)
{
	uint64_t lo, hi;

	(void)state;
	assert_int_equal(parse_size_range("64-4K", &lo, &hi), 0);
	assert_true(lo == 64 && hi == 4096);
	assert_int_equal(parse_size_range("1K-", &lo, &hi), 0);
	assert_true(lo == 1024 && hi == UINT64_MAX);
	assert_int_equal(parse_size_range("-4K", &lo, &hi), 0);
	assert_true(lo == 0 && hi == 4096);
	assert_int_equal(parse_size_range("192", &lo, &hi), 0);
	assert_true(lo == 192 && hi == 192);
	assert_int_equal(parse_size_range("128-128", &lo, &hi), 0);
	assert_true(lo == 128 && hi == 128);
	assert_int_equal(parse_size_range("0-", &lo, &hi), 0);
	assert_true(lo == 0 && hi == UINT64_MAX);
	/* Nothing would match: refused, and the outputs stay untouched. */
	lo = hi = 7;
	assert_int_equal(parse_size_range("9-3", &lo, &hi), -ERANGE);
	assert_int_equal(parse_size_range("0-0", &lo, &hi), -EINVAL);
	assert_int_equal(parse_size_range("-0", &lo, &hi), -EINVAL);
	assert_int_equal(parse_size_range("0", &lo, &hi), -EINVAL);
	assert_int_equal(parse_size_range("-", &lo, &hi), -EINVAL);
	assert_int_equal(parse_size_range("", &lo, &hi), -EINVAL);
	assert_int_equal(parse_size_range("5x", &lo, &hi), -EINVAL);
	assert_int_equal(parse_size_range("1-2-3", &lo, &hi), -EINVAL);
	assert_int_equal(parse_size_range("a-4K", &lo, &hi), -EINVAL);
	assert_true(lo == 7 && hi == 7);
}

static void test_parse_pid_list(void **state)
{
	uint32_t pids[4];
	size_t n = 0;

	(void)state;
	assert_int_equal(parse_pid_list("12,345", pids, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_true(pids[0] == 12 && pids[1] == 345);
	/* Repeated options add up, to the bound. */
	assert_int_equal(parse_pid_list("0", pids, 4, &n), 0);
	assert_true(n == 3 && pids[2] == 0);
	assert_int_equal(parse_pid_list("7,8", pids, 4, &n), -E2BIG);
	assert_int_equal(n, 3);
	assert_int_equal(parse_pid_list("4294967295", pids, 4, &n), 0);
	assert_true(n == 4 && pids[3] == UINT32_MAX);
	n = 0;
	assert_int_equal(parse_pid_list("", pids, 4, &n), -EINVAL);
	assert_int_equal(parse_pid_list(",", pids, 4, &n), -EINVAL);
	assert_int_equal(parse_pid_list("1,,2", pids, 4, &n), -EINVAL);
	assert_int_equal(parse_pid_list("1,", pids, 4, &n), -EINVAL);
	assert_int_equal(parse_pid_list("abc", pids, 4, &n), -EINVAL);
	assert_int_equal(parse_pid_list("-1", pids, 4, &n), -EINVAL);
	assert_int_equal(parse_pid_list("4294967296", pids, 4, &n), -EINVAL);
	assert_int_equal(n, 0);
}

static void test_hashmap_grow_remove(void **state)
{
	struct u64map *m = u64map_new(0);
	uint64_t i, old, k, val, sum = 0;
	size_t pos = 0;

	(void)state;
	for (i = 0; i < 10000; i++)
		assert_int_equal(u64map_set(m, i * 4096, i), 0);
	assert_int_equal(u64map_count(m), 10000);
	for (i = 0; i < 10000; i += 2)
		assert_true(u64map_remove(m, i * 4096, &old) && old == i);
	assert_false(u64map_remove(m, 0, NULL));
	assert_int_equal(u64map_count(m), 5000);
	for (i = 0; i < 10000; i++) {
		uint64_t *p = u64map_find(m, i * 4096);

		if (i % 2)
			assert_true(p && *p == i);
		else
			assert_null(p);
	}
	while (u64map_next(m, &pos, &k, &val))
		sum += val;
	assert_int_equal(sum, 25000000); /* sum of odd numbers below 10000 */
	(*u64map_findnew(m, 7, 100))++;
	assert_int_equal(*u64map_find(m, 7), 101);
	u64map_free(m);
}

static void test_globlist(void **state)
{
	struct globlist gl = { 0 };

	(void)state;
	assert_true(globlist_match(&gl, "anything"));
	assert_int_equal(globlist_add(&gl, "kmalloc-*,filp"), 0);
	assert_int_equal(globlist_add(&gl, "!kmalloc-rcl-*"), 0);
	assert_true(globlist_match(&gl, "kmalloc-64"));
	assert_true(globlist_match(&gl, "filp"));
	assert_false(globlist_match(&gl, "kmalloc-rcl-64"));
	assert_false(globlist_match(&gl, "dentry"));
	assert_int_equal(globlist_add(&gl, ","), -EINVAL);
	assert_int_equal(globlist_add(&gl, "!"), -EINVAL);
	globlist_clear(&gl);
	assert_int_equal(globlist_add(&gl, "!dentry"), 0);
	assert_true(globlist_match(&gl, "filp")); /* excludes only: all else passes */
	assert_false(globlist_match(&gl, "dentry"));
	globlist_clear(&gl);
}

static void test_strbuf_and_lines(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct line_iter it;
	char *fields[4];
	char *line;
	int i;

	(void)state;
	assert_string_equal(strbuf_str(&sb), "");
	for (i = 0; i < 1000; i++)
		strbuf_printf(&sb, "%d\n", i);
	strbuf_puts(&sb, "a  b\tc");
	line_iter_init(&it, sb.buf);
	for (i = 0; i < 1000; i++) {
		line = line_next(&it);
		assert_int_equal(atoi(line), i);
	}
	line = line_next(&it);
	assert_int_equal(it.lineno, 1001);
	assert_int_equal(split_fields(line, fields, 4), 3);
	assert_string_equal(fields[2], "c");
	assert_null(line_next(&it));
	strbuf_release(&sb);
}

static void test_procfs_read_real_files(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t v;

	(void)state;
	/* /proc files report size 0: the reader must still get everything. */
	assert_int_equal(procfs_read(-100, "/proc/self/status", &sb), 0);
	assert_non_null(strstr(strbuf_str(&sb), "VmRSS"));
	assert_int_equal(procfs_read_u64(-100, "/proc/sys/fs/file-max", &v), 0);
	assert_true(v > 0);
	assert_int_equal(procfs_read(-100, "/proc/does-not-exist", &sb), -ENOENT);
	strbuf_release(&sb);
}

static void test_procfs_pid_name_and_count_lines(void **state)
{
	char path[] = "/tmp/poolscope-lines.XXXXXX";
	uint64_t lines = 0;
	int pid = -1, fd, i;
	FILE *f;

	(void)state;
	assert_true(procfs_pid_name("1234", &pid));
	assert_int_equal(pid, 1234);
	assert_false(procfs_pid_name("self", &pid));
	assert_false(procfs_pid_name("12a", &pid));
	assert_false(procfs_pid_name("", &pid));
	assert_false(procfs_pid_name("99999999999999", &pid)); /* no overflow */
	/* More lines than one read buffer holds, the last without a newline. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	for (i = 0; i < 5000; i++)
		fprintf(f, "7f0000000000-7f0000001000 r--p 00000000 00:00 0 /lib/x%d\n", i);
	fputs("no newline", f);
	fclose(f);
	assert_int_equal(procfs_count_lines(-100, path, &lines), 0);
	assert_int_equal(lines, 5000);
	unlink(path);
	assert_int_equal(procfs_count_lines(-100, path, &lines), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_size_range),
		cmocka_unit_test(test_parse_pid_list),
		cmocka_unit_test(test_hashmap_grow_remove),
		cmocka_unit_test(test_globlist),
		cmocka_unit_test(test_strbuf_and_lines),
		cmocka_unit_test(test_procfs_read_real_files),
		cmocka_unit_test(test_procfs_pid_name_and_count_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
