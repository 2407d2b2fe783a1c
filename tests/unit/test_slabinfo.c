/* /proc/slabinfo parser on captures from this machine (and edited copies). */
#include "test_util.h"

#include <errno.h>

#include "kernel/slabinfo.h"
#include "util/strbuf.h"

static void test_real_capture(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/slabinfo");
	struct slabinfo si = {0};
	const struct slabinfo_row *r;

	(void)state;
	assert_non_null(text);
	assert_int_equal(slabinfo_parse(text, &si), 0);
	/* 237 lines: the version line, the column header, 235 caches. */
	assert_int_equal(si.count, 235);
	assert_int_equal(si.skipped, 0);
	r = slabinfo_find(&si, "filp");
	assert_non_null(r);
	assert_int_equal(r->active_objs, 672);
	assert_int_equal(r->num_objs, 672);
	assert_int_equal(r->objsize, 192);
	assert_int_equal(r->objperslab, 21);
	assert_int_equal(r->pagesperslab, 1);
	assert_int_equal(r->active_slabs, 32);
	assert_int_equal(r->num_slabs, 32);
	assert_int_equal(slabinfo_row_bytes(r, 4096), 32 * 4096);
	r = slabinfo_find(&si, "dentry");
	assert_non_null(r);
	assert_int_equal(r->active_objs, 67977);
	assert_int_equal(r->num_objs, 76671);
	/* A two-page slab cache: Bytes counts every page. */
	r = slabinfo_find(&si, "btrfs_ordered_extent");
	assert_non_null(r);
	assert_int_equal(r->pagesperslab, 2);
	assert_string_equal(si.rows[si.count - 1].name, "kmem_cache");
	assert_null(slabinfo_find(&si, "no-such-cache"));
	slabinfo_release(&si);
	free(text);
}

static void test_broken_lines_skipped(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/slabinfo.broken");
	struct slabinfo si = {0};

	(void)state;
	assert_non_null(text);
	assert_int_equal(slabinfo_parse(text, &si), 0);
	/* Three real lines were damaged, four bad lines added (one blank, not counted). */
	assert_int_equal(si.count, 232);
	assert_int_equal(si.skipped, 6);
	assert_int_equal(si.first_skipped_line, 4); /* kept for the caller to say */
	assert_null(slabinfo_find(&si, "btrfs_ordered_extent")); /* truncated */
	assert_null(slabinfo_find(&si, "bio-376"));		 /* ':' replaced */
	assert_null(slabinfo_find(&si, "btrfs_free_space"));	 /* slabdatum */
	assert_null(slabinfo_find(&si, "impossible"));		 /* active > total */
	assert_non_null(slabinfo_find(&si, "filp"));
	assert_non_null(slabinfo_find(&si, "kmem_cache"));
	slabinfo_release(&si);
	free(text);
}

static void test_foreign_version_refused(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/slabinfo");
	struct slabinfo si = {0};

	(void)state;
	assert_non_null(text);
	/* SLAB's 1.x layout differs: refuse rather than misread columns. */
	text[20] = '1';
	assert_memory_equal(text, "slabinfo - version: 1.1", 23);
	assert_int_equal(slabinfo_parse(text, &si), -EPROTO);
	assert_int_equal(si.count, 0);
	slabinfo_release(&si);
	free(text);
}

static void test_empty_and_header_only(void **state)
{
	char empty[] = "";
	char header[] = "slabinfo - version: 2.1\n# name <active_objs>\n";
	struct slabinfo si = {0};

	(void)state;
	assert_int_equal(slabinfo_parse(empty, &si), -EPROTO);
	assert_int_equal(slabinfo_parse(header, &si), 0);
	assert_int_equal(si.count, 0);
	slabinfo_release(&si);
	slabinfo_release(NULL);
}

/* The live file, when readable: as many rows as lines, all parsed. */
static void test_live_read(void **state)
{
	struct slabinfo si = {0};
	struct strbuf sb = STRBUF_INIT;
	int err;

	(void)state;
	err = slabinfo_read(&si, &sb);
	if (geteuid() != 0) {
		assert_int_equal(err, -EACCES);
	} else {
		assert_int_equal(err, 0);
		assert_true(si.count > 100);
		assert_int_equal(si.skipped, 0);
		assert_non_null(slabinfo_find(&si, "filp"));
		assert_non_null(slabinfo_find(&si, "kmalloc-64"));
	}
	slabinfo_release(&si);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_capture),
	    cmocka_unit_test(test_broken_lines_skipped),
	    cmocka_unit_test(test_foreign_version_refused),
	    cmocka_unit_test(test_empty_and_header_only),
	    cmocka_unit_test(test_live_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
