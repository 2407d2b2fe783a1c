/* The pieces of `report`'s views, filled from a trace analysis: the
 * per-tag table, the leak suspects, the stacks per process, the summary
 * lines, the JSON window and totals, and the frames of the stacks a text
 * table shows. Every table is owned by the caller (table_free). */
#ifndef POOLSCOPE_OUTPUT_REPORT_TABLES_H
#define POOLSCOPE_OUTPUT_REPORT_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/trace_analysis.h"

struct table;
struct json_writer;

/* One row per tag (its name marked " !" when its frees are not exact; the
 * suspects' tables too): AIFO, AIFO bytes, AIFI, AOFI, AOFO, oldest age and the
 * outstanding count over time as a sparkline; most AIFO first, ties by
 * name; at most top rows (0 = all). 0 or -ENOMEM. */
int report_tag_table(const struct trace_analysis *ta, int top, struct table **out);
/* The leak suspects, best first, at most top (0 = all). 0 or -ENOMEM. */
int report_suspects_table(const struct trace_analysis *ta, int top, struct table **out);
/* The held suspects (allocated long ago in the window, never freed), most
 * objects first, at most top (0 = all). 0 or -ENOMEM. */
int report_held_table(const struct trace_analysis *ta, int top, struct table **out);
/* WPA's stacks view: per process, comm, tag and stack; most outstanding
 * first, then most allocations. 0 or -ENOMEM. */
int report_stacks_table(const struct trace_analysis *ta, int top, struct table **out);
/* The --group table: these dimensions, every class unless filtered, sorted
 * by sort ("count" when NULL; group_table__sort's grammar), at most top
 * rows. 0, -EINVAL (no such sort column) or -ENOMEM. */
int report_group_table(const struct trace_analysis *ta, const enum group_dim *dims, int ndims,
		       const char *sort, int top, struct table **out);

#define REPORT_SUMMARY_MAX 8
#define REPORT_LINE_MAX 1024

/* Summary lines shared by text and HTML (trace, mode, window, outstanding
 * at the end, warnings). Returns how many were written (≤ max). */
size_t report_summary_lines(const struct trace_analysis *ta, char lines[][REPORT_LINE_MAX],
			    size_t max);

/* "frees_not_exact": [tags whose frees the kernel does not all trace]. */
void report_json_frees_not_exact(struct json_writer *w, const struct trace_analysis *ta);
/* What " !" after a tag means, for a line under the table. */
#define REPORT_INEXACT_LEGEND \
	"! frees not exact: the kernel frees some of these objects where no tracepoint fires\n" \
	"  (bulk and RCU batch frees), so their outstanding counts overstate what they hold:\n" \
	"  take their growth from the cache's objects (poolscope top's Objs)"

/* "window": {...} and "totals": {...} members into an open JSON object. */
void report_json_window(struct json_writer *w, const struct trace_analysis *ta);
void report_json_totals(struct json_writer *w, const struct trace_analysis *ta);

/* The frames of the stacks already printed, so each is printed once. */
#define REPORT_FRAMES_SHOWN 6
struct shown_stacks {
	uint32_t ids[REPORT_FRAMES_SHOWN];
	int n, more; /* more: stacks left out (only the first few in full) */
};

/* One stack's frames as text, innermost first: the kernel frames, then the
 * user frames (record --user-stacks). */
struct report_stack {
	uint32_t id;
	bool estimated; /* on the stack budget: its figures are estimates */
	int nkernel, nuser;
	char (*kernel)[256];	       /* owned (report_stacks_release) */
	const struct user_frame *user; /* borrowed from the analysis */
	const char *user_what;	       /* borrowed; NULL: the trace has no user stacks */
};

/* The stacks of t's stack_id column not in seen yet, into out (room for
 * REPORT_FRAMES_SHOWN), up to REPORT_FRAMES_SHOWN stacks in all (seen->more
 * counts the others). Returns how many, or -ENOMEM. */
int report_collect_stacks(const struct trace_analysis *ta, const struct table *t,
			  struct shown_stacks *seen, struct report_stack *out);
void report_stacks_release(struct report_stack *s, int n);

/* "Stack N:" and its frames for every stack_id of t not shown yet. */
void report_print_frames(FILE *out, const struct trace_analysis *ta, const struct table *t,
			 struct shown_stacks *seen);

/* What a sparkline's characters mean, for a legend line. */
#define REPORT_SPARK_LEGEND "16 steps across the window, \" .:-=+*#%@\" = none to the row's peak"

/* An ASCII sparkline of n values squeezed into width characters (out has
 * room for width + 1). */
void report_sparkline(const int64_t *v, size_t n, char *out, size_t width);

#endif
