/* Handle growth: take a baseline scan, rescan, and report every (process,
 * fd kind) whose count grew since the baseline, with its rate per minute —
 * `handles --interval`, and the per-process fd evidence `diagnose` and
 * `watch` collect. A process is known by pid and start time, so a reused pid
 * is a new process, not growth. */
#ifndef POOLSCOPE_ANALYSIS_HANDLE_GROWTH_H
#define POOLSCOPE_ANALYSIS_HANDLE_GROWTH_H

#include <stdint.h>

#include "model/handle_scan.h"
#include "model/handles.h"

struct notes;

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
 * whose count grew — whether or not the process's total grew: one kind can
 * grow while others shrink — plus a total row for each process whose total
 * grew, sorted by growth descending (ties: pid, kind). *out is malloc'd.
 * 0 or -ENOMEM. */
int handles_diff(const struct handles_snapshot *before, const struct handles_snapshot *after,
		 struct handles_growth **out, int *count);

/* A baseline and the scan that repeats it. */
struct handle_growth {
	struct handles_scan_opts scan; /* borrows what the query borrowed */
	struct handles_snapshot baseline;
};

/* One comparison with the baseline; rows owned (handle_growth_result_release). */
struct handle_growth_result {
	struct handles_growth *rows;
	int count;
	double elapsed_s; /* since the baseline */
};

/* Take the baseline of the processes q selects (its sort, top N and
 * details do not apply: every selected process is compared, by kind).
 * Unreadable processes are said in a note. 0 or -errno. */
int handle_growth_start(struct handle_growth *g, const struct handle_query *q, struct notes *ns);
/* Rescan and compare with the baseline into *out. 0 or -errno. */
int handle_growth_sample(struct handle_growth *g, struct handle_growth_result *out,
			 struct notes *ns);
void handle_growth_result_release(struct handle_growth_result *r); /* accepts NULL */
void handle_growth_release(struct handle_growth *g);		   /* accepts NULL */

#endif
