/* handleholder: holds a known number of each kind of fd, for `handles` tests.
 *
 *   handleholder [N]         N of each kind (default 2), plus one pipe and one
 *                            UNIX socket pair shared with a child process
 *   handleholder --mix N     about N fds of mixed kinds, no child (benchmarks)
 *
 * Prints "pid P", "child C", facts the tests check ("expect KIND COUNT",
 * "tcp_listen ADDR", …), then "ready"; holds everything until stdin reaches
 * EOF, then kills its child and exits. Sockets are loopback only. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int need(int fd, const char *what)
{
	if (fd < 0) {
		fprintf(stderr, "handleholder: %s: %s\n", what, strerror(errno));
		exit(1);
	}
	return fd;
}

static void wait_stdin_eof(void)
{
	char buf[64];

	while (read(0, buf, sizeof(buf)) > 0)
		;
}

/* Kind of one of our own std fds, by fstat (independent of /proc). */
static const char *std_kind(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return NULL;
	switch (st.st_mode & S_IFMT) {
	case S_IFIFO: return "pipe";
	case S_IFCHR: return "dev";
	case S_IFSOCK: return "unix";
	case S_IFDIR: return "dir";
	default: return "file";
	}
}

static unsigned short local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

static int tcp_listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = need(socket(AF_INET, SOCK_STREAM, 0), "socket");

	need(bind(fd, (struct sockaddr *)&a, sizeof(a)), "bind");
	need(listen(fd, 4096), "listen");
	return fd;
}

static int tcp_connect(unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = need(socket(AF_INET, SOCK_STREAM, 0), "socket");

	need(connect(fd, (struct sockaddr *)&a, sizeof(a)), "connect");
	return fd;
}

static int udp_bound(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = need(socket(AF_INET, SOCK_DGRAM, 0), "socket");

	need(bind(fd, (struct sockaddr *)&a, sizeof(a)), "bind");
	return fd;
}

/* About n fds, cycling through the kinds (benchmark load). */
static int run_mix(int n)
{
	int opened = 0, listener = -1, udp = 0, kind = 0, p[2], sv[2];

	while (opened < n) {
		switch (kind++ % 8) {
		case 0: need(eventfd(0, 0), "eventfd"); opened++; break;
		case 1: need(pipe(p), "pipe"); opened += 2; break;
		case 2:
			need(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
			opened += 2;
			break;
		case 3: need(open("/etc/passwd", O_RDONLY), "open"); opened++; break;
		case 4: need(timerfd_create(CLOCK_MONOTONIC, 0), "timerfd"); opened++; break;
		case 5: need(epoll_create1(0), "epoll"); opened++; break;
		case 6: need(memfd_create("mix", 0), "memfd"); opened++; break;
		case 7:
			/* A few inet sockets only: 100 holders must not use up
			 * the machine's ephemeral ports. */
			if (listener < 0)
				listener = tcp_listener();
			else if (udp < 4 && ++udp)
				need(udp_bound(), "udp");
			else
				need(eventfd(0, 0), "eventfd");
			opened++;
			break;
		}
	}
	printf("pid %d\nready\n", getpid());
	fflush(stdout);
	wait_stdin_eof();
	return 0;
}

struct expectation {
	const char *kind;
	int count;
};

static void expect_add(struct expectation *expect, const char *kind)
{
	for (; expect->kind; expect++)
		if (strcmp(expect->kind, kind) == 0)
			expect->count++;
}

/* Kinds only root may make here: one each of fanotify (with one mark),
 * io_uring, a perf event and a BPF map. */
static void open_root_kinds(void (*add)(struct expectation *, const char *),
			    struct expectation *expect)
{
	struct io_uring_params params = { 0 };
	struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE,
					.size = sizeof(attr),
					.config = PERF_COUNT_SW_DUMMY,
					.disabled = 1 };
	union bpf_attr map = { .map_type = BPF_MAP_TYPE_ARRAY,
			       .key_size = 4,
			       .value_size = 4,
			       .max_entries = 1 };
	int fd;

	fd = need(fanotify_init(FAN_CLASS_NOTIF, O_RDONLY), "fanotify_init");
	/* A file nobody writes: the mark costs the machine nothing. */
	need(fanotify_mark(fd, FAN_MARK_ADD, FAN_MODIFY, AT_FDCWD, "/etc/passwd"), "fanotify_mark");
	printf("fanotify %d 1\n", fd);
	add(expect, "fanotify");
	need((int)syscall(SYS_io_uring_setup, 4, &params), "io_uring_setup");
	add(expect, "io_uring");
	need((int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0), "perf_event_open");
	add(expect, "perf");
	need((int)syscall(SYS_bpf, BPF_MAP_CREATE, &map, sizeof(map)), "bpf map");
	add(expect, "bpf");
}

