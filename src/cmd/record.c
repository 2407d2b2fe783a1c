#include <stdio.h>

#include "cmd/cmd.h"
#include "util/err.h"

/* Placeholder until the record issue lands: says so instead of pretending. */
static void record_help(FILE *out)
{
	fprintf(out, "usage: poolscope record\n\nNot built yet in this version.\n");
}

static int record_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ps_error("record: not built yet in this version");
	return EXIT_FAIL;
}

const struct command cmd_record = {
	.name = "record",
	.summary = "(not built yet)",
	.run = record_run,
	.help = record_help,
};
