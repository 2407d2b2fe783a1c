/* The diagnose pipeline: the seed story's days of correlation as one call.
 *
 *   1. counting: every source sampled every interval (model/machine_sampler)
 *      into named series;
 *   2. targeting: after a part of the duration, the caches behind what grows
 *      (analysis/diagnosis_stack_targets);
 *   3. stacks: those caches recorded with kernel stacks, filtered in the
 *      kernel (trace/recorder), while the counting goes on; the trace lives
 *      in an unlinked file, so nothing survives however the run ends;
 *   4. holders: the recorded struct files still outstanding matched to the
 *      fd tables that hold them now (bpf/file_owners);
 *   5. verdict: analysis/diagnosis_build.
 *
 * A library call: `diagnose` wires options to it, `watch` runs it targeted
 * at a resource when an alert fires. Prints nothing; progress and notes go
 * to the caller. Needs root for the whole chain; without it, does what it
 * can and says what it skipped (diagnosis.checked.skipped). */
#ifndef POOLSCOPE_PIPELINE_DIAGNOSE_H
#define POOLSCOPE_PIPELINE_DIAGNOSE_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/findings.h"

struct globlist;
struct notes;
struct series_set;

struct diagnose_opts {
	uint64_t duration_ns; /* the whole run; default 60 s */
	uint64_t interval_ns; /* between samples; default 1 s */
	/* When to choose what to record: this fraction of the duration (and at
	 * least DIAGNOSE_MIN_TARGET_SAMPLES samples). Default 0.4. */
	double target_at;
	bool no_stacks;		      /* counting only */
	bool no_user_stacks;	      /* kernel stacks only in the stack phase */
	const int *pids;	      /* borrowed: only these processes' series */
	int npids;
	const struct globlist *names; /* borrowed comm globs (with pids: either) */
	bool no_counters;	      /* without the eBPF slab counters */
};

#define DIAGNOSE_MIN_TARGET_SAMPLES 5

void diagnose_opts_init(struct diagnose_opts *o);

struct diagnose_hooks {
	bool (*should_stop)(void *ctx); /* polled every sample: ends the run early */
	/* phase: "counting", "recording", "analysing"; elapsed and total in s. */
	void (*progress)(void *ctx, const char *phase, double elapsed_s, double total_s);
	void *ctx;
};

/* Run the pipeline. out (zeroed by the caller) gets the findings; *series
 * (may be NULL) the counting phase's series, owned by the caller (for
 * graphs). Notes: what the user should hear. 0, or -errno with one
 * sentence in why (nothing could be sampled at all; memory). Stopped early
 * by the hook, it still returns what it found so far. */
int diagnose_run(const struct diagnose_opts *opts, const struct diagnose_hooks *hooks,
		 struct diagnosis *out, struct series_set **series, struct notes *notes, char *why,
		 size_t whylen);

#endif
