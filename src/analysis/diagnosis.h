/* The verdict of `diagnose`: from the series of the counting phase (named by
 * model/series_name.h, each with the limit that applies), the processes,
 * caches and SysV queues of the last sample, and what the stack phase
 * recorded (outstanding allocations by stack, and who holds the recorded
 * struct files), one finding per problem (analysis/findings.h).
 *
 * The rules, in one place:
 *  - a series is judged by the shared growth verdict (analysis/growth.h);
 *    only steady growth over the whole window, by more than the resource's
 *    floor, is a leak; a burst that returns, a sawtooth, a step, noise or a
 *    large flat value never is;
 *  - a process's own series (fds by type, threads, mappings, inotify
 *    watches) name their holder exactly; a slab cache that grows with them
 *    is their evidence, not a second finding;
 *  - a slab cache that grows on its own is a leak only if it is not
 *    reclaimable (else: cache growth); its holder is the kernel, its
 *    allocator the process the recording saw allocate most of it;
 *  - SysV queues and keys belong to no process: the holder is null and the
 *    evidence names the queue ids, owner uid and last sender/creator pids;
 *  - a series at ≥ 80 % of its limit that does not grow is near-limit;
 *  - lost events lower the confidence and are said; a missed free (a cache
 *    whose frees the kernel does not trace) never becomes a leak, since
 *    growth comes from object counts, never from allocs − frees. */
#ifndef POOLSCOPE_ANALYSIS_DIAGNOSIS_H
#define POOLSCOPE_ANALYSIS_DIAGNOSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/findings.h"

struct series_set;

struct diag_process {
	int pid;
	uint64_t start; /* clock ticks since boot, as in the series names */
	uint32_t uid;
	char comm[64];
	char unit[128]; /* systemd unit or cgroup; "" */
};

struct diag_cache {
	char name[64];
	char names[256]; /* the merged names, "a,b,c"; "" when not merged */
	bool reclaimable;
	bool frees_exact; /* false: the kernel frees some of it untraced */
	uint32_t objsize;
};

struct diag_sysv_queue {
	int msqid;
	uint32_t uid;
	int cpid, lspid, lrpid; /* creator, last sender, last receiver (0: none) */
	uint64_t bytes, qbytes, messages;
};

/* One allocating path of the stack phase, for one allocating process:
 * objects allocated during the recording and still outstanding at its end
 * (AIFO). The same path appears once per process that allocated on it. */
struct diag_stack {
	char tag[64];
	uint32_t stack_id; /* the trace's: equal ids are the same path */
	uint64_t aifo, aifo_bytes;
	char frames[FINDING_FRAMES][FINDING_TEXT]; /* innermost first */
	size_t nframes;
	char uframes[FINDING_UFRAMES][FINDING_TEXT]; /* its user part, innermost first */
	size_t nuframes;
	char ustack_kind[48]; /* "" without user stacks */
	int alloc_pid; /* the allocating process; 0: kernel context */
	char alloc_comm[64];
	uint64_t alloc_pid_aifo; /* = aifo: kept for the evidence line */
};

/* Recorded struct files still outstanding, by (allocator, holder): the
 * holder from the fd tables at the end (bpf/file_owners.h). holder_pid 0:
 * in no fd table (closed since, in flight over a socket, or kernel-held). */
struct diag_owner {
	int alloc_pid;
	char alloc_comm[64];
	int holder_pid;
	uint64_t files;
};

struct diagnosis_inputs {
	const struct series_set *series;
	const struct diag_process *procs; /* in the last sample */
	size_t nprocs;
	const struct diag_cache *caches;
	size_t ncaches;
	const struct diag_sysv_queue *queues;
	size_t nqueues;
	const struct diag_stack *stacks; /* AIFO descending */
	size_t nstacks;
	const struct diag_owner *owners;
	size_t nowners;
	uint64_t recorded_events; /* of the stack phase, for the loss ratio */
	int self_pid;		  /* poolscope itself: never a finding */
	double duration_s;	  /* of the counting phase so far */
};

/* Judge everything in `in`; out (zeroed by the caller, or released before)
 * gets the findings sorted, and the checked counters (samples, series,
 * growing); the caller adds sources, skips and losses. 0 or -ENOMEM. */
int diagnosis_build(const struct diagnosis_inputs *in, struct diagnosis *out);

/* The slab caches worth recording stacks for, judged on the series so far
 * (the same rules as the verdict): caches of the objects behind growing
 * process series (filp for fds, task_struct for threads, vm_area_struct for
 * mappings, inotify_inode_mark for watches, key_jar for keys) and unreclaimable
 * caches growing on their own. Up to max names, most urgent first. */
size_t diagnosis_stack_targets(const struct diagnosis_inputs *in, char (*tags)[64], size_t max);

#endif
