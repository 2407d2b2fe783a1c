/* The pool snapshot model and its table view, built from captured fixtures:
 * merged names attached to the slabinfo row, counters, changes between two
 * snapshots, type/glob filters and sort keys. */
#include "test_util.h"

#include <errno.h>

#include "model/pool.h"
#include "output/pool_table.h"
#include "output/table.h"

struct fixture {
	char *si_text, *ss_text, *mi_text;
	struct slabinfo si;
	struct slabsys ss;
	struct meminfo mi;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->si_text = test_slurp(FIXTURES_DIR "/slabinfo");
	f->ss_text = test_slurp(FIXTURES_DIR "/slabsys.txt");
	f->mi_text = test_slurp(FIXTURES_DIR "/meminfo");
	assert_non_null(f->si_text);
	assert_non_null(f->ss_text);
	assert_non_null(f->mi_text);
	assert_int_equal(slabinfo_parse(f->si_text, &f->si), 0);
	assert_int_equal(slabsys_parse(f->ss_text, &f->ss), 0);
	assert_int_equal(meminfo_parse(f->mi_text, &f->mi), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	slabinfo_release(&f->si);
	slabsys_release(&f->ss);
	free(f->si_text);
	free(f->ss_text);
	free(f->mi_text);
	free(f);
	return 0;
}

static struct pool_sources sources(struct fixture *f)
{
	struct pool_sources src = {
	    .slabinfo = &f->si,
	    .slabsys = &f->ss,
	    .mem = &f->mi,
	    .page_size = 4096,
	    .realtime_ns = 1764093600000000000ull,
	};

