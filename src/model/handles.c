#include "model/handles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf/handles_iter.h"
#include "kernel/limits.h"
#include "kernel/netsock.h"
#include "util/hashmap.h"
#include "util/timeutil.h"

#define PF_KTHREAD 0x00200000u

static bool pid_name_number(const char *name, int *pid)
{
	long n = 0;

	if (!*name)
		return false;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || n > 1 << 30)
			return false;
		n = n * 10 + (*name - '0');
	}
	*pid = (int)n;
	return true;
}

void handles_snapshot_free(struct handles_snapshot *snap)
{
	if (!snap)
		return;
	free(snap->procs);
	memset(snap, 0, sizeof(*snap));
}

static struct proc_handles *snapshot_add(struct handles_snapshot *snap)
{
	if (snap->count == snap->cap) {
		int cap = snap->cap ? snap->cap * 2 : 256;
		struct proc_handles *grown = realloc(snap->procs, (size_t)cap * sizeof(*grown));

		if (!grown)
			return NULL;
		snap->procs = grown;
		snap->cap = cap;
	}
	return &snap->procs[snap->count++];
}

static bool pid_selected(const struct handles_scan_opts *opts, int pid, const char *comm)
{
	bool have_names = opts->names && !globlist_empty(opts->names);
	int i;

	if (!opts->npids && !have_names)
		return true;
	for (i = 0; i < opts->npids; i++)
		if (opts->pids[i] == pid)
			return true;
	return have_names && comm && globlist_match(opts->names, comm);
}

struct inotify_visit {
	int pid_dirfd;
	uint64_t watches;
};

static int count_inotify_watches(void *ctx, const struct procfd_entry *entry)
{
	struct inotify_visit *v = ctx;
	struct fdinfo fi;

	if (entry->kind == FD_KIND_INOTIFY && fdinfo_read(v->pid_dirfd, entry->fd, &fi) == 0)
		v->watches += (uint64_t)fi.inotify_watches;
	return 0;
}

/* Fill p for one process. 0, -ESRCH (gone: leave it out), -EACCES. */
static int scan_one(const struct handles_scan_opts *opts, const struct handles_iter_result *bpf,
		    int pid, int pid_dirfd, struct proc_handles *p)
{
	const struct procfd_counts *counted = bpf ? handles_iter_find(bpf, pid) : NULL;
	struct procfd_counts counts;
	struct proc_stat st;
	struct stat dir_st;
	int err;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->maps = HANDLES_UNKNOWN;
	p->fd_soft_limit = HANDLES_UNKNOWN;
	if (proc_stat_read(pid_dirfd, &st) || fstat(pid_dirfd, &dir_st) < 0)
		return -ESRCH;
	if (opts->skip_kernel_threads && (st.flags & PF_KTHREAD))
		return -ESRCH;
	if (!pid_selected(opts, pid, st.comm))
		return -ESRCH;
	if (opts->filter_uid && dir_st.st_uid != opts->uid)
		return -ESRCH;
	memcpy(p->comm, st.comm, sizeof(p->comm));
	p->uid = dir_st.st_uid;
	p->threads = st.threads;
	p->starttime = st.starttime;
	if (opts->classify && counted) {
		/* Counted in the kernel; only inotify watch counts need fdinfo. */
		p->fds = counted->total;
		memcpy(p->kinds, counted->kinds, sizeof(p->kinds));
		if (opts->inotify_watches && counted->kinds[FD_KIND_INOTIFY]) {
			struct inotify_visit iv = { .pid_dirfd = pid_dirfd };

			if (procfd_walk(pid_dirfd, pid, 0, NULL, count_inotify_watches, &iv) == 0)
				p->inotify_watches = iv.watches;
		}
	} else if (opts->classify) {
		/* No BPF, or a process the iterator did not see (born since). */
		struct inotify_visit iv = { .pid_dirfd = pid_dirfd };

		err = procfd_walk(pid_dirfd, pid, opts->procfd_flags, &counts,
				  opts->inotify_watches ? count_inotify_watches : NULL, &iv);
		if (err)
			goto fail;
		p->fds = counts.total;
		memcpy(p->kinds, counts.kinds, sizeof(p->kinds));
		p->inotify_watches = iv.watches;
	} else {
		char exe[8];
		uint64_t n;

		/* Counting needs no readlink, but a process whose fds cannot be
		 * named must not be ranked either: "exe" has the same ptrace
		 * check as the fd links, for one readlink per process. */
		if (readlinkat(pid_dirfd, "exe", exe, sizeof(exe)) < 0 &&
		    (errno == EACCES || errno == EPERM)) {
			err = -EACCES;
			goto fail;
		}
		err = procfd_count(pid_dirfd, &n);
		if (err)
			goto fail;
		p->fds = (uint32_t)n;
	}
	if (opts->threads_maps) {
		uint64_t maps;

		if (proc_maps_count(pid_dirfd, &maps) == 0)
			p->maps = maps;
	}
	if (opts->limits) {
		struct rlimit_pair nofile;

		if (proc_limits_read_nofile(pid_dirfd, &nofile) == 0)
			p->fd_soft_limit = nofile.soft;
	}
	return 0;
fail:
	return err == -EACCES || err == -EPERM ? -EACCES : -ESRCH;
}

