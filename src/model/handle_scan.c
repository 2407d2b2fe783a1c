#include "model/handle_scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/globlist.h"
#include "util/notes.h"
#include "util/user_names.h"
#include "util/visible.h"

int handle_sort_parse(const char *s, enum handle_sort *key, enum fd_kind *kind)
{
	static const struct {
		const char *name;
		enum handle_sort key;
	} keys[] = {
		{ "fds", HANDLE_SORT_FDS },	      { "pid", HANDLE_SORT_PID },
		{ "comm", HANDLE_SORT_COMM },	      { "user", HANDLE_SORT_USER },
		{ "threads", HANDLE_SORT_THREADS },   { "maps", HANDLE_SORT_MAPS },
		{ "fd-pct", HANDLE_SORT_FD_PCT },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(s, keys[i].name) == 0) {
			*key = keys[i].key;
			return 0;
		}
	}
	if (fd_kind_parse(s, kind) == 0) {
		*key = HANDLE_SORT_KIND;
		return 0;
	}
	return -EINVAL;
}

bool handle_kind_filter_matches(const struct handle_kind_filter *f, enum fd_kind kind)
{
	if (!f || !f->on)
		return true;
	if (f->kind == FD_KIND_SOCKET)
		return fd_kind_is_socket(kind);
	return kind == f->kind;
}

uint32_t handle_kind_filter_count(const struct handle_kind_filter *f,
				  const struct proc_handles *p)
{
	uint32_t n = 0;
	int k;

	for (k = 0; k < FD_KIND_COUNT; k++)
		if (handle_kind_filter_matches(f, (enum fd_kind)k))
			n += p->kinds[k];
	return n;
}

void handle_query_init(struct handle_query *q)
{
	memset(q, 0, sizeof(*q));
	q->sort = HANDLE_SORT_FDS;
	q->classify = true;
	q->details = true;
}

void handle_query_scan_opts(const struct handle_query *q, struct handles_scan_opts *s)
{
	memset(s, 0, sizeof(*s));
	s->classify = q->classify;
	s->procfd_flags = PROCFD_SOCKPROTO | PROCFD_STAT;
	s->pids = q->pids;
	s->npids = q->npids;
	s->names = q->names;
	s->filter_uid = q->filter_uid;
	s->uid = q->uid;
	s->skip_kernel_threads = true;
	s->inotify_watches = q->inotify_watches;
	/* The iterator visits every process; for a few named ones, walking
	 * just their fds is cheaper. */
	s->use_bpf = !q->no_bpf && !q->npids && (!q->names || globlist_empty(q->names));
	/* Mappings and limits cost a read each: only for the rows kept, unless
	 * the sort needs them for every process. */
	s->threads_maps = q->sort == HANDLE_SORT_MAPS;
	s->limits = q->sort == HANDLE_SORT_FD_PCT;
}

/* What one sort compares by, passed to qsort_r. */
struct sort_by {
	enum handle_sort key;
	enum fd_kind kind;
	const struct handle_kind_filter *filter; /* may be NULL */
	struct user_names *users;		 /* may be NULL: uids */
};

static uint32_t sort_kind_count(const struct sort_by *by, const struct proc_handles *p)
{
	if (by->filter && by->filter->on && by->filter->kind == by->kind)
		return handle_kind_filter_count(by->filter, p);
	return p->kinds[by->kind];
}

static int proc_cmp(const void *a, const void *b, void *ctx)
{
	const struct sort_by *by = ctx;
	const struct proc_handles *x = a, *y = b;
	int c = 0;

	switch (by->key) {
	case HANDLE_SORT_PID: return x->pid - y->pid;
	case HANDLE_SORT_COMM: c = strcmp(x->comm, y->comm); break;
	case HANDLE_SORT_USER: {
		char ux[32];

		if (!by->users) {
			c = (x->uid > y->uid) - (x->uid < y->uid);
			break;
		}
		/* The second lookup may grow the table the first points into. */
		snprintf(ux, sizeof(ux), "%s", user_names_get(by->users, x->uid));
		c = strcmp(ux, user_names_get(by->users, y->uid));
		break;
	}
	case HANDLE_SORT_THREADS: c = (x->threads < y->threads) - (x->threads > y->threads); break;
	case HANDLE_SORT_MAPS:
		c = (x->maps + 1 < y->maps + 1) - (x->maps + 1 > y->maps + 1); /* unknown last */
		break;
	case HANDLE_SORT_FD_PCT: {
		double px = proc_handles_fd_pct(x), py = proc_handles_fd_pct(y);

		c = (px < py) - (px > py);
		break;
	}
	case HANDLE_SORT_KIND: {
		uint32_t kx = sort_kind_count(by, x), ky = sort_kind_count(by, y);

		c = (kx < ky) - (kx > ky);
		break;
	}
	case HANDLE_SORT_FDS: break;
	}
	if (!c)
		c = (x->fds < y->fds) - (x->fds > y->fds);
	return c ? c : x->pid - y->pid;
}

