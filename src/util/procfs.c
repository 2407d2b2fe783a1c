#include "util/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/parse.h"

/* read(2) that retries on a signal: bytes read, 0 at EOF, or -errno. */
static ssize_t read_retry(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, buf, len);

		if (n >= 0 || errno != EINTR)
			return n < 0 ? -errno : n;
	}
}

int procfs_read(int dirfd, const char *path, struct strbuf *sb)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	strbuf_reset(sb);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		err = strbuf_grow(sb, 4096);
		if (err)
			break;
		n = read_retry(fd, sb->buf + sb->len, sb->cap - sb->len - 1);
		if (n <= 0) {
			err = (int)n;
			break;
		}
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
	close(fd);
	return err;
}

int procfs_read_line(int dirfd, const char *path, char *buf, unsigned int len)
{
	struct strbuf sb = STRBUF_INIT;
	int err = procfs_read(dirfd, path, &sb);
	const char *s;
	size_t n;

	if (err) {
		strbuf_release(&sb);
		return err;
	}
	s = strbuf_str(&sb);
	n = strcspn(s, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	strbuf_release(&sb);
	return 0;
}

int procfs_read_u64(int dirfd, const char *path, uint64_t *value)
{
	char line[64];
	int err = procfs_read_line(dirfd, path, line, sizeof(line));

	if (err)
		return err;
	return parse_u64(line, value);
}

int procfs_count_lines(int dirfd, const char *path, uint64_t *lines)
{
	char buf[16384];
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	uint64_t count = 0;
	int err = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read_retry(fd, buf, sizeof(buf));
		const char *p;

		if (n <= 0) {
			err = (int)n;
			break;
		}
		for (p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))); p++)
			count++;
	}
	close(fd);
	if (!err)
		*lines = count;
	return err;
}

bool procfs_pid_name(const char *name, int *pid)
{
	long n = 0;

	if (!*name)
		return false;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || n > 1 << 30)
			return false;
		n = n * 10 + (*name - '0');
	}
	*pid = (int)n;
	return true;
}

char *line_next(struct line_iter *it)
{
	char *start = it->pos, *nl;

	if (!start || !*start)
		return NULL;
	nl = strchr(start, '\n');
	if (nl) {
		*nl = '\0';
		it->pos = nl + 1;
	} else {
		it->pos = start + strlen(start);
	}
	it->lineno++;
	return start;
}

int split_fields(char *s, char **fields, int max)
{
	int n = 0;

	while (*s && n < max) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		fields[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}
