#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_all_and_exit(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0); /* the hook closed its stdin: fine */
		text += n;
		len -= (size_t)n;
	}
	_exit(0);
}

int spawn_with_input(const char *cmd, const char *text, size_t len, pid_t *pid)
{
	int fds[2];
	pid_t child, writer;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	child = fork();
	if (child < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (child == 0) {
		/* The hook: a shell with the text on stdin, default signals. */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fds[0], STDIN_FILENO) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	writer = fork();
	if (writer == 0) {
		signal(SIGPIPE, SIG_IGN);
		write_all_and_exit(fds[1], text, len);
	}
	close(fds[1]);
	*pid = child;
	return writer < 0 ? -errno : 0;
}

int spawn_reap(void)
{
	int n = 0, status;

	while (waitpid(-1, &status, WNOHANG) > 0)
		n++;
	return n;
}
