/* One trace, analysed: open it, apply the window and the filters, classify
 * every allocation (outstanding.h), build the time series (trend.h) and
 * find the leak suspects (suspects.h), with per-tag AIFO/AIFI/AOFI/AOFO
 * totals. What `report` shows and what `diagnose` reasons over after it has
 * recorded a trace. Prints nothing: fatal problems come back as -errno with
 * a one-line reason, the rest as fields the caller words.
 *
 * Two steps, so that times can be read against the trace's clocks before
 * the window is applied:
 *   trace_analysis__open(path)        the header is known
 *   trace_analysis__parse_time(...)   optional: "2.5", "@NS", UTC → ns
 *   trace_analysis__run(opts)         every record read; results below */
#ifndef POOLSCOPE_ANALYSIS_TRACE_ANALYSIS_H
#define POOLSCOPE_ANALYSIS_TRACE_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/group.h"
#include "analysis/outstanding.h"
#include "analysis/suspects.h"
#include "analysis/trend.h"
#include "trace/trace.h"
#include "util/notes.h"

struct userstacks;

struct trace_analysis_opts {
	uint64_t from_ns; /* absolute CLOCK_MONOTONIC; 0 = the trace's start */
	uint64_t to_ns;	  /* UINT64_MAX = the trace's end */
	/* classes (the type mask: 0 = each view's own default), tags, comms,
	 * pids, size range and frame; copied, its globlists borrowed. dims,
	 * end_ns and names are set per view by trace_analysis__group_opts. */
	struct group_opts filter;
	/* Separate debug files of user-space binaries (report --debuginfo),
	 * borrowed; NULL: /usr/lib/debug only. */
	const char *debuginfo_dir;
};

/* Defaults: the whole trace, no filter (group_opts_init). */
void trace_analysis_opts_init(struct trace_analysis_opts *o);

/* See trace_analysis__set_merged_names. */
typedef int (*trace_merged_names_fn)(void *ctx, const char *tag, const char *const **names);

/* Per tag, over the sites that pass the filters, every class counted. */
struct tag_totals {
	uint32_t tag_id;
	uint64_t count[AC_COUNT], bytes[AC_COUNT];
	uint64_t oldest_ns; /* oldest outstanding object at the window's end; 0 = none */
	/* false: the kernel frees some of its objects where no tracepoint
	 * fires (the recorder found it: trace_reader__frees_exact), so its
	 * outstanding counts overstate what it holds. */
	bool frees_exact;
};

/* Everything after trace_analysis__run; read-only for callers except
 * through the functions below. */
struct trace_analysis {
	const char *path; /* borrowed from the caller of __open */
	struct trace_reader *reader;
	const struct trace_header *hdr; /* borrowed from the reader */
	struct outstanding *outstanding;
	struct trend *trend;
	struct trace_names names; /* ids → text (names.source: see __set_source) */
	struct trace_analysis_opts opts;
	uint64_t from_ns, to_ns; /* the window asked for, from clamped to the start */
	uint64_t end_ns;	 /* its effective end: to, or the trace's last time */
	uint64_t last_ns;	 /* the trace's end: stop time or last record */
	bool truncated;		 /* cut off: read up to its last complete chunk */
	/* The summary's numbers. Of the sites that pass the filters (tag,
	 * comm, pid, size; every class whatever the type mask): count, bytes,
	 * oldest_ns, unmatched_frees, and allocs/frees/records inside the
	 * window (records: those allocations and frees plus the window's LOST
	 * and SNAPSHOT records). Lost events, reused_ptrs, snapshots, first/last
	 * and live: the whole trace's, which filters cannot split. */
	struct outstanding_totals totals;
	struct tag_totals *tags; /* by tag name; ntags of them */
	size_t ntags;
	size_t ninexact; /* tags whose frees are not exact */
	struct leak_suspect *suspects; /* growing, best first (suspects__find) */
	size_t nsuspects;
	/* A flight-recorder (--ring) trace keeps only the last events: they
	 * are complete from ring_complete_ns (its first event) on. */
	bool ring;
	uint64_t ring_complete_ns;
	/* What the caller should say: "aggregate-from"/"aggregate-to" (an
	 * aggregate trace counts only at snapshots: the window's end taken at
	 * another time than asked), "ring-incomplete" (the window starts more
	 * than 10 ms and 1% of its length before ring_complete_ns). */
	struct notes notes;
	trace_merged_names_fn merged_names; /* see trace_analysis__set_merged_names */
	void *merged_names_ctx;
	/* Traces with user stacks: every allocation's stack id is a joined
	 * kernel + user stack (userstacks.h); NULL otherwise. */
	struct userstacks *ustacks;
	struct leak_suspect *held; /* held since long, most first (suspects__held) */
	size_t nheld;
};

