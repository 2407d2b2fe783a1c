/* `poolscope report` end to end on a known workload written with the real
 * trace writer (report_trace.h): exact AIFO/AIFI/AOFI per tag and per stack,
 * golden output for every format (tests/fixtures/report/, checked by hand),
 * and bad input giving one line and exit 2. */
#include "test_util.h"

#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

#include "report_trace.h"

#define N_KEPT 12
#define M_CHURN 7

static char dir[PATH_MAX];
static char bin[PATH_MAX];

static int setup(void **state)
{
	char path[PATH_MAX + 32];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/poolscope-report-golden.XXXXXX");
	if (!mkdtemp(dir) || !realpath(test_poolscope(), bin))
		return -1;
	snprintf(path, sizeof(path), "%s/known.pstrace", dir);
	return rt_write(path, N_KEPT, M_CHURN);
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Run `poolscope report ARGS` in the trace's directory (paths in the
 * output stay relative, so goldens do not depend on where tests run). */
static char *report(const char *args, int *status)
{
	char cmd[3 * PATH_MAX];

	/* timeout: bad input must never hang (a FIFO once waited for a writer) */
	snprintf(cmd, sizeof(cmd), "cd '%s' && timeout 20 '%s' report %s 2>&1", dir, bin, args);
	return test_capture(cmd, status);
}

static void check_golden(const char *args, const char *golden)
{
	char path[PATH_MAX];
	char *want, *got;
	int status;

	snprintf(path, sizeof(path), FIXTURES_DIR "/report/%s", golden);
	want = test_slurp(path);
	assert_non_null(want);
	got = report(args, &status);
	assert_non_null(got);
	assert_int_equal(WEXITSTATUS(status), 0);
	if (strcmp(want, got) != 0)
		print_error("report %s differs from %s:\n%s\n", args, path, got);
	assert_string_equal(want, got);
	free(want);
	free(got);
}

static void test_golden_text(void **state)
{
	(void)state;
	check_golden("known.pstrace", "known.txt");
}

static void test_golden_group_text(void **state)
{
	(void)state;
	check_golden("--group type,tag,stack,size --type AIFO,AIFI known.pstrace", "known-group.txt");
}

static void test_golden_csv(void **state)
{
	(void)state;
	check_golden("-f csv -g type,tag,stack,size known.pstrace", "known.csv");
}

static void test_golden_json(void **state)
{
	(void)state;
	check_golden("-f json -g tag,stack,process,comm known.pstrace", "known.json");
}

static void test_golden_folded(void **state)
{
	(void)state;
	check_golden("-f folded known.pstrace", "known.folded");
}

static void test_golden_html(void **state)
{
	(void)state;
	check_golden("-f html known.pstrace", "known.html");
}

static void test_golden_diff(void **state)
{
	char path[PATH_MAX + 32];

	(void)state;
	snprintf(path, sizeof(path), "%s/fewer.pstrace", dir);
	assert_int_equal(rt_write(path, 4, M_CHURN), 0);
	check_golden("--diff -f csv fewer.pstrace known.pstrace", "known-diff.csv");
}

