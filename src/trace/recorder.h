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

struct recorder_opts {
	struct record_probe_opts probe;
	const char *path;
	const char *options_text; /* stored in the header */
	uint64_t duration_ns;	  /* 0 = until a signal */
	uint64_t max_size;	  /* bytes; 0 = unlimited */
	uint64_t flight_bytes;	  /* --ring: keep only the last this-many bytes of events */
	uint64_t interval_ns;	  /* aggregate snapshots; events-mode flush period */
};

struct recorder_tag {
	char name[64];
	uint64_t allocs, frees;
	/* Allocated while recording and not freed (aggregate: at the last snapshot). */
	int64_t outstanding, outstanding_bytes;
};

struct recorder_summary {
	uint64_t allocs, frees;	  /* events written (aggregate: counted in the kernel) */
	uint64_t lost_ringbuf, lost_map, lost_stack, bpf_misses;
	uint64_t unmatched_frees; /* frees of objects allocated before the start */
	uint64_t bytes_written, snapshots, flight_dumps;
	uint64_t elapsed_ns;
	const char *stop_reason; /* static string */
	char note[512];		 /* what the probe could attach on this kernel */
	struct recorder_tag *tags; /* malloc'd, sorted by net descending */
	size_t ntags;
};

/* Record until a stop signal, the duration or the size limit. On failure
 * returns -errno with one sentence in why (the trace may hold what was
 * written before the failure). */
int recorder_run(const struct recorder_opts *opts, struct recorder_summary *summary, char *why,
		 size_t whylen);
void recorder_summary_release(struct recorder_summary *summary);

#endif
