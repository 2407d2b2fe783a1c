/* poolscope top: the Linux PoolMon. Wires the readers (slabinfo, slabsys,
 * meminfo, allocinfo), the eBPF counters and kernel symbols into the pool
 * snapshot model, and shows it on the ncurses screen or as text/CSV/JSON
 * refreshes, optionally logged to a rotating file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf/slabcount.h"
#include "cmd/cmd.h"
#include "kernel/allocinfo.h"
#include "kernel/ksyms.h"
#include "kernel/meminfo.h"
#include "kernel/slabinfo.h"
#include "kernel/slabsys.h"
#include "model/pool.h"
#include "output/json.h"
#include "output/pool_table.h"
#include "output/table.h"
#include "ui/top_screen.h"
#include "util/err.h"
#include "util/outfile.h"
#include "util/globlist.h"
#include "util/parse.h"
#include "util/signals.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

#define SLABSYS_ROOT "/sys/kernel/slab"
#define DEFAULT_DELAY_NS 2000000000ull
/* Below this a batch loop only burns a CPU re-reading /proc/slabinfo; 0 would spin. */
#define TOP_DELAY_BATCH_MIN_NS 10000000ull
#define DEFAULT_LOG_MAX (100ull << 20)
/* New caches appear rarely; rescanning /sys/kernel/slab is ~1k syscalls. */
#define SLABSYS_RESCAN_NS 10000000000ull
#define HEADER_LINES 4
#define HEADER_LEN 512

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

struct top_log {
	const char *path;
	int fd;
	enum output_format fmt;
	uint64_t max;
	uint64_t size;
};

struct top_state {
	const struct top_opts *opts;
	struct strbuf scratch;
	struct slabinfo slabinfo;
	bool slabinfo_ok;
	struct slabsys slabsys;
	bool slabsys_ok;
	uint64_t slabsys_scanned_ns;
	struct meminfo mem;
	struct slab_counters *counters;
	char counters_why[256];
	struct ksyms *ksyms;
	struct pool_snapshot snaps[2];
	int cur; /* index of the latest snapshot in snaps */
	uint64_t page_size;
	uint64_t refresh_cpu_ns;
	uint64_t delay_ns; /* current interval (keys change it) */
	long refreshes;
	bool csv_header_done;
	struct top_log log;
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

/* ---- log file: appended refreshes, rotated to FILE.1 beyond the limit ---- */

static enum output_format log_format(const char *path, enum output_format fmt)
{
	const char *dot = strrchr(path, '.');