/* pprof: the gzip'd profile, inflated, equals the golden protobuf. */
static void test_golden_pprof(void **state)
{
	char out[PATH_MAX + 32], golden[PATH_MAX], args[PATH_MAX + 64];
	unsigned char got[65536];
	char *want_raw;
	gzFile gz;
	int status, n;
	struct stat st;
	FILE *f;
	char *msg;

	(void)state;
	snprintf(out, sizeof(out), "%s/known.pb.gz", dir);
	snprintf(args, sizeof(args), "-f pprof -o '%s' known.pstrace", out);
	msg = report(args, &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(msg, "");
	free(msg);
	gz = gzopen(out, "rb");
	assert_non_null(gz);
	n = gzread(gz, got, sizeof(got));
	gzclose(gz);
	assert_true(n > 100);
	snprintf(golden, sizeof(golden), FIXTURES_DIR "/report/known.pb");
	assert_int_equal(stat(golden, &st), 0);
	assert_int_equal(st.st_size, n);
	want_raw = malloc((size_t)n);
	f = fopen(golden, "rb");
	assert_non_null(f);
	assert_int_equal(fread(want_raw, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_memory_equal(want_raw, got, (size_t)n);
	free(want_raw);
}

/* The truth, through the CLI's CSV: per tag and per stack, exact. */
static void test_exact_counts(void **state)
{
	int status;
	char *csv;

	(void)state;
	csv = report("-f csv -g tag,stack,type known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* tag,stack_id,stack,type,count,... */
	assert_non_null(strstr(csv, "eventfd_ctx,1,"));
	assert_non_null(strstr(csv, "entry_SYSCALL_64_after_hwframe+0x44\",AIFO,12,768,12,0,12,"));
	assert_non_null(strstr(csv, "entry_SYSCALL_64_after_hwframe+0x44\",AIFI,7,448,7,7,0,"));
	assert_non_null(strstr(csv, "helper_fn+0x10 [demo_mod]\",AIFI,10,640,10,10,0,"));
	assert_non_null(strstr(csv, "\nkmalloc-64,,,AOFI,1,0,0,1,0,"));
	assert_non_null(strstr(csv, "\npage-order-0,3,\"__alloc_pages+0x88,pipe_write+0x99,"
			       "do_syscall_64+0x33\",AIFI,1,4096,1,1,0,"));
	free(csv);
	/* A window that ends at 3.2 s: kept eventfds at 1.0 … 3.0 s are
	 * AIFO (5), the churn opened before 3.2 s closed inside it (M all). */
	csv = report("-f csv -g tag,type --to 3.2 --tag eventfd_ctx known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(csv, "eventfd_ctx,AIFO,5,320,"));
	assert_non_null(strstr(csv, "eventfd_ctx,AIFI,7,448,"));
	free(csv);
	/* The same end as a UTC wall-clock time (the trace started at
	 * 2025-11-24T16:00:00Z), and as an absolute monotonic timestamp. */
	csv = report("-f csv -g tag,type --to 2025-11-24T16:00:03.2Z --tag eventfd_ctx known.pstrace",
		     &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(csv, "eventfd_ctx,AIFO,5,320,"));
	free(csv);
	csv = report("-f csv -g tag,type --to @1003200000000 --tag eventfd_ctx known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(csv, "eventfd_ctx,AIFO,5,320,"));
	free(csv);
	/* From 2 s on: the 2 kept before are AOFO, the rest AIFO. */
	csv = report("-f csv -g tag,type --from 2 --tag eventfd_ctx -s type known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(csv, "eventfd_ctx,AIFO,10,640,"));
	assert_non_null(strstr(csv, "eventfd_ctx,AOFO,2,128,"));
	free(csv);
}

/* The summary and JSON totals count what the filters select, and the
 * Window line the records inside the window (issue 9: `--tag filp` showed
 * every tag's AIFO, and the records from the trace's start). */
static void test_filtered_summary(void **state)
{
	int status;
	char *out;

	(void)state;
	out = report("--tag eventfd_ctx --from 2 known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, "Window: 2.000 s to 12.000 s (10.000 s); 10 records: 10 allocs, "
				    "0 frees\n"));
	assert_non_null(strstr(out, "Outstanding at the end: AIFO 10 (640 B), AOFO 2; AIFI 0, AOFI 0;"
				    " oldest 11.0 s\n"));
	free(out);
	/* unfiltered, from 2 s: 10 kept + 6 kworker + 1 page allocations; 10
	 * kworker frees, the page's and the free of the object from before */
	out = report("--from 2 known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, "; 29 records: 17 allocs, 12 frees\n"));
	free(out);
	out = report("-f json --pid 17 known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, "\"aifo\":0,\"aifo_bytes\":0,\"aifi\":10,\"aifi_bytes\":640,"
				    "\"aofi\":1,\"aofi_bytes\":0,\"aofo\":0,\"aofo_bytes\":0,"
				    "\"records\":21,\"allocs\":10,\"frees\":11,\"unmatched_frees\":1,"));
	free(out);
}

/* -f folded honours --group: its dimensions above the frames (issue 9:
 * -g was ignored without a word); pprof, always per tag and stack,
 * refuses it in one line. */
static void test_folded_group(void **state)
{
	int status;
	char *out;

	(void)state;
	out = report("-f folded -g comm,tag known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "fdleak;eventfd_ctx;entry_SYSCALL_64_after_hwframe;do_syscall_64;"
				 "__x64_sys_eventfd2;do_eventfd;eventfd_create;kmem_cache_alloc 12\n");
	free(out);
	out = report("-f folded -g comm known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "fdleak;entry_SYSCALL_64_after_hwframe;do_syscall_64;"
				 "__x64_sys_eventfd2;do_eventfd;eventfd_create;kmem_cache_alloc 12\n");
	free(out);
	out = report("-f pprof -g comm -o /dev/null known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 2);
	assert_non_null(strstr(out, "--group does not apply to -f pprof"));
	free(out);
}

static void test_filters(void **state)
{
	int status;
	char *out;

	(void)state;
	out = report("-f csv -g tag --pid 17 known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "tag,count,bytes,allocs,frees,outstanding,oldest_age_s\n"
				 "kmalloc-64,11,640,10,11,0,\n");
	free(out);
	out = report("-f csv -g comm --comm 'fd*' --size 4096 known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "comm,count,bytes,allocs,frees,outstanding,oldest_age_s\n"
				 "fdleak,1,4096,1,1,0,\n");
	free(out);
	out = report("-f csv -g function --type AIFO known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "function,count,bytes,allocs,frees,outstanding,oldest_age_s\n"
				 "eventfd_create,12,768,12,0,12,11.000000\n");
	free(out);
	out = report("-f csv -g function --frame 2 --type AIFO -n 1 known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, "\ndo_eventfd,12,"));
	free(out);
	out = report("-f csv -g tag -s tag:asc known.pstrace", &status);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, "\neventfd_ctx,"));
	assert_true(strstr(out, "eventfd_ctx") < strstr(out, "page-order-0"));
	free(out);
}

static void expect_usage(const char *args, const char *needle)
{
	int status;
	char *out = report(args, &status);

	assert_int_equal(WEXITSTATUS(status), 2);
	if (!strstr(out, needle))
		print_error("'%s' said: %s\n", args, out);
	assert_non_null(strstr(out, needle));
	/* one line */
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
}

static void test_bad_input(void **state)
{
	char cmd[3 * PATH_MAX];

	(void)state;
	snprintf(cmd, sizeof(cmd), "cd '%s' && echo 'hello, not a trace' > junk && "
		 "head -c 20 known.pstrace > cut && cp known.pstrace flipped && "
		 "printf '\\377' | dd of=flipped bs=1 seek=200 conv=notrunc 2>/dev/null && "
		 "mkdir -p adir && rm -f fifo && mkfifo fifo", dir);
	assert_int_equal(system(cmd), 0);
	expect_usage("junk", "junk");
	expect_usage("cut", "cut");
	expect_usage("flipped", "offset");
	expect_usage("missing-file", "missing-file");
	expect_usage("fifo", "fifo: not a regular file");
	expect_usage("adir", "adir: not a regular file");
	expect_usage("/dev/null", "not a regular file");
	expect_usage("--group tag,bogus known.pstrace", "bogus");
	expect_usage("--type AIFX known.pstrace", "--type");
	expect_usage("--from soon known.pstrace", "--from");
	expect_usage("--from 2020-01-01T00:00:00Z known.pstrace", "--from");
	expect_usage("--from 5 --to 2 known.pstrace", "before --from");
	expect_usage("--from 99999 known.pstrace", "is after the end of known.pstrace");
	expect_usage("-o '' known.pstrace", "--output wants a file name");
	expect_usage("--sort nosuch -f csv known.pstrace", "--sort");
	expect_usage("--sort nosuch known.pstrace", "--sort");
	expect_usage("known.pstrace known.pstrace", "expected one trace file (see 'poolscope");
	expect_usage("--sort bytes -f folded known.pstrace", "--sort");
	expect_usage("--sort bytes --diff known.pstrace known.pstrace", "--sort");
	expect_usage("--vmlinux junk known.pstrace", "not an ELF file");
	expect_usage("--vmlinux no-such-vmlinux known.pstrace", "no-such-vmlinux: No such file");
	expect_usage("-f xml known.pstrace", "--format");
	expect_usage("--diff known.pstrace", "two trace files");
}

/* -o FILE appears complete or not at all: an error found after the output
 * was opened (a bad --sort or --group is only known once the table is built)
 * leaves an existing FILE untouched and creates no new one; success replaces
 * it whole; nothing hidden is left beside it; devices are written in place. */
static void test_output_file_all_or_nothing(void **state)
{
	char path[PATH_MAX + 32], cmd[3 * PATH_MAX];
	struct stat st;
	char *old, *got, *want;
	int status;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.csv", dir);
	snprintf(cmd, sizeof(cmd), "echo 'yesterday' > '%s'", path);
	assert_int_equal(system(cmd), 0);
	free(report("-o out.csv -f csv -s nosuch known.pstrace", &status));
	assert_int_equal(WEXITSTATUS(status), 2);
	old = test_slurp(path);
	assert_non_null(old);
	assert_string_equal(old, "yesterday\n");
	free(old);

	free(report("-o new.json -f json -g tag,bogus known.pstrace", &status));
	assert_int_equal(WEXITSTATUS(status), 2);
	snprintf(path, sizeof(path), "%s/new.json", dir);
	assert_int_not_equal(access(path, F_OK), 0);

	free(report("-o out.csv -f csv known.pstrace", &status));
	assert_int_equal(WEXITSTATUS(status), 0);
	want = report("-f csv known.pstrace", &status);
	snprintf(path, sizeof(path), "%s/out.csv", dir);
	got = test_slurp(path);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);

	/* no hidden leftovers (".out.csv.PID.N.tmp") beside the outputs */
	snprintf(cmd, sizeof(cmd), "cd '%s' && ls -A | grep -q '^\\.'", dir);
	assert_int_not_equal(system(cmd), 0);

	free(report("-o /dev/null known.pstrace", &status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

/* --help documents every option and exits 0. */
static void test_help(void **state)
{
	static const char *const options[] = { "--format", "--output", "--from", "--to", "--group",
						"--type", "--tag", "--pid", "--comm", "--size",
						"--sort", "--top", "--frame", "--diff", "--vmlinux" };
	int status;
	size_t i;
	char *out = report("--help", &status);

	(void)state;
	assert_int_equal(WEXITSTATUS(status), 0);
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		assert_non_null(strstr(out, options[i]));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_counts),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_filtered_summary),
		cmocka_unit_test(test_folded_group),
		cmocka_unit_test(test_golden_text),
		cmocka_unit_test(test_golden_group_text),
		cmocka_unit_test(test_golden_csv),
		cmocka_unit_test(test_golden_json),
		cmocka_unit_test(test_golden_folded),
		cmocka_unit_test(test_golden_html),
		cmocka_unit_test(test_golden_diff),
		cmocka_unit_test(test_golden_pprof),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_output_file_all_or_nothing),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
