/* poolscope handles: every kernel object a process holds (fds by kind,
 * threads, mappings), system-wide handle resources against their limits,
 * one process's handles by name, and which processes' handles grow. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "kernel/ipc.h"
#include "kernel/limits.h"
#include "kernel/procfd.h"
#include "model/handle_resources.h"
#include "model/handle_detail.h"
#include "model/handles.h"
#include "output/json.h"
#include "output/table.h"
#include "util/err.h"
#include "util/globlist.h"
#include "util/outfile.h"
#include "util/hashmap.h"
#include "util/parse.h"
#include "util/signals.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

#define TOP_KINDS_SHOWN 3
#define USAGE(...) ps_usage("handles", __VA_ARGS__)

enum sort_key {
	SORT_FDS,
	SORT_PID,
	SORT_COMM,
	SORT_USER,
	SORT_THREADS,
	SORT_MAPS,
	SORT_FD_PCT,
	SORT_KIND, /* by the count of one fd kind */
};

struct handles_opts {
	bool summary;
	bool all;
	enum output_format format;
	enum sort_key sort;
	enum fd_kind sort_kind;
	bool sort_given;
	int top; /* 0: every row */
	bool have_type;
	enum fd_kind type;
	int *pids;
	int npids;
	struct globlist names;
	bool have_user;
	uint32_t uid;
	uint64_t interval_ns; /* 0: no interval mode */
	uint64_t count;	      /* intervals; 0: until interrupted */
	bool no_bpf;	      /* walk /proc even where the BPF iterator works */
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
		"                       pidfd memfd io_uring bpf perf anon other\n"
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

/* ---- user names ---- */

struct user_names {
	struct u64map *index; /* uid → slot */
	char (*names)[32];
	uint32_t count;
};

static const char *user_name(struct user_names *u, uint32_t uid)
{
	uint64_t *slot;
	struct passwd *pw;

	if (!u->index)
		u->index = u64map_new(64);
	slot = u->index ? u64map_find(u->index, uid) : NULL;
	if (slot)
		return u->names[*slot];
	if (u->count % 64 == 0) {
		char (*grown)[32] = realloc(u->names, (u->count + 64) * sizeof(*grown));

		if (!grown)
			return "?";
		u->names = grown;
	}
	pw = getpwuid(uid);
	if (pw)
		snprintf(u->names[u->count], sizeof(u->names[0]), "%s", pw->pw_name);
	else
		snprintf(u->names[u->count], sizeof(u->names[0]), "%u", uid);
	if (!u->index || u64map_set(u->index, uid, u->count))
		return "?";
	return u->names[u->count++];
}

static void user_names_free(struct user_names *u)
{
	u64map_free(u->index);
	free(u->names);
}

/* ---- option parsing ---- */

static int parse_sort(const char *s, struct handles_opts *o)
{
	static const struct {
		const char *name;
		enum sort_key key;
	} keys[] = {
		{ "fds", SORT_FDS },	     { "pid", SORT_PID },   { "comm", SORT_COMM },
		{ "user", SORT_USER },	     { "threads", SORT_THREADS },
		{ "maps", SORT_MAPS },	     { "fd-pct", SORT_FD_PCT },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(s, keys[i].name) == 0) {
			o->sort = keys[i].key;
			return 0;
		}
	}
	if (fd_kind_parse(s, &o->sort_kind) == 0) {
		o->sort = SORT_KIND;
		return 0;
	}
	return -EINVAL;
}

/* "123", "-5", "0": meant as a pid, whatever its range. */
static bool looks_numeric(const char *s)
{
	if (*s == '-')
		s++;
	return *s && strspn(s, "0123456789") == strlen(s);
}

static int add_pid_or_name(struct handles_opts *o, const char *spec)
{
	char *copy = strdup(spec), *tok, *save = NULL;
	int err = 0, ntok = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t pid;

		ntok++;
		if (parse_u64_range(tok, 1, (1u << 30), &pid) == 0) {
			int *grown = realloc(o->pids, (size_t)(o->npids + 1) * sizeof(*grown));

			if (!grown) {
				err = -ENOMEM;
				break;
			}
			o->pids = grown;
			o->pids[o->npids++] = (int)pid;
		} else if (looks_numeric(tok)) {
			/* 0, -1 or 99999999999 is no process: matching it as a
			 * name would show an empty table and say nothing. */
			err = -ERANGE;
			break;
		} else {
			err = globlist_add(&o->names, tok);
			if (err)
				break;
		}
	}
	free(copy);
	/* "" or "," selects nothing, which would silently mean "everyone". */
	return err ? err : ntok ? 0 : -EINVAL;
}

