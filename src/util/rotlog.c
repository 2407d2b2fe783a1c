#include "util/rotlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/notes.h"

int rotlog_open(struct rotlog *log, const char *path, uint64_t max)
{
	struct stat st;

	log->path = path;
	log->max = max;
	log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (log->fd < 0)
		return -errno;
	log->size = fstat(log->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

bool rotlog_empty(const struct rotlog *log)
{
	return log->size == 0;
}

void rotlog_close(struct rotlog *log)
{
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
}

/* Rename FILE to FILE.1 (replacing an older FILE.1) and start FILE afresh. */
int rotlog_make_room(struct rotlog *log, size_t len, struct notes *ns)
{
	char old[4096];

	if (log->size == 0 || log->size + len <= log->max)
		return 0;
	snprintf(old, sizeof(old), "%s.1", log->path);
	if (rename(log->path, old)) {
		/* Keep appending rather than lose the refresh. */
		notes_add(ns, "log-rotate", "cannot rotate log %s to %s: %s; still appending",
			  log->path, old, strerror(errno));
		return 0;
	}
	rotlog_close(log);
	return rotlog_open(log, log->path, log->max);
}

int rotlog_write(struct rotlog *log, const char *buf, size_t len)
{
	struct stat st;
	uint64_t start = fstat(log->fd, &st) == 0 ? (uint64_t)st.st_size : log->size;
	size_t done = 0;
	int err;

	while (done < len) {
		ssize_t n = write(log->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -ENOSPC;
			/* Take the torn record back: a reader of the log sees whole
			 * records only (a full disk keeps what it had). */
			if (done && ftruncate(log->fd, (off_t)start) == 0)
				done = 0;
			log->size = start + done;
			return err;
		}
		done += (size_t)n;
	}
	log->size = start + len;
	return 0;
}