int handles_scan(const struct handles_scan_opts *opts, struct handles_snapshot *out)
{
	struct handles_iter_result bpf = { 0 };
	bool have_bpf = false;
	DIR *proc;
	struct dirent *de;
	int err = 0, k;

	memset(out, 0, sizeof(*out));
	out->taken_ns = monotonic_ns();
	if (opts->classify && (opts->use_bpf || opts->require_bpf)) {
		/* One kernel pass for every process; a pid filter is applied
		 * below (the iterator costs less than selecting in BPF). */
		have_bpf = handles_iter_scan(8192, &bpf) == 0;
		if (!have_bpf && opts->require_bpf)
			return -EOPNOTSUPP;
		out->used_bpf = have_bpf;
		out->bpf_missed = bpf.missed;
	}
	proc = opendir("/proc");
	if (!proc) {
		err = -errno;
		handles_iter_result_free(&bpf);
		return err;
	}
	while ((de = readdir(proc))) {
		struct proc_handles *p;
		int pid, pid_dirfd, rc;

		if (!pid_name_number(de->d_name, &pid))
			continue;
		if (opts->npids && !(opts->names && !globlist_empty(opts->names)) &&
		    !pid_selected(opts, pid, NULL))
			continue;
		pid_dirfd = openat(dirfd(proc), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pid_dirfd < 0)
			continue; /* exited since readdir */
		p = snapshot_add(out);
		if (!p) {
			close(pid_dirfd);
			err = -ENOMEM;
			goto out;
		}
		rc = scan_one(opts, have_bpf ? &bpf : NULL, pid, pid_dirfd, p);
		close(pid_dirfd);
		if (rc) {
			out->count--;
			if (rc == -EACCES)
				out->skipped_denied++;
			continue;
		}
		out->fds_total += p->fds;
		for (k = 0; k < FD_KIND_COUNT; k++)
			out->kinds_total[k] += p->kinds[k];
	}
out:
	closedir(proc);
	handles_iter_result_free(&bpf);
	return err;
}

void proc_handles_read_details(struct proc_handles *p, bool maps, bool limits)
{
	struct proc_stat st;
	char dir[32];
	int pid_dirfd;

	snprintf(dir, sizeof(dir), "/proc/%d", p->pid);
	pid_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pid_dirfd < 0)
		return;
	if (proc_stat_read(pid_dirfd, &st) == 0 && st.starttime == p->starttime) {
		uint64_t n;
		struct rlimit_pair nofile;

		if (maps && proc_maps_count(pid_dirfd, &n) == 0)
			p->maps = n;
		if (limits && proc_limits_read_nofile(pid_dirfd, &nofile) == 0)
			p->fd_soft_limit = nofile.soft;
	}
	close(pid_dirfd);
}

const struct proc_handles *handles_snapshot_find(const struct handles_snapshot *snap, int pid,
						 uint64_t starttime)
{
	int i;

	for (i = 0; i < snap->count; i++)
		if (snap->procs[i].pid == pid && snap->procs[i].starttime == starttime)
			return &snap->procs[i];
	return NULL;
}