static int parse_user(const char *s, uint32_t *uid)
{
	struct passwd *pw = getpwnam(s);
	uint64_t n;

	if (pw) {
		*uid = pw->pw_uid;
		return 0;
	}
	if (parse_u64_range(s, 0, UINT32_MAX - 1, &n) == 0) {
		*uid = (uint32_t)n;
		return 0;
	}
	return -ENOENT;
}

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
			if (add_pid_or_name(o, optarg))
				return USAGE("-p: '%s' is not a pid or a name", optarg);
			break;
		case 'u':
			if (parse_user(optarg, &o->uid))
				return USAGE("-u: no such user '%s'", optarg);
			o->have_user = true;
			break;
		case 't':
			if (fd_kind_parse(optarg, &o->type))
				return USAGE("-t: unknown type '%s'", optarg);
			o->have_type = true;
			break;
		case OPT_SORT:
			if (parse_sort(optarg, o))
				return USAGE("--sort: unknown key '%s'", optarg);
			o->sort_given = true;
			break;
		case OPT_TOP:
			if (parse_u64_range(optarg, 1, 1000000, &n))
				return USAGE("--top: '%s' is not a count from 1 to 1000000", optarg);
			o->top = (int)n;
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
		case OPT_NO_BPF: o->no_bpf = true; break;
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
	if (o->have_type && !o->sort_given) {
		o->sort = SORT_KIND;
		o->sort_kind = o->type;
	}
	return 0;
}

/* ---- the process view ---- */

static bool type_matches(const struct handles_opts *o, enum fd_kind kind)
{
	if (!o->have_type)
		return true;
	if (o->type == FD_KIND_SOCKET)
		return fd_kind_is_socket(kind);
	return kind == o->type;
}

static uint32_t type_count(const struct handles_opts *o, const struct proc_handles *p)
{
	uint32_t n = 0;
	int k;

	for (k = 0; k < FD_KIND_COUNT; k++)
		if (type_matches(o, (enum fd_kind)k))
			n += p->kinds[k];
	return n;
}

static double fd_pct(const struct proc_handles *p)
{
	if (p->fd_soft_limit == HANDLES_UNKNOWN || p->fd_soft_limit == LIMIT_UNLIMITED ||
	    !p->fd_soft_limit)
		return -1;
	return 100.0 * p->fds / (double)p->fd_soft_limit;
}

/* qsort has no context argument: the comparison reads these. */
static const struct handles_opts *sort_opts;
static struct user_names *sort_users;

static int proc_cmp(const void *a, const void *b)
{
	const struct proc_handles *x = a, *y = b;
	int c = 0;

	switch (sort_opts->sort) {
	case SORT_PID: return x->pid - y->pid;
	case SORT_COMM: c = strcmp(x->comm, y->comm); break;
	case SORT_USER: {
		char ux[32];

		if (!sort_users) {
			c = (x->uid > y->uid) - (x->uid < y->uid);
			break;
		}
		snprintf(ux, sizeof(ux), "%s", user_name(sort_users, x->uid));
		c = strcmp(ux, user_name(sort_users, y->uid));
		break;
	}
	case SORT_THREADS: c = (x->threads < y->threads) - (x->threads > y->threads); break;
	case SORT_MAPS:
		c = (x->maps + 1 < y->maps + 1) - (x->maps + 1 > y->maps + 1); /* unknown last */
		break;
	case SORT_FD_PCT: {
		double px = fd_pct(x), py = fd_pct(y);

		c = (px < py) - (px > py);
		break;
	}
	case SORT_KIND: {
		uint32_t kx = sort_opts->have_type && sort_opts->type == sort_opts->sort_kind
				      ? type_count(sort_opts, x) : x->kinds[sort_opts->sort_kind];
		uint32_t ky = sort_opts->have_type && sort_opts->type == sort_opts->sort_kind
				      ? type_count(sort_opts, y) : y->kinds[sort_opts->sort_kind];

		c = (kx < ky) - (kx > ky);
		break;
	}
	case SORT_FDS: break;
	}
	if (!c)
		c = (x->fds < y->fds) - (x->fds > y->fds);
	return c ? c : x->pid - y->pid;
}

