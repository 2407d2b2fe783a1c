/* poolscope diagnose: from "kernel memory creeps" to "this process leaks
 * this object from this path" in one command. Options and wiring: the work
 * is src/pipeline/diagnose.c, the verdict src/analysis/diagnosis.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/findings.h"
#include "cmd/cmd.h"
#include "model/series.h"
#include "output/findings_render.h"
#include "output/json.h"
#include "output/table.h"
#include "pipeline/diagnose.h"
#include "output/diag.h"
#include "util/notes.h"
#include "util/outfile.h"
#include "util/parse.h"
#include "util/proc_select.h"
#include "util/signals.h"

/* Below this the verdict has too few samples to tell growth from noise. */
#define MIN_DURATION_NS 5000000000ull
#define MAX_DURATION_NS (24ull * 3600 * 1000000000ull)

struct diagnose_cli {
	struct diagnose_opts run;
	struct proc_select procs;
	const char *html;
	enum output_format fmt;
	bool quiet;
};

static void diagnose_help(FILE *out)
{
	fprintf(out,
		"usage: poolscope diagnose [--duration 60s] [--pid PID|NAME]... [--html FILE]\n"
		"                          [--format text|json] [--no-stacks] [--no-user-stacks]\n"
		"\n"
		"Watch the machine for a while and say what leaks: which kernel resource grows,\n"
		"which process holds it (and which allocated it, when another did), which\n"
		"kernel object, which allocating code path, and when it runs out. One command\n"
		"for the whole chain of top, handles, record and report.\n"
		"\n"
		"It samples every second: slab caches, every process's fds by type, threads,\n"
		"mappings and inotify watches, keys per user, SysV queues, file-nr. After 40%%\n"
		"of the duration it records kernel stacks of the caches behind what grows, and\n"
		"at the end judges every series: steady growth is a leak; a burst that comes\n"
		"back, a sawtooth, a step or a big flat value is not; reclaimable caches that\n"
		"grow are cache growth. Each finding comes with its evidence.\n"
		"\n"
		"  -d, --duration TIME   how long to watch (default 60s; at least 5s)\n"
		"  -p, --pid PID|NAME    judge only these processes' handles (repeatable, commas;\n"
		"                        NAME is a glob on the process name); caches and\n"
		"                        kernel-wide resources are always judged\n"
		"      --html FILE       also write the findings with their graphs as a page\n"
		"  -f, --format FMT      text (default) or json (layout in poolscope-diagnose(8))\n"
		"      --no-stacks       count only: no recording of kernel stacks\n"
		"      --no-user-stacks  kernel stacks without the allocating program's own call\n"
		"                        chain (walked by frame pointers and unwound by\n"
		"                        .eh_frame, the longer kept)\n"
		"      --no-counters     without the eBPF slab counters\n"
		"  -q, --quiet           no progress lines on stderr\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 when it ran (findings or not), 1 on failure, 2 on a usage error.\n"
		"Root gives the whole chain; without it, it says what it could not check.\n");
}

enum { OPT_HTML = 256, OPT_NO_STACKS, OPT_NO_USER_STACKS, OPT_NO_COUNTERS };

