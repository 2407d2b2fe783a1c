#include "output/diag.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"
#include "util/notes.h"

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

/* What getopt_long left behind tells which case it was: optopt is 0 for an
 * unknown or ambiguous long option, the option's value for a long option
 * given "=ARG" it does not take, and the character for a short option. The
 * element at optind - 1 is the one just scanned, except inside a cluster of
 * short options ("-zb"), which is why short options are named by optopt. */
int ps_usage_getopt(const char *cmd, int c, char *const argv[], const struct option *longopts)
{
	const char *elem = optind > 0 ? argv[optind - 1] : NULL;
	bool is_long = elem && strncmp(elem, "--", 2) == 0;
	size_t len = is_long ? strcspn(elem + 2, "=") : 0;
	const struct option *o;
	int matches = 0;

	if (c == ':') {
		if (is_long)
			return ps_usage(cmd, "%.*s needs an argument", (int)len + 2, elem);
		return ps_usage(cmd, "-%c needs an argument", optopt);
	}
	if (is_long && (optopt == 0 || elem[2 + len] == '=')) {
		for (o = longopts; o && o->name; o++) {
			if (strncmp(o->name, elem + 2, len) != 0)
				continue;
			if (strlen(o->name) == len && o->has_arg == no_argument)
				return ps_usage(cmd, "--%s takes no argument", o->name);
			matches++;
		}
		if (optopt == 0)
			return ps_usage(cmd, "%s option '%.*s'",
					matches > 1 ? "ambiguous" : "unknown", (int)len + 2, elem);
	}
	if (isprint(optopt))
		return ps_usage(cmd, "unknown option '-%c'", optopt);
	return ps_usage(cmd, "unknown option");
}

void ps_warn_notes(const char *cmd, const struct notes *ns)
{
	size_t i;

	for (i = 0; ns && i < ns->n; i++)
		ps_warn_once(ns->v[i].key, "%s%s%s", cmd ? cmd : "", cmd ? ": " : "", ns->v[i].text);
}
