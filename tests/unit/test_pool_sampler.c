/* The pool sampler on fixtures, without root: the /proc files point at
 * copies of tests/fixtures, /sys/kernel/slab at a tree built from
 * slabsys.txt. Two samples give the snapshot and its changes; the slabsys
 * rescan rule; counters off and unreadable sources come back as notes. */
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/pool_sampler.h"

#define FILP_LINE "filp                 672    672    192   21    1 : tunables    0    0    0 : slabdata     32     32      0\n"

struct fixture {
	char dir[64];
	char slab[96], slabinfo[96];
	struct pool_sampler_opts opts;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void add_slab_dir(const char *slab, const char *name, unsigned int recl,
			 unsigned int objsize, unsigned int slabsize)
{
	char path[256], num[32];

	snprintf(path, sizeof(path), "%s/%s", slab, name);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s/reclaim_account", slab, name);
	snprintf(num, sizeof(num), "%u\n", recl);
	write_file(path, num);
	snprintf(path, sizeof(path), "%s/%s/object_size", slab, name);
	snprintf(num, sizeof(num), "%u\n", objsize);
	write_file(path, num);
	snprintf(path, sizeof(path), "%s/%s/slab_size", slab, name);
	snprintf(num, sizeof(num), "%u\n", slabsize);
	write_file(path, num);
}

/* /sys/kernel/slab as the capture in slabsys.txt saw it. */
static void build_slab_tree(const char *slab)
{
	char *text = test_slurp(FIXTURES_DIR "/slabsys.txt");
	char *line, *save = NULL;

	assert_non_null(text);
	assert_int_equal(mkdir(slab, 0755), 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], target[128], path[300];
		unsigned int recl, objsize, slabsize;

		if (sscanf(line, "dir %127s %u %u %u", name, &recl, &objsize, &slabsize) == 4) {
			add_slab_dir(slab, name, recl, objsize, slabsize);
		} else if (sscanf(line, "link %127s %127s", name, target) == 2) {
			snprintf(path, sizeof(path), "%s/%s", slab, name);
			assert_int_equal(symlink(target, path), 0);
		}
	}
	free(text);
}

/* The slabinfo fixture with filp's line replaced (NULL: as captured) and
 * extra lines appended. */
static void write_slabinfo(const char *path, const char *filp_line, const char *extra)
{
	char *text = test_slurp(FIXTURES_DIR "/slabinfo");
	char *at;
	FILE *f;

	assert_non_null(text);
	at = strstr(text, FILP_LINE);
	assert_non_null(at);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(text, 1, (size_t)(at - text), f);
	fputs(filp_line ? filp_line : FILP_LINE, f);
	fputs(at + strlen(FILP_LINE), f);
	if (extra)
		fputs(extra, f);
	assert_int_equal(fclose(f), 0);
	free(text);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/poolscope-sampler.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->slab, sizeof(f->slab), "%s/slab", f->dir);
	snprintf(f->slabinfo, sizeof(f->slabinfo), "%s/slabinfo", f->dir);
	build_slab_tree(f->slab);
	write_slabinfo(f->slabinfo, NULL, NULL);
	f->opts.no_counters = true;
	f->opts.slabsys_root = f->slab;
	f->opts.slabinfo_path = f->slabinfo;
	f->opts.mem.meminfo = FIXTURES_DIR "/meminfo";
	f->opts.mem.file_nr = FIXTURES_DIR "/file-nr";
	f->opts.mem.uptime = FIXTURES_DIR "/uptime";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_two_samples(void **state)
{
	struct fixture *f = *state;
	struct notes ns = NOTES_INIT;
	struct pool_sampler *s = NULL;
	struct pool_sampler_status status;
	const struct pool_snapshot *snap;
	const struct pool_tag *tag;

	assert_int_equal(pool_sampler_start(&s, &f->opts, &ns), 0);
	assert_non_null(s);
	assert_null(notes_find(&ns, "slabinfo-unreadable"));
	assert_null(notes_find(&ns, "slabsys-unreadable"));
	assert_int_equal(pool_sampler_sample(s, &ns, &snap), 0);
	assert_ptr_equal(snap, pool_sampler_latest(s));
	assert_true(snap->have_slabinfo);
	assert_false(snap->have_counters);
	assert_true(meminfo_has(&snap->mem, MI_MEM_TOTAL));
	assert_int_equal(snap->mem.bytes[MI_MEM_TOTAL], 24684084ull * 1024);
	assert_true(snap->mem.have_files);
	assert_int_equal(snap->mem.files_in_use, 486);
	assert_true(snap->mem.have_uptime);
	tag = pool_snapshot_find(snap, "filp");
	assert_non_null(tag);
	assert_int_equal(tag->objs, 672);
	assert_true(tag->have_type);
	assert_false(tag->have_prev);
	assert_false(tag->have_counts);

	/* 100 more filp objects, 5 more slabs. */
	write_slabinfo(f->slabinfo,
		       "filp                 772    777    192   21    1 : tunables    0    0    0 "
		       ": slabdata     37     37      0\n",
		       NULL);
	assert_int_equal(pool_sampler_sample(s, &ns, &snap), 0);
	tag = pool_snapshot_find(snap, "filp");
	assert_non_null(tag);
	assert_true(tag->have_prev);
	assert_int_equal(tag->objs, 772);
	assert_int_equal(tag->objs_change, 100);
	assert_int_equal(tag->bytes_change, 5 * 4096 * (int64_t)1);
	tag = pool_snapshot_find(snap, "dentry");
	assert_non_null(tag);
	assert_true(tag->have_prev);
	assert_int_equal(tag->objs_change, 0);
	pool_sampler_status(s, &status);
	assert_int_equal(status.samples, 2);
	assert_true(status.slabinfo);
	assert_false(status.counters);
	assert_string_equal(status.counters_note, "not loaded (--no-counters)");
	pool_sampler_stop(s);
	pool_sampler_stop(NULL);
	notes_release(&ns);
}

