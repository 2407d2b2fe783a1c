/* poolscope handles: every kernel object a process holds (fds by kind,
 * threads, mappings), system-wide handle resources against their limits,
 * one process's handles by name, and which processes' handles grow. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/handle_growth.h"
#include "cmd/cmd.h"
#include "kernel/limits.h"
#include "model/handle_detail.h"
#include "model/handle_resources.h"
#include "model/handle_scan.h"
#include "output/handle_tables.h"
#include "output/table.h"
#include "output/diag.h"
#include "util/globlist.h"
#include "util/notes.h"
#include "util/outfile.h"
#include "util/parse.h"
#include "util/signals.h"
#include "util/timeutil.h"
#include "util/proc_select.h"
#include "util/user_names.h"

#define USAGE(...) ps_usage("handles", __VA_ARGS__)

struct handles_opts {
	bool summary;
	bool all;
	enum output_format format;
	bool sort_given;
	struct handle_query query; /* pids, names, uid, kind, sort, top, no_bpf */
	struct proc_select procs;  /* query.pids and query.names borrow it */
	uint64_t interval_ns;	   /* 0: no interval mode */
	uint64_t count;		   /* intervals; 0: until interrupted */
};

static void handles_help(FILE *out)
{
	fprintf(out,
		"usage: poolscope handles [-s | -a] [-p PID|NAME]... [-u USER] [-t TYPE]\n"
		"                         [--sort KEY] [--top N] [--interval S [--count N]]\n"
		"                         [--format text|csv|json]\n"
		"\n"
		"Every kernel object a process holds: its file descriptors by type, its\n"
		"threads and memory mappings, against its fd limit and vm.max_map_count.\n"
		"One row per process, most handles first.\n"
		"\n"
		"  -s, --summary        system summary: fds by type with a total, and kernel-wide\n"
		"                       resources (file-nr, threads, pids, inotify, keys, SysV\n"
		"                       shm/sem/msg, POSIX mqueues) against their limits\n"
		"  -a, --all            every handle of the selected processes: fd, type, open\n"
		"                       flags and a name (path, socket addresses, UNIX/pipe\n"
		"                       peers, eventfd/epoll/inotify/timerfd/signalfd detail)\n"
		"  -p, --pid PID|NAME   only this process (a pid, or a command name glob);\n"
		"                       repeat or separate with commas\n"
		"  -u, --user USER      only processes of this user (name or uid)\n"
		"  -t, --type TYPE      only this fd type: file dir dev pipe tcp udp unix netlink\n"
		"                       socket eventfd epoll timerfd signalfd inotify fanotify\n"
		"                       pidfd memfd io_uring bpf perf anon other unknown\n"
		"      --sort KEY       fds (default), pid, comm, user, threads, maps, fd-pct,\n"
		"                       or a TYPE (by that type's count)\n"
		"      --top N          only the first N processes\n"
		"      --interval S     take a snapshot every S (e.g. 10, 500ms, 1m) and report\n"
		"                       which processes' handles grew since the first, by type,\n"
		"                       with the rate per minute\n"
		"      --count N        stop after N intervals (default: until interrupted)\n"
		"      --format FMT     text (default), csv or json\n"
		"      --no-bpf         classify by walking /proc/PID/fd even where the BPF\n"
		"                       task_file iterator (one kernel pass, needs root) works\n"
		"  -h, --help           this help\n"
		"\n"
		"Without root, only your own processes can be read; the rest are skipped and\n"
		"counted once on stderr. See poolscope-handles(8) for the JSON layout.\n");
}

/* ---- option parsing ---- */