int proc_handles_top_kinds(const struct proc_handles *p, enum fd_kind *kinds, int max)
{
	enum fd_kind order[FD_KIND_COUNT];
	int n = 0, k, i;

	/* Insertion sort of the non-zero kinds: count descending, kind order on ties. */
	for (k = 0; k < FD_KIND_COUNT; k++) {
		if (!p->kinds[k])
			continue;
		for (i = n; i > 0 && p->kinds[order[i - 1]] < p->kinds[k]; i--)
			order[i] = order[i - 1];
		order[i] = (enum fd_kind)k;
		n++;
	}
	if (n > max)
		n = max;
	memcpy(kinds, order, (size_t)n * sizeof(*kinds));
	return n;
}

static int growth_cmp(const void *a, const void *b)
{
	const struct handles_growth *x = a, *y = b;
	int64_t dx = (int64_t)x->after - x->before, dy = (int64_t)y->after - y->before;

	if (dx != dy)
		return dx > dy ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid - y->pid;
	return (int)x->kind - (int)y->kind;
}

int handles_diff(const struct handles_snapshot *before, const struct handles_snapshot *after,
		 struct handles_growth **out, int *count)
{
	double minutes = (double)(after->taken_ns - before->taken_ns) / 60e9;
	struct u64map *index = u64map_new((size_t)before->count);
	struct handles_growth *rows = NULL;
	int n = 0, cap = 0, i, k, err = 0;

	*out = NULL;
	*count = 0;
	if (!index)
		return -ENOMEM;
	for (i = 0; i < before->count; i++)
		if (u64map_set(index, (uint64_t)before->procs[i].pid, (uint64_t)i)) {
			err = -ENOMEM;
			goto out;
		}
	for (i = 0; i < after->count; i++) {
		const struct proc_handles *a = &after->procs[i], *b;
		uint64_t *bi = u64map_find(index, (uint64_t)a->pid);

		if (!bi)
			continue;
		b = &before->procs[*bi];
		if (b->starttime != a->starttime || a->fds <= b->fds)
			continue;
		for (k = 0; k <= FD_KIND_COUNT; k++) {
			uint32_t was = k == FD_KIND_COUNT ? b->fds : b->kinds[k];
			uint32_t now = k == FD_KIND_COUNT ? a->fds : a->kinds[k];
			struct handles_growth *g;

			if (now <= was)
				continue;
			if (n == cap) {
				struct handles_growth *grown;

				cap = cap ? cap * 2 : 32;
				grown = realloc(rows, (size_t)cap * sizeof(*grown));
				if (!grown) {
					err = -ENOMEM;
					goto out;
				}
				rows = grown;
			}
			g = &rows[n++];
			g->pid = a->pid;
			memcpy(g->comm, a->comm, sizeof(g->comm));
			g->kind = (enum fd_kind)k;
			g->before = was;
			g->after = now;
			g->per_minute = minutes > 0 ? (double)(now - was) / minutes : 0;
		}
	}
	if (n)
		qsort(rows, (size_t)n, sizeof(*rows), growth_cmp);
	*out = rows;
	*count = n;
	rows = NULL;
out:
	free(rows);
	u64map_free(index);
	return err;
}

/* ---- who holds which pipe/socket inode ---- */

void inode_index_free(struct inode_index *idx)
{
	if (!idx)
		return;
	u64map_free(idx->first);
	u64map_free(idx->comms);
	free(idx->holders);
	free(idx->comm_names);
	memset(idx, 0, sizeof(*idx));
}

struct index_visit {
	struct inode_index *idx;
	int pid;
};

