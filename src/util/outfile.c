#include "util/outfile.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "dir/name" → "dir" (or "." or "/"), malloc'd. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* "dir/.name.PID.N.tmp": hidden beside PATH, so rename() stays in one filesystem. */
static char *hidden_name(const char *path, unsigned int n)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t len = strlen(path) + 48;
	char *name = malloc(len);

	if (name)
		snprintf(name, len, "%.*s.%s.%d.%u.tmp", (int)dirlen, path, path + dirlen,
			 (int)getpid(), n);
	return name;
}

static int open_in_place(struct outfile *o)
{
	o->in_place = 1;
	o->stream = fopen(o->path, "w");
	return o->stream ? 0 : -errno;
}

/* The fallback without O_TMPFILE: a hidden file, created exclusively. */
static int open_hidden(struct outfile *o)
{
	mode_t mask = umask(0);
	unsigned int n;
	int fd = -1;

	umask(mask);
	for (n = 0; n < 100 && fd < 0; n++) {
		free(o->tmp_path);
		o->tmp_path = hidden_name(o->path, n);
		if (!o->tmp_path)
			return -ENOMEM;
		fd = open(o->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666 & ~mask);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int err = -errno;

		free(o->tmp_path);
		o->tmp_path = NULL;
		return err;
	}
	o->stream = fdopen(fd, "w");
	if (!o->stream) {
		int err = -errno;

		close(fd);
		unlink(o->tmp_path);
		return err;
	}
	return 0;
}

int outfile_open(struct outfile *o, const char *path)
{
	struct stat st;
	char *dir = NULL;
	int fd, err;

	memset(o, 0, sizeof(*o));
	o->anon_fd = -1;
	o->path = strdup(path);
	if (!o->path)
		return -ENOMEM;
	/* Renaming over /dev/null or through a symlink would replace the node. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		err = open_in_place(o);
		goto out;
	}
	dir = dir_of(path);
	if (!dir) {
		err = -ENOMEM;
		goto out;
	}
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0) {
		err = -errno;
		/* Old kernels read O_TMPFILE as O_DIRECTORY: EISDIR. */
		if (err == -EOPNOTSUPP || err == -EISDIR || err == -EINVAL)
			err = open_hidden(o);
		goto out;
	}
	o->stream = fdopen(fd, "w");
	if (!o->stream) {
		err = -errno;
		close(fd);
		goto out;
	}
	o->anon_fd = fd;
	err = 0;
out:
	free(dir);
	if (err) {
		o->stream = NULL;
		outfile_discard(o);
	}
	return err;
}

/* Give the unnamed file a hidden name through /proc, then rename it. */
static int name_anon(struct outfile *o)
{
	char proc_path[64];
	unsigned int n;
	int err = -EEXIST;

	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", o->anon_fd);
	for (n = 0; n < 100 && err == -EEXIST; n++) {
		free(o->tmp_path);
		o->tmp_path = hidden_name(o->path, n);
		if (!o->tmp_path)
			return -ENOMEM;
		err = linkat(AT_FDCWD, proc_path, AT_FDCWD, o->tmp_path, AT_SYMLINK_FOLLOW) ? -errno
											: 0;
	}
	if (err) {
		free(o->tmp_path);
		o->tmp_path = NULL;
	}
	return err;
}

int outfile_commit(struct outfile *o)
{
	int err = 0;

	if (!o->stream)
		return -EBADF;
	errno = 0;
	if (fflush(o->stream) != 0 || ferror(o->stream))
		err = errno ? -errno : -EIO;
	if (!err && o->anon_fd >= 0)
		err = name_anon(o);
	if (fclose(o->stream) != 0 && !err)
		err = -errno;
	o->stream = NULL;
	if (!err && !o->in_place && rename(o->tmp_path, o->path) != 0)
		err = -errno;
	if (!err) {
		free(o->tmp_path); /* renamed: nothing to remove any more */
		o->tmp_path = NULL;
	}
	return err;
}

void outfile_discard(struct outfile *o)
{
	if (o->stream)
		fclose(o->stream);
	if (o->tmp_path)
		unlink(o->tmp_path);
	free(o->tmp_path);
	free(o->path);
	memset(o, 0, sizeof(*o));
	o->anon_fd = -1;
}

bool stdout_reader_gone(void)
{
	struct pollfd out = { .fd = STDOUT_FILENO, .events = POLLOUT };

	return errno == EPIPE || (poll(&out, 1, 0) == 1 && (out.revents & (POLLERR | POLLHUP)));
}

int stdout_flush_refresh(void)
{
	int fd, err;

	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	err = errno ? errno : EIO;
	if (!stdout_reader_gone())
		return -err;
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	clearerr(stdout);
	return STDOUT_GONE;
}
