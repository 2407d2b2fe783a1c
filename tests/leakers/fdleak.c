/* fdleak: hold and churn file descriptors on command, for truth tests of
 * `poolscope top` (filp, eventfd_ctx, pipe caches) and anyone else.
 *
 * usage: fdleak eventfd|pipe KEEP CHURN
 *
 * Protocol on stdin/stdout (line-based, so a test can time its windows):
 *   prints "ready <pid>"       then waits for a line on stdin
 *   opens KEEP and keeps them  prints "kept KEEP", waits for a line
 *   opens+closes CHURN more    prints "churned CHURN", waits for a line
 *   closes everything, prints "closed", exits 0
 * EOF on stdin at any wait: closes everything and exits 0 at once.
 * KEEP counts objects: an eventfd is one fd, a pipe two. Root here lacks
 * CAP_SYS_RESOURCE and stops at 20000 open files, so KEEP is bounded by that.
 * Exit 2 on bad arguments, 1 when an open fails (with the reason on stderr). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

enum kind { KIND_EVENTFD, KIND_PIPE };

static int open_one(enum kind kind, int fds[2])
{
	if (kind == KIND_EVENTFD) {
		fds[0] = eventfd(0, EFD_CLOEXEC);
		fds[1] = -1;
		return fds[0] < 0 ? -errno : 0;
	}
	return pipe2(fds, O_CLOEXEC) ? -errno : 0;
}

static void close_one(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

/* Wait for one line; false on EOF. */
static bool wait_line(void)
{
	char line[256];

	return fgets(line, sizeof(line), stdin) != NULL;
}

static int parse_count(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return (errno || *end || end == s || *out < 0 || *out > 10000000) ? -1 : 0;
}

int main(int argc, char **argv)
{
	enum kind kind;
	long keep, churn, i, kept = 0;
	int(*held)[2] = NULL;
	struct rlimit rl;
	int rc = 0;

	if (argc != 4 || (strcmp(argv[1], "eventfd") && strcmp(argv[1], "pipe")) ||
	    parse_count(argv[2], &keep) || parse_count(argv[3], &churn)) {
		fprintf(stderr, "usage: fdleak eventfd|pipe KEEP CHURN\n");
		return 2;
	}
	kind = strcmp(argv[1], "pipe") == 0 ? KIND_PIPE : KIND_EVENTFD;
	/* Raise the soft fd limit as far as the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	held = calloc(keep ? (size_t)keep : 1, sizeof(*held));
	if (!held) {
		fprintf(stderr, "fdleak: out of memory\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", (int)getpid());
	if (!wait_line())
		goto out;
	for (kept = 0; kept < keep; kept++) {
		int err = open_one(kind, held[kept]);

		if (err) {
			fprintf(stderr, "fdleak: open %ld of %ld failed: %s\n", kept + 1, keep,
				strerror(-err));
			rc = 1;
			goto out;
		}
	}
	printf("kept %ld\n", kept);
	if (!wait_line())
		goto out;
	for (i = 0; i < churn; i++) {
		int fds[2];
		int err = open_one(kind, fds);

		if (err) {
			fprintf(stderr, "fdleak: churn open %ld failed: %s\n", i + 1,
				strerror(-err));
			rc = 1;
			goto out;
		}
		close_one(fds);
	}
	printf("churned %ld\n", churn);
	if (!wait_line())
		goto out;
out:
	for (i = 0; i < kept; i++)
		close_one(held[i]);
	free(held);
	if (rc == 0)
		printf("closed\n");
	return rc;
}
