/* poolscope top: the Linux PoolMon. Options and wiring: the pool sampler
 * (model/pool_sampler.h) gives snapshots, output/pool_table.h and
 * output/pool_render.h make the table and the refresh, ui/top_screen.h shows
 * it live; --log appends every refresh to a rotating file (util/rotlog.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "model/pool_sampler.h"
#include "output/alloc_sites.h"
#include "output/pool_render.h"
#include "output/pool_table.h"
#include "output/table.h"
#include "ui/top_live.h"
#include "ui/top_screen.h"
#include "output/diag.h"
#include "util/globlist.h"
#include "util/notes.h"
#include "util/outfile.h"
#include "util/parse.h"
#include "util/rotlog.h"
#include "util/signals.h"
#include "util/timeutil.h"

#define DEFAULT_DELAY_NS 2000000000ull
/* Below this a batch loop only burns a CPU re-reading /proc/slabinfo; 0 would spin. */
#define TOP_DELAY_BATCH_MIN_NS 10000000ull
#define DEFAULT_LOG_MAX (100ull << 20)

struct top_opts {
	bool batch;
	long count; /* refreshes; -1: until stopped */
	uint64_t delay_ns;
	enum output_format fmt;
	const char *sort_key;
	bool reverse;
	enum pool_type_filter type;
	struct globlist filter;
	const char *log_path;
	uint64_t log_max;
	bool sites;
	bool no_counters;
};

struct top_state {
	const struct top_opts *opts;
	struct pool_sampler *sampler;
	struct notes notes; /* of the last start or sample */
	uint64_t delay_ns;  /* current interval (keys change it) */
	bool csv_header_done;
	struct rotlog log;
	enum output_format log_fmt;
	struct allocinfo sites; /* --sites: borrows sites_text */
	struct strbuf sites_text;
};

static void top_help(FILE *out)
{
	fprintf(
	    out,
	    "usage: poolscope top [-b] [-n COUNT] [-d SECONDS] [--format text|csv|json]\n"
	    "                     [--sort KEY] [-r] [--filter GLOB]... [--type recl|unrecl|all]\n"
	    "                     [--log FILE] [--log-max-size SIZE] [--no-counters] [--sites]\n"
	    "\n"
	    "The Linux PoolMon: every slab cache (kmalloc-N classes included) with its merged\n"
	    "names, type, exact allocs/frees since start (eBPF counters), objects, bytes, size\n"
	    "and owning kernel function, refreshed live.\n"
	    "\n"
	    "  -b, --batch           no screen: print refreshes (also when stdout is not a tty)\n"
	    "  -n, --count COUNT     stop after COUNT refreshes (default: until stopped)\n"
	    "  -d, --delay SECONDS   refresh interval, e.g. 2, 0.5, 250ms (default 2)\n"
	    "      --format FMT      batch output: text, csv or json (one object per refresh per "
	    "line)\n"
	    "      --sort KEY        tag, type, allocs, frees, diff, objs, bytes, size, owner, or\n"
	    "                        allocs_change, frees_change, diff_change, objs_change,\n"
	    "                        bytes_change (default bytes)\n"
	    "  -r, --reverse         reverse the sort order\n"
	    "      --filter GLOB     show matching tags (name or merged name); '!GLOB' hides;\n"
	    "                        repeatable, or comma-separated\n"
	    "      --type TYPE       recl, unrecl or all (default all)\n"
	    "      --log FILE        append every refresh, timestamped, to FILE: CSV if FILE ends\n"
	    "                        in .csv (or --format csv), else JSON lines\n"
	    "      --log-max-size SIZE  rotate FILE to FILE.1 beyond SIZE (default 100M)\n"
	    "      --no-counters     do not load the eBPF counters (Allocs/Frees/Owner show '-')\n"
	    "      --sites           per allocation site view from /proc/allocinfo\n"
	    "                        (kernels with CONFIG_MEM_ALLOC_PROFILING)\n"
	    "\n"
	    "Keys: t a f d b m o sort by tag/allocs/frees/diff/bytes/size/objs, ( by change,\n"
	    "r reverse, p type, / filter, space pause, +/- or s interval, h help, q quit.\n"
	    "SIGUSR1 forces a refresh now. Needs root for /proc/slabinfo; the counters need\n"
	    "CAP_BPF and CAP_PERFMON. See poolscope-top(8).\n");
}

enum {
	OPT_FORMAT = 256,
	OPT_SORT,
	OPT_FILTER,
	OPT_TYPE,
	OPT_LOG,
	OPT_LOG_MAX,
	OPT_SITES,
	OPT_NO_COUNTERS,
};

