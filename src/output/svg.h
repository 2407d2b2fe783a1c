/* Inline SVG for the HTML report: a line chart of time series and a flame
 * graph of a stack tree. Plain SVG text appended to a strbuf; no script
 * inside (html.c adds the interactions). */
#ifndef POOLSCOPE_OUTPUT_SVG_H
#define POOLSCOPE_OUTPUT_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

struct stacktree;

struct svg_series {
	const char *name;     /* borrowed */
	const int64_t *values; /* borrowed; n points, evenly spaced */
	size_t n;
};

/* Lines over x = 0..duration_s; y from 0 to the largest value, with axis
 * labels and a legend. */
void svg_line_chart(struct strbuf *sb, const struct svg_series *series, size_t nseries,
		    double duration_s, const char *y_label, int width, int height);

/* Icicle-style flame graph (root on top, callees below), one <g> per node
 * carrying data-n (name), data-c (count) for the page's script. Nodes
 * narrower than a pixel are dropped. */
void svg_flame(struct strbuf *sb, const struct stacktree *t, int width);

/* XML-escape s onto sb. */
void svg_escape(struct strbuf *sb, const char *s);

#endif
