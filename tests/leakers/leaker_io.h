/* What the eventfd leakers driven by the record tests share: a count
 * argument read strictly, and the wait for the test's next line. */
#ifndef POOLSCOPE_LEAKERS_LEAKER_IO_H
#define POOLSCOPE_LEAKERS_LEAKER_IO_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* 0 on a line, -1 at EOF (the test is gone: exit). */
static inline int wait_line(void)
{
	char line[64];

	return fgets(line, sizeof(line), stdin) ? 0 : -1;
}

/* A decimal count from 0 to max, nothing else around it. */
static inline int parse_count(const char *s, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || end == s || *end || *out < 0 || *out > max ? -1 : 0;
}

#endif
