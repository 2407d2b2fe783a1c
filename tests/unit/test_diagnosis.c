/* diagnosis: the verdict rules on synthetic series shaped like the leak zoo
 * and its decoys, with noise: a leak named with its exact holder and its
 * allocator, the slab cache behind it as evidence not as a second finding,
 * decoys (burst, sawtooth, flat big table, short-lived process) never a
 * leak, reclaimable growth a cache, kernel-held objects with a null holder. */
#include "test_util.h"

#include <math.h>

#include "analysis/diagnosis.h"
#include "model/series.h"
#include "model/series_name.h"

#define N 30

static unsigned int seed = 12345;

static double noise(double amp)
{
	seed = seed * 1103515245u + 12345u;
	return amp * ((double)((seed >> 16) & 0x7fff) / 32767.0 - 0.5);
}

static void add_series(struct series_set *set, const char *name, double (*f)(int), double limit,
		       int from, int to)
{
	int i;

	for (i = from; i < to; i++)
		assert_int_equal(series_set_add(set, name, i, f(i)), 0);
	if (limit > 0)
		series_set_limit(set, name, limit);
}

static double leak_fds(int i) { return 10 + 50.0 * i + noise(4); }
static double leak_fds_total(int i) { return 14 + 50.0 * i; }
static double filp_objs(int i) { return 5000 + 50.0 * i + noise(300); }
static double burst(int i) { return 10 + (i >= 10 && i < 14 ? 3000 : 0) + noise(2); }
static double saw(int i) { return 10 + (i % 8) * 400; }
static double big_flat(int i) { (void)i; return 15000 + noise(4); }
static double dentry(int i) { return 100000 + 2000.0 * i + noise(500); }
static double kmalloc_noise(int i) { (void)i; return 20000 + noise(3000); }
static double sysv_bytes(int i) { return 64.0 * 8 * i; }
static double near(int i) { (void)i; return 900; }

static const struct diag_process procs[] = {
    {.pid = 200, .start = 7, .comm = "holder", .unit = "leaky.service"},
    {.pid = 201, .start = 8, .comm = "sender"},
    {.pid = 300, .start = 9, .comm = "bursty"},
    {.pid = 301, .start = 9, .comm = "sawtooth"},
    {.pid = 302, .start = 9, .comm = "bigtable"},
    {.pid = 303, .start = 9, .comm = "shortlived"},
    {.pid = 400, .start = 9, .comm = "nearly"},
};

static const struct diag_cache caches[] = {
    {.name = "filp", .objsize = 256, .frees_exact = true},
    {.name = "dentry", .objsize = 192, .reclaimable = true, .frees_exact = true},
    {.name = "kmalloc-64", .objsize = 64, .frees_exact = true},
};

static const struct diag_sysv_queue queues[] = {
    {.msqid = 32768, .uid = 0, .cpid = 500, .lspid = 500, .qbytes = 16384},
};

static struct diag_stack stacks[1];
static const struct diag_owner owners[] = {
    {.alloc_pid = 201, .alloc_comm = "sender", .holder_pid = 200, .files = 640},
    {.alloc_pid = 200, .alloc_comm = "holder", .holder_pid = 200, .files = 3},
};

static struct series_set *zoo(void)
{
	struct series_set *set = series_set_new();
	char n[128];

	assert_non_null(set);
	add_series(set, series_name_proc(n, sizeof(n), 200, 7, "fds/eventfd"), leak_fds, -1, 0, N);
	add_series(set, series_name_proc(n, sizeof(n), 200, 7, "fds"), leak_fds_total, 20000, 0, N);
	add_series(set, series_name_proc(n, sizeof(n), 300, 9, "fds/pipe"), burst, -1, 0, N);
	add_series(set, series_name_proc(n, sizeof(n), 301, 9, "fds/eventfd"), saw, -1, 0, N);
	add_series(set, series_name_proc(n, sizeof(n), 302, 9, "fds/eventfd"), big_flat, -1, 0, N);
	/* Born late: steady while it lives, but judged on too little. */
	add_series(set, series_name_proc(n, sizeof(n), 303, 9, "maps"), leak_fds, -1, 24, N);
	add_series(set, series_name_proc(n, sizeof(n), 400, 9, "fds"), near, 1024, 0, N);
	add_series(set, series_name_slab(n, sizeof(n), "filp", "objs"), filp_objs, -1, 0, N);
	add_series(set, series_name_slab(n, sizeof(n), "dentry", "objs"), dentry, -1, 0, N);
	add_series(set, series_name_slab(n, sizeof(n), "kmalloc-64", "objs"), kmalloc_noise, -1, 0, N);
	add_series(set, series_name_sysv_msg(n, sizeof(n), 32768, "bytes"), sysv_bytes, 16384, 0, N);
	return set;
}

static const struct finding *find(const struct diagnosis *d, enum finding_kind kind,
				  const char *resource_part)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->findings[i].kind == kind && strstr(d->findings[i].resource, resource_part))
			return &d->findings[i];
	return NULL;
}

