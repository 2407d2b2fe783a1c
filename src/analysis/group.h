/* `--group type,tag,stack,size`: the sites of an outstanding analysis,
 * filtered and merged by an ordered list of dimensions (perf kmem's
 * `{name, compare}` sort keys), with Count, Bytes, Allocs, Frees and
 * Outstanding per group, as plain rows (output/group_table.h fills tables
 * from them). */
#ifndef POOLSCOPE_ANALYSIS_GROUP_H
#define POOLSCOPE_ANALYSIS_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/outstanding.h"
#include "util/globlist.h"

struct symtab;

struct trace_mapping;

/* A user-space frame of a stack (record --user-stacks), named: "conn_open+0x1a
 * [u:ustack_leak]" and "conn_open [u:ustack_leak]" (the function alone, as
 * flame graphs merge frames); "0x7f12... [u:libc.so.6]" when the file has no
 * symbol there, "0x7f12... [u]" when no stored mapping covers it. */
struct user_frame {
	uint64_t ip;
	const char *frame, *function;
	/* The stored mapping that holds ip (borrowed from the trace), or NULL. */
	const struct trace_mapping *mapping;
	/* In the C library or the dynamic loader (libc, libpthread, ld.so, the
	 * vDSO), which every system call passes through: not the program's own
	 * code. */
	bool c_runtime;
};

/* What the user stack of a kernel thread's allocation is (see
 * trace_names.user_stack). */
#define USER_STACK_KERNEL_THREAD "kernel thread (no user stack)"

/* How ids in a trace become text. Borrowed; the callbacks may be NULL. */
struct trace_names {
	const char *(*string)(const void *ctx, uint32_t id);
	int (*stack)(const void *ctx, uint32_t stack_id, const uint64_t **ips);
	const struct symtab *ksyms; /* may be NULL: addresses print in hex */
	const void *ctx;
	/* Optional (--vmlinux): the source of a frame's address; 0 with *file
	 * (borrowed) and *line set, or -ENOENT. NULL: frames show no file:line. */
	int (*source)(void *source_ctx, uint64_t ip, const char **file, int *line);
	void *source_ctx;
	/* Optional: whether a stack stands for allocations of its path that
	 * were not walked (trace_reader__stack_estimated). NULL: none does. */
	bool (*stack_estimated)(const void *ctx, uint32_t stack_id);
	/* The trace was recorded on the stack budget: tables with a stack show
	 * which per-stack figures are estimates ("Est" ~, JSON stack_estimate). */
	bool stack_budget;
	/* Optional (traces recorded with --user-stacks): the user frames below a
	 * stack's kernel frames, innermost first, and what that user stack is
	 * ("frame pointers", "frame pointers, truncated", "kernel thread (no user
	 * stack)", "not recorded"). NULL: stacks have kernel frames only. */
	int (*user_stack)(const void *ctx, uint32_t stack_id, const struct user_frame **frames,
			  const char **what);
};

/* The string for id ("?" when unknown, "(aggregate)" for SITE_AGGREGATE_COMM;
 * never NULL). */
const char *trace_names__string(const struct trace_names *n, uint32_t id);
/* Frames of a stack, innermost first; 0 when unknown. Leading frames of
 * the tracing machinery (BPF program, bpf_trace_runN, __traceiter_*) are
 * skipped when symbols are known. */
int trace_names__stack(const struct trace_names *n, uint32_t stack_id, const uint64_t **ips);
/* The user frames of a stack (see struct trace_names); 0 and *what NULL
 * when the trace has no user stacks. */
int trace_names__user_stack(const struct trace_names *n, uint32_t stack_id,
			    const struct user_frame **frames, const char **what);
/* Whether per-stack figures of stack_id are estimates within an exactly
 * counted path (the stack budget); false when unknown. */
bool trace_names__stack_estimated(const struct trace_names *n, uint32_t stack_id);
/* The source file and line of a frame, when names carry a source (--vmlinux).
 * 0, or -ENOENT. */
int trace_names__source(const struct trace_names *n, uint64_t ip, const char **file, int *line);
/* "func+0x1a [mod]" (or hex) into buf; with a source known,
 * "func+0x1a (fs/eventfd.c:412)". */
