/* Fd classification, fdinfo, /proc/PID/stat and limits parsing, on captures
 * from this machine (tests/fixtures/handles/, taken from handleholder), and
 * the handle model's pure parts (top kinds, snapshot diff, anon detail). */
#include "test_util.h"

#include <errno.h>

#include <sys/stat.h>

#include "kernel/limits.h"
#include "kernel/procfd.h"
#include "model/handle_detail.h"
#include "model/handles.h"

#define FX FIXTURES_DIR "/handles/"

static char *fixture(const char *name)
{
	char path[256];
	char *text;

	snprintf(path, sizeof(path), FX "%s", name);
	text = test_slurp(path);
	assert_non_null(text);
	return text;
}

static void test_classify_captured_targets(void **state)
{
	char *text = fixture("fd-targets.txt"), *line, *save = NULL;
	uint32_t kinds[FD_KIND_COUNT] = { 0 };
	int total = 0;

	(void)state;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *target = strchr(line, ' ');

		assert_non_null(target);
		kinds[fd_kind_from_target(target + 1, 0)]++;
		total++;
	}
	/* handleholder 2: 12 sockets, 6 pipes, 2 of each anon kind, 2 memfds,
	 * and 6 paths (std out/err, two /etc/passwd, a deleted file, /tmp). */
	assert_int_equal(total, 38);
	assert_int_equal(kinds[FD_KIND_SOCKET], 12);
	assert_int_equal(kinds[FD_KIND_PIPE], 6);
	assert_int_equal(kinds[FD_KIND_EVENTFD], 2);
	assert_int_equal(kinds[FD_KIND_EPOLL], 2);
	assert_int_equal(kinds[FD_KIND_TIMERFD], 2);
	assert_int_equal(kinds[FD_KIND_SIGNALFD], 2);
	assert_int_equal(kinds[FD_KIND_INOTIFY], 2);
	assert_int_equal(kinds[FD_KIND_PIDFD], 2);
	assert_int_equal(kinds[FD_KIND_MEMFD], 2);
	assert_int_equal(kinds[FD_KIND_FILE], 6);
	assert_int_equal(kinds[FD_KIND_OTHER], 0);
	free(text);
}

static void test_classify_by_mode_and_proto(void **state)
{
	(void)state;
	assert_int_equal(fd_kind_from_target("/tmp", S_IFDIR | 0755), FD_KIND_DIR);
	assert_int_equal(fd_kind_from_target("/dev/null", S_IFCHR | 0666), FD_KIND_DEV);
	assert_int_equal(fd_kind_from_target("/run/fifo", S_IFIFO | 0600), FD_KIND_PIPE);
	assert_int_equal(fd_kind_from_target("/etc/passwd", S_IFREG | 0644), FD_KIND_FILE);
	assert_int_equal(fd_kind_from_target("anon_inode:bpf-map", 0), FD_KIND_BPF);
	assert_int_equal(fd_kind_from_target("anon_inode:[io_uring]", 0), FD_KIND_IO_URING);
	assert_int_equal(fd_kind_from_target("anon_inode:[perf_event]", 0), FD_KIND_PERF);
	assert_int_equal(fd_kind_from_target("anon_inode:[userfaultfd]", 0), FD_KIND_ANON);
	assert_int_equal(fd_kind_from_target("net:[4026531840]", 0), FD_KIND_OTHER);
	/* The system.sockprotoname values this kernel gives. */
	assert_int_equal(fd_kind_from_sockproto("TCP"), FD_KIND_TCP);
	assert_int_equal(fd_kind_from_sockproto("TCPv6"), FD_KIND_TCP);
	assert_int_equal(fd_kind_from_sockproto("UDPv6"), FD_KIND_UDP);
	assert_int_equal(fd_kind_from_sockproto("UNIX-STREAM"), FD_KIND_UNIX);
	assert_int_equal(fd_kind_from_sockproto("NETLINK"), FD_KIND_NETLINK);
	assert_int_equal(fd_kind_from_sockproto("PACKET"), FD_KIND_SOCKET);
	assert_true(fd_kind_is_socket(FD_KIND_UNIX));
	assert_false(fd_kind_is_socket(FD_KIND_PIPE));
}