/* Open the trace at path (borrowed, kept for messages). 0, or -errno with a
 * one-line reason in err that names the file: -ENOENT/-EACCES, -EINVAL (not
 * a trace, or a malformed one), -ENOMEM. */
int trace_analysis__open(const char *path, struct trace_analysis **out, char *err,
			 size_t errlen);
void trace_analysis__free(struct trace_analysis *ta);

/* A time in this trace (util/timeutil.h's parse_recording_time) → absolute
 * ns. 0 or -EINVAL. */
int trace_analysis__parse_time(const struct trace_analysis *ta, const char *s, uint64_t *abs_ns);

/* Read every record (up to the window's end) and compute the results. 0, or
 * -EDOM (to before from), -ERANGE (from after the trace's end: last_ns is
 * set for the message), -EINVAL (a malformed record: reason in err, naming
 * the file), -ENOMEM. Call once. */
int trace_analysis__run(struct trace_analysis *ta, const struct trace_analysis_opts *opts,
			char *err, size_t errlen);

/* Frames get file:line from this source (debuginfo_lines__source with a
 * struct debuginfo_lines for --vmlinux); fn NULL = none. ctx borrowed. */
void trace_analysis__set_source(struct trace_analysis *ta,
				int (*fn)(void *ctx, uint64_t ip, const char **file, int *line),
				void *ctx);

/* Optional: every name a tag's cache answers to when SLUB merged it with
 * others (the trace stores one name per cache: the kernel's first), for the
 * tag table. fn returns how many names (*names borrowed, the tag's among
 * them) or 0 when unknown; ctx borrowed. fn NULL = none. */
void trace_analysis__set_merged_names(struct trace_analysis *ta, trace_merged_names_fn fn,
				      void *ctx);

/* The group_opts of one view: the run's filters, these dimensions, the
 * given classes unless the filter names its own, the window's end, the
 * trace's names. */
struct group_opts trace_analysis__group_opts(const struct trace_analysis *ta,
					     const enum group_dim *dims, int ndims,
					     unsigned int classes);

/* The filters the trace was recorded with, from the command line its
 * header keeps: "--comm X --kinds Y --pid N --sample N --size R --tag T"
 * (each option as "--name value", in that order, repeats in the order
 * given); "" for none. Two traces with different strings saw different
 * allocations. Into buf (always terminated), returned. */
const char *trace_analysis__recorded_filters(const struct trace_analysis *ta, char *buf,
					     size_t len);

/* --diff: a note "diff-filters" when a and b were recorded with different
 * filters (trace_analysis__recorded_filters): their counts differ for that
 * reason too. */
void trace_analysis__compare_filters(const struct trace_analysis *a,
				     const struct trace_analysis *b, struct notes *ns);

/* Are the frees of this tag exact (see struct tag_totals)? */
bool trace_analysis__frees_exact(const struct trace_analysis *ta, uint32_t tag_id);

/* Seconds from the trace's start (0 for times before it). */
double trace_analysis__rel_s(const struct trace_analysis *ta, uint64_t ns);

#define TA_ALL_CLASSES ((1u << AC_COUNT) - 1)

#endif