static const struct option diagnose_options[] = {
    {"duration", required_argument, NULL, 'd'},
    {"pid", required_argument, NULL, 'p'},
    {"html", required_argument, NULL, OPT_HTML},
    {"format", required_argument, NULL, 'f'},
    {"no-stacks", no_argument, NULL, OPT_NO_STACKS},
    {"no-user-stacks", no_argument, NULL, OPT_NO_USER_STACKS},
    {"no-counters", no_argument, NULL, OPT_NO_COUNTERS},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_args(int argc, char **argv, struct diagnose_cli *o, bool *help)
{
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:p:f:qh", diagnose_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_duration_ns(optarg, &o->run.duration_ns) ||
			    o->run.duration_ns < MIN_DURATION_NS || o->run.duration_ns > MAX_DURATION_NS)
				return ps_usage("diagnose",
						"--duration must be from 5s to 24h, not '%s'", optarg);
			break;
		case 'p':
			err = proc_select_add(&o->procs, optarg);
			if (err == -ENOMEM) {
				ps_error("diagnose: out of memory");
				return EXIT_FAIL;
			}
			if (err)
				return ps_usage("diagnose",
						"--pid takes pids and process names, not '%s'", optarg);
			break;
		case 'f':
			if (output_format_parse(optarg, &o->fmt) ||
			    (o->fmt != FMT_TEXT && o->fmt != FMT_JSON))
				return ps_usage("diagnose", "--format is text or json, not '%s'", optarg);
			break;
		case OPT_HTML:
			if (!*optarg)
				return ps_usage("diagnose", "--html needs a file name");
			o->html = optarg;
			break;
		case OPT_NO_STACKS: o->run.no_stacks = true; break;
		case OPT_NO_USER_STACKS: o->run.no_user_stacks = true; break;
		case OPT_NO_COUNTERS: o->run.no_counters = true; break;
		case 'q': o->quiet = true; break;
		case 'h': *help = true; return EXIT_OK;
		default: return ps_usage_getopt("diagnose", c, argv, diagnose_options);
		}
	}
	if (optind < argc)
		return ps_usage("diagnose", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

static bool hook_stop(void *ctx)
{
	(void)ctx;
	return should_stop();
}

/* One line per phase on a terminal: a sysadmin sees it is alive. */
static void hook_progress(void *ctx, const char *phase, double elapsed_s, double total_s)
{
	const char **last = ctx;

	if (*last && strcmp(*last, phase) == 0)
		return;
	*last = phase;
	fprintf(stderr, "poolscope: diagnose: %s (%.0f of %.0f s)\n", phase, elapsed_s, total_s);
}

static int write_html(const char *path, const struct diagnosis *d, const struct series_set *set)
{
	struct outfile of = {0};
	int err = outfile_open(&of, path);

	if (err) {
		ps_error("diagnose: cannot write %s: %s", path, strerror(-err));
		return EXIT_FAIL;
	}
	err = findings_render_html(d, set, of.stream);
	if (!err)
		err = outfile_commit(&of);
	outfile_discard(&of); /* after a commit: frees the names only */
	if (err) {
		ps_error("diagnose: writing %s failed: %s", path, strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int diagnose_cmd(int argc, char **argv)
{
	struct diagnose_cli o = {.fmt = FMT_TEXT};
	struct diagnose_hooks hooks = {.should_stop = hook_stop};
	struct diagnosis d = {0};
	struct series_set *set = NULL;
	struct notes notes = NOTES_INIT;
	const char *last_phase = NULL;
	char why[512];
	bool help = false;
	int rc, err;

	diagnose_opts_init(&o.run);
	rc = parse_args(argc, argv, &o, &help);
	if (rc != EXIT_OK || help) {
		if (help)
			diagnose_help(stdout);
		goto out;
	}
	err_json = o.fmt == FMT_JSON;
	o.run.pids = o.procs.pids;
	o.run.npids = o.procs.npids;
	o.run.names = globlist_empty(&o.procs.names) ? NULL : &o.procs.names;
	if (signals_install()) {
		ps_error("diagnose: cannot install signal handlers: %s", strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	if (geteuid() != 0)
		ps_warn("diagnose: not root: slab objects (/proc/slabinfo), other users' handles "
			"and kernel stacks (CAP_BPF, CAP_PERFMON) are not checked");
	if (!o.quiet && isatty(STDERR_FILENO)) {
		hooks.progress = hook_progress;
		hooks.ctx = &last_phase;
	}
	err = diagnose_run(&o.run, &hooks, &d, &set, &notes, why, sizeof(why));
	ps_warn_notes("diagnose", &notes);
	if (err) {
		ps_error("diagnose: %s", why[0] ? why : strerror(-err));
		rc = EXIT_FAIL;
		goto out;
	}
	if (o.fmt == FMT_JSON) {
		struct json_writer *w = json_writer_new(stdout);

		if (!w) {
			ps_error("diagnose: out of memory");
			rc = EXIT_FAIL;
			goto out;
		}
		findings_render_json(&d, w);
		json_writer_free(w);
		fputc('\n', stdout);
	} else {
		findings_render_text(&d, stdout);
	}
	rc = o.html ? write_html(o.html, &d, set) : EXIT_OK;
out:
	diagnosis_release(&d);
	series_set_free(set);
	notes_release(&notes);
	proc_select_release(&o.procs);
	return rc;
}

const struct command cmd_diagnose = {
    .name = "diagnose",
    .summary = "watch for a while and name what leaks: resource, holder, object, kernel path",
    .run = diagnose_cmd,
    .help = diagnose_help,
};