static void inputs(struct diagnosis_inputs *in, struct series_set *set)
{
	memset(in, 0, sizeof(*in));
	in->series = set;
	in->procs = procs;
	in->nprocs = sizeof(procs) / sizeof(procs[0]);
	in->caches = caches;
	in->ncaches = sizeof(caches) / sizeof(caches[0]);
	in->queues = queues;
	in->nqueues = 1;
	snprintf(stacks[0].tag, sizeof(stacks[0].tag), "filp");
	stacks[0].aifo = 640;
	stacks[0].nframes = 3;
	snprintf(stacks[0].frames[0], FINDING_TEXT, "kmem_cache_alloc_noprof+0x10");
	snprintf(stacks[0].frames[1], FINDING_TEXT, "alloc_empty_file+0x4a");
	snprintf(stacks[0].frames[2], FINDING_TEXT, "do_eventfd+0x9c");
	stacks[0].alloc_pid = 201;
	snprintf(stacks[0].alloc_comm, sizeof(stacks[0].alloc_comm), "sender");
	stacks[0].alloc_pid_aifo = 640;
	in->stacks = stacks;
	in->nstacks = 1;
	in->owners = owners;
	in->nowners = 2;
	in->self_pid = 999;
	in->duration_s = N - 1;
}

static void test_zoo_verdicts(void **state)
{
	struct series_set *set = zoo();
	struct diagnosis_inputs in;
	struct diagnosis d = {0};
	const struct finding *f;
	size_t i, leaks = 0;

	(void)state;
	inputs(&in, set);
	assert_int_equal(diagnosis_build(&in, &d), 0);
	for (i = 0; i < d.n; i++) {
		leaks += d.findings[i].kind == FINDING_LEAK;
		/* No decoy, no short-lived process, no noise is a leak. */
		if (d.findings[i].kind == FINDING_LEAK) {
			assert_null(strstr(d.findings[i].resource, "bursty"));
			assert_null(strstr(d.findings[i].resource, "sawtooth"));
			assert_null(strstr(d.findings[i].resource, "bigtable"));
			assert_null(strstr(d.findings[i].resource, "shortlived"));
			assert_null(strstr(d.findings[i].resource, "kmalloc-64"));
			assert_null(strstr(d.findings[i].resource, "filp"));
		}
	}
	/* The eventfd leak: holder exact, allocator the sender, the slab
	 * cache as evidence, the recorded path, the fd limit's clock. */
	f = find(&d, FINDING_LEAK, "fds of holder");
	assert_non_null(f);
	assert_string_equal(f->tag, "eventfd");
	assert_true(f->holder.known);
	assert_int_equal(f->holder.pid, 200);
	assert_string_equal(f->holder.unit, "leaky.service");
	assert_true(f->allocator.known);
	assert_int_equal(f->allocator.pid, 201);
	assert_true(fabs(f->rate_per_s - 50) < 2);
	assert_true(f->limit == 20000);
	assert_true(fabs(f->exhaustion_s - (20000 - leak_fds_total(N - 1)) / 50.0) < 20);
	assert_int_equal(f->nstack, 3);
	assert_string_equal(f->subsystem, "kernel: do_eventfd");
	assert_true(f->confidence >= 0.9);
	assert_true(f->nseries == 2); /* its own series and filp's */
	/* The SysV queue: held by no process, the sender named. */
	f = find(&d, FINDING_LEAK, "SysV message queue 32768");
	assert_non_null(f);
	assert_false(f->holder.known);
	assert_true(f->allocator.known);
	assert_int_equal(f->allocator.pid, 500);
	assert_true(f->exhaustion_s > 0);
	assert_int_equal(leaks, 2);
	/* The growing dentry cache is cache growth. */
	assert_non_null(find(&d, FINDING_CACHE, "dentry"));
	/* 900 of 1024 fds, flat: near its limit. */
	f = find(&d, FINDING_NEAR_LIMIT, "fds of nearly (pid 400)");
	assert_non_null(f);
	assert_int_equal(f->holder.pid, 400);
	/* Leaks first. */
	assert_int_equal(d.findings[0].kind, FINDING_LEAK);
	diagnosis_release(&d);
	series_set_free(set);
}

static void test_stack_targets(void **state)
{
	struct series_set *set = zoo();
	struct diagnosis_inputs in;
	char tags[8][64];
	size_t n, i;
	bool filp = false;

	(void)state;
	inputs(&in, set);
	n = diagnosis_stack_targets(&in, tags, 8);
	for (i = 0; i < n; i++) {
		filp |= strcmp(tags[i], "filp") == 0;
		/* Reclaimable growth and noise are not worth a recording. */
		assert_string_not_equal(tags[i], "dentry");
		assert_string_not_equal(tags[i], "kmalloc-64");
	}
	assert_true(filp);
	series_set_free(set);
}

static void test_quiet_machine(void **state)
{
	struct series_set *set = series_set_new();
	struct diagnosis_inputs in;
	struct diagnosis d = {0};
	char n[128];

	(void)state;
	add_series(set, series_name_slab(n, sizeof(n), "kmalloc-64", "objs"), kmalloc_noise, -1, 0, N);
	add_series(set, series_name_proc(n, sizeof(n), 302, 9, "fds/eventfd"), big_flat, -1, 0, N);
	inputs(&in, set);
	in.nstacks = in.nowners = 0;
	assert_int_equal(diagnosis_build(&in, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.checked.series, 2);
	assert_int_equal(d.checked.growing, 0);
	diagnosis_release(&d);
	series_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zoo_verdicts),
		cmocka_unit_test(test_stack_targets),
		cmocka_unit_test(test_quiet_machine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
