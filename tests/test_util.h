/* Shared helpers for the C tests (cmocka). */
#ifndef POOLSCOPE_TEST_UTIL_H
#define POOLSCOPE_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Directory of the fixtures captured from real machines. */
#ifndef FIXTURES_DIR
#define FIXTURES_DIR "tests/fixtures"
#endif

/* Read a whole file into a malloc'd NUL-terminated buffer (test helper). */
static inline char *test_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf) {
				fclose(f);
				return NULL;
			}
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Run a command line through the shell and capture its stdout (malloc'd). */
static inline char *test_capture(const char *cmdline, int *status)
{
	FILE *p = popen(cmdline, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!p)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len - 1, p);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	*status = pclose(p);
	return buf;
}

/* Path of the poolscope binary under test (set by tests/run.sh). */
static inline const char *test_poolscope(void)
{
	const char *p = getenv("POOLSCOPE");

	return p ? p : "build/poolscope";
}

/* Skip (with a stated reason) unless running as root. */
#define REQUIRE_ROOT()                                                                      \
	do {                                                                                \
		if (geteuid() != 0) {                                                       \
			print_message("skipped: needs root (run the suite as root)\n");    \
			skip();                                                             \
		}                                                                           \
	} while (0)

#endif
