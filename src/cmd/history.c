/* poolscope history: what watch stored, read back — any series as a table
 * with sparklines, CSV, JSON or the HTML graph, and the alerts, forecasts
 * and diagnoses in force; --boot -1 is the post-mortem of the boot before. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "model/history.h"
#include "model/series.h"
#include "output/diag.h"
#include "output/history_render.h"
#include "output/table.h"
#include "util/notes.h"
#include "util/outfile.h"
#include "util/parse.h"
#include "util/timeutil.h"

#define DEFAULT_DB "/var/lib/poolscope/history.db"

struct history_cli {
	const char *db, *glob, *output;
	uint64_t since_ns; /* 0: everything */
	int boot;
	enum history_stat stat;
	enum output_format fmt;
	bool html, no_events;
};

static void history_help(FILE *out)
{
	fprintf(out,
		"usage: poolscope history [--db PATH] [--since 3d] [--series GLOB] [--boot N]\n"
		"                         [--format text|csv|json|html] [-o FILE]\n"
		"\n"
		"Show what `poolscope watch` stored: every series matching GLOB over the\n"
		"time asked, with the alerts, forecasts and diagnoses that were in force.\n"
		"After a hang and a reboot, --boot -1 shows the boot before, up to its last\n"
		"sample.\n"
		"\n"
		"      --db PATH         the database (default " DEFAULT_DB ")\n"
		"      --since TIME      only the last TIME (e.g. 1h, 3d; default: all kept)\n"
		"      --series GLOB     series names (e.g. 'slab/filp/*', 'proc/*/fds';\n"
		"                        default: all)\n"
		"      --boot N          0 the newest boot (default), -1 the one before, ...\n"
		"      --stat STAT       for downsampled points: mean (default), min, max, last\n"
		"      --no-events       series only\n"
		"  -f, --format FMT      text (default), csv, json or html\n"
		"  -o, --output FILE     write there (whole or not at all) instead of stdout\n"
		"  -h, --help            this help\n");
}

enum { OPT_DB = 256, OPT_SINCE, OPT_SERIES, OPT_BOOT, OPT_STAT, OPT_NO_EVENTS };