static void test_kind_names_round_trip(void **state)
{
	enum fd_kind k;
	int i;

	(void)state;
	for (i = 0; i < FD_KIND_COUNT; i++) {
		assert_int_equal(fd_kind_parse(fd_kind_name((enum fd_kind)i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_int_equal(fd_kind_parse("sockets", &k), -EINVAL);
}

static void test_target_inode(void **state)
{
	(void)state;
	assert_int_equal(fd_target_inode("socket:[29354]"), 29354);
	assert_int_equal(fd_target_inode("pipe:[7]"), 7);
	assert_int_equal(fd_target_inode("anon_inode:[eventfd]"), 0);
	assert_int_equal(fd_target_inode("socket:[12x]"), 0);
	assert_int_equal(fd_target_inode("/tmp/pipe:[3]"), 0);
}

static void test_fdinfo_fixtures(void **state)
{
	struct fdinfo fi;
	char *text;
	char buf[64];

	(void)state;
	text = fixture("fdinfo-eventfd.txt");
	assert_int_equal(fdinfo_parse(text, &fi), 0);
	assert_true(fi.has_eventfd_count);
	assert_int_equal(fi.eventfd_count, 42); /* printed as hex "2a" */
	assert_string_equal(fd_flags_format(fi.flags, buf, sizeof(buf)), "rw");
	free(text);

	text = fixture("fdinfo-epoll.txt");
	assert_int_equal(fdinfo_parse(text, &fi), 0);
	assert_int_equal(fi.epoll_targets, 2);
	free(text);

	text = fixture("fdinfo-inotify.txt");
	assert_int_equal(fdinfo_parse(text, &fi), 0);
	assert_int_equal(fi.inotify_watches, 2);
	assert_string_equal(fd_flags_format(fi.flags, buf, sizeof(buf)), "r");
	free(text);

	text = fixture("fdinfo-timerfd.txt");
	assert_int_equal(fdinfo_parse(text, &fi), 0);
	assert_true(fi.has_timer);
	assert_int_equal(fi.timer_clockid, 1);
	assert_int_equal(fi.timer_interval_ns, 1500000000ull);
	assert_true(fi.timer_value_ns > 90000000000ull && fi.timer_value_ns <= 100000000000ull);
	assert_string_equal(clockid_name(fi.timer_clockid, buf, sizeof(buf)), "monotonic");
	free(text);

	text = fixture("fdinfo-signalfd.txt");
	assert_int_equal(fdinfo_parse(text, &fi), 0);
	assert_true(fi.has_sigmask);
	assert_string_equal(sigmask_format(fi.sigmask, buf, sizeof(buf)), "USR1,USR2");
	free(text);

	text = fixture("fdinfo-pidfd.txt");
	assert_int_equal(fdinfo_parse(text, &fi), 0);
	assert_int_equal(fi.pidfd_pid, 14195);
	assert_string_equal(fd_flags_format(fi.flags, buf, sizeof(buf)), "rw,cloexec");
	free(text);

	text = fixture("fdinfo-file.txt");
	assert_int_equal(fdinfo_parse(text, &fi), 0);
	assert_string_equal(fd_flags_format(fi.flags, buf, sizeof(buf)), "r,cloexec");
	assert_int_equal(fi.epoll_targets + fi.inotify_watches, 0);
	free(text);

	text = fixture("fdinfo-broken-noflags.txt");
	assert_int_equal(fdinfo_parse(text, &fi), -EINVAL);
	free(text);
}

static void test_flag_and_mask_formats(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(fd_flags_format(01 | 02000 | 04000, buf, sizeof(buf)),
			    "w,append,nonblock");
	assert_string_equal(sigmask_format(0, buf, sizeof(buf)), "none");
	/* SIGRTMIN+2 has no short name: printed as its number. */
	assert_string_equal(sigmask_format(1ull << 35, buf, sizeof(buf)), "36");
	assert_string_equal(clockid_name(42, buf, sizeof(buf)), "42");
}

static void test_proc_stat(void **state)
{
	struct proc_stat st;
	char *text;

	(void)state;
	text = fixture("stat-holder.txt");
	assert_int_equal(proc_stat_parse(text, &st), 0);
	assert_string_equal(st.comm, "handleholder");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.threads, 1);
	assert_int_equal(st.starttime, 104158);
	assert_int_equal(st.flags & 0x00200000, 0);
	free(text);

	text = fixture("stat-comm-parens.txt");
	assert_int_equal(proc_stat_parse(text, &st), 0);
	assert_string_equal(st.comm, "a (b) c");
	assert_int_equal(st.starttime, 104158);
	free(text);

	text = fixture("stat-truncated.txt");
	assert_int_equal(proc_stat_parse(text, &st), -EINVAL);
	free(text);
}

static void test_limits(void **state)
{
	struct rlimit_pair nofile, stack;
	char *text;

	(void)state;
	text = fixture("limits.txt");
	assert_int_equal(proc_limits_parse(text, "Max open files", &nofile), 0);
	assert_int_equal(nofile.soft, 20000);
	assert_int_equal(nofile.hard, 20000);
	free(text);
	text = fixture("limits.txt");
	assert_int_equal(proc_limits_parse(text, "Max stack size", &stack), 0);
	assert_int_equal(stack.soft, 8388608);
	assert_true(stack.hard == LIMIT_UNLIMITED);
	free(text);
	text = fixture("limits-broken.txt");
	assert_int_equal(proc_limits_parse(text, "Max open files", &nofile), -EINVAL);
	free(text);
	text = fixture("limits-missing-row.txt");
	assert_int_equal(proc_limits_parse(text, "Max open files", &nofile), -ENOENT);
	free(text);
}

static void test_file_nr_and_loadavg(void **state)
{
	uint64_t a = 0, m = 0, threads = 0;
	char *text;

	(void)state;
	text = fixture("file-nr.txt");
	assert_int_equal(file_nr_parse(text, &a, &m), 0);
	assert_true(a > 0 && m > a);
	free(text);
	text = fixture("loadavg.txt");
	assert_int_equal(loadavg_threads_parse(text, &threads), 0);
	assert_true(threads > 10);
	free(text);
	assert_int_equal(file_nr_parse("12 0", &a, &m), -EINVAL);
	assert_int_equal(loadavg_threads_parse("0.1 0.2 0.3 88 9", &threads), -EINVAL);
}

static void test_top_kinds(void **state)
{
	struct proc_handles p = { 0 };
	enum fd_kind top[3];

	(void)state;
	p.kinds[FD_KIND_PIPE] = 5;
	p.kinds[FD_KIND_TCP] = 9;
	p.kinds[FD_KIND_FILE] = 5;
	p.kinds[FD_KIND_EVENTFD] = 1;
	assert_int_equal(proc_handles_top_kinds(&p, top, 3), 3);
	assert_int_equal(top[0], FD_KIND_TCP);
	assert_int_equal(top[1], FD_KIND_FILE); /* ties keep kind order */
	assert_int_equal(top[2], FD_KIND_PIPE);
	memset(&p, 0, sizeof(p));
	assert_int_equal(proc_handles_top_kinds(&p, top, 3), 0);
}

static void test_anon_detail(void **state)
{
	struct fdinfo fi;
	char buf[128];
	char *text = fixture("fdinfo-timerfd.txt");

	(void)state;
	assert_int_equal(fdinfo_parse(text, &fi), 0);
	anon_detail_format(FD_KIND_TIMERFD, &fi, buf, sizeof(buf));
	assert_non_null(strstr(buf, "clock=monotonic interval=1.500s next=9"));
	free(text);
	memset(&fi, 0, sizeof(fi));
	fi.pidfd_pid = -1;
	anon_detail_format(FD_KIND_PIDFD, &fi, buf, sizeof(buf));
	assert_string_equal(buf, "pidfd (process exited)");
	anon_detail_format(FD_KIND_FILE, &fi, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_captured_targets),
		cmocka_unit_test(test_classify_by_mode_and_proto),
		cmocka_unit_test(test_kind_names_round_trip),
		cmocka_unit_test(test_target_inode),
		cmocka_unit_test(test_fdinfo_fixtures),
		cmocka_unit_test(test_flag_and_mask_formats),
		cmocka_unit_test(test_proc_stat),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_file_nr_and_loadavg),
		cmocka_unit_test(test_top_kinds),
		cmocka_unit_test(test_anon_detail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
