/* The decoded view of a poolscope trace file, as `report` consumes it.
 * The on-disk encoding (src/trace/format.h, docs/FORMAT.md) is private to the
 * writer and reader; everything else sees these structs.
 * CONTRACT between `record` (writer) and `report` (reader): change only
 * additively, and keep docs/FORMAT.md in step. */
#ifndef POOLSCOPE_TRACE_TRACE_H
#define POOLSCOPE_TRACE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symtab;

/* What kind of memory an event is about. Page frames (pfn) and slab
 * pointers live in separate key spaces: never match one against the other. */
enum trace_kind {
	TK_SLAB = 1,	/* kmem_cache_alloc/free: tag = cache name */
	TK_KMALLOC = 2, /* kmalloc/kfree: tag = "kmalloc-N" size class */
	TK_PAGE = 3,	/* mm_page_alloc/free: ptr = pfn, tag = "page-order-N" */
	TK_PERCPU = 4,	/* percpu_alloc_percpu/free_percpu */
	TK_VMALLOC = 5,
};

enum trace_record_type {
	TR_ALLOC = 1,
	TR_FREE = 2,
	TR_LOST = 3,	 /* events the kernel could not deliver */
	TR_SNAPSHOT = 4, /* aggregate mode: outstanding allocations at a time */
};

#define TRACE_NO_STACK UINT32_MAX

/* What an allocation says of its user-space stack (format version 2,
 * `record --user-stacks`). */
enum trace_ustack_state {
	TUS_NONE = 0,	 /* not recorded: no --user-stacks, or an older trace */
	TUS_STACK = 1,	 /* ustack_id names it */
	TUS_KTHREAD = 2, /* allocated by a kernel thread: it has no user stack */
	TUS_LOST = 3,	 /* not taken or the walk failed (counted as a lost stack) */
};

/* A user stack's flags (trace_reader__ustack). */
#define TRACE_USTACK_FP 1u	  /* walked by frame pointers (the only way in phase 1) */
#define TRACE_USTACK_TRUNCATED 2u /* the walk stopped at the depth limit */
#define TRACE_USTACK_DWARF 4u	  /* unwound by .eh_frame from a copy of the stack */

/* One executable mapping of a process, as /proc/PID/maps showed it when the
 * recorder first met the process: what report needs to name its user frames
 * once the process is gone. */
struct trace_mapping {
	uint64_t start, end, offset; /* offset: file offset mapped at start */
	const char *path;	     /* "/usr/lib/...", "[vdso]"; borrowed */
	const uint8_t *build_id;     /* GNU build-id, or NULL; borrowed */
	uint32_t build_id_len;
};

struct trace_process_maps {
	uint32_t tgid;
	uint32_t n;
	const struct trace_mapping *maps; /* sorted by start */
};

struct trace_alloc {
	uint64_t ts_ns;	    /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	uint64_t ptr;	    /* object address, or pfn for TK_PAGE */
	uint64_t call_site; /* kernel return address of the allocating call */
	uint64_t bytes_req;
	uint64_t bytes_alloc;
	uint32_t tag_id;   /* index into the string table */
	uint32_t comm_id;  /* index into the string table */
	uint32_t stack_id; /* TRACE_NO_STACK when stacks were off or not sampled */
	uint32_t gfp_flags;
	uint32_t tgid, tid;
	uint16_t cpu;
	uint8_t kind; /* enum trace_kind */
	uint8_t order; /* TK_PAGE: page order */
	uint8_t ustack_state; /* enum trace_ustack_state */
	uint32_t ustack_id;   /* TUS_STACK: the user stack (trace_reader__ustack) */
};

struct trace_free {
	uint64_t ts_ns;
	uint64_t ptr;
	uint64_t call_site;
	uint32_t tag_id; /* what the free names, if anything; else the empty string */
	uint32_t tgid, tid;
	uint16_t cpu;
	uint8_t kind;
};

/* Counts since the previous TR_LOST of the same cpu: a reader sums them.
 * cpu 0xffff: not per-CPU (bpf_misses, summed over the recorder's programs). */
struct trace_lost {
	uint64_t ts_ns;
	uint16_t cpu;
	uint64_t ringbuf_full; /* events dropped because the ring buffer was full */
	uint64_t map_full;     /* outstanding/stack map full (aggregate mode) */
	uint64_t bpf_misses;   /* kernel-reported recursion misses per program */
};

/* Aggregate mode: per-stack outstanding allocations at one instant. The
 * arrays are borrowed from the reader until the next trace_reader__next. */
struct trace_snapshot_entry {
	uint32_t stack_id;
	uint32_t tag_id;
	uint32_t tgid;
	uint8_t kind;
	uint64_t outstanding_count;
	uint64_t outstanding_bytes;
	uint64_t allocs, frees; /* since the recording started */
	uint64_t oldest_ts_ns;
};

struct trace_snapshot {
	uint64_t ts_ns;
	uint32_t nentries;
	const struct trace_snapshot_entry *entries;
};

struct trace_record {
	enum trace_record_type type;
	union {
		struct trace_alloc alloc;
		struct trace_free free;
		struct trace_lost lost;
		struct trace_snapshot snapshot;
	};
};

struct trace_header {
	uint32_t version;
	char hostname[65];
	char kernel_release[65];
	char boot_id[37];
	uint64_t start_realtime_ns; /* wall clock at start */
	uint64_t start_ns, stop_ns; /* CLOCK_MONOTONIC; stop_ns 0 if cut off */
	bool aggregate;		    /* written in --aggregate mode */
	bool stacks;
	bool user_stacks; /* version 2: allocations carry user stacks, processes their maps */
	uint32_t sample_every; /* stacks 1-in-N (1 = all) */
	/* The stack budget (revision 2): walked stacks per second per allocating
	 * path per CPU after its first; 0 = every (sampled) allocation walked,
	 * and for every trace written before the budget existed. */
	uint32_t stack_rate;
	const char *options;   /* the command line's options and filters, as text */
};

