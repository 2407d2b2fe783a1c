#include <stdio.h>

#include "cmd/cmd.h"
#include "util/err.h"

/* Placeholder until the handles issue lands: says so instead of pretending. */
static void handles_help(FILE *out)
{
	fprintf(out, "usage: poolscope handles\n\nNot built yet in this version.\n");
}

static int handles_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ps_error("handles: not built yet in this version");
	return EXIT_FAIL;
}

const struct command cmd_handles = {
	.name = "handles",
	.summary = "(not built yet)",
	.run = handles_run,
	.help = handles_help,
};
