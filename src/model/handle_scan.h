/* "Scan every process's handles" as one call: which processes (pids, comm
 * globs, a uid), which fd kinds, sorted by which key, the first N. The call
 * picks the way to count (the BPF task_file iterator in one kernel pass, or
 * /proc/PID/fd), ranks by stat("fd").st_size first when only the top N by
 * total are wanted, sorts, and reads mappings and fd limits only for the
 * rows it keeps. Used by `handles`; meant for any command that samples
 * processes' fds by type, threads and mappings (`diagnose`, `watch`). */
#ifndef POOLSCOPE_MODEL_HANDLE_SCAN_H
#define POOLSCOPE_MODEL_HANDLE_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "model/handles.h"

struct notes;
struct user_names;

enum handle_sort {
	HANDLE_SORT_FDS, /* total fds, descending (the default) */
	HANDLE_SORT_PID,
	HANDLE_SORT_COMM,
	HANDLE_SORT_USER, /* by user name */
	HANDLE_SORT_THREADS,
	HANDLE_SORT_MAPS,
	HANDLE_SORT_FD_PCT,
	HANDLE_SORT_KIND, /* by the count of one fd kind */
};

/* "fds", "pid", "comm", "user", "threads", "maps", "fd-pct", or an fd kind
 * name (then *key is HANDLE_SORT_KIND and *kind that kind). 0 or -EINVAL. */
int handle_sort_parse(const char *s, enum handle_sort *key, enum fd_kind *kind);

/* One fd kind, or every kind. FD_KIND_SOCKET stands for every socket kind
 * (tcp, udp, unix, netlink and other sockets), as `-t socket` does. */
struct handle_kind_filter {
	bool on; /* false: every kind matches */
	enum fd_kind kind;
};

bool handle_kind_filter_matches(const struct handle_kind_filter *f, enum fd_kind kind);
/* The fds of p of the kinds f matches. */
uint32_t handle_kind_filter_count(const struct handle_kind_filter *f,
				  const struct proc_handles *p);

struct handle_query {
	const int *pids; /* borrowed; only these pids (with names: either matches) */
	int npids;
	const struct globlist *names; /* borrowed comm globs; NULL or empty: none */
	bool filter_uid;
	uint32_t uid;
	/* Keep only processes holding a kind f matches (when classify is on). */
	struct handle_kind_filter kinds;
	enum handle_sort sort;
	enum fd_kind sort_kind; /* for HANDLE_SORT_KIND */
	int top;		/* keep the first N after sorting; 0: every process */
	bool classify;		/* count fds by kind (else totals only: cheaper) */
	bool details;		/* read mappings and fd limit of the rows kept */
	bool inotify_watches;	/* count inotify watches (fdinfo of inotify fds) */
	bool no_bpf;		/* walk /proc even where the BPF iterator works */
};

/* Every process, every kind, classified, by total fds, with details. */
void handle_query_init(struct handle_query *q);

/* The scan options q means for model/handles.h's handles_scan (a caller that
 * rescans with the same selection, like handle growth). */
void handle_query_scan_opts(const struct handle_query *q, struct handles_scan_opts *s);

/* Scan, sort and select as q says into out (its previous contents are not
 * freed). users (may be NULL: then HANDLE_SORT_USER sorts by uid) names
 * users for that sort. out->matched is the number of processes selected
 * before the kind filter and top N. Processes this run may not read are
 * counted in out->skipped_denied and said in one note ("handles-denied").
 * 0 or -errno (/proc itself unreadable, memory). */
int handle_query_run(const struct handle_query *q, struct user_names *users,
		     struct handles_snapshot *out, struct notes *ns);

/* Sort snap's processes by key (ties: more fds first, then pid); f narrows
 * HANDLE_SORT_KIND to the kinds it matches when its kind is sort_kind. */
void handle_snapshot_sort(struct handles_snapshot *snap, enum handle_sort key,
			  enum fd_kind sort_kind, const struct handle_kind_filter *f,
			  struct user_names *users);

/* The notes a scan leaves: processes it could not read ("handles-denied"),
 * processes whose fds it counted without types or names
 * ("handles-unnamed"); nothing when neither happened. */
void handle_scan_notes(const struct handles_snapshot *snap, struct notes *ns);

#endif