struct trace_reader;

/* Open a trace. On failure returns -errno (-EINVAL for a malformed file) and
 * writes a one-line reason, naming the offset where relevant, into err. */
int trace_reader__open(const char *path, struct trace_reader **out, char *err, size_t errlen);
const struct trace_header *trace_reader__header(const struct trace_reader *r);
/* 1: *rec filled; 0: end of trace; <0: error (reason in err, with offset).
 * A file cut off mid-chunk ends cleanly at its last complete chunk (0), with
 * trace_reader__truncated() true. */
int trace_reader__next(struct trace_reader *r, struct trace_record *rec, char *err, size_t errlen);
bool trace_reader__truncated(const struct trace_reader *r);
/* Strings and stacks seen so far (the writer emits each before its first use). */
const char *trace_reader__string(const struct trace_reader *r, uint32_t id);
/* False when the recorder found that the kernel frees some of tag's
 * objects where no tracepoint fires (bulk and RCU batch frees: maple_node
 * here), so its frees and outstanding objects are not exact: show the tag
 * marked, and take its growth from elsewhere than outstanding counts. True
 * for every tag of a trace written before this was recorded. Complete once
 * the reader has returned 0 (the recorder decides at its end). */
bool trace_reader__frees_exact(const struct trace_reader *r, const char *tag);
/* True when some allocations carry stack_id as their path's stack rather
 * than from a walk of their own (the stack budget): counts per path are
 * exact, a per-stack figure on this stack is an estimate. Known for a stack
 * from its first such allocation's chunk on; false for older traces. */
bool trace_reader__stack_estimated(const struct trace_reader *r, uint32_t stack_id);
/* Frames innermost first; returns the depth (0 if unknown id). */
int trace_reader__stack(const struct trace_reader *r, uint32_t stack_id, const uint64_t **ips);
/* A user stack's frames (innermost first) and TRACE_USTACK_* flags; returns
 * the depth (0 if unknown id). */
int trace_reader__ustack(const struct trace_reader *r, uint32_t ustack_id, const uint64_t **ips,
			 unsigned int *flags);
/* The executable mappings stored for tgid (the last MAPS record of it read
 * so far), or NULL. */
const struct trace_process_maps *trace_reader__maps(const struct trace_reader *r, uint32_t tgid);
/* The symbol snapshot stored in the trace (may be empty, never NULL). It
 * grows as the file is read: the recorder adds the symbols its stacks and
 * call sites need at the end of each period, so it is complete once the
 * reader has returned 0. */
const struct symtab *trace_reader__ksyms(const struct trace_reader *r);
void trace_reader__close(struct trace_reader *r);

/* Writing a trace (used by `record`). Records are buffered into a chunk;
 * trace_writer__flush ends the chunk (length + CRC32) and writes it, so a
 * file cut off later stays readable up to its last flushed chunk. Strings
 * and stacks are emitted into the stream before their first use. All
 * functions return 0 or -errno and print nothing: the caller says what
 * failed. After an I/O error every call returns that error. */
struct trace_writer;

/* Create (O_CREAT|O_TRUNC) path and write the header. */
int trace_writer__open(const char *path, const struct trace_header *hdr, struct trace_writer **out);
/* The interned id of s (emitted into the stream the first time). UINT32_MAX on ENOMEM. */
uint32_t trace_writer__string(struct trace_writer *w, const char *s);
/* Say that tag's frees are not exact (trace_reader__frees_exact), as an
 * annotation string (docs/FORMAT.md, revision 1). 0 or -errno. */
int trace_writer__frees_not_exact(struct trace_writer *w, const char *tag);
/* Say that stack_id (defined) stands for allocations of its path that were
 * not walked (trace_reader__stack_estimated), as an annotation string
 * (docs/FORMAT.md, revision 2); said once per stack. 0 or -errno. */
int trace_writer__stack_estimated(struct trace_writer *w, uint32_t stack_id);
/* Define stack_id's frames (innermost first); redefinitions are ignored. */
int trace_writer__stack(struct trace_writer *w, uint32_t stack_id, const uint64_t *ips, int depth);
/* Version 2 (hdr->user_stacks): define a user stack (innermost first,
 * TRACE_USTACK_* flags); redefinitions are ignored. */
int trace_writer__ustack(struct trace_writer *w, uint32_t ustack_id, const uint64_t *ips,
			 int depth, unsigned int flags);
/* Version 2: a process's executable mappings, before its first allocation
 * that carries a user stack. */
int trace_writer__maps(struct trace_writer *w, const struct trace_process_maps *pm);
/* Symbol snapshot (may be a subset: the symbols the stacks need). May be
 * called several times: the reader's table is the union. */
int trace_writer__ksyms(struct trace_writer *w, const struct symtab *ks);
int trace_writer__alloc(struct trace_writer *w, const struct trace_alloc *a);
int trace_writer__free(struct trace_writer *w, const struct trace_free *f);
int trace_writer__lost(struct trace_writer *w, const struct trace_lost *l);
int trace_writer__snapshot(struct trace_writer *w, const struct trace_snapshot *s);
/* End the current chunk (length + CRC) and write it; no-op when empty. */
int trace_writer__flush(struct trace_writer *w);
/* Bytes written to the file so far (for --max-size). */
uint64_t trace_writer__bytes(const struct trace_writer *w);
/* Final chunk + trailer carrying stop_ns; frees w. Accepts NULL. */
int trace_writer__close(struct trace_writer *w, uint64_t stop_ns);

#endif
