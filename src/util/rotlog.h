/* An append-only log of whole records (one refresh of `top --log`, say),
 * rotated to PATH.1 when the next record would take it past a size limit. */
#ifndef POOLSCOPE_UTIL_ROTLOG_H
#define POOLSCOPE_UTIL_ROTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct notes;

struct rotlog {
	const char *path; /* borrowed */
	int fd;		  /* -1: closed */
	uint64_t max;	  /* rotate beyond this many bytes */
	uint64_t size;	  /* bytes in the current file */
};

#define ROTLOG_INIT { NULL, -1, 0, 0 }

/* Open (create, append to) path. 0 or -errno; the caller says why. */
int rotlog_open(struct rotlog *log, const char *path, uint64_t max);
/* The current file holds nothing yet (a CSV record then needs its header). */
bool rotlog_empty(const struct rotlog *log);
/* Before a record of len bytes: rotate when it would take a non-empty file
 * past max. A rename that fails is a note ("log-rotate") and appending goes
 * on; -errno only when the fresh file cannot be opened (the log is closed). */
int rotlog_make_room(struct rotlog *log, size_t len, struct notes *ns);
/* Append one record, whole or not at all: when a write fails midway (a
 * full disk), what it wrote is truncated away again. The log stays open, so
 * the next record is tried afresh. 0 or -errno. */
int rotlog_write(struct rotlog *log, const char *buf, size_t len);
/* Accepts a closed log. */
void rotlog_close(struct rotlog *log);

#endif