int main(int argc, char **argv)
{
	int n = 2, i, j, shared_pipe[2], shared_unix[2], p[2], sv[2], listener, first_udp = -1;
	pid_t child;
	sigset_t mask;
	char path[] = "/tmp/handleholder.XXXXXX";
	struct itimerspec its = { .it_interval = { 1, 500000000 }, .it_value = { 100, 0 } };
	struct expectation expect[] = {
		{ "file", 0 },	  { "pipe", 0 },     { "unix", 0 },	{ "tcp", 0 },
		{ "udp", 0 },	  { "eventfd", 0 },  { "epoll", 0 },	{ "timerfd", 0 },
		{ "signalfd", 0 }, { "inotify", 0 }, { "memfd", 0 },	{ "pidfd", 0 },
		{ "dev", 0 },	  { "dir", 0 },	     { "fanotify", 0 }, { "io_uring", 0 },
		{ "perf", 0 },	  { "bpf", 0 },	     { NULL, 0 },
	};
#define EXPECT(k, c)                                                 \
	do {                                                         \
		for (size_t e_ = 0; expect[e_].kind; e_++)           \
			if (strcmp(expect[e_].kind, (k)) == 0)      \
				expect[e_].count += (c);            \
	} while (0)

	if (argc == 3 && strcmp(argv[1], "--mix") == 0)
		return run_mix(atoi(argv[2]));
	if (argc == 2)
		n = atoi(argv[1]);
	if (n < 1 || n > 1000) {
		fprintf(stderr, "usage: handleholder [N] | --mix N\n");
		return 2;
	}
	/* Only fds 0-2 are inherited; anything else would be an unknown. */
	for (i = 3; i < 1024; i++)
		close(i);
	for (i = 0; i < 3; i++)
		if (std_kind(i))
			EXPECT(std_kind(i), 1);

	need(pipe(shared_pipe), "pipe");
	need(socketpair(AF_UNIX, SOCK_STREAM, 0, shared_unix), "socketpair");
	child = fork();
	need(child, "fork");
	if (child == 0) {
		/* The other end of one pipe and one UNIX socket; nothing else. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "holderchild");
		close(shared_pipe[0]);
		close(shared_unix[0]);
		i = open("/dev/null", O_RDWR);
		dup2(i, 0);
		dup2(i, 1);
		close(i);
		for (;;)
			pause();
	}
	close(shared_pipe[1]);
	close(shared_unix[1]);
	EXPECT("pipe", 1);
	EXPECT("unix", 1);

	for (i = 0; i < n; i++) {
		need(open("/etc/passwd", O_RDONLY | O_CLOEXEC), "open");
		EXPECT("file", 1);
	}
	/* One deleted file: the listing must mark it. */
	i = need(mkstemp(path), "mkstemp");
	unlink(path);
	EXPECT("file", 1);
	need(open("/tmp", O_RDONLY | O_DIRECTORY), "open dir");
	EXPECT("dir", 1);
	for (i = 0; i < n; i++) {
		need(pipe(p), "pipe");
		need(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
		EXPECT("pipe", 2);
		EXPECT("unix", 2);
	}
	listener = tcp_listener();
	EXPECT("tcp", 1);
	for (i = 0; i < n; i++) {
		int c = tcp_connect(local_port(listener));

		printf("tcp_conn 127.0.0.1:%u 127.0.0.1:%u\n", local_port(c), local_port(listener));
		need(accept(listener, NULL, NULL), "accept");
		EXPECT("tcp", 2);
	}
	printf("tcp_listen 127.0.0.1:%u\n", local_port(listener));
	for (i = 0; i < n; i++) {
		int u = udp_bound();

		if (first_udp < 0) {
			first_udp = u;
		} else if (i == 1) {
			struct sockaddr_in a = { .sin_family = AF_INET,
						 .sin_port = htons(local_port(first_udp)),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

			need(connect(u, (struct sockaddr *)&a, sizeof(a)), "connect udp");
			printf("udp_conn 127.0.0.1:%u 127.0.0.1:%u\n", local_port(u),
			       local_port(first_udp));
		}
		EXPECT("udp", 1);
	}
	for (i = 0; i < n; i++) {
		int efd = need(eventfd(42 + i, 0), "eventfd");

		printf("eventfd %d %d\n", efd, 42 + i);
		EXPECT("eventfd", 1);
	}
	for (i = 0; i < n; i++) {
		int ep = need(epoll_create1(0), "epoll");

		/* i + 1 targets: three more eventfds would change the eventfd count,
		 * so watch the shared pipe, the std fds and the listener. */
		int targets[] = { shared_pipe[0], listener, 0, 1 };

		for (j = 0; j <= i && j < 4; j++) {
			struct epoll_event ev = { .events = EPOLLIN };

			need(epoll_ctl(ep, EPOLL_CTL_ADD, targets[j], &ev), "epoll_ctl");
		}
		printf("epoll %d %d\n", ep, j);
		EXPECT("epoll", 1);
	}
	for (i = 0; i < n; i++) {
		int t = need(timerfd_create(CLOCK_MONOTONIC, 0), "timerfd");

		need(timerfd_settime(t, 0, &its, NULL), "timerfd_settime");
		printf("timerfd %d monotonic 1.500s\n", t);
		EXPECT("timerfd", 1);
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	for (i = 0; i < n; i++) {
		printf("signalfd %d USR1,USR2\n", need(signalfd(-1, &mask, 0), "signalfd"));
		EXPECT("signalfd", 1);
	}
	for (i = 0; i < n; i++) {
		int in = need(inotify_init1(0), "inotify");

		need(inotify_add_watch(in, "/tmp", IN_CREATE), "inotify_add_watch");
		need(inotify_add_watch(in, "/etc", IN_MODIFY), "inotify_add_watch");
		printf("inotify %d 2\n", in);
		EXPECT("inotify", 1);
	}
	for (i = 0; i < n; i++) {
		need(memfd_create("handleholder", 0), "memfd");
		EXPECT("memfd", 1);
	}
	for (i = 0; i < n; i++) {
		need((int)syscall(SYS_pidfd_open, child, 0), "pidfd_open");
		EXPECT("pidfd", 1);
	}
	if (geteuid() == 0)
		open_root_kinds(expect_add, expect);
	printf("pid %d\nchild %d\n", getpid(), child);
	printf("unix_peer %d %d\n", shared_unix[0], child);
	printf("pipe_peer %d %d\n", shared_pipe[0], child);
	for (i = 0; expect[i].kind; i++)
		printf("expect %s %d\n", expect[i].kind, expect[i].count);
	printf("ready\n");
	fflush(stdout);
	wait_stdin_eof();
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return 0;
}
