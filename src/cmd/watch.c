/* poolscope watch: the always-on early warning. Options and wiring: the work
 * is src/pipeline/watch.c; this file says alerts (stderr, the journal), runs
 * the --exec hook, tells systemd when it is ready and says notes once per
 * appearance. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "cmd/cmd.h"
#include "model/pool_sampler.h"
#include "output/alert_render.h"
#include "output/json.h"
#include "pipeline/watch.h"
#include "output/diag.h"
#include "util/notes.h"
#include "util/parse.h"
#include "util/signals.h"
#include "util/spawn.h"
#include "util/timeutil.h"

#define DEFAULT_DB "/var/lib/poolscope/history.db"
#define MIN_INTERVAL_NS 1000000000ull

struct watch_cli {
	struct watch_opts run;
	const char *exec_cmd;
	bool no_db;
	struct notes said; /* the note keys said while their condition lasts */
	/* systemd's WatchdogSec (WATCHDOG_USEC), 0: none. Pinged at half of it,
	 * whatever --interval is: a 5 min interval under a 60 s watchdog. */
	uint64_t watchdog_usec, last_ping_ns;
};

static void watch_help(FILE *out)
{
	fprintf(out,
		"usage: poolscope watch [--interval 10s] [--db PATH | --no-db] [--listen ADDR:PORT]\n"
		"                       [--alert-within 48h] [--exec CMD] [--snapshot FILE]\n"
		"\n"
		"The always-on early warning: samples slab caches, every process's fds by type,\n"
		"threads, mappings and inotify watches, keys, SysV queues, kernel-wide limits,\n"
		"memory pressure and memory cgroups every interval, keeps them in a history\n"
		"database, forecasts when each finite resource runs out, and alerts days\n"
		"before it does, with a diagnosis attached.\n"
		"\n"
		"  -i, --interval TIME    between samples (default 10s; at least 1s)\n"
		"      --db PATH          history database (default " DEFAULT_DB ")\n"
		"      --no-db            keep no history\n"
		"      --retention LIST   raw=24h,minute=30d,hour=1y (any of them)\n"
		"      --listen ADDR:PORT serve Prometheus metrics on GET /metrics (PORT alone:\n"
		"                         127.0.0.1)\n"
		"      --alert-within T   alert when a forecast says a resource runs out within T\n"
		"                         (default 48h); also at 80%% and 95%% of a limit\n"
		"      --exec CMD         run CMD (sh -c) for each alert, its JSON on stdin\n"
		"      --no-diagnose      alerts without the attached diagnosis\n"
		"      --diagnose-duration T  how long the attached diagnosis watches (default 30s)\n"
		"      --top N            processes kept per resource (default 10)\n"
		"      --snapshot FILE    rewrite FILE every interval with this host's state and\n"
		"                         growth rates (for poolscope compare)\n"
		"  -n, --count N          stop after N samples (default: until SIGINT/SIGTERM)\n"
		"  -h, --help             this help\n"
		"\n"
		"Alerts are one line on stderr and in the journal, once per change of state.\n"
		"SIGINT or SIGTERM: a clean exit 0. Needs root for every process's handles.\n");
}

enum {
	OPT_DB = 256,
	OPT_NO_DB,
	OPT_RETENTION,
	OPT_LISTEN,
	OPT_ALERT_WITHIN,
	OPT_EXEC,
	OPT_NO_DIAGNOSE,
	OPT_DIAGNOSE_DURATION,
	OPT_TOP,
	OPT_SNAPSHOT,
};

static const struct option watch_options[] = {
    {"interval", required_argument, NULL, 'i'},
    {"db", required_argument, NULL, OPT_DB},
    {"no-db", no_argument, NULL, OPT_NO_DB},
    {"retention", required_argument, NULL, OPT_RETENTION},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"alert-within", required_argument, NULL, OPT_ALERT_WITHIN},
    {"exec", required_argument, NULL, OPT_EXEC},
    {"no-diagnose", no_argument, NULL, OPT_NO_DIAGNOSE},
    {"diagnose-duration", required_argument, NULL, OPT_DIAGNOSE_DURATION},
    {"top", required_argument, NULL, OPT_TOP},
    {"snapshot", required_argument, NULL, OPT_SNAPSHOT},
    {"count", required_argument, NULL, 'n'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* "raw=24h,minute=30d,hour=1y", any subset. */
static int parse_retention(const char *spec, struct history_opts *h)
{
	char *copy = strdup(spec), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		uint64_t ns;

		if (!eq || parse_duration_ns(eq + 1, &ns) || ns < 60000000000ull) {
			err = -EINVAL;
			break;
		}
		*eq = '\0';
		if (strcmp(tok, "raw") == 0)
			h->raw_keep_s = (int64_t)(ns / 1000000000ull);
		else if (strcmp(tok, "minute") == 0)
			h->minute_keep_s = (int64_t)(ns / 1000000000ull);
		else if (strcmp(tok, "hour") == 0)
			h->hour_keep_s = (int64_t)(ns / 1000000000ull);
		else
			err = -EINVAL;
	}
	free(copy);
	return err;
}

