/* leakzoo: one real kernel-object leak (or one decoy that is not a leak) at a
 * steady, settable rate, for the tests of `poolscope diagnose` and anyone who
 * needs a known leak on a live machine.
 *
 * usage: leakzoo KIND [--rate N] [--max N] [--size BYTES] [--pass FDKIND] [--comm NAME]
 *        leakzoo --list          one line per kind: NAME leak|decoy WHAT
 *
 *   --rate N      objects made per second (a decimal; default per kind,
 *                 mostly 50/s, 5/s for threads and POSIX messages). The
 *                 schedule is absolute: a late wakeup catches up, so the
 *                 count tracks N*t.
 *   --max N       objects in all; then it holds what it made. The defaults
 *                 keep a leak growing for 60 s or more (diagnose's longest
 *                 watch) and stay far below this shared machine's limits
 *                 (at most 8000 fds); a cap per kind refuses more (--list)
 *   --size BYTES  what each object carries, where the kind has a payload:
 *                 bytes left unread in a pipe or socket, mapping length,
 *                 thread stack, SysV/POSIX message size, key payload,
 *                 memfd length. Refused for kinds without one.
 *   --pass FDKIND scm, scmfork: the fd kind passed to the holder (default
 *                 eventfd)
 *   --comm NAME   the process's name (comm, 1..15 bytes, any bytes: a test
 *                 of odd or hostile names can use it); the holder of scm is
 *                 "leakzoo-holder" whatever it is
 *
 * Leaks (what grows, and where to see it):
 *   eventfd timerfd epoll signalfd     1 fd per object    /proc/PID/fd
 *   pidfd file memfd mqueue            (mqueue: a POSIX queue of one
 *                                      message, unlinked: the fd holds it)
 *   pipe unix tcp                      2 fds per object   (both ends held;
 *                                      tcp: a loopback connection, the
 *                                      client and the accepted socket)
 *   thread   threads that never exit   /proc/PID/status Threads
 *   map      anonymous mappings, one VMA each (a page of gap between them
 *            and alternating protections, so none merge)  /proc/PID/maps
 *   sysvmsg  unread SysV messages; a queue holds 16 KiB here (no
 *            CAP_SYS_RESOURCE), a new queue when one is full. No process
 *            holds them: /proc/sysvipc/msg rows with lspid = PID
 *   posixmq  unread POSIX mqueue messages, 10 a queue, and no fd is kept
 *            open: no process holds them (/dev/mqueue/leakzoo.PID.*)
 *   key      user keys added to a new session keyring named leakzoo.PID,
 *            descriptions leakzoo.PID.N    /proc/keys, /proc/key-users.
 *            The process holds them: its session keyring goes when it
 *            exits, and they with it (even without the cleanup)
 *   userkey  the same, into the uid's user keyring (_uid.UID), which
 *            outlives every process: held by no process. A SIGKILL leaves
 *            them there: keyctl invalidate those named leakzoo.PID.*
 *   inotify  one inotify fd, one watch per object on a directory made for
 *            it under a temp dir   /proc/PID/fdinfo/FD "inotify wd:" lines
 *   scm      this process (the allocator) makes fds and sends them over
 *            SCM_RIGHTS to a child "leakzoo-holder" (the holder) that never
 *            closes them; the allocator closes its copies, so only the
 *            holder's fd table grows
 *   scmfork  the same, but each object is made and sent by a child of its
 *            own, "leakzoo-alloc", that exits at once: the holder holds
 *            files whose allocators are long gone ("allocator children P")
 *   inflight eventfds sent over SCM_RIGHTS (one a 1-byte message) into a
 *            UNIX stream socket whose other end is never read, then closed:
 *            the files are in no fd table, only in the receive queue of a
 *            socket this process holds (a new socket pair when a queue is
 *            full, a few hundred messages). Recv-Q of `ss -x` by inode
 * Decoys (must not be called leaks):
 *   dentry   stat() of names that do not exist, in a temp dir: the dentry
 *            cache grows (negative dentries), reclaimable; no fd, thread or
 *            mapping of the process grows. Default 2000/s.
 *   flatfds  opens --max eventfds before "ready" (default 4000), then closes
 *            and reopens one at the rate: a big fd table that never grows
 *   burst    every cycle: 2 s idle, then opens --max eventfds (default 2000)
 *            at the rate (default 4000/s), holds them 0.5 s, closes them
 *            all: a sawtooth that always returns to its baseline
 *   pagecache  reads a temp file of --max pages (written, then dropped from
 *            the cache, before "ready") one page at the rate, readahead off:
 *            the page cache grows, reclaimable, nothing the process holds
 *
 * Protocol: prints on stdout, line-buffered, "pid P", "object KIND", "class
 * leak|decoy", "rate R", "max M", "size S" (where it applies), facts some
 * kinds add ("pass FDKIND", "dir PATH", "keyring SERIAL", "tcp_listen
 * ADDR:PORT", "file PATH"), "allocator P" (the process that makes the
 * objects: this one; "allocator children P" for scmfork), "holder P" (the process that keeps them: this one, the
 * child for scm and scmfork) or "holder none" (sysvmsg, posixmq, userkey: no process
 * holds them; also dentry, pagecache), "unit UNIT N": each object adds N of UNIT (fd,
 * thread, mapping, sysv_msg, posix_mq_msg, key, inotify_watch, dentry, page;
 * N 0 for flatfds and burst, whose count must stay level), then "ready",
 * and starts.
 * "max reached" when --max objects are made (flatfds and burst never reach
 * it: they churn until told to stop). Until stdin reaches EOF (what it reads
 * is discarded) or SIGTERM/SIGINT/SIGHUP: then it frees everything it made,
 * also what outlives a process (SysV queues: IPC_RMID; POSIX queues:
 * mq_unlink; keys invalidated, and the session keyring; temp dirs and files removed;
 * the holder child killed and reaped), prints "freed" and exits 0.
 * Exit 2 on bad arguments (with a usage line), 1 when a syscall fails (the
 * reason on stderr; what was made so far is freed first). A SIGKILL leaves
 * SysV and POSIX queues behind (remove those with lspid = PID, and
 * /dev/mqueue/leakzoo.PID.*) and userkey's keys. Raises its soft RLIMIT_NOFILE to the hard
 * limit: to bring a near-limit case close, lower the hard limit (bash's
 * `ulimit -n N` sets both). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Key syscalls by number (no libkeyutils). */
