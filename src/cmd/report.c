#include <stdio.h>

#include "cmd/cmd.h"
#include "util/err.h"

/* Placeholder until the report issue lands: says so instead of pretending. */
static void report_help(FILE *out)
{
	fprintf(out, "usage: poolscope report\n\nNot built yet in this version.\n");
}

static int report_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ps_error("report: not built yet in this version");
	return EXIT_FAIL;
}

const struct command cmd_report = {
	.name = "report",
	.summary = "(not built yet)",
	.run = report_run,
	.help = report_help,
};