static int parse_args(int argc, char **argv, struct watch_cli *o, bool *help)
{
	uint64_t v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:n:h", watch_options, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_duration_ns(optarg, &o->run.interval_ns) ||
			    o->run.interval_ns < MIN_INTERVAL_NS)
				return ps_usage("watch", "--interval must be 1s or more, not '%s'", optarg);
			break;
		case OPT_DB:
			if (!*optarg)
				return ps_usage("watch", "--db needs a path");
			o->run.db_path = optarg;
			break;
		case OPT_NO_DB: o->no_db = true; break;
		case OPT_RETENTION:
			if (parse_retention(optarg, &o->run.history))
				return ps_usage("watch",
						"--retention takes raw=T,minute=T,hour=T (each 1m or "
						"more), not '%s'",
						optarg);
			break;
		case OPT_LISTEN: o->run.listen = optarg; break;
		case OPT_ALERT_WITHIN:
			if (parse_duration_ns(optarg, &v) || v < 60000000000ull)
				return ps_usage("watch", "--alert-within must be 1m or more, not '%s'",
						optarg);
			o->run.alert_within_s = (double)v / 1e9;
			break;
		case OPT_EXEC:
			if (!*optarg)
				return ps_usage("watch", "--exec needs a command");
			o->exec_cmd = optarg;
			break;
		case OPT_NO_DIAGNOSE: o->run.no_diagnose = true; break;
		case OPT_DIAGNOSE_DURATION:
			if (parse_duration_ns(optarg, &o->run.diagnose_ns) ||
			    o->run.diagnose_ns < 5000000000ull)
				return ps_usage("watch", "--diagnose-duration must be 5s or more, not '%s'",
						optarg);
			break;
		case OPT_TOP:
			if (parse_u64_range(optarg, 1, 1000, &v))
				return ps_usage("watch", "--top takes 1 to 1000, not '%s'", optarg);
			o->run.top_k = (int)v;
			break;
		case OPT_SNAPSHOT:
			if (!*optarg)
				return ps_usage("watch", "--snapshot needs a file name");
			o->run.snapshot_path = optarg;
			break;
		case 'n':
			if (parse_u64_range(optarg, 1, UINT32_MAX, &v))
				return ps_usage("watch", "--count takes a positive number, not '%s'", optarg);
			o->run.count = (unsigned long)v;
			break;
		case 'h': *help = true; return EXIT_OK;
		default: return ps_usage_getopt("watch", c, argv, watch_options);
		}
	}
	if (optind < argc)
		return ps_usage("watch", "unexpected argument '%s'", argv[optind]);
	if (o->no_db && o->run.db_path)
		return ps_usage("watch", "--db and --no-db exclude each other");
	return EXIT_OK;
}

static bool hook_stop(void *ctx)
{
	(void)ctx;
	return should_stop();
}

static void hook_ready(void *ctx)
{
	(void)ctx;
	sd_notify(0, "READY=1\nSTATUS=sampling");
}

static void hook_tick(void *ctx, unsigned long samples, size_t active)
{
	struct watch_cli *o = ctx;

	sd_notifyf(0, "WATCHDOG=1\nSTATUS=%lu samples, %zu alert%s active", samples, active,
		   active == 1 ? "" : "s");
	o->last_ping_ns = monotonic_ns();
	spawn_reap();
}

static void hook_waiting(void *ctx)
{
	struct watch_cli *o = ctx;
	uint64_t now = monotonic_ns();

	if (o->watchdog_usec && now - o->last_ping_ns >= o->watchdog_usec * 1000 / 2) {
		sd_notify(0, "WATCHDOG=1");
		o->last_ping_ns = now;
	}
}

