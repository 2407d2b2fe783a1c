#include <stdio.h>

#include "cmd/cmd.h"
#include "util/err.h"

/* Placeholder until the top issue lands: says so instead of pretending. */
static void top_help(FILE *out)
{
	fprintf(out, "usage: poolscope top\n\nNot built yet in this version.\n");
}

static int top_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ps_error("top: not built yet in this version");
	return EXIT_FAIL;
}

const struct command cmd_top = {
	.name = "top",
	.summary = "(not built yet)",
	.run = top_run,
	.help = top_help,
};