static void sort_procs(struct handles_snapshot *snap, const struct handles_opts *o,
		       struct user_names *users)
{
	sort_opts = o;
	sort_users = users;
	if (snap->count > 1)
		qsort(snap->procs, (size_t)snap->count, sizeof(snap->procs[0]), proc_cmp);
}

static void scan_opts_init(const struct handles_opts *o, struct handles_scan_opts *s)
{
	memset(s, 0, sizeof(*s));
	s->classify = true;
	s->procfd_flags = PROCFD_SOCKPROTO | PROCFD_STAT;
	s->pids = o->pids;
	s->npids = o->npids;
	s->names = &o->names;
	s->filter_uid = o->have_user;
	s->uid = o->uid;
	s->skip_kernel_threads = true;
	/* The iterator visits every process; for a few named ones, walking
	 * just their fds is cheaper. */
	s->use_bpf = !o->no_bpf && !o->npids && globlist_empty(&o->names);
}

static void warn_skipped(const struct handles_snapshot *snap)
{
	if (!snap->skipped_denied)
		return;
	if (geteuid() == 0)
		ps_warn_once("handles-denied",
			     "skipped %d process%s whose fds even root may not read here (the "
			     "kernel's ptrace access check refused /proc/PID/fd)",
			     snap->skipped_denied, snap->skipped_denied == 1 ? "" : "es");
	else
		ps_warn_once("handles-denied",
			     "skipped %d process%s of other users: reading another user's "
			     "/proc/PID/fd needs root (CAP_SYS_PTRACE)",
			     snap->skipped_denied, snap->skipped_denied == 1 ? "" : "es");
}

/* What every view says after its scan: why it failed, or which processes it
 * could not read. Returns err. */
static int scan_said(int err, const struct handles_snapshot *snap)
{
	if (err)
		ps_error("handles: cannot scan /proc: %s", strerror(-err));
	else
		warn_skipped(snap);
	return err;
}

/* Like pgrep: a -p or -u selection that matches nothing is an answer worth a line
 * and a non-zero exit, not an empty table that reads as "fine". */
static int selection_matched(const struct handles_opts *o, const struct handles_snapshot *snap)
{
	bool by_pid = o->npids || !globlist_empty(&o->names);

	if ((by_pid || o->have_user) && !snap->count) {
		ps_error("handles: no process matches %s (or it exited, or it is not yours)",
			 by_pid && o->have_user ? "-p and -u" : by_pid ? "-p" : "-u");
		return -ESRCH;
	}
	return 0;
}

/* "{"tcp":5,"pipe":2}" and "tcp:5 pipe:2 file:1" (top kinds) for one process. */
static void kinds_cell(const struct handles_opts *o, const struct proc_handles *p,
		       struct strbuf *json, struct strbuf *text)
{
	enum fd_kind top[FD_KIND_COUNT];
	int n = proc_handles_top_kinds(p, top, FD_KIND_COUNT), i, shown = 0;

	strbuf_reset(json);
	strbuf_reset(text);
	strbuf_puts(json, "{");
	for (i = 0; i < n; i++) {
		if (!type_matches(o, top[i]))
			continue;
		strbuf_printf(json, "%s\"%s\":%u", shown ? "," : "", fd_kind_name(top[i]),
			      p->kinds[top[i]]);
		if (shown < TOP_KINDS_SHOWN)
			strbuf_printf(text, "%s%s:%u", shown ? " " : "", fd_kind_name(top[i]),
				      p->kinds[top[i]]);
		shown++;
	}
	strbuf_puts(json, "}");
	if (!shown)
		strbuf_puts(text, "-");
}

