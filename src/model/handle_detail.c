#include "model/handle_detail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/netsock.h"
#include "model/handles.h"
#include "util/hashmap.h"
#include "util/notes.h"
#include "util/visible.h"
#include "util/procfs.h"

#define PF_KTHREAD 0x00200000u

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

		if (!procfs_pid_name(de->d_name, &v.pid))
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

int handles_detail_each(const struct handles_snapshot *snap, handles_detail_visit_fn visit,
			void *ctx, struct notes *ns)
{
	struct inode_index idx = { 0 };
	struct sock_table_cache *socks = NULL;
	int i, err = 0, denied = 0;

	for (i = 0; i < snap->count && !err; i++) {
		const struct proc_handles *p = &snap->procs[i];
		struct handle_detail *rows;
		int n;

		err = handles_detail_read(p->pid, &idx, &socks, &rows, &n);
		if (err == -EACCES && !denied++) {
			char comm[4 * sizeof(p->comm) + 1]; /* a name is anyone's: escaped */

			visible_escape(p->comm, strlen(p->comm), comm, sizeof(comm));
			notes_add(ns, "handles-detail-denied",
				  "pid %d (%s): its fds cannot be named: the kernel refuses to show "
				  "their links in /proc/%d/fd%s",
				  p->pid, comm, p->pid, geteuid() == 0 ? " even to root" : "");
		}
		if (err && err != -ENOMEM) {
			err = 0; /* exited or refused since the scan */
			continue;
		}
		if (!err)
			err = visit(ctx, p->pid, p->comm, rows, n);
		free(rows);
	}
	if (denied > 1)
		notes_add(ns, "handles-detail-denied",
			  "%d processes' fds cannot be named: the kernel refuses to show their "
			  "links in /proc/PID/fd%s", denied, geteuid() == 0 ? " even to root" : "");
	sock_cache_free(socks);
	inode_index_free(&idx);
	return err;
}