static int index_add(void *ctx, const struct procfd_entry *entry)
{
	struct index_visit *v = ctx;
	struct inode_index *idx = v->idx;
	uint64_t *head;

	if (!entry->ino || !(entry->kind == FD_KIND_PIPE || fd_kind_is_socket(entry->kind)))
		return 0;
	if (idx->count == idx->cap) {
		uint32_t cap = idx->cap ? idx->cap * 2 : 1024;
		struct inode_holder *grown = realloc(idx->holders, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		idx->holders = grown;
		idx->cap = cap;
	}
	head = u64map_findnew(idx->first, entry->ino, 0);
	if (!head)
		return -ENOMEM;
	idx->holders[idx->count] = (struct inode_holder){
		.pid = v->pid, .fd = entry->fd, .next = (uint32_t)*head };
	*head = ++idx->count;
	return 0;
}

static int index_comm(struct inode_index *idx, int pid, const char *comm)
{
	if (idx->ncomms % 256 == 0) {
		char (*grown)[64] = realloc(idx->comm_names, (idx->ncomms + 256) * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		idx->comm_names = grown;
	}
	snprintf(idx->comm_names[idx->ncomms], sizeof(idx->comm_names[0]), "%s", comm);
	if (u64map_set(idx->comms, (uint64_t)pid, idx->ncomms))
		return -ENOMEM;
	idx->ncomms++;
	return 0;
}

int inode_index_ensure(struct inode_index *idx)
{
	if (idx->built)
		return 0;
	return inode_index_build(idx);
}

int inode_index_build(struct inode_index *idx)
{
	DIR *proc;
	struct dirent *de;
	int err = 0;

	inode_index_free(idx);
	idx->built = true; /* even when it fails: not retried per handle */
	idx->first = u64map_new(4096);
	idx->comms = u64map_new(512);
	if (!idx->first || !idx->comms)
		return -ENOMEM;
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((de = readdir(proc))) {
		struct index_visit v = { .idx = idx };
		struct proc_stat st;
		int pid_dirfd;

		if (!pid_name_number(de->d_name, &v.pid))
			continue;
		pid_dirfd = openat(dirfd(proc), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pid_dirfd < 0)
			continue;
		if (proc_stat_read(pid_dirfd, &st) == 0 && !(st.flags & PF_KTHREAD)) {
			err = index_comm(idx, v.pid, st.comm);
			/* A vanished or foreign process just holds nothing we can see. */
			if (!err)
				err = procfd_walk(pid_dirfd, v.pid, 0, NULL, index_add, &v);
			if (err != -ENOMEM)
				err = 0;
		}
		close(pid_dirfd);
		if (err)
			break;
	}
	closedir(proc);
	return err;
}

const char *inode_index_comm(const struct inode_index *idx, int pid)
{
	uint64_t *i = idx->comms ? u64map_find(idx->comms, (uint64_t)pid) : NULL;

	return i ? idx->comm_names[*i] : "?";
}

/* "4567 holder (fd 5), 4568 cat (fd 1)" for every holder of ino except
 * (self_pid, self_fd). Returns how many were written. */
static int holders_format(const struct inode_index *idx, uint64_t ino, int self_pid, int self_fd,
			  char *buf, unsigned int len)
{
	uint64_t *head = idx && idx->first ? u64map_find(idx->first, ino) : NULL;
	uint32_t i = head ? (uint32_t)*head : 0;
	size_t used = strlen(buf);
	int n = 0;

	for (; i; i = idx->holders[i - 1].next) {
		const struct inode_holder *h = &idx->holders[i - 1];

		if (h->pid == self_pid && h->fd == self_fd)
			continue;
		if (used + 1 >= len)
			break;
		snprintf(buf + used, len - used, "%s%d %s (fd %d)", n ? ", " : "", h->pid,
			 inode_index_comm(idx, h->pid), h->fd);
		used = strlen(buf);
		n++;
	}
	return n;
}

/* ---- one process, every handle ---- */

struct sock_table_cache {
	uint64_t netns_ino;
	struct sock_table table;
	struct sock_table_cache *next;
};

void sock_cache_free(struct sock_table_cache *cache)
{
	while (cache) {
		struct sock_table_cache *next = cache->next;

		sock_table_free(&cache->table);
		free(cache);
		cache = next;
	}
}

static const struct sock_table *sock_cache_get(struct sock_table_cache **cache, int pid,
					       int pid_dirfd)
{
	struct sock_table_cache *c;
	struct stat ns;

	if (fstatat(pid_dirfd, "ns/net", &ns, 0) < 0)
		ns.st_ino = 0; /* no namespace link visible: one table per process */
	for (c = *cache; c; c = c->next)
		if (ns.st_ino && c->netns_ino == ns.st_ino)
			return &c->table;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (sock_table_load(pid, pid_dirfd, &c->table)) {
		sock_table_free(&c->table);
		free(c);
		return NULL;
	}
	c->netns_ino = ns.st_ino;
	c->next = *cache;
	*cache = c;
	return &c->table;
}

static void format_ns(uint64_t ns, char *buf, unsigned int len)
{
	snprintf(buf, len, "%llu.%03llus", (unsigned long long)(ns / 1000000000ull),
		 (unsigned long long)(ns % 1000000000ull / 1000000ull));
}

void anon_detail_format(enum fd_kind kind, const struct fdinfo *fi, char *buf, unsigned int len)
{
	char a[64], b[32], c[32];

	switch (kind) {
	case FD_KIND_EVENTFD:
		snprintf(buf, len, "eventfd count=%llu", (unsigned long long)fi->eventfd_count);
		break;
	case FD_KIND_EPOLL:
		snprintf(buf, len, "epoll targets=%d", fi->epoll_targets);
		break;
	case FD_KIND_INOTIFY:
		snprintf(buf, len, "inotify watches=%d", fi->inotify_watches);
		break;
	case FD_KIND_FANOTIFY:
		snprintf(buf, len, "fanotify marks=%d", fi->fanotify_marks);
		break;
	case FD_KIND_TIMERFD:
		clockid_name(fi->timer_clockid, a, sizeof(a));
		format_ns(fi->timer_interval_ns, b, sizeof(b));
		format_ns(fi->timer_value_ns, c, sizeof(c));
		snprintf(buf, len, "timerfd clock=%s interval=%s next=%s", a,
			 fi->timer_interval_ns ? b : "none",
			 fi->timer_value_ns ? c : "disarmed");
		break;
	case FD_KIND_SIGNALFD:
		snprintf(buf, len, "signalfd mask=%s", sigmask_format(fi->sigmask, a, sizeof(a)));
		break;
	case FD_KIND_PIDFD:
		if (fi->pidfd_pid > 0)
			snprintf(buf, len, "pidfd pid=%d", fi->pidfd_pid);
		else
			snprintf(buf, len, "pidfd (process exited)");
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

static void socket_name(const struct sock_entry *s, const struct procfd_entry *e,
			const struct inode_index *idx, int pid, char *buf, unsigned int len)
{
	bool v6 = s->family == AF_INET6;
	char peer[256] = "";

	switch (s->kind) {
	case FD_KIND_TCP:
		if (s->state == 10) /* LISTEN */
			snprintf(buf, len, "TCP%s %s (LISTEN)", v6 ? "v6" : "", s->local);
		else
			snprintf(buf, len, "TCP%s %s->%s (%s)", v6 ? "v6" : "", s->local, s->remote,
				 tcp_state_name(s->state));
		break;
	case FD_KIND_UDP:
		if (strcmp(s->remote + strlen(s->remote) - 2, ":0") == 0)
			snprintf(buf, len, "UDP%s %s", v6 ? "v6" : "", s->local);
		else
			snprintf(buf, len, "UDP%s %s->%s", v6 ? "v6" : "", s->local, s->remote);
		break;
	case FD_KIND_UNIX:
		if (s->peer_ino && holders_format(idx, s->peer_ino, pid, e->fd, peer, sizeof(peer)))
			snprintf(buf, len, "UNIX %s%speer %s", s->local, s->local[0] ? " " : "",
				 peer);
		else if (s->peer_ino)
			snprintf(buf, len, "UNIX %s%speer socket:[%llu]", s->local,
				 s->local[0] ? " " : "", (unsigned long long)s->peer_ino);
		else
			snprintf(buf, len, "UNIX %s", s->local[0] ? s->local : "(unnamed)");
		break;
	case FD_KIND_NETLINK:
		snprintf(buf, len, "NETLINK %s %s", netlink_proto_name(s->netlink_proto), s->local);
		break;
	default:
		snprintf(buf, len, "%s", e->target);
		break;
	}
}

struct detail_collect {
	struct handle_detail *rows;
	char (*targets)[256];
	uint64_t *inos;
	int count;
	int cap;
};

static int detail_add(void *ctx, const struct procfd_entry *entry)
{
	struct detail_collect *c = ctx;

	if (c->count == c->cap) {
		int cap = c->cap ? c->cap * 2 : 64;
		struct handle_detail *rows = realloc(c->rows, (size_t)cap * sizeof(*rows));
		char (*targets)[256];
		uint64_t *inos;

		if (!rows)
			return -ENOMEM;
		c->rows = rows;
		targets = realloc(c->targets, (size_t)cap * sizeof(*targets));
		if (!targets)
			return -ENOMEM;
		c->targets = targets;
		inos = realloc(c->inos, (size_t)cap * sizeof(*inos));
		if (!inos)
			return -ENOMEM;
		c->inos = inos;
		c->cap = cap;
	}
	memset(&c->rows[c->count], 0, sizeof(c->rows[0]));
	c->rows[c->count].fd = entry->fd;
	c->rows[c->count].kind = entry->kind;
	/* Paths keep the kernel's " (deleted)" mark: it is the name people grep for. */
	snprintf(c->rows[c->count].name, sizeof(c->rows[0].name), "%s", entry->target);
	snprintf(c->targets[c->count], sizeof(c->targets[0]), "%s", entry->target);
	c->inos[c->count] = entry->ino ? entry->ino : fd_target_inode(entry->target);
	c->count++;
	return 0;
}

int handles_detail_read(int pid, struct inode_index *idx, struct sock_table_cache **socks,
			struct handle_detail **out, int *count)
{
	struct detail_collect c = { 0 };
	const struct sock_table *table = NULL;
	bool tried_socks = false;
	char dir[32];
	int pid_dirfd, err, i;

	*out = NULL;
	*count = 0;
	snprintf(dir, sizeof(dir), "/proc/%d", pid);
	pid_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pid_dirfd < 0)
		return -errno;
	err = procfd_walk(pid_dirfd, pid, PROCFD_SOCKPROTO | PROCFD_STAT, NULL, detail_add, &c);
	if (err)
		goto out;
	for (i = 0; i < c.count; i++) {
		struct handle_detail *d = &c.rows[i];
		struct procfd_entry e = { .fd = d->fd, .kind = d->kind, .target = c.targets[i],
					  .ino = c.inos[i] };
		struct fdinfo fi;
		char extra[256];

		if (fdinfo_read(pid_dirfd, d->fd, &fi) == 0)
			fd_flags_format(fi.flags, d->flags, sizeof(d->flags));
		else
			memset(&fi, 0, sizeof(fi)); /* closed meanwhile: keep the readlink view */
		if (fd_kind_is_socket(d->kind)) {
			const struct sock_entry *s;

			if (!tried_socks) {
				table = sock_cache_get(socks, pid, pid_dirfd);
				tried_socks = true;
			}
			s = table ? sock_table_find(table, e.ino) : NULL;
			if (s && s->peer_ino && idx && inode_index_ensure(idx) == -ENOMEM) {
				err = -ENOMEM;
				goto out;
			}
			if (s)
				socket_name(s, &e, idx, pid, d->name, sizeof(d->name));
		} else if (d->kind == FD_KIND_PIPE && fd_target_inode(e.target)) {
			if (idx && inode_index_ensure(idx) == -ENOMEM) {
				err = -ENOMEM;
				goto out;
			}
			extra[0] = '\0';
			if (holders_format(idx, e.ino, pid, d->fd, extra, sizeof(extra)))
				snprintf(d->name, sizeof(d->name), "%s peers %s", e.target, extra);
		} else {
			anon_detail_format(d->kind, &fi, extra, sizeof(extra));
			if (extra[0])
				snprintf(d->name, sizeof(d->name), "%s", extra);
		}
	}
	*out = c.rows;
	*count = c.count;
	c.rows = NULL;
out:
	free(c.rows);
	free(c.targets);
	free(c.inos);
	close(pid_dirfd);
	return err;
}