#define ZOO_KEYCTL_JOIN_SESSION_KEYRING 1
#define ZOO_KEYCTL_CLEAR 7
#define ZOO_KEYCTL_INVALIDATE 21
#define ZOO_KEYCTL_GET_KEYRING_ID 0
#define ZOO_KEY_SPEC_SESSION_KEYRING (-3)
#define ZOO_KEY_SPEC_USER_KEYRING (-4)
#define BURST_IDLE 2.0
#define BURST_HOLD 0.5
#define MQ_MSGS 10

struct kind {
	const char *name;
	bool decoy;
	bool forever;        /* churns until stopped; --max sizes it instead */
	double rate;         /* default objects per second */
	long max, cap_max;   /* default and largest --max */
	long size, min_size, cap_size; /* cap_size 0: no payload */
	long cap_bytes;      /* largest --max * --size, 0 for none */
	const char *unit;    /* what grows, "unit UNIT PER": PER of it an object */
	int per;             /* (0 for the decoys that keep it flat) */
	const char *what;
	void (*setup)(void);
	void (*make)(long i);
	double (*due)(long i); /* seconds from start when object i is made */
};

static const struct kind *K;
static const struct kind *pass_kind;
static double opt_rate;
static long opt_max, opt_size;
static volatile sig_atomic_t stop;
static long PAGE; /* the page size, at run time */
static pid_t owner; /* the process that made everything and frees it */

/* Everything made, for the cleanup. */
static int *fds;
static long nfds, fds_cap;
static char tmpdir[PATH_MAX / 2]; /* room for what goes under it */
static char filepath[PATH_MAX];
static int holder_sock = -1;
static pid_t holder_pid = -1;
static int ifd = -1, dfd = -1, listen_fd = -1, data_fd = -1;
static long ndirs;
static int *msqids;
static long nmsqids;
static int cur_msq = -1;
static long cur_msq_msgs;
static long nmq;
static int32_t *keys;
static long nkeys;
static int32_t keyring = -1;
static bool user_keyring;
static char **maps;
static long nmaps;
static char *map_base;
static long map_slot;
static char *payload;

static void cleanup(void);

static void die(const char *what)
{
	int e = errno;

	fprintf(stderr, "leakzoo %s: %s: %s\n", K ? K->name : "", what, strerror(e));
	if (getpid() != owner)
		_exit(1); /* an allocating child: the parent says it failed and frees */
	cleanup();
	exit(1);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		die("calloc");
	return p;
}

static void push_fd(int fd)
{
	if (nfds == fds_cap) {
		long cap = fds_cap ? 2 * fds_cap : 1024;
		int *more = realloc(fds, cap * sizeof(*fds));

		if (!more) {
			close(fd);
			die("realloc");
		}
		fds = more;
		fds_cap = cap;
	}
	fds[nfds++] = fd;
}

static int need(int fd, const char *what)
{
	if (fd < 0)
		die(what);
	return fd;
}

static void make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	if ((size_t)snprintf(tmpdir, sizeof(tmpdir), "%s/leakzoo.XXXXXX", t && *t ? t : "/tmp") >=
	    sizeof(tmpdir)) {
		tmpdir[0] = 0;
		errno = ENAMETOOLONG;
		die("TMPDIR");
	}
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		die("mkdtemp");
	}
	dfd = need(open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open temp dir");
	printf("dir %s\n", tmpdir);
}

/* Write n bytes of the payload to fd (a pipe, socket or file with room). */
static void fill(int fd, long n, const char *what)
{
	while (n > 0) {
		ssize_t w = write(fd, payload, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die(what);
		n -= w;
	}
}

/* ---- fd kinds: each makes one object's fds into out[], returns how many */

static int fd_eventfd(int out[2])
{
	out[0] = need(eventfd(0, EFD_CLOEXEC), "eventfd");
	return 1;
}

static int fd_timerfd(int out[2])
{
	/* Armed, as a leaked timer usually is: an hour, repeating. */
	struct itimerspec its = { { 3600, 0 }, { 3600, 0 } };

	out[0] = need(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), "timerfd_create");
	if (timerfd_settime(out[0], 0, &its, NULL))
		die("timerfd_settime");
	return 1;
}

