/* record's batched event path against this kernel (root): each CPU stages
 * its events and hands them on a batch at a time, so the recorder merges
 * them by time. An eventfd opened on CPU 0 and closed on CPU 1 microseconds
 * later is recorded alloc first, free second, every time; and what is still
 * staged when the recording stops (SIGINT, SIGTERM, --duration) is in the
 * trace: with POOLSCOPE_RECORD_STAGE_HOLD=1 nothing is flushed by age, so
 * the last partial batch of each CPU reaches the trace only by the stop. */
#include "record_test.h"

#include "bpf/record_abi.h"

enum { KEEP = 300, CHURN = 500 };

/* Wait for a recorder that stops by itself (--duration), up to 20 s. */
static char *record_wait(pid_t pid)
{
	int status;

	for (int i = 0; i < 400; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			recording = 0;
			if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
				fail_msg("poolscope record failed (status %d): %s", status,
					 test_slurp(out_path));
			return test_slurp(out_path);
		}
		sleep_ms(50);
	}
	fail_msg("poolscope record did not stop by its --duration");
	return NULL;
}

/* One stop: 0 = --duration. The leaker's tags: KEEP outstanding, CHURN freed. */
static void stop_one_way(int sig)
{
	struct leaker lk;
	struct trace_facts tf;
	struct truth t = { 0 };
	char pidarg[32], line[64];
	int pid;
	const char *keep = "300", *churn = "500";

	leaker_start(&lk, "0", keep, churn);
	assert_non_null(fgets(line, sizeof(line), lk.from));
	assert_int_equal(sscanf(line, "ready %d", &pid), 1);
	snprintf(pidarg, sizeof(pidarg), "%d", pid);
	const char *with_sig[] = { "--pid", pidarg, "--tag", "filp,dentry,kmalloc-*", NULL };
	const char *with_duration[] = { "--pid", pidarg, "--tag", "filp,dentry,kmalloc-*",
					"--duration", "3s", NULL };
	pid_t rec = record_start(sig ? with_sig : with_duration);

	leaker_go(&lk);
	leaker_expect(&lk, "done");
	/* No pause: the stop itself must hand on what is staged. */
	char *summary = sig ? record_stop(rec, sig) : record_wait(rec);

	leaker_finish(&lk);
	print_message("stop by %s:\n%s", sig ? strsignal(sig) : "--duration", summary);
	assert_non_null(strstr(summary, "lost: 0 ring buffer full"));
	free(summary);
	truth_read(&t, pid, &tf);
	assert_true(t.filp_tag != UINT32_MAX);
	int eventfd_tags = 0;

	for (uint32_t tag = 0; tag < MAX_TAGS; tag++) {
		if (t.allocs[tag] < KEEP || !stack_has(tf.r, t.stack_of[tag], "eventfd2"))
			continue;
		print_message("  %s: %llu allocs, %llu freed\n", trace_reader__string(tf.r, tag),
			      (unsigned long long)t.allocs[tag], (unsigned long long)t.freed[tag]);
		assert_int_equal(t.allocs[tag] - t.freed[tag], KEEP);
		assert_int_equal(t.freed[tag], CHURN);
		eventfd_tags++;
	}
	assert_true(eventfd_tags >= 2);
	assert_int_equal(t.stray_frees, 0);
	truth_release(&t, &tf);
}

static void test_stop_hands_on_staged(void **state)
{
	(void)state;
	REQUIRE_ROOT();
	setenv("POOLSCOPE_RECORD_STAGE_HOLD", "1", 1);
	stop_one_way(SIGINT);
	stop_one_way(SIGTERM);
	stop_one_way(0);
	unsetenv("POOLSCOPE_RECORD_STAGE_HOLD");
}

/* The cross-CPU leaker's filps, in trace order. */
struct xcpu_truth {
	uint32_t tgid, opener, closer;
	struct u64map *live;
	uint64_t allocs, freed, misordered, allocs_cpu0, frees_cpu1;
};

static void visit_xcpu(void *ctx, struct trace_reader *r, const struct trace_record *rec)
{
	struct xcpu_truth *t = ctx;
	uint64_t v;

	if (rec->type == TR_ALLOC && rec->alloc.tgid == t->tgid && rec->alloc.tid == t->opener &&
	    !strcmp(trace_reader__string(r, rec->alloc.tag_id), "filp")) {
		t->allocs++;
		t->allocs_cpu0 += rec->alloc.cpu == 0;
		u64map_set(t->live, rec->alloc.ptr, 1);
	} else if (rec->type == TR_FREE && rec->free.tgid == t->tgid) {
		if (u64map_remove(t->live, rec->free.ptr, &v)) {
			t->freed++;
			t->frees_cpu1 += rec->free.cpu == 1;
		} else if (rec->free.tid == t->closer) {
			t->misordered++; /* its free came before its allocation */
		}
	}
}

static void test_cross_cpu_order(void **state)
{
	(void)state;
	REQUIRE_ROOT();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	const char *args[] = { "200", "20000", NULL };
	struct xcpu_truth t = { 0 };
	struct trace_facts tf;
	struct leaker lk;
	char line[96];
	int pid, opener, closer;

	leaker_spawn(&lk, "xcpu_evleak", args);
	assert_non_null(fgets(line, sizeof(line), lk.from));
	assert_int_equal(sscanf(line, "ready %d %d %d", &pid, &opener, &closer), 3);
	/* The whole machine's filps: no --pid, so no kernel-side live set
	 * pairs the frees; only the merge puts each after its allocation. */
	const char *rargs[] = { "--kinds", "slab", "--tag", "filp", "--no-stacks", NULL };
	pid_t rec = record_start(rargs);

	leaker_go(&lk);
	leaker_expect(&lk, "done");
	char *summary = record_stop(rec, SIGINT);

	leaker_finish(&lk);
	print_message("%s", summary);
	assert_non_null(strstr(summary, "lost: 0 ring buffer full"));
	free(summary);
	t.tgid = (uint32_t)pid;
	t.opener = (uint32_t)opener;
	t.closer = (uint32_t)closer;
	t.live = u64map_new(65536);
	read_trace(&tf, visit_xcpu, &t);
	print_message("opened %llu (%llu on CPU 0), closed %llu (%llu on CPU 1), %llu frees "
		      "before their allocation\n",
		      (unsigned long long)t.allocs, (unsigned long long)t.allocs_cpu0,
		      (unsigned long long)t.freed, (unsigned long long)t.frees_cpu1,
		      (unsigned long long)t.misordered);
	assert_int_equal(t.allocs, 20200);
	assert_int_equal(t.freed, 20000);
	assert_int_equal(t.misordered, 0);
	assert_int_equal(u64map_count(t.live), 200);
	/* The shape the test is about: allocated on one CPU, freed on the other. */
	assert_int_equal(t.allocs_cpu0, t.allocs);
	assert_true(t.frees_cpu1 >= t.freed * 9 / 10);
	trace_reader__close(tf.r);
	u64map_free(t.live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cross_cpu_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_hands_on_staged, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
