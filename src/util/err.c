#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"

bool err_json;
static const char *prog = "poolscope";

void err_set_prog(const char *p)
{
	prog = p;
}

static void say(const char *kind, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fflush(stdout);
	if (err_json) {
		struct json_writer *w = json_writer_new(stderr);

		if (w) {
			json_begin_object(w);
			json_key(w, kind);
			json_string(w, msg);
			json_end_object(w);
			json_writer_free(w);
		}
		fputc('\n', stderr);
		return;
	}
	if (strcmp(kind, "error") == 0)
		fprintf(stderr, "%s: %s\n", prog, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", prog, kind, msg);
}

void ps_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("error", fmt, ap);
	va_end(ap);
}

void ps_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("warning", fmt, ap);
	va_end(ap);
}

/* A small fixed set of keys is enough: warn-once is for per-source notes. */
#define WARN_ONCE_SLOTS 64
static char *warned[WARN_ONCE_SLOTS];

void ps_warn_once(const char *key, const char *fmt, ...)
{
	va_list ap;
	int i;

	for (i = 0; i < WARN_ONCE_SLOTS && warned[i]; i++)
		if (strcmp(warned[i], key) == 0)
			return;
	if (i < WARN_ONCE_SLOTS)
		warned[i] = strdup(key);
	va_start(ap, fmt);
	say("warning", fmt, ap);
	va_end(ap);
}

int ps_usage(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cmd)
		ps_error("%s: %s (see 'poolscope %s --help')", cmd, msg, cmd);
	else
		ps_error("%s (see 'poolscope --help')", msg);
	return EXIT_USAGE;
}