const char *trace_names__frame(const struct trace_names *n, uint64_t ip, char *buf, size_t len);
/* The function name alone ("func" or "func [mod]"; hex if unknown). */
const char *trace_names__function(const struct trace_names *n, uint64_t ip, char *buf,
				  size_t len);

enum group_dim {
	GD_TYPE,
	GD_KIND,
	GD_TAG,
	GD_STACK,
	GD_SIZE,
	GD_PROCESS,
	GD_COMM,
	GD_CALLSITE,
	GD_FUNCTION,
	GD_CPU,
	GD_UFUNC,
	GD_COUNT,
};

#define GROUP_MAX_DIMS GD_COUNT
#define GROUP_MAX_PIDS 16

const char *group_dim_name(enum group_dim d);
/* "type,tag,stack" → dims. 0, or -EINVAL with the bad name in err. */
int group_parse_dims(const char *spec, enum group_dim *dims, int *ndims, char *err, size_t errlen);

struct group_opts {
	enum group_dim dims[GROUP_MAX_DIMS];
	int ndims;
	unsigned int classes; /* bit per enum alloc_class; 0 = all */
	struct globlist tags, comms; /* borrowed; empty = all */
	uint32_t pids[GROUP_MAX_PIDS];
	int npids;
	uint64_t size_min, size_max; /* size_max 0 = no limit */
	int frame;		     /* GD_FUNCTION: stack frame index; -1 = the call site */
	uint64_t end_ns;	     /* for ages */
	const struct trace_names *names;
};

void group_opts_init(struct group_opts *g);
/* Is d one of the grouping's dimensions? */
bool group_opts__has_dim(const struct group_opts *opts, enum group_dim d);

struct group_row {
	const struct alloc_site *site; /* borrowed: the first site of the group */
	int cls;		       /* GD_TYPE: the class; else -1 */
	const char *function;	       /* GD_FUNCTION: borrowed from the ksyms, or NULL */
	uint64_t function_ip;
	/* GD_UFUNC: the function of the innermost user frame outside the C
	 * library ("conn_open [u:server]", borrowed from the names), or
	 * "[kernel thread]" / "[no user stack]". */
	const char *ufunction;
	uint64_t count, bytes, allocs, frees, outstanding, outstanding_bytes;
	uint64_t oldest_ns; /* 0 = nothing outstanding */
};

struct grouping;

int group__build(const struct outstanding *o, const struct group_opts *opts,
		 struct grouping **out);
void grouping__free(struct grouping *g);
size_t grouping__nrows(const struct grouping *g);
const struct group_row *grouping__row(const struct grouping *g, size_t i);
/* Does the site pass the filters (tag, comm, pid, size)? */
bool group__site_selected(const struct group_opts *opts, const struct alloc_site *s);

/* The text of one dimension of a row: "AIFO", "eventfd_ctx", "4242",
 * "fdleak", "do_eventfd", ... (borrowed, or written into buf); "" for
 * GD_STACK (a stack is a list of frames: trace_names__stack). */
const char *group_row__dim_text(const struct group_row *r, const struct group_opts *opts,
				enum group_dim d, char *buf, size_t len);

/* "slab", "kmalloc", "page", "percpu", "vmalloc" (enum trace_kind), "?". */
const char *group_kind_name(uint8_t kind);

/* One group key of --diff: its row in A and in B (either NULL when absent
 * there, both borrowed from the groupings) and the outstanding count and
 * bytes at each window's end. */
struct group_diff_row {
	const struct group_row *a, *b;
	uint64_t count_a, count_b, bytes_a, bytes_b;
};

/* Match the rows of two groupings by their key (the dimensions' text,
 * stacks by their frames, so ids of two traces compare); keys with nothing
 * outstanding in either are left out. Rows in key order; *out malloc'd
 * (caller frees; borrowed pointers into a and b). 0 or -ENOMEM. */
int group__diff(const struct grouping *a, const struct group_opts *oa,
		const struct grouping *b, const struct group_opts *ob,
		struct group_diff_row **out, size_t *n);

#endif
