/* poolscope: from "the kernel runs out of memory every few days" to "this
 * code path, in this process, leaks this kernel object". */
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <ncurses.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "output/diag.h"
#include "util/outfile.h"

static void usage(FILE *out)
{
	int i;

	fprintf(out, "usage: poolscope [--version] [--help] COMMAND [ARGS]\n\n"
		     "Find kernel memory leaks on a live Linux machine.\n\ncommands:\n");
	for (i = 0; commands[i]; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "\nA command may be shortened to any unambiguous prefix ('poolscope t').\n"
		     "'poolscope help COMMAND' or 'poolscope COMMAND --help' explains one command.\n"
		     "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

static void version(void)
{
	printf("poolscope %s\n", POOLSCOPE_VERSION);
	printf("features: bpf (libbpf %u.%u, CO-RE skeletons), ncurses (%s), json, csv\n",
	       libbpf_major_version(), libbpf_minor_version(), NCURSES_VERSION);
}

static const struct command *lookup(const char *name)
{
	int ambiguous;
	const struct command *cmd = command_find(name, &ambiguous);

	if (!cmd) {
		if (ambiguous)
			ps_usage(NULL, "'%s' is ambiguous: it starts several commands", name);
		else
			ps_usage(NULL, "unknown command '%s'", name);
	}
	return cmd;
}

/* Map whatever a command returned onto the documented exit codes. */
static int finish(int rc)
{
	bool flush_failed, reader_gone;

	errno = 0;
	flush_failed = fflush(stdout) != 0;
	if (flush_failed || ferror(stdout)) {
		/* A reader that went away (`| head`) ends the command cleanly; a
		 * full disk is a failure worth a line. A command that failed has
		 * said why already. */
		reader_gone = stdout_reader_gone();
		if (rc == EXIT_OK && !reader_gone) {
			if (flush_failed)
				ps_error("writing to stdout failed: %s", strerror(errno));
			else
				ps_error("writing to stdout failed");
			rc = EXIT_FAIL;
		}
	}
	if (rc != EXIT_OK && rc != EXIT_USAGE)
		rc = EXIT_FAIL;
	return rc;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return finish(EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		version();
		return finish(EXIT_OK);
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return finish(EXIT_OK);
		}
		if (argc > 3)
			return ps_usage(NULL, "help takes one command, not '%s' too", argv[3]);
		cmd = lookup(argv[2]);
		if (!cmd)
			return EXIT_USAGE;
		cmd->help(stdout);
		return finish(EXIT_OK);
	}
	/* A closed stdout must surface as EPIPE on write, so every command ends
	 * through its cleanup (BPF detached, terminal restored, exit 0 via
	 * finish) instead of dying by SIGPIPE mid-write. */
	signal(SIGPIPE, SIG_IGN);
	if (argv[1][0] == '-')
		return ps_usage(NULL, "unknown option '%s'", argv[1]);
	cmd = lookup(argv[1]);
	if (!cmd)
		return EXIT_USAGE;
	optind = 0; /* GNU getopt: reinitialise for the subcommand */
	return finish(cmd->run(argc - 1, argv + 1));
}
