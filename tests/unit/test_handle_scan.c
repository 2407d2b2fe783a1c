/* The scanner's pure parts: sort keys, the kind filter, sorting a snapshot,
 * fd percentages; processes built from /proc/PID/stat captures. */
#include "test_util.h"

#include <errno.h>

#include "model/handle_scan.h"

#define FX FIXTURES_DIR "/handles/"

static void proc_from_stat(const char *fixture, struct proc_handles *p)
{
	char *text = test_slurp(fixture);
	struct proc_stat st;

	assert_non_null(text);
	assert_int_equal(proc_stat_parse(text, &st), 0);
	memset(p, 0, sizeof(*p));
	memcpy(p->comm, st.comm, sizeof(p->comm));
	p->threads = st.threads;
	p->starttime = st.starttime;
	p->maps = HANDLES_UNKNOWN;
	p->fd_soft_limit = HANDLES_UNKNOWN;
	free(text);
}

static void test_sort_parse(void **state)
{
	enum handle_sort key;
	enum fd_kind kind;

	(void)state;
	assert_int_equal(handle_sort_parse("fd-pct", &key, &kind), 0);
	assert_int_equal(key, HANDLE_SORT_FD_PCT);
	assert_int_equal(handle_sort_parse("eventfd", &key, &kind), 0);
	assert_int_equal(key, HANDLE_SORT_KIND);
	assert_int_equal(kind, FD_KIND_EVENTFD);
	assert_int_equal(handle_sort_parse("bogus", &key, &kind), -EINVAL);
}

static void test_kind_filter(void **state)
{
	struct handle_kind_filter socket = { .on = true, .kind = FD_KIND_SOCKET };
	struct handle_kind_filter pipe = { .on = true, .kind = FD_KIND_PIPE };
	struct handle_kind_filter every = { 0 };
	struct proc_handles p = { 0 };

	(void)state;
	p.kinds[FD_KIND_TCP] = 3;
	p.kinds[FD_KIND_UNIX] = 2;
	p.kinds[FD_KIND_PIPE] = 4;
	p.kinds[FD_KIND_FILE] = 1;
	assert_true(handle_kind_filter_matches(&socket, FD_KIND_NETLINK));
	assert_false(handle_kind_filter_matches(&socket, FD_KIND_PIPE));
	assert_true(handle_kind_filter_matches(&every, FD_KIND_PIPE));
	assert_true(handle_kind_filter_matches(NULL, FD_KIND_PIPE));
	assert_int_equal(handle_kind_filter_count(&socket, &p), 5);
	assert_int_equal(handle_kind_filter_count(&pipe, &p), 4);
	assert_int_equal(handle_kind_filter_count(&every, &p), 10);
}

static void test_sort(void **state)
{
	struct proc_handles procs[4];
	struct handles_snapshot snap = { .procs = procs, .count = 4 };
	struct handle_kind_filter socket = { .on = true, .kind = FD_KIND_SOCKET };

	(void)state;
	proc_from_stat(FX "stat-holder.txt", &procs[0]);
	proc_from_stat(FX "stat-comm-parens.txt", &procs[1]);
	proc_from_stat(FX "stat-holder.txt", &procs[2]);
	proc_from_stat(FX "stat-holder.txt", &procs[3]);
	procs[0].pid = 40, procs[0].fds = 5, procs[0].uid = 1000, procs[0].maps = 30;
	procs[1].pid = 30, procs[1].fds = 9, procs[1].uid = 0;
	procs[2].pid = 20, procs[2].fds = 9, procs[2].uid = 0, procs[2].maps = 10;
	procs[3].pid = 10, procs[3].fds = 1, procs[3].uid = 33, procs[3].fd_soft_limit = 2;
	procs[0].kinds[FD_KIND_TCP] = 4;
	procs[2].kinds[FD_KIND_UDP] = 1;
	procs[2].kinds[FD_KIND_UNIX] = 1;
	procs[1].kinds[FD_KIND_UDP] = 1;

	/* fds descending, ties by pid. */
	handle_snapshot_sort(&snap, HANDLE_SORT_FDS, FD_KIND_FILE, NULL, NULL);
	assert_int_equal(procs[0].pid, 20);
	assert_int_equal(procs[1].pid, 30);
	assert_int_equal(procs[2].pid, 40);
	assert_int_equal(procs[3].pid, 10);
	/* Mappings not read sort last. */
	handle_snapshot_sort(&snap, HANDLE_SORT_MAPS, FD_KIND_FILE, NULL, NULL);
	assert_int_equal(procs[0].pid, 40);
	assert_int_equal(procs[1].pid, 20);
	assert_int_equal(procs[2].pid, 30);
	/* By one kind; with -t socket, by every socket kind. */
	handle_snapshot_sort(&snap, HANDLE_SORT_KIND, FD_KIND_UDP, NULL, NULL);
	assert_int_equal(procs[0].pid, 20); /* one udp each: more fds first, then pid */
	assert_int_equal(procs[1].pid, 30);
	assert_int_equal(procs[2].pid, 40); /* no udp: more fds first */
	assert_int_equal(procs[3].pid, 10);
	handle_snapshot_sort(&snap, HANDLE_SORT_KIND, FD_KIND_SOCKET, &socket, NULL);
	assert_int_equal(procs[0].pid, 40);
	assert_int_equal(procs[1].pid, 20);
	assert_int_equal(procs[2].pid, 30);
	/* Without user names, by uid. */
	handle_snapshot_sort(&snap, HANDLE_SORT_USER, FD_KIND_FILE, NULL, NULL);
	assert_int_equal(procs[0].pid, 20); /* uid 0, 9 fds, lower pid */
	assert_int_equal(procs[1].pid, 30);
	assert_int_equal(procs[2].pid, 10);
	assert_int_equal(procs[3].pid, 40);
	/* By comm: the comm with parentheses sorts before "handleholder". */
	handle_snapshot_sort(&snap, HANDLE_SORT_COMM, FD_KIND_FILE, NULL, NULL);
	assert_true(strcmp(procs[0].comm, procs[3].comm) <= 0);
	/* fd% known only with a limit: 1 of 2 is 50%. */
	handle_snapshot_sort(&snap, HANDLE_SORT_FD_PCT, FD_KIND_FILE, NULL, NULL);
	assert_int_equal(procs[0].pid, 10);
	assert_true(proc_handles_fd_pct(&procs[0]) > 49.9 && proc_handles_fd_pct(&procs[0]) < 50.1);
	assert_true(proc_handles_fd_pct(&procs[1]) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_parse),
		cmocka_unit_test(test_kind_filter),
		cmocka_unit_test(test_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
