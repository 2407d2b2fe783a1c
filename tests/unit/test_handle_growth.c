/* Handle growth: the diff of two snapshots per (process, kind), including a
 * process whose total stays flat while one kind grows. */
#include "test_util.h"

#include "analysis/handle_growth.h"

static const struct handles_growth *find(const struct handles_growth *g, int n, int pid,
					 enum fd_kind kind)
{
	int i;

	for (i = 0; i < n; i++)
		if (g[i].pid == pid && g[i].kind == kind)
			return &g[i];
	return NULL;
}

static void test_diff(void **state)
{
	struct proc_handles before[3] = { 0 }, after[3] = { 0 };
	struct handles_snapshot b = { .procs = before, .count = 3, .taken_ns = 0 };
	struct handles_snapshot a = { .procs = after, .count = 3, .taken_ns = 30000000000ull };
	struct handles_growth *g;
	int n;

	(void)state;
	/* pid 10 grows eventfds by 60 in 30 s; pid 11 shrinks; pid 12 is a new
	 * process on a reused pid (other starttime) and must not count. */
	before[0] = (struct proc_handles){ .pid = 10, .starttime = 5, .fds = 10 };
	before[0].kinds[FD_KIND_EVENTFD] = 4;
	after[0] = before[0];
	after[0].fds = 70;
	after[0].kinds[FD_KIND_EVENTFD] = 64;
	before[1] = (struct proc_handles){ .pid = 11, .starttime = 5, .fds = 10 };
	after[1] = (struct proc_handles){ .pid = 11, .starttime = 5, .fds = 3 };
	before[2] = (struct proc_handles){ .pid = 12, .starttime = 5, .fds = 1 };
	after[2] = (struct proc_handles){ .pid = 12, .starttime = 9, .fds = 500 };
	assert_int_equal(handles_diff(&b, &a, &g, &n), 0);
	assert_int_equal(n, 2); /* pid 10: eventfd and total */
	assert_int_equal(g[0].pid, 10);
	assert_int_equal(g[0].after - g[0].before, 60);
	assert_true(g[0].per_minute > 119.9 && g[0].per_minute < 120.1);
	assert_true(g[0].kind == FD_KIND_EVENTFD || g[0].kind == FD_KIND_COUNT);
	assert_true(g[1].kind != g[0].kind);
	free(g);
}

static void test_diff_flat_total(void **state)
{
	struct proc_handles before[2] = { 0 }, after[2] = { 0 };
	struct handles_snapshot b = { .procs = before, .count = 2, .taken_ns = 0 };
	struct handles_snapshot a = { .procs = after, .count = 2, .taken_ns = 60000000000ull };
	const struct handles_growth *row;
	struct handles_growth *g;
	int n;

	(void)state;
	/* pid 20 opens 200 eventfds while closing 200 pipes: its total stays at
	 * 210, its eventfds grow. pid 21 shrinks overall but grows one socket. */
	before[0] = (struct proc_handles){ .pid = 20, .starttime = 7, .fds = 210 };
	before[0].kinds[FD_KIND_PIPE] = 205;
	before[0].kinds[FD_KIND_FILE] = 5;
	after[0] = (struct proc_handles){ .pid = 20, .starttime = 7, .fds = 210 };
	after[0].kinds[FD_KIND_PIPE] = 5;
	after[0].kinds[FD_KIND_FILE] = 5;
	after[0].kinds[FD_KIND_EVENTFD] = 200;
	before[1] = (struct proc_handles){ .pid = 21, .starttime = 7, .fds = 20 };
	before[1].kinds[FD_KIND_FILE] = 20;
	after[1] = (struct proc_handles){ .pid = 21, .starttime = 7, .fds = 11 };
	after[1].kinds[FD_KIND_FILE] = 10;
	after[1].kinds[FD_KIND_TCP] = 1;
	assert_int_equal(handles_diff(&b, &a, &g, &n), 0);
	assert_int_equal(n, 2); /* no total rows: neither total grew */
	row = find(g, n, 20, FD_KIND_EVENTFD);
	assert_non_null(row);
	assert_int_equal(row->before, 0);
	assert_int_equal(row->after, 200);
	assert_true(row->per_minute > 199.9 && row->per_minute < 200.1);
	assert_ptr_equal(row, &g[0]); /* the biggest growth first */
	assert_null(find(g, n, 20, FD_KIND_COUNT));
	assert_non_null(find(g, n, 21, FD_KIND_TCP));
	assert_null(find(g, n, 21, FD_KIND_COUNT));
	free(g);
}

static void test_diff_empty(void **state)
{
	struct handles_snapshot b = { 0 }, a = { 0 };
	struct handles_growth *g = (void *)1;
	int n = -1;

	(void)state;
	assert_int_equal(handles_diff(&b, &a, &g, &n), 0);
	assert_int_equal(n, 0);
	free(g);
	handle_growth_result_release(NULL);
	handle_growth_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_diff_flat_total),
		cmocka_unit_test(test_diff_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