static int parse_opts(int argc, char **argv, struct top_opts *o, bool *help)
{
	static const struct option longopts[] = {
	    {"batch", no_argument, NULL, 'b'},
	    {"count", required_argument, NULL, 'n'},
	    {"delay", required_argument, NULL, 'd'},
	    {"reverse", no_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"sort", required_argument, NULL, OPT_SORT},
	    {"filter", required_argument, NULL, OPT_FILTER},
	    {"type", required_argument, NULL, OPT_TYPE},
	    {"log", required_argument, NULL, OPT_LOG},
	    {"log-max-size", required_argument, NULL, OPT_LOG_MAX},
	    {"sites", no_argument, NULL, OPT_SITES},
	    {"no-counters", no_argument, NULL, OPT_NO_COUNTERS},
	    {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	/* getopt stays quiet: each bad input gets one line, ours. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":bn:d:rh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': o->batch = true; break;
		case 'n':
			if (parse_u64_range(optarg, 1, 1000000000, &v))
				return ps_usage("top", "-n wants a count from 1, not '%s'", optarg);
			o->count = (long)v;
			break;
		case 'd':
			if (parse_duration_ns(optarg, &v) || v < TOP_DELAY_BATCH_MIN_NS ||
			    v > TOP_DELAY_MAX_NS)
				return ps_usage("top",
						"-d wants seconds (e.g. 2, 0.5, 250ms; from 10ms to "
						"1h), not '%s'",
						optarg);
			o->delay_ns = v;
			break;
		case 'r': o->reverse = true; break;
		case 'h': *help = true; return EXIT_OK;
		case OPT_FORMAT:
			if (output_format_parse(optarg, &o->fmt))
				return ps_usage("top", "--format wants text, csv or json, not '%s'",
						optarg);
			break;
		case OPT_SORT:
			if (!pool_sort_key_valid(optarg))
				return ps_usage("top", "unknown sort key '%s'", optarg);
			o->sort_key = optarg;
			break;
		case OPT_FILTER:
			if (globlist_add(&o->filter, optarg))
				return ps_usage(
				    "top",
				    "--filter wants globs like 'kmalloc-*' or '!dentry', not '%s'",
				    optarg);
			break;
		case OPT_TYPE:
			if (pool_type_parse(optarg, &o->type))
				return ps_usage("top", "--type wants recl, unrecl or all, not '%s'",
						optarg);
			break;
		case OPT_LOG:
			if (!*optarg)
				return ps_usage("top", "--log wants a file name");
			o->log_path = optarg;
			break;
		case OPT_LOG_MAX:
			if (parse_size(optarg, &v) || v < 4096)
				return ps_usage("top",
						"--log-max-size wants a size of at least 4K (e.g. "
						"100M), not '%s'",
						optarg);
			o->log_max = v;
			break;
		case OPT_SITES: o->sites = true; break;
		case OPT_NO_COUNTERS: o->no_counters = true; break;
		default: return ps_usage_getopt("top", c, argv, longopts);
		}
	}
	if (optind < argc)
		return ps_usage("top", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

/* Say the notes, each once per run. "counters off" is not news when the
 * user asked for it, and "not root" already names the counters. */
static void say_notes(const struct top_state *st)
{
	bool quiet_counters =
	    st->opts->no_counters || notes_find(&st->notes, POOL_NOTE_NOT_ROOT) != NULL;
	size_t i;

	for (i = 0; i < st->notes.n; i++) {
		const struct note *n = &st->notes.v[i];

		if (!quiet_counters || strcmp(n->key, POOL_NOTE_COUNTERS_OFF) != 0)
			ps_warn_once(n->key, "top: %s", n->text);
	}
}

static int refresh(struct top_state *st)
{
	int err;

	notes_clear(&st->notes);
	err = pool_sampler_sample(st->sampler, &st->notes, NULL);
	say_notes(st);
	if (err)
		ps_error("top: building the snapshot failed: %s", strerror(-err));
	return err;
}

/* The latest snapshot as the command line asked for it (keys do not change
 * what the log holds): onto stdout when to_stdout, into the log when open. */
static int emit(struct top_state *st, bool to_stdout)
{
	const struct top_opts *o = st->opts;
	struct pool_view view = {o->sort_key, o->reverse, o->type, &o->filter};
	struct pool_sampler_status status;
	struct pool_header h = {pool_sampler_latest(st->sampler), &status, st->delay_ns};
	struct table *t;
	int err = 0;

	if (pool_table_make(h.snap, &view, &t)) {
		ps_error("top: out of memory building the table");
		return -ENOMEM;
	}
	pool_sampler_status(st->sampler, &status);
	if (to_stdout) {
		err = pool_render_refresh(&h, t, o->fmt, stdout, !st->csv_header_done);
		st->csv_header_done = true;
	}
	if (!err && st->log.fd >= 0) {
		notes_clear(&st->notes);
		err = pool_log_refresh(&st->log, st->log_fmt, &h, t, &st->notes);
		say_notes(st);
		if (err == -ENOMEM)
			ps_error("top: out of memory writing log %s", st->log.path);
		else if (err)
			ps_error("top: cannot open log %s: %s", st->log.path, strerror(-err));
	}
	table_free(t);
	return err;
}

/* --sites: /proc/allocinfo, refreshed like the batch output. */
static int sites_refresh(struct top_state *st)
{
	const struct top_opts *o = st->opts;
	int err;

	notes_clear(&st->notes);
	err = alloc_sites_read(&st->sites, &st->sites_text, &st->notes);
	if (err) {
		ps_error("top --sites: %s", notes_find(&st->notes, "allocinfo-unreadable")->text);
		return err;
	}
	ps_warn_notes(NULL, &st->notes);
	err = alloc_sites_render(&st->sites, &o->filter, o->reverse, realtime_ns(), o->fmt,
				 !st->csv_header_done, stdout);
	st->csv_header_done = true;
	allocinfo_release(&st->sites);
	if (err == -ENOMEM)
		ps_error("top --sites: out of memory building the table");
	/* A write error (-EIO) is told apart from a closed pipe by the caller. */
	return err == -EIO ? 0 : err;
}

/* Refresh onto stdout (the tags, or --sites) every interval until stopped
 * or count refreshes. */
static int run_batch(struct top_state *st)
{
	long n = 0;

	for (;;) {
		int err = st->opts->sites ? sites_refresh(st) : refresh(st) ? -EIO : emit(st, true);
		int out;

		n++;
		/* A closed pipe (`top -b | head`) ends quietly; another write error fails. */
		out = stdout_flush_refresh();
		if (out < 0)
			ps_error("top: writing to stdout failed: %s", strerror(-out));
		if (out)
			return out == STDOUT_GONE ? EXIT_OK : EXIT_FAIL;
		if (err)
			return EXIT_FAIL;
		if (should_stop() || (st->opts->count > 0 && n >= st->opts->count))
			return EXIT_OK;
		signals_wait_ns(st->delay_ns);
		if (should_stop())
			return EXIT_OK;
	}
}

/* The screen's part of a refresh: sample and log. */
static int screen_sample(void *ctx, uint64_t delay_ns)
{
	struct top_state *st = ctx;

	st->delay_ns = delay_ns;
	return refresh(st) || emit(st, false) ? -EIO : 0;
}

static int top_run(int argc, char **argv)
{
	struct top_opts o = {
	    .count = -1,
	    .delay_ns = DEFAULT_DELAY_NS,
	    .fmt = FMT_TEXT,
	    .sort_key = "bytes",
	    .type = POOL_TYPE_ALL,
	    .log_max = DEFAULT_LOG_MAX,
	};
	struct top_state st = {
	    .opts = &o, .notes = NOTES_INIT, .log = ROTLOG_INIT, .sites_text = STRBUF_INIT};
	struct pool_sampler_opts so = {0};
	bool help = false;
	int rc, err;

	rc = parse_opts(argc, argv, &o, &help);
	if (rc != EXIT_OK || help) {
		if (help)
			top_help(stdout);
		goto out;
	}
	if (!isatty(STDOUT_FILENO))
		o.batch = true;
	if (o.fmt == FMT_JSON)
		err_json = true;
	if (signals_install()) {
		ps_error("top: cannot install signal handlers: %s", strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	st.delay_ns = o.delay_ns;
	if (o.sites) {
		/* Without -n, --sites prints once. */
		o.count = o.count > 0 ? o.count : 1;
		rc = run_batch(&st);
		goto out;
	}
	if (o.log_path) {
		st.log_fmt = pool_log_format(o.log_path, o.fmt);
		err = rotlog_open(&st.log, o.log_path, o.log_max);
		if (err) {
			ps_error("top: cannot open log %s: %s", o.log_path, strerror(-err));
			rc = EXIT_FAIL;
			goto out;
		}
	}
	so.no_counters = o.no_counters;
	if (pool_sampler_start(&st.sampler, &so, &st.notes)) {
		ps_error("top: out of memory starting the sources");
		rc = EXIT_FAIL;
		goto out;
	}
	say_notes(&st);
	if (o.batch) {
		rc = run_batch(&st);
	} else {
		struct top_live_opts lo = {.sort_key = o.sort_key,
					   .reverse = o.reverse,
					   .type = o.type,
					   .filter = &o.filter,
					   .delay_ns = st.delay_ns,
					   .count = o.count,
					   .sample = screen_sample,
					   .ctx = &st};

		rc = top_live_run(st.sampler, &lo) ? EXIT_FAIL : EXIT_OK;
	}
out:
	pool_sampler_stop(st.sampler);
	rotlog_close(&st.log);
	notes_release(&st.notes);
	allocinfo_release(&st.sites);
	strbuf_release(&st.sites_text);
	globlist_clear(&o.filter);
	return rc;
}

const struct command cmd_top = {
    .name = "top",
    .summary = "live kernel memory pools: slab caches, exact allocs/frees, owners (PoolMon)",
    .run = top_run,
    .help = top_help,
};
