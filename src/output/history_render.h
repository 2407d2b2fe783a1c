/* `poolscope history`: series read back from watch's database as a table
 * with a sparkline per series (text), one row per point (CSV), JSON, or
 * the report's HTML page with their graph; and the events (alerts,
 * forecasts, diagnoses) that were in force. */
#ifndef POOLSCOPE_OUTPUT_HISTORY_RENDER_H
#define POOLSCOPE_OUTPUT_HISTORY_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "output/table.h"

struct series_set;
struct history_event;
struct history_boot;

struct history_view {
	const struct series_set *set;
	const struct history_event *events;
	size_t nevents;
	const struct history_boot *boot; /* the boot shown; NULL when none */
	int boot_index;			 /* 0 newest, -1 previous, ... */
};

/* 0 or -errno (a write error). fmt: text, csv, json; html via _html. */
int history_render(const struct history_view *v, enum output_format fmt, FILE *out);
int history_render_html(const struct history_view *v, FILE *out);

#endif
