/* xcpu_evleak: eventfds allocated on one CPU and freed on another, for the
 * truth test of record's merge across CPUs (each CPU stages its own events).
 *
 * usage: xcpu_evleak KEEP CHURN
 *
 * Prints "ready <pid> <opener tid> <closer tid>" and waits for a line on
 * stdin. Then the opener thread, pinned to CPU 0, opens CHURN eventfds and
 * hands each at once to the closer thread, pinned to CPU 1, which closes it
 * (microseconds later, on the other CPU); then the opener opens KEEP more and
 * keeps them. Prints "done" and waits for a line, then exits. EOF on stdin at
 * any wait exits at once. Exit 2 on bad arguments, 3 when CPUs 0 and 1 are
 * not both usable, 1 when an open fails (reason on stderr). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "leaker_io.h"

#define RING 1024 /* a power of two */

static int ring[RING];
static atomic_uint head, tail; /* head: next slot the opener fills */
static atomic_int closer_tid;

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *closer(void *arg)
{
	(void)arg;
	if (pin(1)) {
		atomic_store(&closer_tid, -1);
		return NULL;
	}
	atomic_store(&closer_tid, (int)syscall(SYS_gettid));
	for (;;) {
		unsigned t = atomic_load_explicit(&tail, memory_order_relaxed);
		int fd;

		while (atomic_load_explicit(&head, memory_order_acquire) == t)
			; /* spin: the hand-over must be quick */
		fd = ring[t % RING];
		atomic_store_explicit(&tail, t + 1, memory_order_release);
		if (fd < 0)
			return NULL;
		close(fd);
	}
}

static void hand_over(int fd)
{
	unsigned h = atomic_load_explicit(&head, memory_order_relaxed);

	while (h - atomic_load_explicit(&tail, memory_order_acquire) >= RING)
		;
	ring[h % RING] = fd;
	atomic_store_explicit(&head, h + 1, memory_order_release);
}

int main(int argc, char **argv)
{
	long keep, churn;
	pthread_t th;

	if (argc != 3 || parse_count(argv[1], 15000, &keep) || parse_count(argv[2], 10000000, &churn)) {
		fprintf(stderr, "usage: xcpu_evleak KEEP CHURN (KEEP <= 15000)\n");
		return 2;
	}
	if (pin(0) || pthread_create(&th, NULL, closer, NULL)) {
		fprintf(stderr, "xcpu_evleak: cannot use CPU 0 or start the closer\n");
		return 3;
	}
	while (!atomic_load(&closer_tid))
		usleep(1000);
	if (atomic_load(&closer_tid) < 0) {
		fprintf(stderr, "xcpu_evleak: cannot pin a thread to CPU 1\n");
		return 3;
	}
	printf("ready %d %d %d\n", getpid(), (int)syscall(SYS_gettid), atomic_load(&closer_tid));
	fflush(stdout);
	if (wait_line())
		return 0;
	for (long i = 0; i < churn + keep; i++) {
		int fd = eventfd(0, EFD_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "xcpu_evleak: eventfd: %s\n", strerror(errno));
			return 1;
		}
		if (i < churn)
			hand_over(fd);
	}
	hand_over(-1);
	pthread_join(th, NULL);
	printf("done\n");
	fflush(stdout);
	wait_line();
	return 0;
}
