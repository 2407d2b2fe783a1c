/* Trace analysis as a library (what diagnose calls after recording): the
 * known workload of report_trace.h opened, windowed and filtered, with
 * exact per-tag totals, the suspects, and every error as -errno with a
 * reason naming the file — no output. */
#include "test_util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "analysis/trace_analysis.h"
#include "report_trace.h"

#define N_KEPT 12
#define M_CHURN 7

static char path[PATH_MAX];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/poolscope-ta.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return rt_write(path, N_KEPT, M_CHURN);
}

static int teardown(void **state)
{
	(void)state;
	return unlink(path);
}

static const struct tag_totals *tag(const struct trace_analysis *ta, const char *name)
{
	size_t i;

	for (i = 0; i < ta->ntags; i++)
		if (strcmp(trace_names__string(&ta->names, ta->tags[i].tag_id), name) == 0)
			return &ta->tags[i];
	return NULL;
}

static struct trace_analysis *analyse(const struct trace_analysis_opts *opts)
{
	struct trace_analysis *ta = NULL;
	char err[256] = "";

	assert_int_equal(trace_analysis__open(path, &ta, err, sizeof(err)), 0);
	assert_int_equal(trace_analysis__run(ta, opts, err, sizeof(err)), 0);
	return ta;
}

static void test_whole_trace(void **state)
{
	struct trace_analysis_opts opts;
	struct trace_analysis *ta;
	const struct tag_totals *t;

	(void)state;
	trace_analysis_opts_init(&opts);
	ta = analyse(&opts);
	assert_int_equal(ta->from_ns, RT_START);
	assert_int_equal(ta->end_ns, RT_START + 12 * RT_SEC);
	assert_false(ta->truncated);
	assert_int_equal(ta->ntags, 3);
	t = tag(ta, "eventfd_ctx");
	assert_non_null(t);
	assert_int_equal(t->count[AC_AIFO], N_KEPT);
	assert_int_equal(t->bytes[AC_AIFO], N_KEPT * 64);
	assert_int_equal(t->count[AC_AIFI], M_CHURN);
	assert_int_equal(t->count[AC_AOFI], 0);
	/* the first kept eventfd, at 1 s, is 11 s old at 12 s */
	assert_int_equal(t->oldest_ns, RT_START + RT_SEC);
	t = tag(ta, "kmalloc-64");
	assert_non_null(t);
	assert_int_equal(t->count[AC_AIFO], 0);
	assert_int_equal(t->count[AC_AIFI], 10);
	assert_int_equal(t->count[AC_AOFI], 1);
	assert_int_equal(t->oldest_ns, 0);
	t = tag(ta, "page-order-0");
	assert_non_null(t);
	assert_int_equal(t->count[AC_AIFI], 1);
	/* The kept eventfds grow steadily (tag and stack); kmalloc-64 grows
	 * and shrinks again: not a suspect. */
	assert_int_equal(ta->nsuspects, 2);
	assert_string_equal(trace_names__string(&ta->names, ta->suspects[0].tag_id), "eventfd_ctx");
	assert_string_equal(trace_names__string(&ta->names, ta->suspects[1].tag_id), "eventfd_ctx");
	assert_int_equal(ta->suspects[0].aifo, N_KEPT);
	/* Outstanding over time spans the window, not only up to the last
	 * event (11.15 s): an old leak must not look brand new. */
	assert_true(trend__nbuckets(ta->trend) * trend__bucket_ns(ta->trend) >=
		    ta->end_ns - ta->from_ns);
	trace_analysis__free(ta);
}

/* From 2 s on: the two kept before are AOFO; times through the trace's
 * clocks; a tag filter leaves the other tags out of the totals. */
