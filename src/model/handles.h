/* The handles of processes: a snapshot of every process's fds by kind, its
 * threads, mappings and fd limit; the diff of two snapshots (which processes
 * grew which kinds); and, for one process, every handle with a readable name
 * (path, socket addresses, UNIX and pipe peers, anon-inode detail). */
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
	uint32_t kinds_total[FD_KIND_COUNT];
	uint64_t fds_total;
	bool used_bpf;	     /* kinds came from the BPF iterator */
	uint64_t bpf_missed; /* files the iterator could not count (walked instead) */
};

/* Scan /proc. Processes that vanish mid-scan are left out silently; a
 * process whose fd directory is denied is counted in skipped_denied.
 * 0 or -errno (only for /proc itself or memory). */
int handles_scan(const struct handles_scan_opts *opts, struct handles_snapshot *out);
void handles_snapshot_free(struct handles_snapshot *snap); /* contents; accepts NULL */
/* Read the mappings count and fd soft limit of one scanned process (for the
 * rows a view shows, after sorting). A process that exited or was replaced
 * (other starttime) keeps HANDLES_UNKNOWN. */
void proc_handles_read_details(struct proc_handles *p, bool maps, bool limits);
const struct proc_handles *handles_snapshot_find(const struct handles_snapshot *snap, int pid,
						 uint64_t starttime);

/* Kinds of one process sorted by count, descending (ties by kind order);
 * returns how many are non-zero (≤ max). */
int proc_handles_top_kinds(const struct proc_handles *p, enum fd_kind *kinds, int max);

/* Growth of one kind of one process between two snapshots. kind ==
 * FD_KIND_COUNT is the total. */
struct handles_growth {
	int pid;
	char comm[64];
	enum fd_kind kind;
	uint32_t before;
	uint32_t after;
	double per_minute;
};

/* Every (process, kind) present in both snapshots (same pid and starttime)
 * whose count grew, plus one total row per grown process, sorted by growth
 * descending. *out is malloc'd. 0 or -ENOMEM. */
int handles_diff(const struct handles_snapshot *before, const struct handles_snapshot *after,
		 struct handles_growth **out, int *count);

/* Which processes hold a pipe or socket inode: built from one walk over all
 * processes, for naming pipe ends and UNIX peers. */
struct inode_holder {
	int pid;
	int fd;
	uint32_t next; /* index + 1 of the next holder of the same inode; 0 ends */
};

struct inode_index {
	struct u64map *first; /* inode → index + 1 into holders */
	struct inode_holder *holders;
	uint32_t count;
	uint32_t cap;
	struct u64map *comms; /* pid → index into comm_names */
	char (*comm_names)[64];
	uint32_t ncomms;
	bool built;
};

int inode_index_build(struct inode_index *idx);
/* Build idx the first time it is needed (idx starts zeroed). 0 or -errno. */
int inode_index_ensure(struct inode_index *idx);
void inode_index_free(struct inode_index *idx); /* contents; accepts NULL */
/* The comm of pid as seen by the index walk, or "?" */
const char *inode_index_comm(const struct inode_index *idx, int pid);

/* One handle of one process, named for people. */
struct handle_detail {
	int fd;
	enum fd_kind kind;
	char flags[48];
	char name[512];
};

struct sock_table_cache;

/* Every handle of process pid, with names. idx (may be NULL: no peers) names
 * pipe ends and UNIX peers, built on first need (one walk over every
 * process's fds, only when pid holds a pipe or a connected UNIX socket);
 * socket tables are loaded from the process's own
 * network namespace and cached in *socks across calls (free with
 * sock_cache_free). *out is malloc'd. 0 or -errno (-ENOENT: process gone). */
int handles_detail_read(int pid, struct inode_index *idx, struct sock_table_cache **socks,
			struct handle_detail **out, int *count);
void sock_cache_free(struct sock_table_cache *cache); /* accepts NULL */

/* Format a detail name for an anon inode from its fdinfo (unit-testable). */
void anon_detail_format(enum fd_kind kind, const struct fdinfo *fi, char *buf, unsigned int len);

#endif
