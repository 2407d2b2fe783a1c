/* The pool sampler: every source of `top` (slabinfo, /sys/kernel/slab,
 * meminfo, the eBPF counters and kernel symbols) behind start → sample →
 * stop. Each sample is a pool snapshot with its changes since the previous
 * one. The sampler prints nothing: what the user should hear (counters off
 * and why, a file that cannot be read, not root) comes back as notes, and
 * the caller decides what to say and how often. Used by `top`; meant for
 * `watch` and `diagnose` as well. */
#ifndef POOLSCOPE_MODEL_POOL_SAMPLER_H
#define POOLSCOPE_MODEL_POOL_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/meminfo.h"
#include "model/pool.h"
#include "util/notes.h"

/* Default rescan interval of /sys/kernel/slab (see pool_sampler_opts). */
#define POOL_SAMPLER_RESCAN_NS 10000000000ull

struct pool_sampler_opts {
	bool no_counters;	   /* do not load the eBPF counters (Allocs/Frees/Owner unknown) */
	const char *slabsys_root;  /* NULL: /sys/kernel/slab */
	const char *slabinfo_path; /* NULL: /proc/slabinfo */
	struct meminfo_paths mem;  /* NULL members: the /proc files */
	/* A cache created since the last scan of slabsys_root has no merge group
	 * yet; the directory is rescanned when a slabinfo name is unknown and at
	 * least this long has passed since the last scan (a scan is ~1k syscalls).
	 * 0: POOL_SAMPLER_RESCAN_NS. */
	uint64_t rescan_ns;
};

/* Notes keys (text is one sentence, ready to be prefixed by a command name):
 *   start:  "slabinfo-unreadable", "slabsys-unreadable", "not-root",
 *           "counters-off" (always when the counters do not run, --no-counters
 *           included: the caller decides whether to say it), "kallsyms"
 *   sample: "meminfo-unreadable", "slabinfo-read", "counters-read",
 *           "slabinfo-malformed", "meminfo-malformed" */
#define POOL_NOTE_COUNTERS_OFF "counters-off"
#define POOL_NOTE_NOT_ROOT "not-root"

struct pool_sampler;

/* How the sources stand, for headers and exporters. Strings borrowed from the
 * sampler, valid until pool_sampler_stop. */
struct pool_sampler_status {
	bool slabinfo;		   /* /proc/slabinfo is read: Objs and Bytes are known */
	bool counters;		   /* the eBPF counters run */
	const char *counters_note; /* on: how attribution works here; off: why not */
	uint64_t refresh_cpu_ns;   /* CPU time the last sample took (this process) */
	long samples;		   /* samples taken so far */
};

/* Open the sources (opts borrowed only during the call; its strings must
 * outlive the sampler). Sources that cannot be opened are notes in ns, not
 * errors: the sampler still runs with what it has. 0, or -ENOMEM. */
int pool_sampler_start(struct pool_sampler **out, const struct pool_sampler_opts *opts,
		       struct notes *ns);
/* Read every source and build the next snapshot (changes against the
 * previous sample); *snap is borrowed, valid until the next sample or stop.
 * Per-sample problems are notes in ns (keys repeat: a caller that says each
 * key once says each once). 0, or -ENOMEM. */
int pool_sampler_sample(struct pool_sampler *s, struct notes *ns,
			const struct pool_snapshot **snap);
/* The latest snapshot (empty before the first sample); borrowed. */
const struct pool_snapshot *pool_sampler_latest(const struct pool_sampler *s);
void pool_sampler_status(const struct pool_sampler *s, struct pool_sampler_status *out);
/* The kernel symbols the sampler loaded for its counters (NULL without
 * counters or when /proc/kallsyms is unreadable): borrowed, so a recorder
 * run beside the sampler parses /proc/kallsyms no second time. */
const struct symtab *pool_sampler_ksyms(const struct pool_sampler *s);
/* Detach the counters and sample on without them, saying why in the status
 * (diagnose, while its recorder traces the same allocations: two programs
 * on each event would slow the machine down twice). Their kernel symbols
 * stay loaded. No-op when they do not run. */
void pool_sampler_stop_counters(struct pool_sampler *s, const char *why);
/* Detach the counters, free everything. Accepts NULL. */
void pool_sampler_stop(struct pool_sampler *s);

#endif
