/* Memory pressure (PSI) and memory cgroups: the parsers on captures from
 * this machine (tests/fixtures/pressure.README, memcg/README), the tree
 * reader on fixture trees of both cgroup versions, and the live files where
 * the kernel has them. */
#include "test_util.h"

#include <errno.h>
#include <string.h>

#include "kernel/cgroup.h"
#include "kernel/memcg.h"
#include "kernel/psi.h"

static void test_psi_captures(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/pressure-io.txt");
	struct psi p;

	(void)state;
	assert_non_null(text);
	assert_int_equal(psi_parse(text, &p), 0);
	assert_true(p.some.have && p.full.have);
	assert_true(p.some.avg10 > 0.14 && p.some.avg10 < 0.16);
	assert_true(p.some.avg300 > 1.34 && p.some.avg300 < 1.36);
	assert_int_equal(p.some.total_us, 15995146);
	assert_int_equal(p.full.total_us, 12246950);
	free(text);
	text = test_slurp(FIXTURES_DIR "/pressure-memory.txt");
	assert_non_null(text);
	assert_int_equal(psi_parse(text, &p), 0);
	assert_true(p.some.have && p.full.have);
	assert_int_equal(p.some.total_us, 0);
	free(text);
}

static void test_psi_broken(void **state)
{
	char some_only[] = "some avg10=1.00 avg60=2.00 avg300=3.00 total=42\n";
	char bad_full[] = "some avg10=1.00 avg60=2.00 avg300=3.00 total=42\n"
			  "full avg10=x avg60=2.00 avg300=3.00 total=42\n";
	char extra[] = "some avg10=1.00 avg60=2.00 avg300=3.00 avg900=4.00 total=42\n";
	char missing[] = "some avg10=1.00 avg60=2.00 total=42\n";
	char negative[] = "some avg10=1.00 avg60=2.00 avg300=3.00 total=-1\n";
	char empty[] = "";
	struct psi p;

	(void)state;
	/* The cpu file of kernels before 5.13 has no "full" line. */
	assert_int_equal(psi_parse(some_only, &p), 0);
	assert_true(p.some.have && !p.full.have);
	assert_int_equal(psi_parse(bad_full, &p), 0);
	assert_true(p.some.have && !p.full.have);
	/* A field the kernel may add one day is no error. */
	assert_int_equal(psi_parse(extra, &p), 0);
	assert_int_equal(p.some.total_us, 42);
	assert_int_equal(psi_parse(missing, &p), -EINVAL);
	assert_int_equal(psi_parse(negative, &p), -EINVAL);
	assert_int_equal(psi_parse(empty, &p), -EINVAL);
}

static void test_psi_live(void **state)
{
	struct psi p;
	int err = psi_read_memory(&p);

	(void)state;
	if (err == -ENOENT || err == -EOPNOTSUPP) {
		print_message("skipped: no /proc/pressure/memory (%s)\n", strerror(-err));
		skip();
	}
	assert_int_equal(err, 0);
	assert_true(p.some.have);
	assert_true(p.some.avg10 >= 0 && p.some.avg10 <= 100);
}

static void test_memcg_limits(void **state)
{
	uint64_t v = 1;

	(void)state;
	assert_int_equal(memcg_parse_limit("max\n", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(memcg_parse_limit("9223372036854771712\n", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(memcg_parse_limit("268435456\n", &v), 0);
	assert_int_equal(v, 268435456);
	assert_int_equal(memcg_parse_limit("", &v), -EINVAL);
	assert_int_equal(memcg_parse_limit("maximum", &v), -EINVAL);
	assert_int_equal(memcg_parse_limit("-1", &v), -EINVAL);
	assert_int_equal(memcg_parse_limit("12k", &v), -EINVAL);
}

static const struct memcg *find(const struct memcg_list *l, const char *path)
{
	for (int i = 0; i < l->count; i++)
		if (strcmp(l->items[i].path, path) == 0)
			return &l->items[i];
	return NULL;
}

static void test_memcg_tree_v1(void **state)
{
	struct memcg_list l;
	const struct memcg *m;

	(void)state;
	assert_int_equal(memcg_read_tree(FIXTURES_DIR "/memcg/v1", 1, &l, 100), 0);
	assert_int_equal(l.count, 2);
	assert_false(l.truncated);
	/* Parents before children. */
	assert_string_equal(l.items[0].path, "process_api");
	m = find(&l, "process_api");
	assert_int_equal(m->usage, 1320767488);
	assert_int_equal(m->limit, 0);
	assert_int_equal(m->kernel, 121368576);
	assert_true(m->slab == MEMCG_UNKNOWN && m->sock == MEMCG_UNKNOWN);
	m = find(&l, "process_api/child");
	assert_non_null(m);
	assert_int_equal(m->limit, 268435456);
	assert_int_equal(m->kernel, 108343296);
	memcg_list_free(&l);
	/* The cap: one cgroup asked for, the list says it stopped. */
	assert_int_equal(memcg_read_tree(FIXTURES_DIR "/memcg/v1", 1, &l, 1), 0);
	assert_int_equal(l.count, 1);
	assert_true(l.truncated);
	memcg_list_free(&l);
	memcg_list_free(NULL);
}

static void test_memcg_tree_v2(void **state)
{
	struct memcg_list l;
	const struct memcg *m;

	(void)state;
	assert_int_equal(memcg_read_tree(FIXTURES_DIR "/memcg/v2", 2, &l, 100), 0);
	assert_int_equal(l.count, 3);
	m = find(&l, "system.slice/cron.service");
	assert_non_null(m);
	assert_int_equal(m->usage, 20971520);
	assert_int_equal(m->limit, 536870912);
	assert_int_equal(m->kernel, 3145728);
	assert_int_equal(m->slab, 2883584);
	assert_int_equal(m->kernel_stack, 49152);
	assert_int_equal(m->pagetables, 233472);
	assert_int_equal(m->percpu, 4096);
	assert_int_equal(m->sock, 0);
	m = find(&l, "system.slice");
	assert_int_equal(m->limit, 0);
	assert_int_equal(m->slab, 70254592);
	/* A kernel before 5.18 has no "kernel" key. */
	m = find(&l, "user.slice");
	assert_true(m->kernel == MEMCG_UNKNOWN);
	assert_int_equal(m->slab, 0);
	assert_true(m->percpu == MEMCG_UNKNOWN);
	memcg_list_free(&l);
	assert_int_equal(memcg_read_tree(FIXTURES_DIR "/memcg/none", 2, &l, 100), -ENOENT);
}

static void test_memcg_live(void **state)
{
	struct memcg_list l;
	char root[64];
	int version = cgroup_memory_root(root, sizeof(root));
	int err;

	(void)state;
	if (!version) {
		print_message("skipped: no memory cgroup controller mounted\n");
		skip();
	}
	err = memcg_read_all(&l, 512);
	assert_int_equal(err, 0);
	assert_int_equal(l.version, version);
	for (int i = 0; i < l.count; i++)
		assert_true(l.items[i].path[0] && l.items[i].path[0] != '/');
	print_message("cgroup v%d at %s: %d memory cgroups\n", version, root, l.count);
	memcg_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psi_captures),	cmocka_unit_test(test_psi_broken),
		cmocka_unit_test(test_psi_live),	cmocka_unit_test(test_memcg_limits),
		cmocka_unit_test(test_memcg_tree_v1),	cmocka_unit_test(test_memcg_tree_v2),
		cmocka_unit_test(test_memcg_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
