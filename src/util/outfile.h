/* An output file that appears complete or not at all: written under no name
 * (O_TMPFILE) or a hidden one in the same directory and renamed over PATH
 * once everything is written. A failed run, a usage error found late or a
 * kill never leaves a truncated file behind, nor truncates the one that was
 * there. Devices, FIFOs and symlinks (-o /dev/stdout) are written in place. */
#ifndef POOLSCOPE_UTIL_OUTFILE_H
#define POOLSCOPE_UTIL_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

struct outfile {
	FILE *stream;	/* write here */
	char *path;	/* the name the caller asked for */
	char *tmp_path; /* the hidden name when O_TMPFILE was not available */
	int anon_fd;	/* the O_TMPFILE descriptor (owned by stream), or -1 */
	int in_place;	/* writing PATH itself: nothing to rename */
};

/* Whether stdout's reader went away (a closed pipe: `poolscope … | head`).
 * That ends a command cleanly, with exit 0 and no message, while any other
 * failed write (a full disk) is an error. errno is stale when an earlier
 * write failed, so the pipe itself is asked. */
bool stdout_reader_gone(void);
/* Flush stdout after one refresh of a long-running command: 0;
 * STDOUT_GONE when the reader went away (stdout then goes to /dev/null, so
 * the exit path sees no write error: stop quietly); or -errno on another
 * write error (the caller says it). */
#define STDOUT_GONE 1
int stdout_flush_refresh(void);

/* 0, or -errno (nothing is created then). */
int outfile_open(struct outfile *o, const char *path);
/* Flush and give the file its name: 0, or -errno (then it is discarded). */
int outfile_commit(struct outfile *o);
/* Discard what was written; PATH keeps what it held before. Accepts a
 * zeroed, failed or committed outfile. */
void outfile_discard(struct outfile *o);

#endif
