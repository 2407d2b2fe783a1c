/* One error path: every failure is said once, by the place that knows why. */
#ifndef POOLSCOPE_OUTPUT_DIAG_H
#define POOLSCOPE_OUTPUT_DIAG_H

#include <stdbool.h>

/* Exit-code policy, applied by main(): commands return one of these. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

/* When set, errors and warnings are written as one JSON object per line
 * ({"error":"…"} / {"warning":"…"}) on stderr, so a JSON consumer of stdout
 * can still parse the diagnostics. */
extern bool err_json;

/* "poolscope: <message>" on stderr. Messages carry no trailing newline. */
void ps_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ps_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like ps_warn, but says it only the first time for a given key. */
void ps_warn_once(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct notes;
/* Say each of a library's notes as a warning "CMD: text", once per key for the
 * run (ps_warn_once). For short-lived commands; a daemon tracks keys itself so
 * a problem that clears and comes back is said again. */
void ps_warn_notes(const char *cmd, const struct notes *ns);

/* Usage error for command CMD: prints the message and a hint to --help;
 * returns EXIT_USAGE so callers can `return ps_usage(...)`. */
int ps_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct option;
/* The usage error for an option getopt_long rejected: C is what it returned
 * ('?' or ':'), with opterr = 0 and an optstring starting with ':' so getopt
 * itself stays quiet. Names the option ("unknown option '-z'", "--count needs
 * an argument", "--batch takes no argument"); returns EXIT_USAGE. */
int ps_usage_getopt(const char *cmd, int c, char *const argv[], const struct option *longopts);

/* Set the program name used as the prefix (default "poolscope"). */
void err_set_prog(const char *prog);

#endif