	if (dot && strcmp(dot, ".csv") == 0)
		return FMT_CSV;
	if (dot && (!strcmp(dot, ".json") || !strcmp(dot, ".jsonl") || !strcmp(dot, ".ndjson")))
		return FMT_JSON;
	return fmt == FMT_CSV ? FMT_CSV : FMT_JSON;
}

static int log_open(struct top_log *log)
{
	struct stat st;

	log->fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (log->fd < 0) {
		ps_error("top: cannot open log %s: %s", log->path, strerror(errno));
		return -errno;
	}
	log->size = fstat(log->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

static void log_close(struct top_log *log)
{
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
}

/* Rename FILE to FILE.1 (replacing an older FILE.1) and start FILE afresh. */
static int log_rotate(struct top_log *log)
{
	char old[4096];

	snprintf(old, sizeof(old), "%s.1", log->path);
	if (rename(log->path, old)) {
		/* Keep appending rather than lose the refresh. */
		ps_warn_once("log-rotate", "cannot rotate log %s to %s: %s; still appending",
			     log->path, old, strerror(errno));
		return 0;
	}
	log_close(log);
	return log_open(log);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- one refresh ---- */

static void counters_stop(struct top_state *st, const char *why)
{
	slab_counters__stop(st->counters);
	st->counters = NULL;
	snprintf(st->counters_why, sizeof(st->counters_why), "%s", why);
}

static int refresh(struct top_state *st)
{
	struct pool_snapshot *next = &st->snaps[st->cur ^ 1];
	struct pool_sources src = {0};
	struct slab_count *counts = NULL;
	size_t ncounts = 0;
	uint64_t cpu0 = process_cpu_ns(), now;
	size_t i;
	int err;

	if (meminfo_read(&st->mem, &st->scratch))
		ps_warn_once("meminfo", "cannot read /proc/meminfo: the header stays empty");
	if (st->slabinfo_ok) {
		err = slabinfo_read(&st->slabinfo, &st->scratch);
		if (err) {
			ps_warn_once("slabinfo-read", "cannot read /proc/slabinfo: %s",
				     strerror(-err));
			st->slabinfo.count = 0;
		}
	}
	if (st->counters) {
		err = slab_counters__read(st->counters, &counts, &ncounts);
		if (err) {
			char why[256];

			snprintf(why, sizeof(why), "reading the counters failed: %s",
				 strerror(-err));
			ps_warn("top: %s; counters off", why);
			counters_stop(st, why);
		}
	}
	/* A cache created since the last scan has no merge group yet. */
	now = monotonic_ns();
	if (st->slabinfo_ok && now - st->slabsys_scanned_ns > SLABSYS_RESCAN_NS) {
		for (i = 0; i < st->slabinfo.count; i++)
			if (!slabsys_find(&st->slabsys, st->slabinfo.rows[i].name))
				break;
		if (i < st->slabinfo.count) {
			slabsys_release(&st->slabsys);
			st->slabsys_ok = slabsys_read(&st->slabsys, SLABSYS_ROOT) == 0;
			st->slabsys_scanned_ns = now;
		}
	}
	src.slabinfo = st->slabinfo_ok ? &st->slabinfo : NULL;
	src.slabsys = st->slabsys_ok ? &st->slabsys : NULL;
	src.counters_on = st->counters != NULL;
	src.counts = counts;
	src.ncounts = st->counters ? ncounts : 0;
	src.unattributed_frees = st->counters ? slab_counters__unattributed(st->counters) : 0;
	src.missed_events = st->counters ? slab_counters__missed(st->counters) : 0;
	src.ksyms = st->ksyms;
	src.mem = &st->mem;
	src.page_size = st->page_size;
	src.realtime_ns = realtime_ns();
	err = pool_snapshot_build(next, &src, &st->snaps[st->cur]);
	free(counts);
	if (err) {
		ps_error("top: building the snapshot failed: %s", strerror(-err));
		return err;
	}
	st->cur ^= 1;
	st->refreshes++;
	st->refresh_cpu_ns = process_cpu_ns() - cpu0;
	return 0;
}

static const struct pool_snapshot *latest(const struct top_state *st)
{
	return &st->snaps[st->cur];
}

/* ---- header: text lines (screen and text batch) and JSON ---- */

static const char *fmt_mem(const struct meminfo *mi, enum meminfo_field f, char *buf,
			   unsigned int len)
{
	if (!meminfo_has(mi, f))
		return "-";
	return format_bytes(mi->bytes[f], buf, len);
}

static void header_lines(const struct top_state *st, char lines[HEADER_LINES][HEADER_LEN])
{
	const struct pool_snapshot *snap = latest(st);
	const struct meminfo *mi = &snap->mem;
	char t[40], up[48], a[32], b[32], c[32], d[32], e[32];

	format_iso8601(snap->realtime_ns, t, sizeof(t));
	if (mi->have_uptime) {
		uint64_t s = (uint64_t)mi->uptime_s;

		snprintf(up, sizeof(up), "%" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64,
			 s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
	} else {
		snprintf(up, sizeof(up), "-");
	}
	snprintf(lines[0], HEADER_LEN, "poolscope top  %s  up %s  every %gs  refresh %.2f ms CPU",
		 t, up, (double)st->delay_ns / 1e9, (double)st->refresh_cpu_ns / 1e6);
	snprintf(lines[1], HEADER_LEN, "Mem %s total, %s available   Slab %s (Recl %s, Unrecl %s)",
		 fmt_mem(mi, MI_MEM_TOTAL, a, sizeof(a)),
		 fmt_mem(mi, MI_MEM_AVAILABLE, b, sizeof(b)), fmt_mem(mi, MI_SLAB, c, sizeof(c)),
		 fmt_mem(mi, MI_SRECLAIMABLE, d, sizeof(d)),
		 fmt_mem(mi, MI_SUNRECLAIM, e, sizeof(e)));
	{
		char f[32], g[32], h[32], k[32], files[64];

		if (mi->have_files)
			snprintf(files, sizeof(files), "%" PRIu64 " / %" PRIu64, mi->files_in_use,
				 mi->files_max);
		else
			snprintf(files, sizeof(files), "-");
		snprintf(
		    lines[2], HEADER_LEN,
		    "KernelStack %s  PageTables %s  VmallocUsed %s  Percpu %s  File handles %s",
		    fmt_mem(mi, MI_KERNEL_STACK, f, sizeof(f)),
		    fmt_mem(mi, MI_PAGE_TABLES, g, sizeof(g)),
		    fmt_mem(mi, MI_VMALLOC_USED, h, sizeof(h)),
		    fmt_mem(mi, MI_PERCPU, k, sizeof(k)), files);
	}
	if (st->counters)
		snprintf(lines[3], HEADER_LEN,
			 "Counters on (%" PRIu64 " events missed, %" PRIu64
			 " frees unattributed): %s%s",
			 snap->missed_events, snap->unattributed_frees,
			 slab_counters__note(st->counters),
			 st->slabinfo_ok ? "" : "; Objs/Bytes need root (/proc/slabinfo)");
	else
		snprintf(lines[3], HEADER_LEN, "Counters off: %s%s", st->counters_why,
			 st->slabinfo_ok ? "" : "; Objs/Bytes need root (/proc/slabinfo)");
}

static void header_json(const struct top_state *st, struct json_writer *w)
{
	const struct pool_snapshot *snap = latest(st);
	const struct meminfo *mi = &snap->mem;
	static const struct {
		const char *key;
		enum meminfo_field field;
	} mem_keys[] = {
	    {"mem_total", MI_MEM_TOTAL},
	    {"mem_available", MI_MEM_AVAILABLE},
	    {"slab", MI_SLAB},
	    {"slab_recl", MI_SRECLAIMABLE},
	    {"slab_unrecl", MI_SUNRECLAIM},
	    {"kernel_stack", MI_KERNEL_STACK},
	    {"page_tables", MI_PAGE_TABLES},
	    {"vmalloc_used", MI_VMALLOC_USED},
	    {"percpu", MI_PERCPU},
	};
	unsigned int i;

	json_begin_object(w);
	for (i = 0; i < sizeof(mem_keys) / sizeof(mem_keys[0]); i++) {
		json_key(w, mem_keys[i].key);
		if (meminfo_has(mi, mem_keys[i].field))
			json_uint(w, mi->bytes[mem_keys[i].field]);
		else
			json_null(w);
	}
	json_key(w, "files_in_use");
	if (mi->have_files)
		json_uint(w, mi->files_in_use);
	else
		json_null(w);
	json_key(w, "files_max");
	if (mi->have_files)
		json_uint(w, mi->files_max);
	else
		json_null(w);
	json_key(w, "uptime_s");
	if (mi->have_uptime)
		json_double(w, mi->uptime_s);
	else
		json_null(w);
	json_kv_double(w, "interval_s", (double)st->delay_ns / 1e9);
	json_kv_double(w, "refresh_cpu_ms", (double)st->refresh_cpu_ns / 1e6);
	json_kv_bool(w, "slabinfo", st->slabinfo_ok);
	json_kv_bool(w, "counters", st->counters != NULL);
	json_kv_string(w, "counters_note",
		       st->counters ? slab_counters__note(st->counters) : st->counters_why);
	json_key(w, "unattributed_frees");
	if (st->counters)
		json_uint(w, snap->unattributed_frees);
	else
		json_null(w);
	json_key(w, "missed_events");
	if (st->counters)
		json_uint(w, snap->missed_events);
	else
		json_null(w);
	json_end_object(w);
}

/* One refresh in fmt onto out: text (header, table, blank line), CSV (rows,
 * the header line only once) or one JSON object on one line. */
static int render_refresh(struct top_state *st, const struct table *t, enum output_format fmt,
			  FILE *out, bool csv_header)
{
	struct table_render_opts opts = {0};
	char lines[HEADER_LINES][HEADER_LEN];
	char time[40];
	int i;

	switch (fmt) {
	case FMT_TEXT:
		header_lines(st, lines);
		for (i = 0; i < HEADER_LINES; i++)
			fprintf(out, "%s\n", lines[i]);
		fputc('\n', out);
		table_render(t, FMT_TEXT, out, &opts);
		fputc('\n', out);
		break;
	case FMT_CSV:
		opts.no_header = !csv_header;
		table_render(t, FMT_CSV, out, &opts);
		break;
	case FMT_JSON: {
		struct json_writer *w = json_writer_new(out);

		if (!w)
			return -ENOMEM;
		json_begin_object(w);
		json_kv_string(w, "time",
			       format_iso8601(latest(st)->realtime_ns, time, sizeof(time)));
		json_key(w, "header");
		header_json(st, w);
		json_key(w, "tags");
		table_render_json_rows(t, w);
		json_end_object(w);
		json_writer_free(w);
		fputc('\n', out);
		break;
	}
	}
	return ferror(out) ? -EIO : 0;
}

static int log_refresh(struct top_state *st, const struct table *t)
{
	struct top_log *log = &st->log;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	if (log->fd < 0)
		return 0;
	mem = open_memstream(&buf, &len);
	if (!mem)
		return -ENOMEM;
	err = render_refresh(st, t, log->fmt, mem, log->size == 0);
	fclose(mem);
	if (err)
		goto out;
	if (log->size > 0 && log->size + len > log->max) {
		err = log_rotate(log);
		if (err)
			goto out;
		if (log->size == 0 && log->fmt == FMT_CSV) {
			/* A fresh CSV file needs its header line again. */
			free(buf);
			buf = NULL;
			mem = open_memstream(&buf, &len);
			if (!mem) {
				err = -ENOMEM;
				goto out;
			}
			err = render_refresh(st, t, log->fmt, mem, true);
			fclose(mem);
			if (err)
				goto out;
		}
	}
	err = write_all(log->fd, buf, len);
	if (err) {
		ps_error("top: writing log %s failed: %s", log->path, strerror(-err));
		goto out;
	}
	log->size += len;
out:
	free(buf);
	return err;
}

static struct table *make_view(const struct top_state *st, const char *sort_key, bool reverse,
			       enum pool_type_filter type, const struct globlist *filter)
{
	struct pool_view view = {sort_key, reverse, type, filter};
	struct table *t = pool_table_new();

	if (!t || pool_table_fill(t, latest(st), &view)) {
		ps_error("top: out of memory building the table");
		table_free(t);
		return NULL;
	}
	return t;
}

/* Flush stdout: 0, STDOUT_GONE when the reader went away (`top -b | head`:
 * stop quietly; later flushes go to /dev/null so the exit path sees no write
 * error), or -errno on another write error (said here). */
#define STDOUT_GONE 1
static int stdout_flush(void)
{
	int fd;

	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (!stdout_reader_gone()) {
		ps_error("top: writing to stdout failed: %s", strerror(errno));
		return -EIO;
	}
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	clearerr(stdout);
	return STDOUT_GONE;
}

/* Sleep the interval, waking early for a stop signal or SIGUSR1. */
static void batch_wait(uint64_t ns)
{
	uint64_t deadline = monotonic_ns() + ns;

	while (!should_stop() && !usr1_requested) {
		uint64_t now = monotonic_ns();

		if (now >= deadline)
			break;
		sleep_ns_interruptible(deadline - now);
	}
	usr1_requested = 0;
}

static int run_batch(struct top_state *st)
{
	const struct top_opts *o = st->opts;
	int rc = EXIT_OK;

	for (;;) {
		struct table *t;
		int err, out;

		if (refresh(st))
			return EXIT_FAIL;
		t = make_view(st, o->sort_key, o->reverse, o->type, &o->filter);
		if (!t)
			return EXIT_FAIL;
		err = render_refresh(st, t, o->fmt, stdout, !st->csv_header_done);
		st->csv_header_done = true;
		if (!err)
			err = log_refresh(st, t);
		table_free(t);
		out = stdout_flush();
		if (out)
			return out == STDOUT_GONE ? EXIT_OK : EXIT_FAIL;
		if (err) {
			rc = EXIT_FAIL;
			break;
		}
		if (should_stop() || (o->count > 0 && st->refreshes >= o->count))
			break;
		batch_wait(st->delay_ns);
		if (should_stop())
			break;
	}
	return rc;
}

/* Log one refresh the way the command line asked for it (keys do not
 * change what the log holds). */
static int log_latest(struct top_state *st)
{
	const struct top_opts *o = st->opts;
	struct table *t;
	int err;

	if (st->log.fd < 0)
		return 0;
	t = make_view(st, o->sort_key, o->reverse, o->type, &o->filter);
	if (!t)
		return -ENOMEM;
	err = log_refresh(st, t);
	table_free(t);
	return err;
}

/* While the screen is up, warnings written to stderr would scribble over it:
 * hold them in an anonymous memory file and replay them once the terminal is
 * back. Returns the real stderr's fd, or -1 when nothing is held. */
static int stderr_hold(void)
{
	int mem = memfd_create("poolscope-top-stderr", MFD_CLOEXEC);
	int saved;

	if (mem < 0)
		return -1;
	fflush(stderr);
	saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved < 0 || dup2(mem, STDERR_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		close(mem);
		return -1;
	}
	close(mem);
	return saved;
}

static void stderr_release(int saved)
{
	char buf[4096];
	ssize_t n;
	int mem;

	if (saved < 0)
		return;
	fflush(stderr);
	mem = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if (mem < 0)
		return;
	lseek(mem, 0, SEEK_SET);
	while ((n = read(mem, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)n) != n)
			break;
	close(mem);
}

static int run_screen(struct top_state *st)
{
	const struct top_opts *o = st->opts;
	struct top_controls ctl = {0};
	struct top_screen *screen = NULL;
	uint64_t next_refresh = 0;
	int rc = EXIT_OK, i, saved_stderr = -1;

	snprintf(ctl.sort_key, sizeof(ctl.sort_key), "%s",
		 pool_sort_key_change(o->sort_key, false));
	ctl.by_change = strcmp(ctl.sort_key, o->sort_key) != 0;
	ctl.reverse = o->reverse;
	ctl.type = o->type;
	ctl.delay_ns = st->delay_ns < TOP_DELAY_MIN_NS ? TOP_DELAY_MIN_NS : st->delay_ns;
	/* The command-line filter, as text the '/' prompt can edit. */
	for (i = 0; i < o->filter.count; i++) {
		size_t len = strlen(ctl.filter_text);

		snprintf(ctl.filter_text + len, sizeof(ctl.filter_text) - len, "%s%s",
			 len ? "," : "", o->filter.patterns[i]);
	}
	if (ctl.filter_text[0] && globlist_add(&ctl.filter, ctl.filter_text)) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (top_screen_open(&screen)) {
		rc = EXIT_FAIL;
		goto out;
	}
	saved_stderr = stderr_hold();
	while (!should_stop()) {
		char lines[HEADER_LINES][HEADER_LEN];
		const char *header[HEADER_LINES];
		struct table *t;
		enum top_event ev;
		uint64_t now = monotonic_ns();

		if (!ctl.paused && now >= next_refresh) {
			if (o->count > 0 && st->refreshes >= o->count)
				break;
			st->delay_ns = ctl.delay_ns;
			if (refresh(st) || log_latest(st)) {
				rc = EXIT_FAIL;
				break;
			}
			next_refresh = now + ctl.delay_ns;
		}
		t = make_view(st, pool_sort_key_change(ctl.sort_key, ctl.by_change), ctl.reverse,
			      ctl.type, &ctl.filter);
		if (!t) {
			rc = EXIT_FAIL;
			break;
		}
		header_lines(st, lines);
		for (i = 0; i < HEADER_LINES; i++)
			header[i] = lines[i];
		top_screen_draw(screen, header, HEADER_LINES, t, &ctl, NULL);
		table_free(t);
		now = monotonic_ns();
		ev = top_screen_wait(screen, &ctl,
				     ctl.paused		  ? 250000000ull
				     : next_refresh > now ? next_refresh - now
							  : 0);
		if (ev == TOP_EV_QUIT)
			break;
		/* A new interval counts from now. */
		if (ctl.delay_ns != st->delay_ns) {
			st->delay_ns = ctl.delay_ns;
			next_refresh = monotonic_ns() + ctl.delay_ns;
		}
	}
out:
	top_screen_close(screen);
	stderr_release(saved_stderr);
	globlist_clear(&ctl.filter);
	return rc;
}

/* ---- --sites: /proc/allocinfo ---- */

static int run_sites(const struct top_opts *o)
{
	struct strbuf sb = STRBUF_INIT;
	struct allocinfo ai = {0};
	struct table *t = NULL;
	long n = 0;
	int rc = EXIT_FAIL, err;

	for (;;) {
		char site[512], time[40];
		size_t i;
		int r;

		err = allocinfo_read(&ai, &sb);
		if (err == -ENOENT) {
			ps_error(
			    "top --sites: this kernel has no /proc/allocinfo: it was built without "
			    "CONFIG_MEM_ALLOC_PROFILING");
			goto out;
		}
		if (err == -EACCES || err == -EPERM) {
			ps_error("top --sites: /proc/allocinfo is readable only by root");
			goto out;
		}
		if (err) {
			ps_error("top --sites: cannot read /proc/allocinfo: %s", strerror(-err));
			goto out;
		}
		t = table_new();
		if (!t)
			goto out;
		table_add_col(t, "time", "time", COL_STR, COL_TEXT_HIDDEN | COL_JSON_HIDDEN);
		table_add_col(t, "Bytes", "bytes", COL_UINT, COL_HUMAN_BYTES);
		table_add_col(t, "Calls", "calls", COL_UINT, 0);
		table_add_col(t, "Function", "function", COL_STR, COL_LEFT);
		table_add_col(t, "Module", "module", COL_STR, COL_LEFT);
		table_add_col(t, "Site", "site", COL_STR, COL_LEFT | COL_SQUEEZE);
		table_add_col(t, "Accurate", "accurate", COL_STR, COL_LEFT);
		format_iso8601(realtime_ns(), time, sizeof(time));
		for (i = 0; i < ai.count; i++) {
			const struct alloc_site *s = &ai.sites[i];
			const char *name = s->function;

			if (!globlist_empty(&o->filter) && !globlist_match(&o->filter, name))
				continue;
			r = table_add_row(t);
			if (r < 0)
				goto out;
			snprintf(site, sizeof(site), "%s:%u", s->file, s->line);
			table_set_str(t, r, 0, time);
			table_set_uint(t, r, 1, s->bytes);
			table_set_uint(t, r, 2, s->calls);
			table_set_str(t, r, 3, s->function);
			table_set_str(t, r, 4, s->module);
			table_set_str(t, r, 5, site);
			table_set_str(t, r, 6, s->inaccurate ? "no" : "yes");
		}
		table_sort(t, 1, !o->reverse);
		if (o->fmt == FMT_JSON) {
			struct json_writer *w = json_writer_new(stdout);

			if (!w)
				goto out;
			json_begin_object(w);
			json_kv_string(w, "time", time);
			json_key(w, "sites");
			table_render_json_rows(t, w);
			json_end_object(w);
			json_writer_free(w);
			fputc('\n', stdout);
		} else {
			struct table_render_opts opts = {.no_header = o->fmt == FMT_CSV && n > 0};

			table_render(t, o->fmt, stdout, &opts);
		}
		table_free(t);
		t = NULL;
		allocinfo_release(&ai);
		n++;
		err = stdout_flush();
		if (err < 0)
			goto out;
		if (err == STDOUT_GONE)
			break;
		if (should_stop() || n >= (o->count > 0 ? o->count : 1))
			break;
		batch_wait(o->delay_ns);
		if (should_stop())
			break;
	}
	rc = EXIT_OK;
out:
	table_free(t);
	allocinfo_release(&ai);
	strbuf_release(&sb);
	return rc;
}

/* ---- set-up and tear-down ---- */

static int start_sources(struct top_state *st)
{
	const struct top_opts *o = st->opts;
	int err;

	err = slabinfo_read(&st->slabinfo, &st->scratch);
	st->slabinfo_ok = err == 0;
	if (err && err != -EACCES && err != -EPERM)
		ps_warn("top: cannot read /proc/slabinfo: %s; Objs and Bytes show '-'",
			strerror(-err));
	err = slabsys_read(&st->slabsys, SLABSYS_ROOT);
	st->slabsys_ok = err == 0;
	st->slabsys_scanned_ns = monotonic_ns();
	if (err)
		ps_warn("top: cannot read %s: %s; merged names and types are unknown", SLABSYS_ROOT,
			strerror(-err));
	if (o->no_counters) {
		snprintf(st->counters_why, sizeof(st->counters_why), "not loaded (--no-counters)");
	} else {
		err =
		    slab_counters__start(&st->counters, st->counters_why, sizeof(st->counters_why));
		if (err) {
			st->counters = NULL;
			if (!st->counters_why[0])
				snprintf(st->counters_why, sizeof(st->counters_why),
					 "loading the eBPF counters failed: %s", strerror(-err));
		}
	}
	if (geteuid() != 0 && !st->slabinfo_ok) {
		/* Name the counters' privilege only when they were asked for. */
		ps_warn("top: not root: /proc/slabinfo is readable only by root (Objs, Bytes)%s; "
			"still shown: the memory header and the cache names and merges from %s",
			o->no_counters ? ""
				       : " and the counters need CAP_BPF and CAP_PERFMON "
					 "(Allocs, Frees, Owner)",
			SLABSYS_ROOT);
	} else if (!st->counters && !o->no_counters) {
		ps_warn("top: counters off: %s; Allocs, Frees, Diff and Owner show '-'",
			st->counters_why);
	}
	if (st->counters) {
		err = ksyms__load(&st->ksyms);
		if (err) {
			st->ksyms = NULL;
			ps_warn("top: cannot load /proc/kallsyms (%s): Owner shows addresses",
				strerror(-err));
		}
	}
	return 0;
}

static void stop_sources(struct top_state *st)
{
	slab_counters__stop(st->counters);
	st->counters = NULL;
	ksyms__free(st->ksyms);
	slabinfo_release(&st->slabinfo);
	slabsys_release(&st->slabsys);
	pool_snapshot_release(&st->snaps[0]);
	pool_snapshot_release(&st->snaps[1]);
	strbuf_release(&st->scratch);
	log_close(&st->log);
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
	struct top_state st = {.opts = &o, .log = {.fd = -1}};
	bool help = false;
	long page;
	int rc;

	rc = parse_opts(argc, argv, &o, &help);
	if (rc != EXIT_OK || help) {
		if (help)
			top_help(stdout);
		goto out_opts;
	}
	if (!isatty(STDOUT_FILENO))
		o.batch = true;
	if (o.fmt == FMT_JSON)
		err_json = true;
	if (signals_install()) {
		ps_error("top: cannot install signal handlers: %s", strerror(errno));
		rc = EXIT_FAIL;
		goto out_opts;
	}
	if (o.sites) {
		rc = run_sites(&o);
		goto out_opts;
	}
	page = sysconf(_SC_PAGESIZE);
	st.page_size = page > 0 ? (uint64_t)page : 4096;
	st.delay_ns = o.delay_ns;
	if (o.log_path) {
		st.log.path = o.log_path;
		st.log.fmt = log_format(o.log_path, o.fmt);
		st.log.max = o.log_max;
		if (log_open(&st.log)) {
			rc = EXIT_FAIL;
			goto out_opts;
		}
	}
	start_sources(&st);
	rc = o.batch ? run_batch(&st) : run_screen(&st);
	stop_sources(&st);
out_opts:
	globlist_clear(&o.filter);
	return rc;
}

const struct command cmd_top = {
    .name = "top",
    .summary = "live kernel memory pools: slab caches, exact allocs/frees, owners (PoolMon)",
    .run = top_run,
    .help = top_help,
};
