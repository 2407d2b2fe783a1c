#include "model/handles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf/handles_iter.h"
#include "kernel/limits.h"
#include "util/procfs.h"
#include "util/timeutil.h"

#define PF_KTHREAD 0x00200000u

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

/* A process whose fd directory may be listed but whose fd links are refused
 * (pid 1 here, even to root): its fds are counted, as kind unknown. 0 or
 * -errno (-EACCES: not even the listing). */
static int count_unnamed(int pid_dirfd, struct proc_handles *p)
{
	uint64_t n;
	int err = procfd_count_listed(pid_dirfd, &n);

	if (err)
		return err;
	/* A task being reaped refuses its links too: one that is gone by now
	 * is left out like any process that exits mid-scan. */
	if (proc_access_error(pid_dirfd) == -ESRCH)
		return -ESRCH;
	p->fds = (uint32_t)n;
	memset(p->kinds, 0, sizeof(p->kinds));
	p->kinds[FD_KIND_UNKNOWN] = (uint32_t)n;
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
		/* The iterator read mm->map_count: no /proc/PID/maps to format.
		 * It is what vm.max_map_count limits; /proc/PID/maps lists one
		 * line more on x86_64 (the [vsyscall] gate, not a VMA of the mm). */
		if (counted->maps)
			p->maps = counted->maps;
		/* Read by the iterator every pass, so free: taken whether or not
		 * the sort needs it (no /proc/PID/limits for the rows kept). */
		if (counted->nofile_soft)
			p->fd_soft_limit = counted->nofile_soft;
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
		if (err == -EACCES) {
			err = count_unnamed(pid_dirfd, p);
			if (err)
				goto fail;
		} else if (err) {
			goto fail;
		} else {
			p->fds = counts.total;
			memcpy(p->kinds, counts.kinds, sizeof(p->kinds));
			p->inotify_watches = iv.watches;
		}
	} else {
		char exe[8];
		uint64_t n;

		/* Counting needs no readlink, but "exe" has the same ptrace
		 * check as the fd links, for one readlink per process: a
		 * process whose fds cannot be named is counted only if its fd
		 * directory may be listed (as classifying it would). */
		if (readlinkat(pid_dirfd, "exe", exe, sizeof(exe)) < 0 &&
		    (errno == EACCES || errno == EPERM)) {
			err = count_unnamed(pid_dirfd, p);
			if (err)
				goto fail;
		} else {
			err = procfd_count(pid_dirfd, &n);
			if (err)
				goto fail;
			p->fds = (uint32_t)n;
		}
	}
	if (opts->threads_maps && p->maps == HANDLES_UNKNOWN) {
		uint64_t maps;

		if (proc_maps_count(pid_dirfd, &maps) == 0)
			p->maps = maps;
	}
	if (opts->limits && p->fd_soft_limit == HANDLES_UNKNOWN) {
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
		have_bpf = (opts->iter ? handles_iter_run(opts->iter, &bpf)
				       : handles_iter_scan(8192, &bpf)) == 0;
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

		if (!procfs_pid_name(de->d_name, &pid))
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
		if (p->kinds[FD_KIND_UNKNOWN]) {
			if (!out->unnamed_procs++) {
				out->unnamed_pid = p->pid;
				memcpy(out->unnamed_comm, p->comm, sizeof(out->unnamed_comm));
			}
			out->unnamed_fds += p->kinds[FD_KIND_UNKNOWN];
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

	if (!maps && !limits)
		return; /* nothing to read: no open, no stat */
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

double proc_handles_fd_pct(const struct proc_handles *p)
{
	if (p->fd_soft_limit == HANDLES_UNKNOWN || p->fd_soft_limit == LIMIT_UNLIMITED ||
	    !p->fd_soft_limit)
		return -1;
	return 100.0 * p->fds / (double)p->fd_soft_limit;
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