static const struct option history_options[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"since", required_argument, NULL, OPT_SINCE},
    {"series", required_argument, NULL, OPT_SERIES},
    {"boot", required_argument, NULL, OPT_BOOT},
    {"stat", required_argument, NULL, OPT_STAT},
    {"no-events", no_argument, NULL, OPT_NO_EVENTS},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_stat(const char *s, enum history_stat *st)
{
	static const char *const names[] = {"mean", "min", "max", "last"};
	static const enum history_stat stats[] = {HISTORY_MEAN, HISTORY_MIN, HISTORY_MAX,
						  HISTORY_LAST};
	size_t i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*st = stats[i];
			return 0;
		}
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct history_cli *o, bool *help)
{
	char *end;
	long v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:h", history_options, NULL)) != -1) {
		switch (c) {
		case OPT_DB: o->db = optarg; break;
		case OPT_SINCE:
			if (parse_duration_ns(optarg, &o->since_ns) || !o->since_ns)
				return ps_usage("history", "--since takes a duration (1h, 3d), not '%s'",
						optarg);
			break;
		case OPT_SERIES: o->glob = optarg; break;
		case OPT_BOOT:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v > 0 || v < -10000)
				return ps_usage("history", "--boot takes 0, -1, -2, ..., not '%s'", optarg);
			o->boot = (int)v;
			break;
		case OPT_STAT:
			if (parse_stat(optarg, &o->stat))
				return ps_usage("history", "--stat is mean, min, max or last, not '%s'",
						optarg);
			break;
		case OPT_NO_EVENTS: o->no_events = true; break;
		case 'f':
			if (strcmp(optarg, "html") == 0)
				o->html = true;
			else if (output_format_parse(optarg, &o->fmt))
				return ps_usage("history", "--format is text, csv, json or html, not '%s'",
						optarg);
			break;
		case 'o':
			if (!*optarg)
				return ps_usage("history", "-o needs a file name");
			o->output = optarg;
			break;
		case 'h': *help = true; return EXIT_OK;
		default: return ps_usage_getopt("history", c, argv, history_options);
		}
	}
	if (optind < argc)
		return ps_usage("history", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

static const struct history_boot *pick_boot(const struct history_boot *boots, size_t n, int index)
{
	if (!n || (size_t)(-index) >= n)
		return NULL;
	return &boots[n - 1 - (size_t)(-index)];
}

static int history_cmd(int argc, char **argv)
{
	struct history_cli o = {.db = DEFAULT_DB, .stat = HISTORY_MEAN, .fmt = FMT_TEXT};
	struct history_opts ho;
	struct history_query q;
	struct history *h = NULL;
	struct history_boot *boots = NULL;
	struct history_event *events = NULL;
	struct series_set *set = NULL;
	struct history_view view = {0};
	struct notes notes = NOTES_INIT;
	struct outfile of = {0};
	size_t nboots = 0, nevents = 0;
	FILE *out = stdout;
	bool help = false;
	int rc, err;

	rc = parse_args(argc, argv, &o, &help);
	if (rc != EXIT_OK || help) {
		if (help)
			history_help(stdout);
		return rc;
	}
	err_json = o.fmt == FMT_JSON;
	history_opts_init(&ho);
	ho.read_only = true;
	err = history_open(o.db, &ho, &h, &notes);
	if (err) {
		const struct note *n = notes_find(&notes, "history-open");

		ps_error("history: %s", n ? n->text : strerror(-err));
		rc = EXIT_FAIL;
		goto out;
	}
	err = history_boots(h, &boots, &nboots);
	if (err) {
		ps_error("history: %s: cannot list the boots: %s", o.db, strerror(-err));
		rc = EXIT_FAIL;
		goto out;
	}
	view.boot = pick_boot(boots, nboots, o.boot);
	view.boot_index = o.boot;
	if (!view.boot && nboots) {
		ps_error("history: %s holds %zu boot%s: there is no boot %d", o.db, nboots,
			 nboots == 1 ? "" : "s", o.boot);
		rc = EXIT_FAIL;
		goto out;
	}
	history_query_init(&q);
	q.glob = o.glob;
	q.boot = o.boot;
	q.stat = o.stat;
	if (o.since_ns && view.boot) {
		/* Since the boot's last sample: a post-mortem reads up to the hang. */
		q.since_ms = view.boot->last_ms - (int64_t)(o.since_ns / 1000000);
	}
	err = history_query(h, &q, &set, &notes);
	if (!err && !o.no_events)
		err = history_events(h, o.boot, q.since_ms, q.until_ms, &events, &nevents);
	if (err) {
		const struct note *n = notes_find(&notes, "history-read");

		ps_error("history: %s", n ? n->text : strerror(-err));
		rc = EXIT_FAIL;
		goto out;
	}
	view.set = set;
	view.events = events;
	view.nevents = nevents;
	if (o.output) {
		err = outfile_open(&of, o.output);
		if (err) {
			ps_error("history: cannot write %s: %s", o.output, strerror(-err));
			rc = EXIT_FAIL;
			goto out;
		}
		out = of.stream;
	}
	err = o.html ? history_render_html(&view, out) : history_render(&view, o.fmt, out);
	if (!err && o.output)
		err = outfile_commit(&of);
	if (err) {
		if (o.output) {
			outfile_discard(&of);
			ps_error("history: writing %s failed: %s", o.output, strerror(-err));
		}
		rc = EXIT_FAIL;
	}
	if (!series_set_count(set) && rc == EXIT_OK)
		ps_warn("history: no series%s%s in %s", o.glob ? " match " : "", o.glob ? o.glob : "",
			o.db);
out:
	history_events_free(events, nevents);
	series_set_free(set);
	free(boots);
	history_close(h);
	notes_release(&notes);
	return rc;
}

const struct command cmd_history = {
    .name = "history",
    .summary = "what watch stored: series, alerts and forecasts, the previous boot's too",
    .run = history_cmd,
    .help = history_help,
};
