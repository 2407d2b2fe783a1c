/* The handles of processes: a snapshot of every process's fds by kind, its
 * threads, mappings and fd limit. Growth between snapshots:
 * analysis/handle_growth.h; named handles: model/handle_detail.h. */
#ifndef POOLSCOPE_MODEL_HANDLES_H
#define POOLSCOPE_MODEL_HANDLES_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/procfd.h"
#include "util/globlist.h"

#define HANDLES_UNKNOWN UINT64_MAX

struct proc_handles {
	int pid;
	uint32_t uid;
	uint64_t starttime; /* with pid, tells a process from a reused pid */
	char comm[64];
	uint32_t fds;
	uint32_t kinds[FD_KIND_COUNT]; /* all zero unless the scan classified */
	uint32_t threads;
	uint64_t maps;		/* HANDLES_UNKNOWN when not read */
	uint64_t fd_soft_limit; /* HANDLES_UNKNOWN when not read; UINT64_MAX-1 never */
	uint64_t inotify_watches;
};

struct handles_scan_opts {
	bool classify;	      /* readlink every fd (else stat("fd").st_size only) */
	unsigned int procfd_flags;
	bool threads_maps;    /* count /proc/PID/maps lines */
	bool limits;	      /* read /proc/PID/limits */
	bool inotify_watches; /* read fdinfo of inotify fds */
	const int *pids;      /* only these pids (with names: either matches) */
	int npids;
	const struct globlist *names; /* comm globs; NULL or empty: no name filter */
	bool filter_uid;
	uint32_t uid;
	bool skip_kernel_threads; /* processes with no mappings and no fds */
	bool use_bpf;		  /* classify with the task_file iterator when possible */
	bool require_bpf;	  /* fail with -EOPNOTSUPP instead of walking /proc */
};

struct handles_snapshot {
	struct proc_handles *procs;
	int count;
	int cap;
	uint64_t taken_ns; /* monotonic */
	int skipped_denied; /* processes whose fds we may not read */
	int matched;	    /* processes selected before a kind filter and top N */
	/* Processes whose fds were counted but not named (kind unknown): the
	 * first of them, and their fds. */
	int unnamed_procs;
	int unnamed_pid;
	char unnamed_comm[64];
	uint64_t unnamed_fds;
	uint32_t kinds_total[FD_KIND_COUNT];
	uint64_t fds_total;
	bool used_bpf;	     /* kinds came from the BPF iterator */
	uint64_t bpf_missed; /* files the iterator could not count (walked instead) */
};

/* Scan /proc. Processes that vanish mid-scan are left out silently; a
 * process whose fd directory is denied is counted in skipped_denied; one
 * whose directory may be listed but whose links are refused has its fds
 * counted as FD_KIND_UNKNOWN (and in unnamed_procs).
 * 0 or -errno (only for /proc itself or memory). */
int handles_scan(const struct handles_scan_opts *opts, struct handles_snapshot *out);
void handles_snapshot_free(struct handles_snapshot *snap); /* contents; accepts NULL */
/* Read the mappings count and fd soft limit of one scanned process (for the
 * rows a view shows, after sorting). A process that exited or was replaced
 * (other starttime) keeps HANDLES_UNKNOWN. */
void proc_handles_read_details(struct proc_handles *p, bool maps, bool limits);
const struct proc_handles *handles_snapshot_find(const struct handles_snapshot *snap, int pid,
						 uint64_t starttime);

/* fds as a percentage of the fd soft limit; -1 when the limit is not
 * known, unlimited or 0. */
double proc_handles_fd_pct(const struct proc_handles *p);

/* Kinds of one process sorted by count, descending (ties by kind order);
 * returns how many are non-zero (≤ max). */
int proc_handles_top_kinds(const struct proc_handles *p, enum fd_kind *kinds, int max);

#endif