static int fd_epoll(int out[2])
{
	out[0] = need(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
	return 1;
}

static int fd_signalfd(int out[2])
{
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	out[0] = need(signalfd(-1, &usr1, SFD_CLOEXEC), "signalfd");
	return 1;
}

static int fd_pidfd(int out[2])
{
	out[0] = need((int)syscall(SYS_pidfd_open, getpid(), 0), "pidfd_open");
	return 1;
}

/* A POSIX queue with one message, unlinked at once: only the fd keeps it
 * (as a memfd keeps its memory), so nothing of it outlives the process. */
static int fd_mqueue(int out[2])
{
	static long n;
	struct mq_attr at = { .mq_maxmsg = 1, .mq_msgsize = opt_size ? opt_size : 1 };
	char name[64];

	snprintf(name, sizeof(name), "/leakzoo.%d.fd%ld", (int)getpid(), n++);
	out[0] = need(mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NONBLOCK, 0600, &at),
		      "mq_open");
	mq_unlink(name);
	if (mq_send(out[0], payload, opt_size, 0))
		die("mq_send");
	return 1;
}

static int fd_file(int out[2])
{
	out[0] = need(open(filepath, O_RDONLY | O_CLOEXEC), "open file");
	return 1;
}

static int fd_memfd(int out[2])
{
	out[0] = need((int)syscall(SYS_memfd_create, "leakzoo", 1U /* MFD_CLOEXEC */),
		      "memfd_create");
	if (opt_size)
		fill(out[0], opt_size, "write memfd");
	return 1;
}

static int fd_pipe(int out[2])
{
	if (pipe2(out, O_CLOEXEC))
		die("pipe2");
	if (opt_size)
		fill(out[1], opt_size, "write pipe");
	return 2;
}

static int fd_unix(int out[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out))
		die("socketpair");
	if (opt_size)
		fill(out[0], opt_size, "send on unix socket");
	return 2;
}

