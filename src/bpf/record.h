/* Loader for record.bpf.c: probe the kernel, configure, load and attach one
 * skeleton, then hand its events and maps to the recorder. Links are plain
 * fds (never pinned), so nothing stays attached once the process is gone,
 * however it ends. */
#ifndef POOLSCOPE_BPF_RECORD_H
#define POOLSCOPE_BPF_RECORD_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/record_abi.h"

struct globlist;
struct symtab;
struct notes;

struct record_probe_opts {
	bool aggregate;
	bool stacks;
	/* With every kernel stack walked, the user-space stack too (frame
	 * pointers), into a second stack map of max_stacks entries. Events mode. */
	bool user_stacks;
	/* With user_stacks, also the user registers and the top of the stack,
	 * for the recorder to unwind by .eh_frame (programs without frame
	 * pointers): --user-stacks=dwarf. */
	bool user_stacks_dwarf;
	uint32_t sample_every; /* stacks for 1 alloc in N per CPU; 0 or 1 = all */
	/* The stack budget: stacks per second per allocating path (call site,
	 * syscall, kind, order) per CPU after the path's first; the others carry
	 * their path's stack (REC_EF_PATH_STACK). 0 = every allocation walks
	 * (then sample_every applies). */
	uint32_t stack_rate;
	uint32_t max_paths; /* budget: paths tracked per CPU; 0 = REC_DEFAULT_PATHS */
	uint32_t kinds;	       /* RK_MASK() bits; 0 = all */
	const uint32_t *pids;  /* tgids; npids 0 = any */
	size_t npids;
	const char *comm;	     /* NULL = any */
	uint64_t size_min, size_max; /* requested bytes; max 0 = no limit */
	const struct globlist *tags; /* NULL or empty = all */
	uint64_t ringbuf_bytes;	     /* rounded up to a power of two pages */
	uint32_t max_stacks;	     /* stack map entries; 0 = REC_DEFAULT_STACKS */
	uint32_t max_outstanding;    /* aggregate, or the live set (record_probe_opts_live_set):
				      * objects tracked; 0 = REC_DEFAULT_OUTSTANDING */
};

/* Whether the kernel keeps the set of live recorded objects, so that only
 * their frees are recorded: events mode with a --pid, --comm or --size
 * filter (a free cannot be filtered by its task or size: the task is often
 * another, the size unknown). Its size is max_outstanding, as in aggregate
 * mode, where the outstanding map does the same. */
static inline bool record_probe_opts_live_set(const struct record_probe_opts *o)
{
	return !o->aggregate && (o->npids || o->comm || o->size_min || o->size_max);
}

/* Map sizes when the options leave them at 0. Both maps are preallocated:
 * about 540 bytes per stack entry (64 frames), about 120 per outstanding
 * object (key, value, hash element and bucket). */
#define REC_DEFAULT_STACKS 32768
#define REC_DEFAULT_OUTSTANDING 262144
/* Paths the budget tracks (per CPU, ~100 bytes each): a new path beyond
 * them gets a stack on every allocation, as without the budget. */
#define REC_DEFAULT_PATHS 16384

/* Called for every event (struct rec_event, rec_alloc_event or
 * rec_ustack_raw, by type and size), one at a time even when they came in a
 * CPU's batch, in time order across CPUs. Non-zero return stops the poll. */
typedef int (*record_event_fn)(void *ctx, const void *rec, size_t size);

struct record_probe;

/* ks is the run's /proc/kallsyms (borrowed, only during the call; NULL when
 * unreadable). What the user should hear (a tag filter matching nothing yet)
 * is added to notes (NULL: not said). Prints nothing. On failure returns
 * -errno and writes one sentence into why. */
int record_probe__start(const struct record_probe_opts *opts, const struct symtab *ks,
			record_event_fn fn, void *fn_ctx, struct notes *notes,
			struct record_probe **out, char *why, size_t whylen);
/* Attached, nothing is recorded until this call: the caller makes it once
 * its own set-up is done, so that the set-up's frees (the loader's BTF
 * buffers alone: ~10,000 page and slab frees by the recorder) stay out. */
void record_probe__go(struct record_probe *rp);
/* Consume queued events (events mode), in time order across CPUs. Returns
 * how many, or -errno. */
int record_probe__poll(struct record_probe *rp, int timeout_ms);
/* Hand on now what every CPU has staged, up to a few milliseconds ago
 * (the merge's slack): before a flight-recorder dump. Returns how many, or
 * -errno. */
int record_probe__flush(struct record_probe *rp);
/* Stop recording and hand on everything still queued or staged on any CPU:
 * after it no event the programs took is held back. Returns how many, or
 * -errno. The programs stay attached until record_probe__stop. */
int record_probe__finish(struct record_probe *rp);
/* Run the kmem_cache iterator: every cache's pointer and name. *names is
 * malloc'd (caller frees). With a tag filter, also allows newly matching caches. */
int record_probe__cache_names(struct record_probe *rp, struct rec_cache_name **names, size_t *n);
/* Frames of a stack id (innermost first) into ips; returns the depth or -errno. */
int record_probe__stack(struct record_probe *rp, uint32_t stack_id, uint64_t *ips, int max);
/* The same for a user stack id (rec_alloc_event.ustack_id). */
int record_probe__ustack(struct record_probe *rp, uint32_t ustack_id, uint64_t *ips, int max);
int record_probe__ncpus(const struct record_probe *rp);
/* Per-CPU loss counters: counts[cpu * LOST_NR + slot], ncpus × LOST_NR. */
int record_probe__lost(struct record_probe *rp, uint64_t *counts);
/* Runs the kernel skipped for recursion, summed over our programs. */
uint64_t record_probe__recursion_misses(const struct record_probe *rp);

/* Aggregate mode: walk the outstanding objects / per-origin counters. The
 * callback's non-zero return stops the walk and is returned. */
int record_probe__outstanding(struct record_probe *rp,
			    int (*fn)(void *ctx, const struct rec_obj_key *key, const struct rec_obj *obj),
			    void *ctx);
int record_probe__origins(struct record_probe *rp,
			int (*fn)(void *ctx, const struct rec_origin_key *key,
				  const struct rec_origin *val),
			void *ctx);

/* Which event kinds are attached, and what this kernel could not give. */
const char *record_probe__note(const struct record_probe *rp);
/* Detach and unload; accepts NULL. */
void record_probe__stop(struct record_probe *rp);

#endif
