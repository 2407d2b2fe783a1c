/* A recording session: runs the BPF probe (src/bpf/record.h) and turns what
 * it delivers into trace records (src/trace/trace.h) — interning tags and
 * comms, storing each stack and the kernel symbols it needs once, writing
 * loss counts and, in aggregate mode, periodic snapshots. `record` parses
 * options and calls this; `diagnose` can call it the same way. */
#ifndef POOLSCOPE_TRACE_RECORDER_H
#define POOLSCOPE_TRACE_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/record.h"

struct symtab;
struct notes;

struct recorder_opts {
	/* probe.stack_rate 0 with probe.stacks: a stack for every allocation
	 * (`--stacks all`; --sample N then takes every Nth). */
	struct record_probe_opts probe;
	const char *path;
	/* The command line's options, stored in the header; the recorder appends
	 * the map sizes in effect ("[stack-buckets=N]"). Borrowed; may be NULL. */
	const char *options_text;
	uint64_t duration_ns;  /* 0 = until the caller stops it */
	uint64_t max_size;     /* bytes; 0 = unlimited */
	uint64_t flight_bytes; /* --ring: keep only the last this-many bytes of events */
	/* Aggregate snapshot period / events-mode chunk flush period; 0 = the
	 * mode's default (RECORDER_AGGREGATE_INTERVAL_NS, RECORDER_FLUSH_NS). */
	uint64_t interval_ns;
};

#define RECORDER_AGGREGATE_INTERVAL_NS 10000000000ull
#define RECORDER_FLUSH_NS 1000000000ull

/* Bounds recorder_opts_validate enforces, for a command's own messages. The
 * header and one drain of the ring buffer already take tens of KiB: a
 * smaller --max-size could not be honoured, only overshot. Both kernel maps
 * are preallocated: the upper bounds keep a typo from pinning gigabytes
 * (~540 and ~120 bytes per entry). */
#define RECORDER_MIN_MAX_SIZE (64u << 10)
#define RECORDER_MIN_INTERVAL_NS 10000000ull
#define RECORDER_MIN_RING 4096u
#define RECORDER_MIN_BUFFER 4096u
#define RECORDER_MAX_BUFFER (1ull << 31)
#define RECORDER_MIN_MAP 16u
#define RECORDER_MAX_STACKS (1u << 20)
#define RECORDER_MAX_OUTSTANDING (1u << 24)

/* Stacks per second per allocating path per CPU after its first: the
 * default budget (issue 12: a leak repeats; one stack per path names it). */
#define RECORDER_DEFAULT_STACK_RATE 4u
#define RECORDER_MAX_STACK_RATE 1000000u

/* The defaults: events with stacks on the budget (RECORDER_DEFAULT_STACK_RATE),
 * every kind, no filter, no limit. The caller sets path and whatever its options say. */
void recorder_opts_init(struct recorder_opts *opts);
/* The rules within and between options (e.g. --ring with --max-size or
 * --aggregate, --sample with --no-stacks), so that every command records by
 * the same rules. 0, or -EINVAL with one sentence in why naming the options
 * as `record` spells them. */
int recorder_opts_validate(const struct recorder_opts *opts, char *why, size_t whylen);
/* "slab,kmalloc,page,percpu,vmalloc" (any subset) into RK_MASK bits.
 * -EINVAL for an unknown or empty list; -ENOMEM. */
int recorder_parse_kinds(const char *spec, uint32_t *kinds);

/* What a tick hook sees while recording. */
struct recorder_progress {
	uint64_t elapsed_ns;
	uint64_t bytes_written; /* trace file so far */
	uint64_t allocs, frees; /* written so far (aggregate: at the last snapshot) */
};

/* How the caller steers a recording; every member may be NULL/0. */
struct recorder_hooks {
	/* Polled about every 50 ms (aggregate: 100 ms): true ends the recording
	 * with stop_reason as the summary's reason. `record`: a signal. */
	bool (*should_stop)(void *ctx);
	const char *stop_reason; /* static string; NULL = "stopped" */
	/* --ring: true when the ring should be written out now (`record`:
	 * SIGUSR1); it is always written at the end. */
	bool (*dump_requested)(void *ctx);
	/* Called once, when the probes are live and the trace is open, with the
	 * notes so far (e.g. a tag filter that matches nothing yet), so they can
	 * be said at once rather than after the whole duration. */
	void (*started)(void *ctx, const struct notes *notes);
	/* Called every tick_ns while recording (e.g. `diagnose` sampling
	 * handles); a non-zero return ends the recording as should_stop does. */
	int (*tick)(void *ctx, const struct recorder_progress *progress);
	uint64_t tick_ns;
	void *ctx;
};

struct recorder_tag {
	char name[64];
	uint64_t allocs, frees;
	/* Events mode (0 in aggregate mode, where frees = allocs − outstanding):
	 * frees_before of the frees were of objects allocated before the start;
	 * frees_unseen objects were allocated again at an address still live,
	 * so their free was never seen (lost, or untraced). Hence
	 * outstanding = allocs − (frees − frees_before) − frees_unseen. */
	uint64_t frees_before, frees_unseen;
	/* Allocated while recording and not freed (aggregate: at the last snapshot). */
	int64_t outstanding, outstanding_bytes;
	/* False when the kernel frees some of this tag's objects where no
	 * tracepoint fires (bulk, RCU batches): FREES and OUTSTANDING are then
	 * not exact (OUTSTANDING overstates). Stored in the trace too
	 * (trace_reader__frees_exact). */
	bool frees_exact;
};

struct recorder_summary {
	uint64_t allocs, frees;	  /* events written (aggregate: counted in the kernel) */
	uint64_t lost_ringbuf, lost_map, lost_stack, bpf_misses;
	uint64_t unmatched_frees; /* frees of objects allocated before the start */
	/* Events mode, stack budget: allocations written with their path's stack
	 * instead of a walk of their own. */
	uint64_t path_stacks;
	uint64_t past_limit; /* events read after --max-size was reached, not written */
	uint32_t stack_rate; /* the budget in effect; 0 = none (all, --sample, --no-stacks) */
	uint64_t bytes_written, snapshots, flight_dumps;
	uint64_t elapsed_ns;
	const char *stop_reason; /* static string */
	char note[512];		 /* what the probe could attach on this kernel */
	struct recorder_tag *tags; /* malloc'd, sorted by net descending */
	size_t ntags;
};

/* Record until hooks->should_stop, the duration or the size limit. kallsyms
 * is the run's /proc/kallsyms (borrowed for the call; NULL when unreadable:
 * stacks are then stored without names, and the summary's note says so).
 * What the user should hear is added to notes (may be NULL); nothing is
 * printed. Validate opts first (recorder_opts_validate). On failure returns
 * -errno with one sentence in why (the trace may hold what was written
 * before the failure); summary is then empty but must still be released. */
int recorder_run(const struct recorder_opts *opts, const struct recorder_hooks *hooks,
		 const struct symtab *kallsyms, struct recorder_summary *summary,
		 struct notes *notes, char *why, size_t whylen);
void recorder_summary_release(struct recorder_summary *summary);

#endif