/* Say a note when its condition appears; again if it clears and returns. */
static void hook_notes(void *ctx, const struct notes *ns)
{
	struct watch_cli *o = ctx;
	struct notes now = NOTES_INIT;
	size_t i;

	for (i = 0; i < ns->n; i++) {
		/* watch runs without the per-event counters by design. */
		if (strcmp(ns->v[i].key, POOL_NOTE_COUNTERS_OFF) == 0)
			continue;
		if (!notes_find(&o->said, ns->v[i].key))
			ps_warn("watch: %s", ns->v[i].text);
		notes_add(&now, ns->v[i].key, "%s", ns->v[i].text);
	}
	/* Keys not repeated this time have cleared. Long-lived keys from the
	 * attached diagnosis come through the same way. */
	notes_release(&o->said);
	o->said = now;
}

static void run_exec(struct watch_cli *o, const struct alert_event *a, const struct diagnosis *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	struct json_writer *w;
	pid_t pid;
	int err;

	if (!o->exec_cmd)
		return;
	mem = open_memstream(&text, &len);
	if (!mem)
		return;
	w = json_writer_new(mem);
	if (w) {
		alert_render_json(w, a, d);
		json_writer_free(w);
	}
	fputc('\n', mem);
	fclose(mem);
	err = spawn_with_input(o->exec_cmd, text, len, &pid);
	if (err)
		ps_warn("watch: cannot run --exec: %s", strerror(-err));
	free(text);
}

static void hook_alert(void *ctx, const struct alert_event *a)
{
	struct watch_cli *o = ctx;
	char line[1024];

	alert_render_line(a, line, sizeof(line));
	ps_warn("%s", line);
	sd_journal_send("MESSAGE=poolscope: %s", line, "PRIORITY=%d", a->raised ? LOG_WARNING : LOG_NOTICE,
			"SYSLOG_IDENTIFIER=poolscope", "POOLSCOPE_RESOURCE=%s", a->resource,
			"POOLSCOPE_STATE=%s", a->state, NULL);
	/* With a diagnosis coming, the hook runs once it is attached. */
	if (!a->raised || o->run.no_diagnose)
		run_exec(o, a, NULL);
}

static void hook_diagnosed(void *ctx, const struct alert_event *a, const struct diagnosis *d)
{
	struct watch_cli *o = ctx;
	char line[1024];

	alert_render_diagnosis_line(a, d, line, sizeof(line));
	ps_warn("%s", line);
	sd_journal_send("MESSAGE=poolscope: %s", line, "PRIORITY=%d", LOG_WARNING,
			"SYSLOG_IDENTIFIER=poolscope", "POOLSCOPE_RESOURCE=%s", a->resource, NULL);
	run_exec(o, a, d);
}

/* The database's directory, made when it is the default one. */
static int db_dir(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

static int watch_cmd(int argc, char **argv)
{
	struct watch_cli o = {.said = NOTES_INIT};
	struct watch_hooks hooks = {.should_stop = hook_stop, .ready = hook_ready,
				    .alert = hook_alert, .diagnosed = hook_diagnosed,
				    .notes = hook_notes, .tick = hook_tick,
				    .waiting = hook_waiting, .ctx = &o};
	struct notes notes = NOTES_INIT;
	char why[512];
	bool help = false;
	int rc, err;

	watch_opts_init(&o.run);
	rc = parse_args(argc, argv, &o, &help);
	if (rc != EXIT_OK || help) {
		if (help)
			watch_help(stdout);
		goto out;
	}
	if (!o.no_db && !o.run.db_path) {
		o.run.db_path = DEFAULT_DB;
		err = db_dir(DEFAULT_DB);
		if (err) {
			ps_error("watch: cannot create the directory of %s: %s (--db PATH or --no-db)",
				 DEFAULT_DB, strerror(-err));
			rc = EXIT_FAIL;
			goto out;
		}
	}
	if (signals_install()) {
		ps_error("watch: cannot install signal handlers: %s", strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	if (geteuid() != 0)
		ps_warn("watch: not root: slab objects (/proc/slabinfo) and other users' handles "
			"are not watched");
	if (sd_watchdog_enabled(0, &o.watchdog_usec) <= 0)
		o.watchdog_usec = 0;
	o.last_ping_ns = monotonic_ns();
	err = watch_run(&o.run, &hooks, &notes, why, sizeof(why));
	if (err) {
		ps_error("watch: %s", why[0] ? why : strerror(-err));
		rc = EXIT_FAIL;
	}
	sd_notify(0, "STOPPING=1");
	spawn_reap();
out:
	notes_release(&notes);
	notes_release(&o.said);
	return rc;
}

const struct command cmd_watch = {
    .name = "watch",
    .summary = "always on: history, exhaustion forecasts, alerts with a diagnosis, /metrics",
    .run = watch_cmd,
    .help = watch_help,
};