/* Counters that do not run are a note with the why, ready to be said. */
static void test_counters_off_note(void **state)
{
	struct fixture *f = *state;
	struct notes ns = NOTES_INIT;
	struct pool_sampler *s = NULL;
	const struct note *n;

	assert_int_equal(pool_sampler_start(&s, &f->opts, &ns), 0);
	n = notes_find(&ns, POOL_NOTE_COUNTERS_OFF);
	assert_non_null(n);
	assert_string_equal(n->text, "counters off: not loaded (--no-counters); Allocs, Frees, "
				     "Diff and Owner show '-'");
	assert_null(notes_find(&ns, "kallsyms"));
	pool_sampler_stop(s);
	notes_release(&ns);
}

#define NEW_CACHE_LINE                                                                             \
	"brand_new_cache       10     21    192   21    1 : tunables    0    0    0 : slabdata      1 " \
	"     1      0\n"

#define NEWER_CACHE_LINE                                                                           \
	"newer_cache           10     21    192   21    1 : tunables    0    0    0 : slabdata      1 " \
	"     1      0\n"

/* A cache that appears after the start gets its merge group and type at the
 * first sample past the rescan interval, not before. */
static void test_rescan_rule(void **state)
{
	struct fixture *f = *state;
	struct notes ns = NOTES_INIT;
	struct pool_sampler *s = NULL;
	const struct pool_snapshot *snap;
	const struct pool_tag *tag;

	f->opts.rescan_ns = 3600000000000ull; /* an hour: no rescan in this test */
	assert_int_equal(pool_sampler_start(&s, &f->opts, &ns), 0);
	add_slab_dir(f->slab, "brand_new_cache", 1, 184, 192);
	write_slabinfo(f->slabinfo, NULL, NEW_CACHE_LINE);
	assert_int_equal(pool_sampler_sample(s, &ns, &snap), 0);
	tag = pool_snapshot_find(snap, "brand_new_cache");
	assert_non_null(tag);
	assert_true(tag->have_slab);
	assert_false(tag->have_type); /* not rescanned yet */
	pool_sampler_stop(s);

	f->opts.rescan_ns = 1; /* any sample after the start may rescan */
	write_slabinfo(f->slabinfo, NULL, NULL);
	assert_int_equal(pool_sampler_start(&s, &f->opts, &ns), 0);
	add_slab_dir(f->slab, "newer_cache", 1, 184, 192);
	write_slabinfo(f->slabinfo, NULL, NEWER_CACHE_LINE);
	usleep(1000);
	assert_int_equal(pool_sampler_sample(s, &ns, &snap), 0);
	tag = pool_snapshot_find(snap, "newer_cache");
	assert_non_null(tag);
	assert_true(tag->have_type);
	assert_true(tag->reclaimable);
	pool_sampler_stop(s);
	notes_release(&ns);
}

/* Unreadable and malformed sources are notes, and the sampler still runs. */
static void test_unreadable_sources(void **state)
{
	struct fixture *f = *state;
	struct pool_sampler_opts opts = f->opts;
	struct notes ns = NOTES_INIT;
	struct pool_sampler *s = NULL;
	const struct pool_snapshot *snap;
	const struct note *n;

	opts.slabsys_root = "/nonexistent/slab";
	opts.slabinfo_path = "/nonexistent/slabinfo";
	opts.mem.meminfo = "/nonexistent/meminfo";
	assert_int_equal(pool_sampler_start(&s, &opts, &ns), 0);
	n = notes_find(&ns, "slabinfo-unreadable");
	assert_non_null(n);
	assert_string_equal(n->text, "cannot read /nonexistent/slabinfo: No such file or "
				     "directory; Objs and Bytes show '-'");
	n = notes_find(&ns, "slabsys-unreadable");
	assert_non_null(n);
	assert_string_equal(n->text, "cannot read /nonexistent/slab: No such file or directory; "
				     "merged names and types are unknown");
	notes_clear(&ns);
	assert_int_equal(pool_sampler_sample(s, &ns, &snap), 0);
	assert_false(snap->have_slabinfo);
	assert_int_equal(snap->count, 0);
	n = notes_find(&ns, "meminfo-unreadable");
	assert_non_null(n);
	assert_string_equal(n->text, "cannot read /nonexistent/meminfo: the header stays empty");
	pool_sampler_stop(s);

	/* A malformed slabinfo line is skipped and named once per sample. */
	write_slabinfo(f->slabinfo, NULL, "broken line\n");
	notes_clear(&ns);
	assert_int_equal(pool_sampler_start(&s, &f->opts, &ns), 0);
	assert_int_equal(pool_sampler_sample(s, &ns, &snap), 0);
	n = notes_find(&ns, "slabinfo-malformed");
	assert_non_null(n);
	assert_non_null(strstr(n->text, "is malformed; skipping such lines"));
	assert_non_null(pool_snapshot_find(snap, "filp"));
	pool_sampler_stop(s);
	notes_release(&ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_two_samples, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_counters_off_note, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rescan_rule, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unreadable_sources, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