void handle_snapshot_sort(struct handles_snapshot *snap, enum handle_sort key,
			  enum fd_kind sort_kind, const struct handle_kind_filter *f,
			  struct user_names *users)
{
	struct sort_by by = { .key = key, .kind = sort_kind, .filter = f, .users = users };

	if (snap->count > 1)
		qsort_r(snap->procs, (size_t)snap->count, sizeof(snap->procs[0]), proc_cmp, &by);
}

/* The texts carry no fd count: it changes from scan to scan, the note's
 * condition does not (the counts are in the table). */
void handle_scan_notes(const struct handles_snapshot *snap, struct notes *ns)
{
	char comm[4 * sizeof(snap->unnamed_comm) + 1]; /* a name is anyone's: escaped */

	visible_escape(snap->unnamed_comm, strlen(snap->unnamed_comm), comm, sizeof(comm));
	if (snap->unnamed_procs == 1)
		notes_add(ns, "handles-unnamed",
			  "pid %d (%s): its fds are counted as type unknown: the kernel refuses "
			  "to show their links in /proc/%d/fd%s, so their types and names cannot "
			  "be read",
			  snap->unnamed_pid, comm, snap->unnamed_pid,
			  geteuid() == 0 ? " even to root" : "");
	else if (snap->unnamed_procs > 1)
		notes_add(ns, "handles-unnamed",
			  "%d processes (pid %d %s, ...): their fds are counted as type unknown: "
			  "the kernel refuses to show their links in /proc/PID/fd%s, so their "
			  "types and names cannot be read",
			  snap->unnamed_procs, snap->unnamed_pid, comm,
			  geteuid() == 0 ? " even to root" : "");
	if (!snap->skipped_denied)
		return;
	if (geteuid() == 0)
		notes_add(ns, "handles-denied",
			  "skipped %d process%s whose fds even root may not read here (the "
			  "kernel's ptrace access check refused /proc/PID/fd)",
			  snap->skipped_denied, snap->skipped_denied == 1 ? "" : "es");
	else
		notes_add(ns, "handles-denied",
			  "skipped %d process%s of other users: reading another user's "
			  "/proc/PID/fd needs root (CAP_SYS_PTRACE)",
			  snap->skipped_denied, snap->skipped_denied == 1 ? "" : "es");
}

/* Ranking by total needs no readlink: stat("fd").st_size gives each count,
 * so with the top N by fds only the N kept processes are classified. A
 * candidate that exits before its turn is replaced by the next one. */
static int scan_top_by_count(const struct handle_query *q, struct handles_scan_opts *s,
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
	handle_snapshot_sort(&counted, q->sort, q->sort_kind, &q->kinds, NULL);
	snap->skipped_denied = counted.skipped_denied;
	snap->taken_ns = counted.taken_ns;
	batch = malloc((size_t)q->top * sizeof(*batch));
	if (!batch) {
		err = -ENOMEM;
		goto out;
	}
	s->names = NULL;
	while (snap->count < q->top && pos < counted.count) {
		n = q->top - snap->count;
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
	return err;
}

/* Keep the processes the kind filter and top N select, in order. */
static void select_rows(const struct handle_query *q, struct handles_snapshot *snap)
{
	int i, kept = 0;

	for (i = 0; i < snap->count && (!q->top || kept < q->top); i++) {
		if (q->classify && q->kinds.on && !handle_kind_filter_count(&q->kinds, &snap->procs[i]))
			continue;
		snap->procs[kept++] = snap->procs[i];
	}
	snap->count = kept;
}

int handle_query_run(const struct handle_query *q, struct user_names *users,
		     struct handles_snapshot *out, struct notes *ns)
{
	struct handles_scan_opts s;
	bool rank_by_total = q->classify && q->top && q->sort == HANDLE_SORT_FDS && !q->kinds.on;
	int err, i;

	handle_query_scan_opts(q, &s);
	if (rank_by_total && s.use_bpf) {
		/* One kernel pass classifies everyone faster than a count pass
		 * and N walks; without BPF, count first. */
		s.require_bpf = true;
		err = handles_scan(&s, out);
		s.require_bpf = false;
		if (err == -EOPNOTSUPP)
			err = scan_top_by_count(q, &s, out);
	} else if (rank_by_total) {
		err = scan_top_by_count(q, &s, out);
	} else {
		err = handles_scan(&s, out);
	}
	if (err)
		return err;
	handle_scan_notes(out, ns);
	out->matched = out->count;
	handle_snapshot_sort(out, q->sort, q->sort_kind, &q->kinds, users);
	select_rows(q, out);
	for (i = 0; q->details && i < out->count; i++) {
		struct proc_handles *p = &out->procs[i];

		proc_handles_read_details(p, p->maps == HANDLES_UNKNOWN,
					  p->fd_soft_limit == HANDLES_UNKNOWN);
	}
	return 0;
}