	return src;
}

static void test_tags_from_slabinfo(void **state)
{
	struct fixture *f = *state;
	struct pool_sources src = sources(f);
	struct pool_snapshot snap = {0};
	const struct pool_tag *tag;

	assert_int_equal(pool_snapshot_build(&snap, &src, NULL), 0);
	assert_int_equal(snap.count, f->si.count);
	assert_true(snap.have_slabinfo);
	assert_false(snap.have_counters);
	tag = pool_snapshot_find(&snap, "filp");
	assert_non_null(tag);
	assert_true(tag->have_slab && tag->have_type);
	assert_false(tag->reclaimable);
	assert_int_equal(tag->objs, 672);
	assert_int_equal(tag->bytes, 32 * 4096);
	assert_int_equal(tag->size, 192);
	assert_false(tag->have_counts);
	assert_false(tag->have_prev);
	tag = pool_snapshot_find(&snap, "dentry");
	assert_non_null(tag);
	assert_true(tag->reclaimable);
	/* The merged cache is listed under its slabinfo name, with the group. */
	tag = pool_snapshot_find(&snap, "shared_policy_node");
	assert_non_null(tag);
	assert_non_null(tag->group);
	assert_int_equal(tag->group->nnames, 6);
	assert_null(pool_snapshot_find(&snap, "Acpi-Namespace"));
	pool_snapshot_release(&snap);
}

static void test_counters_and_changes(void **state)
{
	struct fixture *f = *state;
	struct pool_sources src = sources(f);
	struct pool_snapshot first = {0}, second = {0};
	struct slab_count counts[2] = {0};
	struct slabinfo_row *filp = NULL;
	const struct pool_tag *tag;
	size_t i;

	snprintf(counts[0].name, sizeof(counts[0].name), "filp");
	counts[0].allocs = 100;
	counts[0].frees = 40;
	snprintf(counts[1].name, sizeof(counts[1].name), "gone-cache");
	counts[1].allocs = 5;
	src.counters_on = true;
	src.counts = counts;
	src.ncounts = 2;
	assert_int_equal(pool_snapshot_build(&first, &src, NULL), 0);
	/* A counted name missing from slabinfo keeps a row, Objs/Bytes unknown. */
	tag = pool_snapshot_find(&first, "gone-cache");
	assert_non_null(tag);
	assert_true(tag->have_counts);
	assert_false(tag->have_slab);
	assert_int_equal(tag->allocs, 5);
	assert_int_equal(first.count, f->si.count + 1);
	tag = pool_snapshot_find(&first, "kmalloc-64");
	assert_true(tag->have_counts);
	assert_int_equal(tag->allocs, 0);
	/* Second refresh: filp grew by 5000 objects and 240 slabs. */
	for (i = 0; i < f->si.count; i++)
		if (strcmp(f->si.rows[i].name, "filp") == 0)
			filp = &f->si.rows[i];
	assert_non_null(filp);
	filp->active_objs += 5000;
	filp->num_slabs += 240;
	counts[0].allocs += 5200;
	counts[0].frees += 200;
	assert_int_equal(pool_snapshot_build(&second, &src, &first), 0);
	tag = pool_snapshot_find(&second, "filp");
	assert_true(tag->have_prev);
	assert_int_equal(tag->allocs, 5300);
	assert_int_equal(tag->frees, 240);
	assert_int_equal(tag->allocs_change, 5200);
	assert_int_equal(tag->frees_change, 200);
	assert_int_equal(tag->objs_change, 5000);
	assert_int_equal(tag->bytes_change, 240 * 4096);
	filp->active_objs -= 5000;
	filp->num_slabs -= 240;
	pool_snapshot_release(&first);
	pool_snapshot_release(&second);
}

/* A cache that appears or vanishes between refreshes is normal: the new one
 * has no changes yet, the gone one is simply absent. */
static void test_cache_appears_and_vanishes(void **state)
{
	struct fixture *f = *state;
	struct pool_sources src = sources(f);
	struct pool_snapshot first = { 0 }, second = { 0 };
	struct slabinfo_row saved;
	const struct pool_tag *tag;
	size_t last = f->si.count - 1;

	assert_int_equal(pool_snapshot_build(&first, &src, NULL), 0);
	/* The last row vanishes; a new cache takes its place. */
	saved = f->si.rows[last];
	assert_non_null(pool_snapshot_find(&first, saved.name));
	snprintf(f->si.rows[last].name, sizeof(f->si.rows[last].name), "brand-new-cache");
	assert_int_equal(pool_snapshot_build(&second, &src, &first), 0);
	assert_null(pool_snapshot_find(&second, saved.name));
	tag = pool_snapshot_find(&second, "brand-new-cache");
	assert_non_null(tag);
	assert_true(tag->have_slab);
	assert_false(tag->have_prev);
	assert_null(tag->group); /* not in the slabsys capture */
	assert_false(tag->have_type);
	tag = pool_snapshot_find(&second, "filp");
	assert_true(tag->have_prev);
	assert_int_equal(tag->bytes_change, 0);
	f->si.rows[last] = saved;
	pool_snapshot_release(&first);
	pool_snapshot_release(&second);
}

static int row_of(const struct table *t, const char *tag)
{
	int r, col = table_col_find(t, "tag");

	for (r = 0; r < table_rows(t); r++)
		if (strcmp(table_get_str(t, r, col), tag) == 0)
			return r;
	return -1;
}

static void test_table_view(void **state)
{
	struct fixture *f = *state;
	struct pool_sources src = sources(f);
	struct pool_snapshot snap = {0};
	struct globlist gl = {0};
	struct pool_view view = {.sort_key = "bytes", .type = POOL_TYPE_ALL};
	struct table *t;
	int r, c_bytes, c_alias, c_type, c_allocs;

	assert_int_equal(pool_snapshot_build(&snap, &src, NULL), 0);
	t = pool_table_new();
	assert_non_null(t);
	assert_int_equal(pool_table_fill(t, &snap, &view), 0);
	assert_int_equal(table_rows(t), (int)snap.count);
	c_bytes = table_col_find(t, "bytes");
	c_alias = table_col_find(t, "aliases");
	c_type = table_col_find(t, "type");
	c_allocs = table_col_find(t, "allocs");
	assert_true(c_bytes >= 0 && c_alias >= 0 && c_type >= 0 && c_allocs >= 0);
	/* Sorted by bytes, largest first. */
	for (r = 1; r < table_rows(t); r++)
		assert_true(table_get_uint(t, r - 1, c_bytes) >= table_get_uint(t, r, c_bytes));
	/* Counters off: '-' (null), not 0. */
	assert_true(table_is_null(t, 0, c_allocs));
	table_free(t);

	/* Filter by a merged name finds the slabinfo row; '!' excludes. */
	assert_int_equal(globlist_add(&gl, "Acpi-Namespace,filp,dentry,!dentry"), 0);
	view.filter = &gl;
	view.sort_key = "tag";
	t = pool_table_new();
	assert_int_equal(pool_table_fill(t, &snap, &view), 0);
	assert_int_equal(table_rows(t), 2);
	assert_int_equal(row_of(t, "filp"), 0);
	r = row_of(t, "shared_policy_node");
	assert_int_equal(r, 1);
	table_free(t);

	/* Type filter: only reclaimable caches. */
	view.filter = NULL;
	view.type = POOL_TYPE_RECL;
	t = pool_table_new();
	assert_int_equal(pool_table_fill(t, &snap, &view), 0);
	assert_true(table_rows(t) > 0 && table_rows(t) < (int)snap.count);
	assert_true(row_of(t, "dentry") >= 0);
	assert_int_equal(row_of(t, "filp"), -1);
	for (r = 0; r < table_rows(t); r++)
		assert_string_equal(table_get_str(t, r, c_type), "Recl");
	table_free(t);

	/* Bad sort key refused. */
	view.sort_key = "nonsense";
	t = pool_table_new();
	assert_int_equal(pool_table_fill(t, &snap, &view), -EINVAL);
	table_free(t);
	globlist_clear(&gl);
	pool_snapshot_release(&snap);
}

static void test_json_schema(void **state)
{
	struct fixture *f = *state;
	struct pool_sources src = sources(f);
	struct pool_snapshot snap = {0};
	struct globlist gl = {0};
	struct pool_view view = {.sort_key = "tag", .filter = &gl};
	struct table *t = pool_table_new();
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);

