/* The HTML report: one self-contained file (inline CSS, SVG and a small
 * script; no network, nothing external) with summary lines, graphs,
 * a flame graph and sortable tables. */
#ifndef POOLSCOPE_OUTPUT_HTML_H
#define POOLSCOPE_OUTPUT_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "output/svg.h"

struct table;
struct stacktree;
struct report_stack;

struct html_section_table {
	const char *title;	   /* borrowed */
	const struct table *table; /* borrowed */
};

struct html_report {
	const char *title;		 /* borrowed */
	const char *const *summary;	 /* borrowed lines of text */
	size_t nsummary;
	const struct svg_series *series; /* outstanding over time, top tags */
	size_t nseries;
	double duration_s;
	const struct stacktree *flame; /* AIFO stacks; may be NULL */
	const struct html_section_table *tables;
	size_t ntables;
	/* The frames of the stacks the tables show (report; may be NULL):
	 * kernel frames, then the user frames, marked as such. */
	const struct report_stack *stacks;
	size_t nstacks;
	/* Another page than the report (diagnose): the chart's title, its y
	 * label and no flame graph section. NULL/false: the report's. */
	const char *chart_title, *chart_y_label;
	bool no_flame;
};

/* 0 or -EIO. */
int html_write(FILE *out, const struct html_report *r);

#endif
