/* ustack_leak: eventfds leaked two calls deep, for `record --user-stacks`.
 *
 * usage: ustack_leak N [PER_S]
 *
 * Prints "ready <pid>" and waits for a line on stdin (the test starts
 * recording then); main calls accept_loop(), which calls conn_open() N
 * times, which opens an eventfd through open_one() and keeps it; prints
 * "done" and waits for a line (the test stops recording), then exits. EOF
 * on stdin at any wait exits at once. N is at most 15000 (fds held). With
 * PER_S, accept_loop paces the opens at that many a second (a steady leak
 * for `diagnose`) instead of opening them all at once.
 *
 * Built with -O1 -fno-omit-frame-pointer (Makefile), every function
 * noinline: the user stack is walked by frame pointers. open_one() does work
 * after the libc call (no tail call): glibc's eventfd() wrapper sets up no
 * frame of its own, so the frame-pointer walk goes from it straight to the
 * return address in its caller's caller. With open_one() between, the
 * chain reads eventfd (libc), conn_open, accept_loop, main.
 * Exit 2 on bad arguments, 1 when an open fails (reason on stderr). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static long opened;

static int wait_line(void)
{
	char line[64];

	return fgets(line, sizeof(line), stdin) ? 0 : -1;
}

static __attribute__((noinline)) int open_one(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd >= 0)
		opened++;
	return fd;
}

static __attribute__((noinline)) int conn_open(void)
{
	int fd = open_one();

	if (fd < 0)
		fprintf(stderr, "ustack_leak: eventfd: %s\n", strerror(errno));
	return fd;
}

static __attribute__((noinline)) int accept_loop(long n, long per_s)
{
	for (long i = 0; i < n; i++) {
		if (conn_open() < 0)
			return -1;
		if (per_s)
			usleep((useconds_t)(1000000 / per_s));
	}
	return 0;
}

int main(int argc, char **argv)
{
	char *end;
	long n, per_s = 0;

	if (argc != 2 && argc != 3)
		goto usage;
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || n < 0 || n > 15000)
		goto usage;
	if (argc == 3) {
		per_s = strtol(argv[2], &end, 10);
		if (errno || end == argv[2] || *end || per_s < 1 || per_s > 100000)
			goto usage;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", (int)getpid());
	if (wait_line())
		return 0;
	if (accept_loop(n, per_s))
		return 1;
	printf("done %ld\n", opened);
	wait_line();
	return 0;
usage:
	fprintf(stderr, "usage: ustack_leak N (0..15000) [PER_S (1..100000)]\n");
	return 2;
}