static int fd_tcp(int out[2])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	/* Closed with a reset, so nothing lingers in TIME_WAIT after cleanup. */
	struct linger lg = { 1, 0 };

	if (getsockname(listen_fd, (struct sockaddr *)&a, &len))
		die("getsockname");
	out[0] = need(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
	if (connect(out[0], (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	out[1] = need(accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC), "accept4");
	setsockopt(out[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	setsockopt(out[1], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (opt_size)
		fill(out[0], opt_size, "send on tcp socket");
	return 2;
}

static void setup_tcp(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = need(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
	if (bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) || listen(listen_fd, 64) ||
	    getsockname(listen_fd, (struct sockaddr *)&a, &len))
		die("listen on 127.0.0.1");
	printf("tcp_listen 127.0.0.1:%d\n", ntohs(a.sin_port));
}

static void setup_file(void)
{
	int fd;

	make_tmpdir();
	snprintf(filepath, sizeof(filepath), "%s/held", tmpdir);
	fd = need(open(filepath, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600), "create file");
	close(fd);
	printf("file %s\n", filepath);
}

struct fdkind {
	const char *name;
	int (*open)(int out[2]);
	void (*setup)(void);
};

static const struct fdkind fdkinds[] = {
	{ "eventfd", fd_eventfd, NULL }, { "timerfd", fd_timerfd, NULL },
	{ "epoll", fd_epoll, NULL },     { "file", fd_file, setup_file },
	{ "memfd", fd_memfd, NULL },     { "pipe", fd_pipe, NULL },
	{ "unix", fd_unix, NULL },       { "tcp", fd_tcp, setup_tcp },
	{ "signalfd", fd_signalfd, NULL }, { "pidfd", fd_pidfd, NULL },
	{ "mqueue", fd_mqueue, NULL },
};

static const struct fdkind *fdkind(const char *name)
{
	for (size_t i = 0; i < sizeof(fdkinds) / sizeof(fdkinds[0]); i++)
		if (strcmp(fdkinds[i].name, name) == 0)
			return &fdkinds[i];
	return NULL;
}

static void setup_fd(void)
{
	const struct fdkind *f = fdkind(K->name);

	if (f->setup)
		f->setup();
}

static void make_fd(long i)
{
	int out[2], n = fdkind(K->name)->open(out);

	(void)i;
	for (int j = 0; j < n; j++)
		push_fd(out[j]);
}

/* ---- scm: fds passed to a holder that never closes them */

static void holder_main(int sock)
{
	char byte;
	char ctl[CMSG_SPACE(2 * sizeof(int))];

	prctl(PR_SET_NAME, "leakzoo-holder");
	for (;;) {
		struct iovec iov = { &byte, 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		ssize_t r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(0); /* the allocator is gone: everything closes with us */
		/* The fds received are kept: never closed, never looked at. */
	}
}

static void setup_scm(void)
{
	int sv[2];
	const struct fdkind *f = fdkind(pass_kind->name);
	pid_t parent;

	if (f->setup)
		f->setup();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	fflush(stdout);
	parent = getpid();
	holder_pid = fork();
	if (holder_pid < 0)
		die("fork");
	if (holder_pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDWR);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		if (dfd >= 0)
			close(dfd);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			close(null);
		}
		close(sv[0]);
		if (listen_fd >= 0)
			close(listen_fd);
		holder_main(sv[1]);
	}
	close(sv[1]);
	holder_sock = sv[0];
	printf("pass %s\n", f->name);
}

/* Make one object of the pass kind and send it to the holder: the fds sent
 * are closed here, so only the holder keeps them. */
static void send_object(void)
{
	int out[2], n = fdkind(pass_kind->name)->open(out);
	char byte = 0;
	char ctl[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
	struct cmsghdr *c;

	memset(ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), out, n * sizeof(int));
	while (sendmsg(holder_sock, &m, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			die("sendmsg SCM_RIGHTS to the holder");
	for (int j = 0; j < n; j++)
		close(out[j]);
}

static void make_scm(long i)
{
	(void)i;
	send_object();
}

/* scmfork: each object is made by a child of its own that sends it and
 * exits: the holder's fds were allocated by processes long gone. */
static void make_scmfork(long i)
{
	pid_t child;
	int st;

	(void)i;
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		prctl(PR_SET_NAME, "leakzoo-alloc");
		send_object(); /* (a failure says why and exits 1) */
		_exit(0);
	}
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		errno = ECHILD;
		die("an allocating child failed");
	}
}

/* ---- inflight: fds held by nobody's fd table, in a socket's queue */

static int infl_sock = -1; /* the sending end of the current pair */

static void make_inflight(long i)
{
	int fd = need(eventfd(0, EFD_CLOEXEC), "eventfd");
	char byte = 0;
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;

	(void)i;
	memset(ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	for (;;) {
		if (infl_sock < 0) {
			int sv[2];

			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
				die("socketpair");
			push_fd(sv[0]);
			push_fd(sv[1]); /* the end that is never read */
			infl_sock = sv[0];
		}
		if (sendmsg(infl_sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			die("sendmsg SCM_RIGHTS");
		infl_sock = -1; /* its queue is full: a new pair */
	}
	close(fd); /* now only the message in the queue holds the file */
}

/* ---- thread */

static void *thread_main(void *arg)
{
	(void)arg;
	for (;;)
		pause(); /* all signals blocked: never returns */
	return NULL;
}

static void make_thread(long i)
{
	pthread_attr_t a;
	pthread_t t;
	sigset_t all, old;
	int e;

	(void)i;
	/* The thread starts with every signal blocked: stops go to main. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, opt_size);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&t, &a, thread_main, NULL);
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		errno = e;
		die("pthread_create");
	}
}

/* ---- map */

static void setup_map(void)
{
	/* Find room for all slots (each mapping and a page of gap), then give
	 * it back: the mappings go into it at fixed addresses. */
	size_t span = (size_t)(opt_max + 1) * (opt_size + PAGE);
	void *p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap (reserving room)");
	munmap(p, span);
	map_base = p;
	maps = xcalloc(opt_max, sizeof(*maps));
}

static void make_map(long i)
{
	int prot = (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE;
	char *p;

	/* A slot something else took meanwhile is skipped. */
	for (;;) {
		char *want = map_base + map_slot++ * (opt_size + PAGE);

		if (map_slot > opt_max + 1) {
			errno = ENOMEM;
			die("mmap (room taken)");
		}
		p = mmap(want, opt_size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (p != MAP_FAILED && p != want) { /* old kernel: a hint only */
			munmap(p, opt_size);
			continue;
		}
		if (p != MAP_FAILED)
			break;
		if (errno != EEXIST)
			die("mmap");
	}
	maps[nmaps++] = p;
	/* Touch every page: the writable ones get memory of their own. */
	for (long off = 0; off < opt_size; off += PAGE) {
		if (prot & PROT_WRITE)
			p[off] = 1;
		else
			(void)*(volatile char *)(p + off);
	}
}

/* ---- sysvmsg */

static void make_sysvmsg(long i)
{
	struct {
		long mtype;
		char mtext[8192];
	} *msg = (void *)payload;

	(void)i;
	msg->mtype = 1;
	for (;;) {
		if (cur_msq < 0) {
			cur_msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
			if (cur_msq < 0)
				die("msgget");
			msqids[nmsqids++] = cur_msq;
			cur_msq_msgs = 0;
		}
		if (msgsnd(cur_msq, msg, opt_size, IPC_NOWAIT) == 0) {
			cur_msq_msgs++;
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || cur_msq_msgs == 0)
			die("msgsnd");
		cur_msq = -1; /* full: the next queue */
	}
}

static void setup_sysvmsg(void)
{
	/* At most one queue per message (queues may hold as little as one). */
	msqids = xcalloc(opt_max, sizeof(*msqids));
}

/* ---- posixmq */

static void mq_name(long n, char *buf, size_t len)
{
	snprintf(buf, len, "/leakzoo.%d.%ld", (int)getpid(), n);
}

static void make_posixmq(long i)
{
	struct mq_attr at = { .mq_maxmsg = MQ_MSGS, .mq_msgsize = opt_size };
	char name[64];
	int excl = 0;
	mqd_t q;

	if (i % MQ_MSGS == 0) { /* the first message of a new queue */
		nmq++;
		excl = O_EXCL;
	}
	mq_name(nmq - 1, name, sizeof(name));
	q = mq_open(name, O_WRONLY | O_CREAT | excl | O_CLOEXEC | O_NONBLOCK, 0600, &at);
	if (q == (mqd_t)-1 && excl)
		nmq--; /* not ours to unlink */
	if (q == (mqd_t)-1)
		die("mq_open");
	if (mq_send(q, payload, opt_size, 0)) {
		mq_close(q);
		die("mq_send");
	}
	mq_close(q); /* no fd kept: the queue is held by no process */
}

/* ---- key */

static void setup_key(void)
{
	char name[64];

	snprintf(name, sizeof(name), "leakzoo.%d", (int)getpid());
	keyring = (int32_t)syscall(SYS_keyctl, ZOO_KEYCTL_JOIN_SESSION_KEYRING, name);
	if (keyring < 0)
		die("keyctl join session keyring");
	keys = xcalloc(opt_max, sizeof(*keys));
	printf("keyring %d\n", (int)keyring);
}

/* The uid's user keyring: shared by all its processes, it outlives them. */
static void setup_userkey(void)
{
	keyring = (int32_t)syscall(SYS_keyctl, ZOO_KEYCTL_GET_KEYRING_ID,
				   (int32_t)ZOO_KEY_SPEC_USER_KEYRING, 1);
	if (keyring < 0)
		die("keyctl get user keyring");
	user_keyring = true; /* not ours to clear */
	keys = xcalloc(opt_max, sizeof(*keys));
	printf("keyring %d\n", (int)keyring);
}

static void make_key(long i)
{
	char desc[64];
	long k;

	snprintf(desc, sizeof(desc), "leakzoo.%d.%ld", (int)getpid(), i);
	k = syscall(SYS_add_key, "user", desc, payload, (size_t)opt_size, keyring);
	if (k < 0)
		die("add_key");
	keys[nkeys++] = (int32_t)k;
}

/* ---- inotify */

static void setup_inotify(void)
{
	make_tmpdir();
	ifd = need(inotify_init1(IN_CLOEXEC), "inotify_init1");
}

static void make_inotify(long i)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%ld", tmpdir, i);
	if (mkdir(path, 0700))
		die("mkdir");
	ndirs++;
	if (inotify_add_watch(ifd, path, IN_CREATE | IN_DELETE | IN_MODIFY) < 0)
		die("inotify_add_watch");
}

/* ---- decoys */

static void setup_dentry(void)
{
	make_tmpdir();
}

static void make_dentry(long i)
{
	char name[32];
	struct stat st;

	snprintf(name, sizeof(name), "missing%ld", i);
	if (fstatat(dfd, name, &st, 0) == 0) {
		errno = EEXIST;
		die("stat of a missing name");
	}
	if (errno != ENOENT)
		die("stat");
}

static long flat_next;

static void setup_flatfds(void)
{
	for (long i = 0; i < opt_max; i++)
		push_fd(need(eventfd(0, EFD_CLOEXEC), "eventfd"));
}

static void make_flatfds(long i)
{
	long slot;

	(void)i;
	if (!opt_max)
		return;
	slot = flat_next++ % opt_max;
	close(fds[slot]);
	fds[slot] = need(eventfd(0, EFD_CLOEXEC), "eventfd");
}

/* Object i of a burst cycle: k < max opens, k == max closes them all. */
static double burst_due(long i)
{
	long c = i / (opt_max + 1), k = i % (opt_max + 1);
	double cycle = BURST_IDLE + opt_max / opt_rate + BURST_HOLD;

	return c * cycle + BURST_IDLE + (k < opt_max ? k / opt_rate : opt_max / opt_rate + BURST_HOLD);
}

static void make_burst(long i)
{
	if (i % (opt_max + 1) < opt_max) {
		push_fd(need(eventfd(0, EFD_CLOEXEC), "eventfd"));
		return;
	}
	while (nfds > 0)
		close(fds[--nfds]);
}

static void setup_pagecache(void)
{
	make_tmpdir();
	snprintf(filepath, sizeof(filepath), "%s/data", tmpdir);
	data_fd = need(open(filepath, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600), "create file");
	memset(payload, 'z', PAGE);
	for (long i = 0; i < opt_max; i++)
		fill(data_fd, PAGE, "write file");
	if (fdatasync(data_fd))
		die("fdatasync");
	errno = posix_fadvise(data_fd, 0, 0, POSIX_FADV_DONTNEED);
	if (errno)
		die("posix_fadvise DONTNEED");
	errno = posix_fadvise(data_fd, 0, 0, POSIX_FADV_RANDOM);
	if (errno)
		die("posix_fadvise RANDOM");
	printf("file %s\n", filepath);
}

static void make_pagecache(long i)
{
	if (pread(data_fd, payload, PAGE, i * PAGE) != PAGE)
		die("pread");
}

/* ---- the table */

/* The fd kinds: 1 or 2 fds an object, none of which the defaults exhaust. */
#define FDK(n, mx, cap, sz, cs, nfd, w)                                                  \
	{ .name = n, .rate = 50, .max = mx, .cap_max = cap, .size = sz, .cap_size = cs,  \
	  .cap_bytes = cs ? 64L << 20 : 0, .unit = "fd", .per = nfd, .what = w,           \
	  .setup = setup_fd, .make = make_fd }

static const struct kind kinds[] = {
	FDK("eventfd", 4000, 15000, 0, 0, 1, "eventfds (anon_inode:[eventfd])"),
	FDK("timerfd", 4000, 15000, 0, 0, 1, "armed timerfds (anon_inode:[timerfd])"),
	FDK("epoll", 4000, 15000, 0, 0, 1, "epoll fds (anon_inode:[eventpoll])"),
	FDK("signalfd", 4000, 15000, 0, 0, 1, "signalfds (anon_inode:[signalfd])"),
	FDK("pidfd", 4000, 15000, 0, 0, 1, "pidfds of itself (anon_inode:[pidfd])"),
	FDK("file", 4000, 15000, 0, 0, 1, "one regular file opened again and again"),
	FDK("memfd", 4000, 15000, 4096, 1L << 20, 1, "memfds with --size bytes written (shmem)"),
	/* Queues are few system-wide (fs.mqueue.queues_max, 256 here): 100 at most. */
	FDK("mqueue", 50, 100, 64, 8192, 1,
	    "POSIX queues of one --size message, unlinked: only the fd holds each"),
	FDK("pipe", 3000, 7000, 0, 65536, 2, "pipes, both ends; --size bytes left unread"),
	FDK("unix", 3000, 7000, 0, 32768, 2, "UNIX stream socket pairs; --size bytes left unread"),
	FDK("tcp", 3000, 5000, 0, 32768, 2,
	    "loopback TCP connections, both ends; --size bytes left unread"),
	{ .name = "inflight", .rate = 50, .max = 4000, .cap_max = 15000,
	  .unit = "inflight_fd", .per = 1,
	  .what = "eventfds sent over SCM_RIGHTS into a UNIX socket no one reads, then "
		  "closed: in no fd table, held by the queue of a socket this process holds",
	  .make = make_inflight },
	{ .name = "thread", .rate = 5, .max = 400, .cap_max = 2000,
	  .size = 65536, .min_size = 16384, .cap_size = 8L << 20, .cap_bytes = 256L << 20,
	  .unit = "thread", .per = 1, .what = "threads that never exit; --size stack bytes",
	  .make = make_thread },
	{ .name = "map", .rate = 50, .max = 4000, .cap_max = 30000,
	  .size = 8192, .min_size = 4096, /* and rounded up to pages */ .cap_size = 1L << 20, .cap_bytes = 256L << 20,
	  .unit = "mapping", .per = 1,
	  .what = "anonymous mappings, one VMA each; --size bytes, touched",
	  .setup = setup_map, .make = make_map },
	{ .name = "sysvmsg", .rate = 50, .max = 4000, .cap_max = 100000,
	  .size = 64, .min_size = 1, .cap_size = 8192, .cap_bytes = 8L << 20,
	  .unit = "sysv_msg", .per = 1,
	  .what = "unread SysV messages of --size bytes, held by no process",
	  .setup = setup_sysvmsg, .make = make_sysvmsg },
	{ .name = "posixmq", .rate = 5, .max = 400, .cap_max = 500,
	  .size = 64, .min_size = 1, .cap_size = 8192, .cap_bytes = 1L << 20,
	  .unit = "posix_mq_msg", .per = 1,
	  .what = "unread POSIX mqueue messages, 10 a queue, no fd kept: held by no process",
	  .make = make_posixmq },
	{ .name = "key", .rate = 50, .max = 4000, .cap_max = 20000,
	  .size = 32, .min_size = 1, .cap_size = 32767, .cap_bytes = 4L << 20,
	  .unit = "key", .per = 1,
	  .what = "user keys in a new session keyring; --size payload bytes",
	  .setup = setup_key, .make = make_key },
	{ .name = "userkey", .rate = 50, .max = 4000, .cap_max = 20000,
	  .size = 32, .min_size = 1, .cap_size = 32767, .cap_bytes = 4L << 20,
	  .unit = "key", .per = 1,
	  .what = "user keys in the uid's user keyring, which outlives every process: "
		  "held by no process",
	  .setup = setup_userkey, .make = make_key },
	{ .name = "inotify", .rate = 50, .max = 4000, .cap_max = 20000,
	  .unit = "inotify_watch", .per = 1, .what = "inotify watches, one fd, a directory each",
	  .setup = setup_inotify, .make = make_inotify },
	{ .name = "scm", .rate = 50, .max = 3000, .cap_max = 7000,
	  .unit = "fd", .per = 1, /* the holder's; 2 when --pass gives 2 an object */
	  .what = "fds sent over SCM_RIGHTS to a holder process that keeps them",
	  .setup = setup_scm, .make = make_scm },
	{ .name = "scmfork", .rate = 20, .max = 2000, .cap_max = 7000,
	  .unit = "fd", .per = 1,
	  .what = "as scm, but each object made by a child \"leakzoo-alloc\" that sends it "
		  "and exits: the allocators are gone",
	  .setup = setup_scm, .make = make_scmfork },
	{ .name = "dentry", .decoy = true, .rate = 2000, .max = 100000, .cap_max = 1000000,
	  .unit = "dentry", .per = 1,
	  .what = "stat() of missing names, negative dentries (reclaimable)",
	  .setup = setup_dentry, .make = make_dentry },
	{ .name = "flatfds", .decoy = true, .forever = true, .rate = 200, .max = 4000,
	  .cap_max = 15000, .unit = "fd", .per = 0,
	  .what = "--max eventfds held, one closed and reopened at the rate",
	  .setup = setup_flatfds, .make = make_flatfds },
	{ .name = "burst", .decoy = true, .forever = true, .rate = 4000, .max = 2000,
	  .cap_max = 15000, .unit = "fd", .per = 0,
	  .what = "--max eventfds opened at the rate, closed 0.5 s later, every cycle",
	  .make = make_burst, .due = burst_due },
	{ .name = "pagecache", .decoy = true, .rate = 128, .max = 8192, .cap_max = 65536,
	  .unit = "page", .per = 1,
	  .what = "a file of --max pages read a page at the rate (page cache)",
	  .setup = setup_pagecache, .make = make_pagecache },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static void cleanup(void)
{
	static bool done;
	char path[PATH_MAX];

	if (done || getpid() != owner) /* a child frees nothing of its parent's */
		return;
	done = true;
	if (holder_sock >= 0)
		close(holder_sock);
	if (holder_pid > 0) {
		kill(holder_pid, SIGKILL);
		while (waitpid(holder_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (long i = 0; i < nfds; i++)
		close(fds[i]);
	nfds = 0;
	if (listen_fd >= 0)
		close(listen_fd);
	for (long i = 0; i < nmaps; i++)
		munmap(maps[i], opt_size);
	for (long i = 0; i < nmsqids; i++)
		msgctl(msqids[i], IPC_RMID, NULL);
	for (long i = 0; i < nmq; i++) {
		mq_name(i, path, sizeof(path));
		mq_unlink(path);
	}
	for (long i = 0; i < nkeys; i++)
		syscall(SYS_keyctl, ZOO_KEYCTL_INVALIDATE, keys[i]);
	if (keyring >= 0 && !user_keyring) {
		syscall(SYS_keyctl, ZOO_KEYCTL_CLEAR, keyring);
		syscall(SYS_keyctl, ZOO_KEYCTL_INVALIDATE, keyring);
	}
	if (ifd >= 0)
		close(ifd); /* the watches go with it */
	if (data_fd >= 0)
		close(data_fd);
	if (dfd >= 0)
		close(dfd);
	if (tmpdir[0]) {
		for (long i = 0; i < ndirs; i++) {
			snprintf(path, sizeof(path), "%s/%ld", tmpdir, i);
			rmdir(path);
		}
		if (filepath[0])
			unlink(filepath);
		/* Also drops the negative dentries made under it. */
		rmdir(tmpdir);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void list_kinds(void)
{
	for (size_t i = 0; i < NKINDS; i++) {
		const struct kind *k = &kinds[i];

		printf("%-9s %-5s %s (%s; rate %g/s, max %ld, at most %ld", k->name,
		       k->decoy ? "decoy" : "leak", k->what, k->unit, k->rate, k->max, k->cap_max);
		if (k->cap_size)
			printf(", size %ld, %ld..%ld", k->size, k->min_size, k->cap_size);
		printf(")\n");
	}
}

static void usage_exit(const char *why)
{
	if (why)
		fprintf(stderr, "leakzoo: %s\n", why);
	fprintf(stderr, "usage: leakzoo KIND [--rate N] [--max N] [--size BYTES] [--pass FDKIND] [--comm NAME]"
			" (leakzoo --list: the kinds)\n");
	exit(2);
}

static bool parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return !errno && end != s && !*end && *out >= 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rate", required_argument, NULL, 'r' }, { "max", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' }, { "pass", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' }, { "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rate_s = NULL, *max_s = NULL, *size_s = NULL, *pass_s = NULL, *comm_s = NULL;
	char msg[256];
	struct sigaction sa;
	sigset_t block, waitmask;
	struct rlimit rl;
	double start;
	long i = 0;
	int c;

	/* A closed std fd would be taken by the first object made (stdout an
	 * eventfd, or a stdin that never reaches EOF): /dev/null in its place
	 * (a closed stdin is at EOF, then, and it stops at once). */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	PAGE = sysconf(_SC_PAGESIZE);
	owner = getpid();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': rate_s = optarg; break;
		case 'm': max_s = optarg; break;
		case 's': size_s = optarg; break;
		case 'p': pass_s = optarg; break;
		case 'c': comm_s = optarg; break;
		case 'l': list_kinds(); return 0;
		case 'h':
			printf("usage: leakzoo KIND [--rate N] [--max N] [--size BYTES] [--pass FDKIND] [--comm NAME]\n");
			list_kinds();
			return 0;
		default: usage_exit(NULL);
		}
	}
	if (optind != argc - 1)
		usage_exit(optind >= argc ? "no KIND" : "one KIND only");
	for (size_t k = 0; k < NKINDS; k++)
		if (strcmp(kinds[k].name, argv[optind]) == 0)
			K = &kinds[k];
	if (!K) {
		snprintf(msg, sizeof(msg), "unknown KIND '%s'", argv[optind]);
		usage_exit(msg);
	}
	opt_rate = K->rate;
	opt_max = K->max;
	opt_size = K->size;
	if (rate_s) {
		char *end;

		errno = 0;
		opt_rate = strtod(rate_s, &end);
		if (errno || end == rate_s || *end || !isfinite(opt_rate) || opt_rate <= 0 ||
		    opt_rate > 1e6)
			usage_exit("--rate wants a number of objects per second, > 0 and <= 1000000");
	}
	if (max_s && (!parse_long(max_s, &opt_max) || opt_max > K->cap_max)) {
		snprintf(msg, sizeof(msg), "--max for %s wants 0..%ld", K->name, K->cap_max);
		usage_exit(msg);
	}
	if (K->forever && opt_max == 0 && strcmp(K->name, "burst") == 0)
		usage_exit("--max for burst wants at least 1");
	if (size_s) {
		if (!K->cap_size) {
			snprintf(msg, sizeof(msg), "--size has no meaning for %s", K->name);
			usage_exit(msg);
		}
		if (!parse_long(size_s, &opt_size) || opt_size < K->min_size ||
		    opt_size > K->cap_size) {
			snprintf(msg, sizeof(msg), "--size for %s wants %ld..%ld", K->name,
				 K->min_size, K->cap_size);
			usage_exit(msg);
		}
	}
	if (strcmp(K->name, "map") == 0)
		opt_size = (opt_size + PAGE - 1) / PAGE * PAGE;
	if (K->cap_bytes && opt_max * opt_size > K->cap_bytes) {
		snprintf(msg, sizeof(msg), "--max * --size for %s wants at most %ld bytes", K->name,
			 K->cap_bytes);
		usage_exit(msg);
	}
	if (pass_s) {
		if (K->setup != setup_scm)
			usage_exit("--pass is for scm and scmfork only");
		if (!fdkind(pass_s)) {
			snprintf(msg, sizeof(msg),
				 "--pass wants an fd kind (eventfd timerfd epoll signalfd pidfd "
				 "file memfd mqueue pipe unix tcp), not '%s'", pass_s);
			usage_exit(msg);
		}
	}
	if (K->make == make_scm || K->make == make_scmfork) {
		pass_kind = &kinds[0];
		for (size_t j = 0; j < NKINDS && pass_s; j++)
			if (strcmp(kinds[j].name, pass_s) == 0)
				pass_kind = &kinds[j];
		opt_size = 0; /* the passed kinds carry no payload */
	}

	if (comm_s && (!*comm_s || strlen(comm_s) > 15))
		usage_exit("--comm wants a name of 1 to 15 bytes");
	if (comm_s)
		prctl(PR_SET_NAME, comm_s);
	payload = xcalloc(1, 8192 + sizeof(long) + (opt_size > PAGE ? opt_size : PAGE));
	memset(payload, 'z', 8192 + sizeof(long));
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	/* TERM/INT/HUP are blocked but while waiting: a stop is seen at once and
	 * never in the middle of making an object. Threads inherit the block. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);

	printf("pid %d\nobject %s\nclass %s\nrate %g\nmax %ld\n", (int)getpid(), K->name,
	       K->decoy ? "decoy" : "leak", opt_rate, opt_max);
	if (K->cap_size)
		printf("size %ld\n", opt_size);
	if (K->setup)
		K->setup();
	/* Who allocates, and who holds what was made: the process whose fd
	 * table, threads, mappings or session keyring keep it, or none. */
	if (K->make == make_scmfork)
		printf("allocator children %d\n", (int)getpid());
	else
		printf("allocator %d\n", (int)getpid());
	if (holder_pid > 0)
		printf("holder %d\n", (int)holder_pid);
	else if (K->make == make_sysvmsg || K->make == make_posixmq || K->setup == setup_userkey ||
		 K->make == make_dentry || K->make == make_pagecache)
		printf("holder none\n");
	else
		printf("holder %d\n", (int)getpid());
	printf("unit %s %d\n", K->unit, pass_kind ? pass_kind->per : K->per);
	printf("ready\n");
	if (!K->forever && opt_max == 0)
		printf("max reached\n");

	start = now();
	while (!stop) {
		struct pollfd pfd = { 0, POLLIN, 0 };
		struct timespec ts, *tsp = NULL;
		double t = now() - start;
		int n;

		/* Make what is due (a burst of catching up at most 10000). */
		for (int batch = 0; (K->forever || i < opt_max) && batch < 10000; batch++) {
			double due = K->due ? K->due(i) : i / opt_rate;

			if (due > t)
				break;
			K->make(i++);
			if (!K->forever && i == opt_max)
				printf("max reached\n");
		}
		if (K->forever || i < opt_max) {
			double wait = (K->due ? K->due(i) : i / opt_rate) - (now() - start);

			if (wait < 0)
				wait = 0;
			ts.tv_sec = (time_t)wait;
			ts.tv_nsec = (long)((wait - ts.tv_sec) * 1e9);
			tsp = &ts;
		}
		n = ppoll(&pfd, 1, tsp, &waitmask);
		if (n < 0 && errno != EINTR)
			die("ppoll");
		if (n > 0) {
			char buf[512];
			ssize_t r = read(0, buf, sizeof(buf));

			if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
				break; /* EOF (or stdin closed or unusable): stop */
		}
	}
	cleanup();
	printf("freed\n");
	return 0;
}
