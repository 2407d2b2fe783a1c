/* /sys/kernel/slab: attributes and merge groups, from a capture of this
 * machine (tests/fixtures/capture-slabsys.sh) and from the live tree. */
#include "test_util.h"

#include <errno.h>

#include "kernel/slabinfo.h"
#include "kernel/slabsys.h"

static bool group_has(const struct slab_group *g, const char *name)
{
	int i;

	for (i = 0; i < g->nnames; i++)
		if (strcmp(g->names[i], name) == 0)
			return true;
	return false;
}

static void test_capture_groups(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/slabsys.txt");
	struct slabsys ss = {0};
	const struct slab_group *g, *g2;

	(void)state;
	assert_non_null(text);
	assert_int_equal(slabsys_parse(text, &ss), 0);
	assert_int_equal(ss.skipped, 0);
	/* An unmerged cache: its own directory, its only name. */
	g = slabsys_find(&ss, "filp");
	assert_non_null(g);
	assert_string_equal(g->dir, "filp");
	assert_int_equal(g->nnames, 1);
	assert_true(g->have_attrs);
	assert_false(g->reclaimable);
	assert_int_equal(g->object_size, 184);
	assert_int_equal(g->slab_size, 192);
	g = slabsys_find(&ss, "dentry");
	assert_non_null(g);
	assert_true(g->reclaimable);
	/* A merged cache: six names, one ':'-directory, the directory itself no name. */
	g = slabsys_find(&ss, "shared_policy_node");
	assert_non_null(g);
	assert_string_equal(g->dir, ":0000048");
	assert_int_equal(g->nnames, 6);
	assert_true(group_has(g, "Acpi-Namespace"));
	assert_true(group_has(g, "xfs_log_ticket"));
	assert_false(group_has(g, ":0000048"));
	assert_int_equal(g->slab_size, 48);
	g2 = slabsys_find(&ss, "Acpi-Namespace");
	assert_ptr_equal(g, g2);
	assert_null(slabsys_find(&ss, ":0000048"));
	g = slabsys_find(&ss, "UDP");
	assert_non_null(g);
	assert_int_equal(g->nnames, 3);
	assert_true(group_has(g, "PINGv6") && group_has(g, "UDP-Lite"));
	assert_null(slabsys_find(&ss, "no-such-cache"));
	slabsys_release(&ss);
	slabsys_release(NULL);
	free(text);
}

/* Every /proc/slabinfo row of the same moment names exactly one group, and
 * no two rows share one: slabinfo lists each real cache under one name. */
static void test_capture_matches_slabinfo(void **state)
{
	char *sys_text = test_slurp(FIXTURES_DIR "/slabsys.txt");
	char *si_text = test_slurp(FIXTURES_DIR "/slabinfo");
	struct slabsys ss = {0};
	struct slabinfo si = {0};
	const struct slab_group **seen;
	size_t i, j, found = 0;

	(void)state;
	assert_non_null(sys_text);
	assert_non_null(si_text);
	assert_int_equal(slabsys_parse(sys_text, &ss), 0);
	assert_int_equal(slabinfo_parse(si_text, &si), 0);
	seen = calloc(si.count, sizeof(*seen));
	assert_non_null(seen);
	for (i = 0; i < si.count; i++) {
		seen[i] = slabsys_find(&ss, si.rows[i].name);
		if (!seen[i])
			continue;
		found++;
		if (seen[i]->have_attrs)
			assert_int_equal(seen[i]->slab_size, si.rows[i].objsize);
		for (j = 0; j < i; j++)
			assert_ptr_not_equal(seen[i], seen[j]);
	}
	assert_int_equal(found, si.count);
	assert_int_equal(ss.count, si.count);
	free(seen);
	slabinfo_release(&si);
	slabsys_release(&ss);
	free(sys_text);
	free(si_text);
}

static void test_broken_lines_skipped(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/slabsys.broken");
	struct slabsys ss = {0};
	const struct slab_group *g;

	(void)state;
	assert_non_null(text);
	assert_int_equal(slabsys_parse(text, &ss), 0);
	/* unknown kind, name with '/', link without target, filp short, dentry recl=7 */
	assert_int_equal(ss.skipped, 5);
	assert_int_equal(ss.first_skipped_line, 6); /* kept for the caller to say */
	assert_null(slabsys_find(&ss, "Acpi-Namespace"));
	assert_null(slabsys_find(&ss, "filp"));
	assert_null(slabsys_find(&ss, "dentry"));
	g = slabsys_find(&ss, "shared_policy_node");
	assert_non_null(g);
	assert_int_equal(g->nnames, 5);
	slabsys_release(&ss);
	free(text);
}

/* A link whose directory is missing from the listing: a group without attrs. */
static void test_link_without_dir(void **state)
{
	struct slabsys ss = {0};
	const struct slab_group *g;

	(void)state;
	assert_int_equal(slabsys_add_link(&ss, "lonely", ":0000999"), 0);
	assert_int_equal(slabsys_add_link(&ss, "other", "../slab/:0000999"), 0);
	assert_int_equal(slabsys_add_dir(&ss, "solo", true, true, 8, 8), 0);
	assert_int_equal(slabsys_add_link(&ss, "bad/name", ":x"), -EINVAL);
	assert_int_equal(slabsys_finish(&ss), 0);
	g = slabsys_find(&ss, "other");
	assert_non_null(g);
	assert_false(g->have_attrs);
	assert_int_equal(g->nnames, 2);
	assert_string_equal(g->dir, ":0000999");
	g = slabsys_find(&ss, "solo");
	assert_non_null(g);
	assert_true(g->reclaimable);
	slabsys_release(&ss);
}

static void test_live_tree(void **state)
{
	struct slabsys ss = {0};
	const struct slab_group *g;

	(void)state;
	assert_int_equal(slabsys_read(&ss, "/sys/kernel/slab"), 0);
	assert_true(ss.count > 100);
	g = slabsys_find(&ss, "filp");
	assert_non_null(g);
	if (geteuid() == 0) {
		assert_false(ss.attrs_denied);
		assert_true(g->have_attrs);
		assert_true(g->slab_size >= g->object_size && g->object_size > 0);
	} else {
		assert_true(ss.attrs_denied);
		assert_false(g->have_attrs);
	}
	slabsys_release(&ss);
	assert_int_equal(slabsys_read(&ss, "/nonexistent/slab"), -ENOENT);
	slabsys_release(&ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_capture_groups),
	    cmocka_unit_test(test_capture_matches_slabinfo),
	    cmocka_unit_test(test_broken_lines_skipped),
	    cmocka_unit_test(test_link_without_dir),
	    cmocka_unit_test(test_live_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
