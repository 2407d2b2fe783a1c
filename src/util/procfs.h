/* The one reader of /proc and /sys text files. Files there report size 0, so
 * they are read to EOF; a reader parses the text with line_next(). Parsing is
 * kept apart from reading so unit tests feed captured fixtures to parsers. */
#ifndef POOLSCOPE_UTIL_PROCFS_H
#define POOLSCOPE_UTIL_PROCFS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/strbuf.h"

/* Read the whole file at path (relative to dirfd, or AT_FDCWD) into sb,
 * replacing its contents. 0 or -errno. */
int procfs_read(int dirfd, const char *path, struct strbuf *sb);
/* Read a file holding one unsigned number (e.g. /proc/sys/fs/file-max). */
int procfs_read_u64(int dirfd, const char *path, uint64_t *value);
/* Read a file holding one line; trailing newline removed. */
int procfs_read_line(int dirfd, const char *path, char *buf, unsigned int len);

/* Count the lines of a file without holding it (e.g. /proc/PID/maps of a
 * process with a million mappings). 0 or -errno. */
int procfs_count_lines(int dirfd, const char *path, uint64_t *lines);
/* A /proc directory entry name that is a pid ("1234"): true and *pid set. */
bool procfs_pid_name(const char *name, int *pid);

/* In-place line iteration over a mutable text buffer. */
struct line_iter {
	char *pos;
	unsigned int lineno; /* 1-based number of the line last returned */
};

static inline void line_iter_init(struct line_iter *it, char *text)
{
	it->pos = text;
	it->lineno = 0;
}

/* Next line with its newline replaced by NUL, or NULL at the end. */
char *line_next(struct line_iter *it);

/* Split s in place on runs of blanks; returns the number of fields stored
 * (at most max). */
int split_fields(char *s, char **fields, int max);

#endif