/* "123", "-5", "0": meant as a pid, whatever its range. */
static int parse_args(int argc, char **argv, struct handles_opts *o)
{
	enum { OPT_SORT = 256, OPT_TOP, OPT_INTERVAL, OPT_COUNT, OPT_FORMAT, OPT_NO_BPF };
	static const struct option longopts[] = {
		{ "summary", no_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "pid", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "type", required_argument, NULL, 't' },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "no-bpf", no_argument, NULL, OPT_NO_BPF },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool count_given = false;
	uint64_t n;
	int c;

	/* getopt stays quiet: each bad input gets one line, ours. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":sap:u:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->summary = true; break;
		case 'a': o->all = true; break;
		case 'p':
			if (proc_select_add(&o->procs, optarg))
				return USAGE("-p: '%s' is not a pid or a name", optarg);
			o->query.pids = o->procs.pids;
			o->query.npids = o->procs.npids;
			break;
		case 'u':
			if (user_parse(optarg, &o->query.uid))
				return USAGE("-u: no such user '%s'", optarg);
			o->query.filter_uid = true;
			break;
		case 't':
			if (fd_kind_parse(optarg, &o->query.kinds.kind))
				return USAGE("-t: unknown type '%s'", optarg);
			o->query.kinds.on = true;
			break;
		case OPT_SORT:
			if (handle_sort_parse(optarg, &o->query.sort, &o->query.sort_kind))
				return USAGE("--sort: unknown key '%s'", optarg);
			o->sort_given = true;
			break;
		case OPT_TOP:
			if (parse_u64_range(optarg, 1, 1000000, &n))
				return USAGE("--top: '%s' is not a count from 1 to 1000000", optarg);
			o->query.top = (int)n;
			break;
		case OPT_INTERVAL:
			if (parse_duration_ns(optarg, &o->interval_ns) || o->interval_ns < 1000000)
				return USAGE("--interval: '%s' is not a duration of 1ms or more",
					     optarg);
			break;
		case OPT_COUNT:
			if (parse_u64_range(optarg, 1, UINT32_MAX, &o->count))
				return USAGE("--count: '%s' is not a count from 1 to %u", optarg,
					     UINT32_MAX);
			count_given = true;
			break;
		case OPT_FORMAT:
			if (output_format_parse(optarg, &o->format))
				return USAGE("--format: '%s' is not text, csv or json", optarg);
			break;
		case OPT_NO_BPF: o->query.no_bpf = true; break;
		case 'h':
			handles_help(stdout);
			return -1;
		default:
			return ps_usage_getopt("handles", c, argv, longopts);
		}
	}
	if (optind < argc)
		return USAGE("unexpected argument '%s'", argv[optind]);
	if (o->summary && o->all)
		return USAGE("-s and -a show different views: pick one");
	if (o->interval_ns && (o->summary || o->all))
		return USAGE("--interval compares process rows: not with -s or -a");
	if (count_given && !o->interval_ns)
		return USAGE("--count needs --interval");
	if (o->query.kinds.on && !o->sort_given) {
		o->query.sort = HANDLE_SORT_KIND;
		o->query.sort_kind = o->query.kinds.kind;
	}
	return 0;
}

/* ---- what every view says ---- */

/* What every view says after its scan: why it failed, or which processes it
 * could not read. Returns err. */
static int scan_said(int err, const struct notes *ns)
{
	if (err)
		ps_error("handles: cannot scan /proc: %s", strerror(-err));
	else
		ps_warn_notes(NULL, ns);
	return err;
}

/* Like pgrep: a -p or -u selection that matches nothing is an answer worth a line
 * and a non-zero exit, not an empty table that reads as "fine". */
static int selection_matched(const struct handles_opts *o, const struct handles_snapshot *snap)
{
	bool by_pid = !proc_select_empty(&o->procs);

	if ((by_pid || o->query.filter_uid) && !snap->matched) {
		ps_error("handles: no process matches %s (or it exited, or it is not yours)",
			 by_pid && o->query.filter_uid ? "-p and -u" : by_pid ? "-p" : "-u");
		return -ESRCH;
	}
	return 0;
}

/* ---- the process view ---- */

static int run_processes(const struct handles_opts *o)
{
	struct handles_snapshot snap = { 0 };
	struct user_names users = USER_NAMES_INIT;
	struct notes ns = NOTES_INIT;
	struct sys_limits limits;
	struct table *t = NULL;
	int err;

	sys_limits_read(&limits); /* a missing sysctl only leaves its column empty */
	err = scan_said(handle_query_run(&o->query, &users, &snap, &ns), &ns);
	if (!err)
		err = selection_matched(o, &snap);
	if (err)
		goto out;
	err = handle_process_table(&snap, &o->query.kinds, &users, limits.max_map_count, &t);
	if (err == -ENOMEM)
		ps_error("handles: out of memory building the process table");
	if (!err)
		err = table_render(t, o->format, stdout, NULL);
out:
	table_free(t);
	notes_release(&ns);
	handles_snapshot_free(&snap);
	user_names_release(&users);
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- the summary ---- */

static int run_summary(const struct handles_opts *o)
{
	struct handle_summary sum;
	struct user_names users = USER_NAMES_INIT;
	struct notes ns = NOTES_INIT;
	int err;

	/* -t narrows the types shown; the totals count every process. */
	err = handle_summary_collect(&o->query, &sum, &ns);
	if (err && err != -ENOMEM)
		ps_error("handles: cannot scan /proc: %s", strerror(-err));
	ps_warn_notes(NULL, &ns);
	if (!err)
		err = handle_summary_render(stdout, o->format, &sum.snap, &o->query.kinds,
					    &sum.resources, &sum.readings.ipc, &users);
	if (err == -ENOMEM)
		ps_error("handles: out of memory building the summary");
	handle_summary_release(&sum);
	notes_release(&ns);
	user_names_release(&users);
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- every handle of the selected processes ---- */

static int run_all(const struct handles_opts *o)
{
	struct handle_query q = o->query;
	struct handles_snapshot snap = { 0 };
	struct handle_listing l = { .t = handle_listing_table_new(), .kinds = &o->query.kinds };
	struct user_names users = USER_NAMES_INIT;
	struct notes ns = NOTES_INIT;
	int err = -ENOMEM;

	q.classify = false; /* only which processes: the detail walk classifies */
	q.details = false;
	q.kinds.on = false; /* a filter on the listed handles, not on processes */
	q.top = 0;
	if (!l.t)
		goto out;
	err = scan_said(handle_query_run(&q, &users, &snap, &ns), &ns);
	if (!err)
		err = selection_matched(o, &snap);
	if (!err) {
		notes_clear(&ns);
		err = handles_detail_each(&snap, handle_listing_visit, &l, &ns);
		ps_warn_notes(NULL, &ns);
	}
	if (!err)
		err = table_render(l.t, o->format, stdout, NULL);
out:
	if (err == -ENOMEM)
		ps_error("handles: out of memory listing handles");
	table_free(l.t);
	notes_release(&ns);
	handles_snapshot_free(&snap);
	user_names_release(&users);
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- growth over time ---- */

static int run_interval(const struct handles_opts *o)
{
	struct handle_growth growth = { 0 };
	struct handle_growth_result result = { 0 };
	struct notes ns = NOTES_INIT;
	uint64_t i;
	int err;

	signals_install();
	err = scan_said(handle_growth_start(&growth, &o->query, &ns), &ns);
	if (err)
		goto out;
	for (i = 0; !o->count || i < o->count; i++) {
		sleep_ns_interruptible(o->interval_ns);
		if (should_stop())
			break;
		handle_growth_result_release(&result);
		err = handle_growth_sample(&growth, &result, &ns);
		if (err == -ENOMEM) {
			ps_error("handles: out of memory comparing snapshots");
			goto out;
		}
		err = scan_said(err, &ns); /* warns once at most */
		if (err)
			goto out;
		err = handle_growth_render(stdout, o->format, result.rows, result.count,
					   result.elapsed_s, &o->query.kinds, o->query.top);
		if (err)
			goto out;
	}
out:
	handle_growth_result_release(&result);
	handle_growth_release(&growth);
	notes_release(&ns);
	return err ? EXIT_FAIL : EXIT_OK;
}

static int handles_run(int argc, char **argv)
{
	struct handles_opts o = { .format = FMT_TEXT };
	int rc;

	handle_query_init(&o.query);
	o.query.names = &o.procs.names;
	rc = parse_args(argc, argv, &o);
	if (rc) {
		rc = rc < 0 ? EXIT_OK : rc;
		goto out;
	}
	err_json = o.format == FMT_JSON;
	if (o.summary)
		rc = run_summary(&o);
	else if (o.all)
		rc = run_all(&o);
	else if (o.interval_ns)
		rc = run_interval(&o);
	else
		rc = run_processes(&o);
	/* The views' renderers return an error for a failed write without saying
	 * so (a reader that went away is not worth a message). */
	if (rc == EXIT_FAIL && ferror(stdout)) {
		if (stdout_reader_gone())
			rc = EXIT_OK; /* `handles … | head`: the reader had enough */
		else
			ps_error("handles: writing to stdout failed%s%s", errno ? ": " : "",
				 errno ? strerror(errno) : "");
	}
out:
	proc_select_release(&o.procs);
	return rc;
}

const struct command cmd_handles = {
	.name = "handles",
	.summary = "kernel objects each process holds: fds by type, threads, mappings",
	.run = handles_run,
	.help = handles_help,
};