static void test_window_and_filter(void **state)
{
	struct trace_analysis_opts opts;
	struct trace_analysis *ta = NULL;
	const struct tag_totals *t;
	char err[256];
	uint64_t from;

	(void)state;
	assert_int_equal(trace_analysis__open(path, &ta, err, sizeof(err)), 0);
	trace_analysis_opts_init(&opts);
	assert_int_equal(trace_analysis__parse_time(ta, "2", &from), 0);
	assert_int_equal(from, RT_START + 2 * RT_SEC);
	assert_int_equal(trace_analysis__parse_time(ta, "@5", &from), 0);
	assert_int_equal(from, 5);
	assert_int_equal(trace_analysis__parse_time(ta, "2000ms", &opts.from_ns), 0);
	assert_int_equal(trace_analysis__parse_time(ta, "soon", &from), -EINVAL);
	assert_int_equal(globlist_add(&opts.filter.tags, "eventfd_ctx"), 0);
	assert_int_equal(trace_analysis__run(ta, &opts, err, sizeof(err)), 0);
	assert_int_equal(ta->ntags, 1);
	t = tag(ta, "eventfd_ctx");
	assert_non_null(t);
	assert_int_equal(t->count[AC_AOFO], 2);
	assert_int_equal(t->count[AC_AIFO], N_KEPT - 2);
	assert_true(fabs(trace_analysis__rel_s(ta, ta->from_ns) - 2.0) < 1e-9);
	trace_analysis__free(ta);
	globlist_clear(&opts.filter.tags);
}

static void test_errors(void **state)
{
	struct trace_analysis_opts opts;
	struct trace_analysis *ta = NULL;
	char err[256] = "";

	(void)state;
	assert_int_equal(trace_analysis__open("/nonexistent/x.pstrace", &ta, err, sizeof(err)),
			 -ENOENT);
	assert_null(ta);
	assert_non_null(strstr(err, "/nonexistent/x.pstrace"));
	assert_int_equal(trace_analysis__open("/etc/passwd", &ta, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/etc/passwd"));
	trace_analysis__free(NULL);

	trace_analysis_opts_init(&opts);
	opts.from_ns = RT_START + 3 * RT_SEC;
	opts.to_ns = RT_START + 2 * RT_SEC;
	assert_int_equal(trace_analysis__open(path, &ta, err, sizeof(err)), 0);
	assert_int_equal(trace_analysis__run(ta, &opts, err, sizeof(err)), -EDOM);
	trace_analysis__free(ta);

	trace_analysis_opts_init(&opts);
	opts.from_ns = RT_START + 20 * RT_SEC;
	assert_int_equal(trace_analysis__open(path, &ta, err, sizeof(err)), 0);
	assert_int_equal(trace_analysis__run(ta, &opts, err, sizeof(err)), -ERANGE);
	assert_int_equal(ta->last_ns, RT_START + 12 * RT_SEC);
	trace_analysis__free(ta);
}

/* A view's group_opts: the run's filter classes win over the view's. */
static void test_group_opts(void **state)
{
	static const enum group_dim dims[] = { GD_TAG };
	struct trace_analysis_opts opts;
	struct trace_analysis *ta;
	struct group_opts g;

	(void)state;
	trace_analysis_opts_init(&opts);
	ta = analyse(&opts);
	g = trace_analysis__group_opts(ta, dims, 1, 1u << AC_AIFO);
	assert_int_equal(g.classes, 1u << AC_AIFO);
	assert_int_equal(g.ndims, 1);
	assert_int_equal(g.end_ns, ta->end_ns);
	assert_ptr_equal(g.names, &ta->names);
	trace_analysis__free(ta);
	opts.filter.classes = 1u << AC_AIFI;
	ta = analyse(&opts);
	g = trace_analysis__group_opts(ta, dims, 1, 1u << AC_AIFO);
	assert_int_equal(g.classes, 1u << AC_AIFI);
	/* --type AIFI: the tag totals hold AIFI only */
	assert_int_equal(tag(ta, "eventfd_ctx")->count[AC_AIFO], 0);
	assert_int_equal(tag(ta, "eventfd_ctx")->count[AC_AIFI], M_CHURN);
	trace_analysis__free(ta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_trace),
		cmocka_unit_test(test_window_and_filter),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_group_opts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
