/* `report`'s views of analysed traces, written to a stream: the text
 * report (or the --group table with its frames), CSV, JSON, folded stacks,
 * pprof, the HTML page, and the --diff of two traces. */
#ifndef POOLSCOPE_OUTPUT_REPORT_RENDER_H
#define POOLSCOPE_OUTPUT_REPORT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "analysis/trace_analysis.h"

enum report_format { RF_TEXT, RF_CSV, RF_JSON, RF_FOLDED, RF_PPROF, RF_HTML };

/* "text", "csv", "json", "folded", "pprof", "html" → format. 0 or -EINVAL. */
int report_format_parse(const char *s, enum report_format *f);

struct report_view {
	enum report_format format;
	const enum group_dim *dims; /* the group table's dimensions (borrowed) */
	int ndims;
	bool grouped;	  /* --group given: text and HTML show the group table,
			   * folded stacks put its dimensions above the frames */
	const char *sort; /* the group table's order; NULL = by count */
	int top;	  /* rows per table; 0 = all */
};

/* The rules between a view's options, for every command that renders one:
 * --diff writes text, CSV or JSON; pprof takes no --group; only the group
 * table takes --sort. NULL when the view can be written, else why not (one
 * sentence naming the options). */
const char *report_view_check(enum report_format format, bool diff, bool grouped, bool sorted);

/* Write the view of one analysed trace. 0, -EINVAL (v->sort names no
 * column; nothing written), -ENOMEM, or -EIO (a write failed: the stream's
 * error flag says it). */
int report_render(FILE *out, const struct trace_analysis *ta, const struct report_view *v);

/* --diff: outstanding per group (v->dims) and per tag and stack, A against
 * B, as text, CSV or JSON. 0, -ENOMEM or -EIO. */
int report_render_diff(FILE *out, const struct trace_analysis *a, const struct trace_analysis *b,
		       const struct report_view *v);

#endif
