/* record_evleak: eventfds for the truth tests of `poolscope record`.
 *
 * usage: record_evleak PRE KEEP CHURN [once]
 *
 * Opens PRE eventfds, prints "ready <pid>" and waits for a line on stdin
 * (the test starts recording then). Then closes the PRE ones (frees of
 * objects allocated before the recording), opens KEEP and keeps them, opens
 * and closes CHURN more, prints "done" and waits for a line (the test stops
 * recording), then exits. EOF on stdin at any wait exits at once. With
 * "once", one timerfd is opened (and kept) after the KEEP eventfds: an
 * allocating path seen exactly once (timerfd_create), beside the eventfd2
 * path seen KEEP + CHURN times. PRE and KEEP are at most 15000 (fds held);
 * CHURN at most 10,000,000 (a path seen a million times).
 * Exit 2 on bad arguments, 1 when an open fails (reason on stderr). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "leaker_io.h"

int main(int argc, char **argv)
{
	long pre, keep, churn;
	int *pre_fds, *keep_fds;

	bool once = argc == 5 && !strcmp(argv[4], "once");

	if ((argc != 4 && !once) || parse_count(argv[1], 15000, &pre) ||
	    parse_count(argv[2], 15000, &keep) || parse_count(argv[3], 10000000, &churn)) {
		fprintf(stderr, "usage: record_evleak PRE KEEP CHURN [once] (PRE, KEEP 0..15000; "
				"CHURN 0..10000000)\n");
		return 2;
	}
	pre_fds = calloc((size_t)pre + 1, sizeof(int));
	keep_fds = calloc((size_t)keep + 1, sizeof(int));
	if (!pre_fds || !keep_fds)
		return 1;
	for (long i = 0; i < pre; i++) {
		pre_fds[i] = eventfd(0, EFD_CLOEXEC);
		if (pre_fds[i] < 0) {
			fprintf(stderr, "record_evleak: eventfd: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (wait_line())
		return 0;
	for (long i = 0; i < pre; i++)
		close(pre_fds[i]);
	for (long i = 0; i < keep; i++) {
		keep_fds[i] = eventfd(0, EFD_CLOEXEC);
		if (keep_fds[i] < 0) {
			fprintf(stderr, "record_evleak: eventfd: %s\n", strerror(errno));
			return 1;
		}
	}
	if (once && timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) < 0) {
		fprintf(stderr, "record_evleak: timerfd_create: %s\n", strerror(errno));
		return 1;
	}
	for (long i = 0; i < churn; i++) {
		int fd = eventfd(0, EFD_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "record_evleak: eventfd: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
	}
	printf("done\n");
	fflush(stdout);
	wait_line();
	free(pre_fds);
	free(keep_fds);
	return 0;
}
