/* Private to the recorder's files (recorder.c, recorder_syms.c,
 * recorder_snapshot.c): the state of one recording session. */
#ifndef POOLSCOPE_TRACE_RECORDER_INT_H
#define POOLSCOPE_TRACE_RECORDER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/record.h"
#include "trace/recorder.h"

struct symbol;
struct symtab;
struct u64map;
struct trace_writer;
struct trace_alloc;
struct recorder_build_ids;

#define RECORDER_URAW_CPUS 1024

struct tag_stat {
	uint64_t allocs, frees;
	uint64_t frees_before; /* events: frees of objects allocated before the start */
	uint64_t frees_unseen; /* events: allocated again at a live address */
	int64_t outstanding, outstanding_bytes;
	bool frees_not_exact; /* see mark_untraced_frees */
};

struct recorder {
	const struct recorder_opts *opts;
	struct trace_writer *w;
	struct record_probe *rp;
	struct recorder_summary *sum;
	int err; /* first failure inside the ring buffer callback */
	/* --max-size reached inside the callback: one poll drains a whole ring
	 * (16 MiB, ~10x a small limit), so the limit is checked per event and
	 * what follows is counted in sum->past_limit, not written. */
	bool at_limit;

	struct u64map *cache_tags; /* kmem_cache pointer → tag id */
	struct u64map *live;	   /* events: live_key → tag id << 32 | bytes, for the summary */
	struct u64map *stacks_known; /* BPF stack id → 1 when written */
	/* --user-stacks (recorder_ustacks.c): user stacks written, processes
	 * whose mappings are stored, and the build-ids read per file path. */
	struct u64map *ustacks_known, *procs_known;
	/* --user-stacks=dwarf: the unwinder; (cpu << 32 | seq) of each raw
	 * stack that became its path's → its trace ustack id (bounded by the
	 * paths), the last other one per CPU (only the event right after it
	 * refers to it), and unwound stacks by content. */
	struct unwinder *unwinder;
	struct u64map *uraw_ids, *dwarf_ids;
	struct { uint32_t seq, id, depth; } uraw_last[RECORDER_URAW_CPUS]; /* by cpu % N */
	uint32_t ndwarf;
	struct recorder_build_ids *build_ids;
	uint32_t page_tags[32], percpu_tag, vmalloc_tag, large_tag, empty_tag;
	uint64_t last_name_refresh;

	/* The symbol subset: every address met is resolved once; each symbol
	 * it lands in is stored once. */
	const struct symtab *kallsyms; /* borrowed; NULL when unreadable: stacks stay addresses */
	struct u64map *addrs_seen, *syms_stored;
	struct symtab *pending_syms;
	size_t npending;

	struct tag_stat *tag_stats; /* by tag id */
	uint32_t tag_stats_cap;
	char **tag_names; /* by string id; NULL where the id is not a tag */
	uint32_t tag_names_cap;

	/* --ring: the last events, oldest overwritten first. */
	uint8_t *flight;
	size_t flight_slots, flight_head, flight_count;

	uint64_t *lost_now, *lost_written; /* ncpus × LOST_NR */
	uint64_t misses_written;
};

/* The stats of tag id (grown on demand); NULL for UINT32_MAX or ENOMEM. */
struct tag_stat *recorder_tag_stat(struct recorder *rc, uint32_t id);
/* The tag id of an event's kind/cache/order (naming new caches); UINT32_MAX on ENOMEM. */
uint32_t recorder_event_tag(struct recorder *rc, const struct rec_event *ev);
/* The trace's stack id for a BPF stack id, writing the stack the first time. */
uint32_t recorder_event_stack(struct recorder *rc, int32_t bpf_id);

/* Mark a written stack as standing for unwalked allocations of its path
 * (the budget), once. 0 or -errno. */
int recorder_stack_estimated(struct recorder *rc, uint32_t stack_id);

/* recorder_ustacks.c: an allocation's user-stack state and id, writing
 * the stack and, the first time its process is met, the process's
 * executable mappings (with build-ids). 0 or -errno. */
int recorder_event_ustack(struct recorder *rc, const struct rec_alloc_event *ae,
			  struct trace_alloc *a);
void recorder_ustacks_release(struct recorder *rc);
/* --user-stacks=dwarf: a raw user stack from the ring, unwound now. */
int recorder_uraw(struct recorder *rc, const struct rec_ustack_raw *r, size_t size);

/* recorder_syms.c: remember the symbol addr lands in (once); store the
 * KASLR anchors; write what was remembered since the last call. */
void recorder_note_addr(struct recorder *rc, uint64_t addr);
void recorder_note_kaslr_anchors(struct recorder *rc);
int recorder_write_pending_syms(struct recorder *rc);

/* recorder_snapshot.c: one TR_SNAPSHOT; resets and refills the tag stats
 * and the summary's allocs/frees from the kernel's counters. 0 or -errno. */
int recorder_write_snapshot(struct recorder *rc);

#endif