	assert_non_null(mem);
	assert_int_equal(globlist_add(&gl, "UDP"), 0);
	assert_int_equal(pool_snapshot_build(&snap, &src, NULL), 0);
	assert_int_equal(pool_table_fill(t, &snap, &view), 0);
	assert_int_equal(table_render(t, FMT_JSON, mem, NULL), 0);
	fclose(mem);
	/* Exactly the documented keys, in order; aliases exclude the row's name.
	 * UDP: 24 objects in 2 slabs of 4 pages each = 32768 bytes. */
	assert_string_equal(out,
			    "[{\"tag\":\"UDP\",\"type\":\"Unrecl\",\"allocs\":null,"
			    "\"allocs_change\":null,\"frees\":null,\"frees_change\":null,"
			    "\"diff\":null,\"diff_change\":null,\"objs\":24,\"objs_change\":null,"
			    "\"bytes\":32768,\"bytes_change\":null,\"size\":1344,\"owner\":null,"
			    "\"aliases\":[\"PINGv6\",\"UDP-Lite\"]}]\n");
	free(out);
	table_free(t);
	globlist_clear(&gl);
	pool_snapshot_release(&snap);
}

static void test_sort_keys(void **state)
{
	enum pool_type_filter type;

	(void)state;
	assert_true(pool_sort_key_valid("bytes"));
	assert_true(pool_sort_key_valid("allocs_change"));
	assert_false(pool_sort_key_valid("aliases"));
	assert_false(pool_sort_key_valid("time"));
	assert_false(pool_sort_key_valid("x"));
	assert_string_equal(pool_sort_key_change("bytes", true), "bytes_change");
	assert_string_equal(pool_sort_key_change("bytes_change", false), "bytes");
	assert_string_equal(pool_sort_key_change("tag", true), "tag");
	assert_int_equal(pool_type_parse("recl", &type), 0);
	assert_int_equal(type, POOL_TYPE_RECL);
	assert_int_equal(pool_type_parse("paged", &type), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags_from_slabinfo),
		cmocka_unit_test(test_counters_and_changes),
		cmocka_unit_test(test_cache_appears_and_vanishes),
		cmocka_unit_test(test_table_view),
		cmocka_unit_test(test_json_schema),
		cmocka_unit_test(test_sort_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
