/* /proc/meminfo, /proc/sys/fs/file-nr and /proc/uptime parsers on captures
 * from this machine (and edited copies). */
#include "test_util.h"

#include <errno.h>

#include "kernel/meminfo.h"
#include "util/strbuf.h"

static void test_real_capture(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/meminfo");
	struct meminfo mi = {0};

	(void)state;
	assert_non_null(text);
	assert_int_equal(meminfo_parse(text, &mi), 0);
	assert_int_equal(mi.skipped, 0);
	assert_int_equal(mi.present, (1u << MI_NR_FIELDS) - 1);
	assert_int_equal(mi.bytes[MI_MEM_TOTAL], 24684084ull * 1024);
	assert_int_equal(mi.bytes[MI_MEM_AVAILABLE], 24319664ull * 1024);
	assert_int_equal(mi.bytes[MI_SLAB], 137128ull * 1024);
	assert_int_equal(mi.bytes[MI_SRECLAIMABLE], 110724ull * 1024);
	assert_int_equal(mi.bytes[MI_SUNRECLAIM], 26404ull * 1024);
	/* The kernel's own identity: Slab = SReclaimable + SUnreclaim. */
	assert_int_equal(mi.bytes[MI_SLAB], mi.bytes[MI_SRECLAIMABLE] + mi.bytes[MI_SUNRECLAIM]);
	assert_int_equal(mi.bytes[MI_KERNEL_STACK], 1428ull * 1024);
	assert_int_equal(mi.bytes[MI_PAGE_TABLES], 1656ull * 1024);
	assert_int_equal(mi.bytes[MI_VMALLOC_USED], 14220ull * 1024);
	assert_int_equal(mi.bytes[MI_PERCPU], 712ull * 1024);
	assert_string_equal(meminfo_field_name(MI_PERCPU), "Percpu");
	/* The JSON names of `top`'s header, shared by every exporter. */
	assert_string_equal(meminfo_json_key(MI_MEM_TOTAL), "mem_total");
	assert_string_equal(meminfo_json_key(MI_SRECLAIMABLE), "slab_recl");
	assert_string_equal(meminfo_json_key(MI_PERCPU), "percpu");
	free(text);
}

static void test_broken_lines_skipped(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/meminfo.broken");
	struct meminfo mi = {0};

	(void)state;
	assert_non_null(text);
	assert_int_equal(meminfo_parse(text, &mi), 0);
	assert_int_equal(mi.skipped, 5);
	assert_int_equal(mi.first_skipped_line, 2); /* kept for the caller to say */
	assert_true(meminfo_has(&mi, MI_MEM_TOTAL));
	assert_false(meminfo_has(&mi, MI_MEM_AVAILABLE)); /* "lots kB" */
	assert_int_equal(mi.bytes[MI_MEM_AVAILABLE], 0);
	assert_true(meminfo_has(&mi, MI_SLAB));
	assert_int_equal(mi.bytes[MI_SLAB], 137128ull * 1024);
	free(text);
}

static void test_nothing_useful(void **state)
{
	char text[] = "Foo: 1 kB\nBar: 2 kB\n";
	struct meminfo mi = {0};

	(void)state;
	assert_int_equal(meminfo_parse(text, &mi), -ENODATA);
	assert_int_equal(mi.present, 0);
}

static void test_filenr_and_uptime(void **state)
{
	char *filenr = test_slurp(FIXTURES_DIR "/file-nr");
	char *uptime = test_slurp(FIXTURES_DIR "/uptime");
	struct meminfo mi = {0};

	(void)state;
	assert_non_null(filenr);
	assert_non_null(uptime);
	/* Captured: "486\t0\t2466170" and "578.57 1084.58". */
	assert_int_equal(filenr_parse(filenr, &mi), 0);
	assert_true(mi.have_files);
	assert_int_equal(mi.files_in_use, 486);
	assert_int_equal(mi.files_max, 2466170);
	assert_int_equal(uptime_parse(uptime, &mi), 0);
	assert_true(mi.have_uptime);
	assert_true(mi.uptime_s > 578.56 && mi.uptime_s < 578.58);
	/* Broken variants. */
	assert_int_equal(filenr_parse("485 0\n", &mi), -EINVAL);
	assert_false(mi.have_files);
	assert_int_equal(filenr_parse("485 x 9\n", &mi), -EINVAL);
	assert_int_equal(filenr_parse("5 6 9\n", &mi), -EINVAL); /* more free than allocated */
	assert_int_equal(filenr_parse("", &mi), -EINVAL);
	assert_int_equal(uptime_parse("abc 12\n", &mi), -EINVAL);
	assert_false(mi.have_uptime);
	assert_int_equal(uptime_parse("-3 1\n", &mi), -EINVAL);
	assert_int_equal(uptime_parse("", &mi), -EINVAL);
	free(filenr);
	free(uptime);
}

static void test_live_read(void **state)
{
	struct meminfo mi = {0};
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(meminfo_read(&mi, &sb), 0);
	assert_int_equal(mi.present, (1u << MI_NR_FIELDS) - 1);
	assert_true(mi.bytes[MI_MEM_TOTAL] >= mi.bytes[MI_MEM_AVAILABLE]);
	assert_true(mi.have_files);
	assert_true(mi.files_in_use > 0 && mi.files_in_use <= mi.files_max);
	assert_true(mi.have_uptime);
	assert_true(mi.uptime_s > 0);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_capture),   cmocka_unit_test(test_broken_lines_skipped),
	    cmocka_unit_test(test_nothing_useful), cmocka_unit_test(test_filenr_and_uptime),
	    cmocka_unit_test(test_live_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
