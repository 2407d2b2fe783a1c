/* The subcommands. Each lives in its own file under src/cmd/: it parses its
 * options, wires readers → analysis → output, and returns an exit code
 * (EXIT_OK, EXIT_FAIL, EXIT_USAGE). No business logic lives here. */
#ifndef POOLSCOPE_CMD_CMD_H
#define POOLSCOPE_CMD_CMD_H

#include <stdio.h>

struct command {
	const char *name;
	const char *summary; /* one line for `poolscope --help` */
	/* argv[0] is the command's name; getopt state is reset before the call. */
	int (*run)(int argc, char **argv);
	void (*help)(FILE *out);
};

extern const struct command cmd_top;
extern const struct command cmd_handles;
extern const struct command cmd_record;
extern const struct command cmd_report;
extern const struct command cmd_diagnose;
extern const struct command cmd_watch;
extern const struct command cmd_history;
extern const struct command cmd_compare;

/* The command table, NULL-terminated, in the order `--help` lists them. */
extern const struct command *const commands[];

/* Find a command by exact name or unambiguous prefix. NULL if none;
 * *ambiguous is set when several commands share the prefix. */
const struct command *command_find(const char *name, int *ambiguous);

#endif
