/* /proc/allocinfo parser. This machine's kernel lacks
 * CONFIG_MEM_ALLOC_PROFILING: the fixtures follow the kernel's documented
 * format (tests/fixtures/allocinfo.README). */
#include "test_util.h"

#include <errno.h>

#include "kernel/allocinfo.h"
#include "util/strbuf.h"

static void test_documented_format(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/allocinfo");
	struct allocinfo ai = {0};
	const struct alloc_site *s;

	(void)state;
	assert_non_null(text);
	assert_int_equal(allocinfo_parse(text, &ai), 0);
	assert_int_equal(ai.version_major, 2);
	assert_int_equal(ai.count, 13);
	assert_int_equal(ai.skipped, 0);
	s = &ai.sites[1];
	assert_string_equal(s->function, "__its_alloc");
	assert_true(s->inaccurate);
	s = &ai.sites[2];
	assert_int_equal(s->bytes, 127664128);
	assert_int_equal(s->calls, 31168);
	assert_string_equal(s->file, "mm/page_ext.c");
	assert_int_equal(s->line, 270);
	assert_null(s->module);
	assert_string_equal(s->function, "alloc_page_ext");
	assert_false(s->inaccurate);
	s = &ai.sites[10];
	assert_string_equal(s->module, "ctagmod");
	assert_string_equal(s->function, "ctagmod_start");
	assert_string_equal(s->file, "drivers/staging/ctagmod/ctagmod.c");
	assert_int_equal(s->line, 20);
	allocinfo_release(&ai);
	free(text);
}

static void test_broken_lines_skipped(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/allocinfo.broken");
	struct allocinfo ai = {0};

	(void)state;
	assert_non_null(text);
	assert_int_equal(allocinfo_parse(text, &ai), 0);
	assert_int_equal(ai.skipped, 5);
	assert_int_equal(ai.first_skipped_line, 5); /* kept for the caller to say */
	assert_int_equal(ai.count, 4);
	assert_string_equal(ai.sites[3].module, "ctagmod");
	allocinfo_release(&ai);
	free(text);
}

static void test_version1_and_no_header(void **state)
{
	char v1[] = "allocinfo - version: 1.0\n# <size> <calls> <tag info>\n"
		    "512 1 arch/x86/events/rapl.c:681 func:init_rapl_pmus\n";
	char none[] = "512 1 arch/x86/events/rapl.c:681 func:init_rapl_pmus\n";
	struct allocinfo ai = {0};

	(void)state;
	assert_int_equal(allocinfo_parse(v1, &ai), 0);
	assert_int_equal(ai.version_major, 1);
	assert_int_equal(ai.count, 1);
	assert_int_equal(ai.sites[0].bytes, 512);
	assert_int_equal(allocinfo_parse(none, &ai), -EPROTO);
	allocinfo_release(&ai);
	allocinfo_release(NULL);
}

/* This kernel has no /proc/allocinfo: the reader says ENOENT, not garbage. */
static void test_live_absent(void **state)
{
	struct allocinfo ai = {0};
	struct strbuf sb = STRBUF_INIT;
	int err;

	(void)state;
	err = allocinfo_read(&ai, &sb);
	if (access("/proc/allocinfo", F_OK) == 0) {
		assert_int_equal(err, 0);
		assert_true(ai.count > 0);
	} else {
		assert_int_equal(err, -ENOENT);
	}
	allocinfo_release(&ai);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_documented_format),
	    cmocka_unit_test(test_broken_lines_skipped),
	    cmocka_unit_test(test_version1_and_no_header),
	    cmocka_unit_test(test_live_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