static int render_processes(const struct handles_snapshot *snap, const struct handles_opts *o,
			    struct user_names *users, uint64_t max_map_count)
{
	struct strbuf json = STRBUF_INIT, text = STRBUF_INIT;
	struct table *t = table_new();
	int i, rows = 0, err = -ENOMEM;

	if (!t)
		goto out;
	if (table_add_col(t, "PID", "pid", COL_INT, 0) < 0 ||
	    table_add_col(t, "User", "user", COL_STR, 0) < 0 ||
	    table_add_col(t, "Command", "comm", COL_STR, COL_SQUEEZE) < 0 ||
	    table_add_col(t, "FDs", "fds", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Top types", "types", COL_JSON, 0) < 0 ||
	    table_add_col(t, "Threads", "threads", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Maps", "maps", COL_UINT, 0) < 0 ||
	    table_add_col(t, "FD limit", "fd_limit", COL_UINT, 0) < 0 ||
	    table_add_col(t, "FD%", "fd_pct", COL_DOUBLE, 0) < 0 ||
	    table_add_col(t, "Maps%", "maps_pct", COL_DOUBLE, 0) < 0)
		goto out;
	for (i = 0; i < snap->count && (!o->top || rows < o->top); i++) {
		const struct proc_handles *p = &snap->procs[i];
		double pct = fd_pct(p);
		int r;

		if (o->have_type && !type_count(o, p))
			continue;
		r = table_add_row(t);
		if (r < 0)
			goto out;
		rows++;
		kinds_cell(o, p, &json, &text);
		table_set_int(t, r, 0, p->pid);
		table_set_str(t, r, 1, user_name(users, p->uid));
		table_set_str(t, r, 2, p->comm);
		table_set_uint(t, r, 3, p->fds);
		table_set_json(t, r, 4, strbuf_str(&json), strbuf_str(&text));
		table_set_uint(t, r, 5, p->threads);
		if (p->maps != HANDLES_UNKNOWN) {
			table_set_uint(t, r, 6, p->maps);
			if (max_map_count)
				table_set_double(t, r, 9, 100.0 * (double)p->maps /
								 (double)max_map_count);
		}
		if (p->fd_soft_limit != HANDLES_UNKNOWN && p->fd_soft_limit != LIMIT_UNLIMITED)
			table_set_uint(t, r, 7, p->fd_soft_limit);
		if (pct >= 0)
			table_set_double(t, r, 8, pct);
	}
	err = table_render(t, o->format, stdout, NULL);
out:
	if (err == -ENOMEM)
		ps_error("handles: out of memory building the process table");
	table_free(t);
	strbuf_release(&json);
	strbuf_release(&text);
	return err;
}

/* Ranking by total needs no readlink: stat("fd").st_size gives each count,
 * so with --top N by fds only the N shown processes are classified. A
 * candidate that exits before its turn is replaced by the next one. */
static int scan_top_by_count(const struct handles_opts *o, struct handles_scan_opts *s,
			     struct handles_snapshot *snap)
{
	struct handles_scan_opts count_opts = *s;
	struct handles_snapshot counted, part = { 0 };
	int *batch = NULL, pos = 0, i, n, err;

	memset(snap, 0, sizeof(*snap));
	count_opts.classify = false;
	count_opts.threads_maps = false;
	count_opts.limits = false;
	err = handles_scan(&count_opts, &counted);
	if (err)
		goto out;
	sort_procs(&counted, o, NULL);
	snap->skipped_denied = counted.skipped_denied;
	snap->taken_ns = counted.taken_ns;
	batch = malloc((size_t)o->top * sizeof(*batch));
	if (!batch) {
		err = -ENOMEM;
		goto out;
	}
	s->names = NULL;
	while (snap->count < o->top && pos < counted.count) {
		n = o->top - snap->count;
		if (n > counted.count - pos)
			n = counted.count - pos;
		for (i = 0; i < n; i++)
			batch[i] = counted.procs[pos + i].pid;
		pos += n;
		s->pids = batch;
		s->npids = n;
		err = handles_scan(s, &part);
		if (err)
			goto out;
		snap->skipped_denied += part.skipped_denied;
		for (i = 0; i < part.count; i++) {
			struct proc_handles *grown;

			if (snap->count == snap->cap) {
				snap->cap = snap->cap ? snap->cap * 2 : 16;
				grown = realloc(snap->procs, (size_t)snap->cap * sizeof(*grown));
				if (!grown) {
					err = -ENOMEM;
					goto out;
				}
				snap->procs = grown;
			}
			snap->procs[snap->count++] = part.procs[i];
		}
		handles_snapshot_free(&part);
	}
out:
	handles_snapshot_free(&counted);
	handles_snapshot_free(&part);
	free(batch);
	s->pids = NULL;
	return err;
}

static int run_processes(const struct handles_opts *o)
{
	struct handles_scan_opts s;
	struct handles_snapshot snap = { 0 };
	struct user_names users = { 0 };
	struct sys_limits limits;
	bool rank_by_total = o->top && o->sort == SORT_FDS && !o->have_type;
	int err, i, shown;

	scan_opts_init(o, &s);
	/* Mappings and limits cost a read each: only for the rows shown,
	 * unless the sort needs them for every process. */
	s.threads_maps = o->sort == SORT_MAPS;
	s.limits = o->sort == SORT_FD_PCT;
	sys_limits_read(&limits); /* a missing sysctl only leaves its column empty */
	if (rank_by_total && s.use_bpf) {
		s.require_bpf = true;
		err = handles_scan(&s, &snap);
		s.require_bpf = false;
		if (err == -EOPNOTSUPP)
			err = scan_top_by_count(o, &s, &snap);
	} else if (rank_by_total) {
		err = scan_top_by_count(o, &s, &snap);
	} else {
		err = handles_scan(&s, &snap);
	}
	err = scan_said(err, &snap);
	if (!err)
		err = selection_matched(o, &snap);
	if (err)
		goto out;
	sort_procs(&snap, o, &users);
	for (i = 0, shown = 0; i < snap.count && (!o->top || shown < o->top); i++) {
		struct proc_handles *p = &snap.procs[i];

		if (o->have_type && !type_count(o, p))
			continue;
		shown++;
		proc_handles_read_details(p, p->maps == HANDLES_UNKNOWN,
					  p->fd_soft_limit == HANDLES_UNKNOWN);
	}
	err = render_processes(&snap, o, &users, limits.max_map_count);
out:
	handles_snapshot_free(&snap);
	user_names_free(&users);
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- the summary ---- */

/* The resources table: a per-user resource is named with its user. */
static int fill_resources(struct table *t, const struct handle_resources *res,
			  struct user_names *users)
{
	int i;

	for (i = 0; i < res->count; i++) {
		const struct handle_resource *r = &res->items[i];
		char name[128];
		int row = table_add_row(t);

		if (row < 0)
			return row;
		if (r->per_user)
			snprintf(name, sizeof(name), "%s (%s)", r->name, user_name(users, r->uid));
		else
			snprintf(name, sizeof(name), "%s", r->name);
		table_set_str(t, row, 0, name);
		table_set_uint(t, row, 1, r->used);
		if (r->limit) {
			table_set_uint(t, row, 2, r->limit);
			table_set_double(t, row, 3, 100.0 * (double)r->used / (double)r->limit);
		}
	}
	return 0;
}

static int fill_ipc(struct table *t, const struct ipc_list *ipc, struct user_names *users)
{
	int i;

	for (i = 0; i < ipc->count; i++) {
		const struct ipc_object *obj = &ipc->objects[i];
		char key[24];
		int r = table_add_row(t);

		if (r < 0)
			return r;
		table_set_str(t, r, 0, ipc_kind_name(obj->kind));
		if (obj->kind == IPC_KIND_MQUEUE) {
			table_set_str(t, r, 1, obj->name);
		} else {
			snprintf(key, sizeof(key), "0x%08llx", (unsigned long long)obj->key);
			table_set_int(t, r, 2, obj->id);
			table_set_str(t, r, 1, key);
		}
		table_set_str(t, r, 3, user_name(users, obj->uid));
		table_set_str(t, r, 4, user_name(users, obj->cuid));
		if (obj->kind == IPC_KIND_SHM)
			table_set_int(t, r, 5, obj->cpid);
		table_set_uint(t, r, 6, obj->bytes);
		table_set_uint(t, r, 7, obj->count);
	}
	return 0;
}

/* The summary: JSON as one object, text and CSV as up to three tables. */
static int render_summary(const struct handles_opts *o, const struct handles_snapshot *snap,
			  uint64_t total, struct table *types, const struct table *res,
			  const struct table *objs)
{
	struct json_writer *w;
	int r, err;

	if (o->format != FMT_JSON) {
		r = table_add_row(types);
		if (r < 0)
			return r;
		table_set_str(types, r, 0, "total");
		table_set_uint(types, r, 1, total);
		table_set_double(types, r, 2, total ? 100.0 : 0);
		err = table_render(types, o->format, stdout, NULL);
		if (!err) {
			putchar('\n');
			err = table_render(res, o->format, stdout, NULL);
		}
		if (!err && table_rows(objs)) {
			putchar('\n');
			err = table_render(objs, o->format, stdout, NULL);
		}
		return err;
	}
	w = json_writer_new(stdout);
	if (!w)
		return -ENOMEM;
	json_begin_object(w);
	json_key(w, "types");
	json_begin_object(w);
	for (r = 0; r < table_rows(types); r++)
		json_kv_uint(w, table_get_str(types, r, 0), table_get_uint(types, r, 1));
	json_end_object(w);
	json_kv_uint(w, "total", total);
	json_kv_int(w, "processes", snap->count);
	json_kv_int(w, "skipped_processes", snap->skipped_denied);
	json_kv_string(w, "method", snap->used_bpf ? "bpf-iter" : "proc");
	json_key(w, "resources");
	table_render_json_rows(res, w);
	json_key(w, "ipc");
	table_render_json_rows(objs, w);
	json_end_object(w);
	json_writer_free(w);
	putchar('\n');
	return ferror(stdout) ? -EIO : 0;
}

static int run_summary(const struct handles_opts *o)
{
	struct handles_scan_opts s;
	struct handles_snapshot snap = { 0 };
	struct user_names users = { 0 };
	struct ipc_list ipc = { 0 };
	struct handle_resources resources = { 0 };
	struct table *types = table_new(), *res = table_new(), *objs = table_new();
	int mq_dir;
	bool have_mqueue = false;
	uint64_t total = 0;
	int err, k;

	scan_opts_init(o, &s);
	s.inotify_watches = true;
	err = -ENOMEM;
	if (!types || !res || !objs)
		goto out;
	err = scan_said(handles_scan(&s, &snap), &snap);
	if (err)
		goto out;
	err = sysvipc_read(&ipc);
	if (err)
		ps_warn_once("handles-sysvipc", "SysV IPC: cannot read /proc/sysvipc: %s",
			     strerror(-err));
	mq_dir = mqueue_open();
	if (mq_dir >= 0 && mqueue_read_dir(mq_dir, &ipc) == 0)
		have_mqueue = true;
	else
		ps_warn_once("handles-mqueue", "POSIX message queues not counted: no mqueue "
					       "filesystem is mounted and making a private one "
					       "needs CAP_SYS_ADMIN");
	if (mq_dir >= 0)
		close(mq_dir);
	err = -ENOMEM;
	if (table_add_col(types, "Type", "type", COL_STR, 0) < 0 ||
	    table_add_col(types, "Count", "count", COL_UINT, 0) < 0 ||
	    table_add_col(types, "%", "pct", COL_DOUBLE, 0) < 0 ||
	    table_add_col(res, "Resource", "name", COL_STR, 0) < 0 ||
	    table_add_col(res, "Used", "used", COL_UINT, 0) < 0 ||
	    table_add_col(res, "Limit", "limit", COL_UINT, 0) < 0 ||
	    table_add_col(res, "%", "pct", COL_DOUBLE, 0) < 0 ||
	    table_add_col(objs, "IPC", "kind", COL_STR, 0) < 0 ||
	    table_add_col(objs, "Key/name", "key", COL_STR, 0) < 0 ||
	    table_add_col(objs, "ID", "id", COL_INT, 0) < 0 ||
	    table_add_col(objs, "Owner", "owner", COL_STR, 0) < 0 ||
	    table_add_col(objs, "Creator", "creator", COL_STR, 0) < 0 ||
	    table_add_col(objs, "CPID", "cpid", COL_INT, 0) < 0 ||
	    table_add_col(objs, "Bytes", "bytes", COL_UINT, COL_HUMAN_BYTES) < 0 ||
	    table_add_col(objs, "Count", "count", COL_UINT, 0) < 0)
		goto out;
	for (k = 0; k < FD_KIND_COUNT; k++)
		if (type_matches(o, (enum fd_kind)k))
			total += snap.kinds_total[k];
	for (k = 0; k < FD_KIND_COUNT; k++) {
		int r;

		if (!snap.kinds_total[k] || !type_matches(o, (enum fd_kind)k))
			continue;
		r = table_add_row(types);
		if (r < 0)
			goto out;
		table_set_str(types, r, 0, fd_kind_name((enum fd_kind)k));
		table_set_uint(types, r, 1, snap.kinds_total[k]);
		table_set_double(types, r, 2, total ? 100.0 * snap.kinds_total[k] / total : 0);
	}
	table_sort(types, 1, true);
	if (handle_resources_collect(&snap, &ipc, have_mqueue, &resources))
		goto out;
	if (resources.keys_unavailable)
		ps_warn_once("handles-keys", "keys: /proc/key-users is not readable (kernel "
					     "without CONFIG_KEYS?): key quotas not shown");
	if (fill_resources(res, &resources, &users) || fill_ipc(objs, &ipc, &users))
		goto out;
	err = render_summary(o, &snap, total, types, res, objs);
out:
	if (err == -ENOMEM)
		ps_error("handles: out of memory building the summary");
	table_free(types);
	table_free(res);
	table_free(objs);
	ipc_list_free(&ipc);
	handle_resources_free(&resources);
	handles_snapshot_free(&snap);
	user_names_free(&users);
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- every handle of the selected processes ---- */

static int run_all(const struct handles_opts *o)
{
	struct handles_scan_opts s;
	struct handles_snapshot snap = { 0 };
	struct inode_index idx = { 0 };
	struct sock_table_cache *socks = NULL;
	struct table *t = table_new();
	struct user_names users = { 0 };
	int err = -ENOMEM, i, j;

	scan_opts_init(o, &s);
	s.classify = false; /* only which processes: the detail walk classifies */
	if (!t)
		goto out;
	err = scan_said(handles_scan(&s, &snap), &snap);
	if (!err)
		err = selection_matched(o, &snap);
	if (err)
		goto out;
	err = -ENOMEM;
	if (table_add_col(t, "PID", "pid", COL_INT, 0) < 0 ||
	    table_add_col(t, "Command", "comm", COL_STR, 0) < 0 ||
	    table_add_col(t, "FD", "fd", COL_INT, 0) < 0 ||
	    table_add_col(t, "Type", "type", COL_STR, 0) < 0 ||
	    table_add_col(t, "Flags", "flags", COL_STR, 0) < 0 ||
	    table_add_col(t, "Name", "name", COL_STR, 0) < 0)
		goto out;
	sort_procs(&snap, o, &users);
	for (i = 0; i < snap.count; i++) {
		const struct proc_handles *p = &snap.procs[i];
		struct handle_detail *rows;
		int n, rc;

		rc = handles_detail_read(p->pid, &idx, &socks, &rows, &n);
		if (rc == -ENOMEM)
			goto out;
		if (rc)
			continue; /* exited or denied since the scan */
		for (j = 0; j < n; j++) {
			int r;

			if (!type_matches(o, rows[j].kind))
				continue;
			r = table_add_row(t);
			if (r < 0) {
				free(rows);
				goto out;
			}
			table_set_int(t, r, 0, p->pid);
			table_set_str(t, r, 1, p->comm);
			table_set_int(t, r, 2, rows[j].fd);
			table_set_str(t, r, 3, fd_kind_name(rows[j].kind));
			table_set_str(t, r, 4, rows[j].flags[0] ? rows[j].flags : NULL);
			table_set_str(t, r, 5, rows[j].name);
		}
		free(rows);
	}
	err = table_render(t, o->format, stdout, NULL);
out:
	if (err == -ENOMEM)
		ps_error("handles: out of memory listing handles");
	table_free(t);
	sock_cache_free(socks);
	inode_index_free(&idx);
	handles_snapshot_free(&snap);
	user_names_free(&users);
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- growth over time ---- */

static int render_growth(const struct handles_growth *g, int n, double elapsed_s,
			 const struct handles_opts *o)
{
	struct table *t = table_new();
	int i, rows = 0, err = -ENOMEM;

	if (!t)
		goto out;
	if (table_add_col(t, "PID", "pid", COL_INT, 0) < 0 ||
	    table_add_col(t, "Command", "comm", COL_STR, 0) < 0 ||
	    table_add_col(t, "Type", "type", COL_STR, 0) < 0 ||
	    table_add_col(t, "Before", "before", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Now", "now", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Growth", "growth", COL_INT, COL_SIGNED) < 0 ||
	    table_add_col(t, "Per min", "per_minute", COL_DOUBLE, 0) < 0)
		goto out;
	for (i = 0; i < n && (!o->top || rows < o->top); i++) {
		int r;

		if (g[i].kind != FD_KIND_COUNT && !type_matches(o, g[i].kind))
			continue;
		if (g[i].kind == FD_KIND_COUNT && o->have_type)
			continue;
		r = table_add_row(t);
		if (r < 0)
			goto out;
		rows++;
		table_set_int(t, r, 0, g[i].pid);
		table_set_str(t, r, 1, g[i].comm);
		table_set_str(t, r, 2, g[i].kind == FD_KIND_COUNT ? "total"
								  : fd_kind_name(g[i].kind));
		table_set_uint(t, r, 3, g[i].before);
		table_set_uint(t, r, 4, g[i].after);
		table_set_int(t, r, 5, (int64_t)g[i].after - g[i].before);
		table_set_double(t, r, 6, g[i].per_minute);
	}
	if (o->format == FMT_JSON) {
		struct json_writer *w = json_writer_new(stdout);

		if (!w)
			goto out;
		/* One object per interval and line, so a consumer can stream. */
		json_begin_object(w);
		json_kv_double(w, "elapsed_s", elapsed_s);
		json_key(w, "growth");
		table_render_json_rows(t, w);
		json_end_object(w);
		json_writer_free(w);
		putchar('\n');
		err = 0;
	} else {
		if (o->format == FMT_TEXT)
			printf("after %.1fs: %d growing (process, type) row%s\n", elapsed_s, rows,
			       rows == 1 ? "" : "s");
		err = table_render(t, o->format, stdout, NULL);
	}
	/* Each interval is flushed, so a full disk or a closed pipe ends the
	 * loop now instead of at Ctrl-C. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && !err)
		err = -EIO;
out:
	table_free(t);
	return err;
}

static int run_interval(const struct handles_opts *o)
{
	struct handles_scan_opts s;
	struct handles_snapshot first = { 0 }, now = { 0 };
	uint64_t i;
	int err;

	signals_install();
	scan_opts_init(o, &s);
	err = scan_said(handles_scan(&s, &first), &first);
	if (err)
		goto out;
	for (i = 0; !o->count || i < o->count; i++) {
		struct handles_growth *g;
		int n;

		sleep_ns_interruptible(o->interval_ns);
		if (should_stop())
			break;
		handles_snapshot_free(&now);
		err = scan_said(handles_scan(&s, &now), &now); /* warns once at most */
		if (err)
			goto out;
		err = handles_diff(&first, &now, &g, &n);
		if (err) {
			ps_error("handles: out of memory comparing snapshots");
			goto out;
		}
		err = render_growth(g, n, (double)(now.taken_ns - first.taken_ns) / 1e9, o);
		free(g);
		if (err)
			goto out;
	}
out:
	handles_snapshot_free(&first);
	handles_snapshot_free(&now);
	return err ? EXIT_FAIL : EXIT_OK;
}

static int handles_run(int argc, char **argv)
{
	struct handles_opts o = { .format = FMT_TEXT };
	int rc;

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
	free(o.pids);
	globlist_clear(&o.names);
	return rc;
}

const struct command cmd_handles = {
	.name = "handles",
	.summary = "kernel objects each process holds: fds by type, threads, mappings",
	.run = handles_run,
	.help = handles_help,
};
