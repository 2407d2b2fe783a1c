/* One refresh of `top` rendered: the header (text lines for the screen and
 * text batch, an object for JSON) and the tag table, in text, CSV or one
 * JSON object per line. Takes the snapshot and the sampler's status; reads
 * nothing itself. */
#ifndef POOLSCOPE_OUTPUT_POOL_RENDER_H
#define POOLSCOPE_OUTPUT_POOL_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/pool.h"
#include "model/pool_sampler.h"
#include "output/table.h"

#define POOL_HEADER_LINES 5 /* at most: the legend line is there when needed */
#define POOL_HEADER_LEN 512

struct json_writer;
struct notes;
struct rotlog;

/* What the header shows beside the snapshot; everything borrowed. */
struct pool_header {
	const struct pool_snapshot *snap;
	const struct pool_sampler_status *status;
	uint64_t interval_ns; /* the refresh interval shown ("every 2s") */
};

/* The header as text lines (the screen and text batch output): 4 lines,
 * and a fifth, the legend of the '~' marker, when a tag's frees are not
 * exact (each line fits 80 columns but the counters' note). Returns the
 * number of lines. */
int pool_header_lines(const struct pool_header *h, char lines[POOL_HEADER_LINES][POOL_HEADER_LEN]);
/* The header as one JSON object (the "header" member of a JSON refresh). */
void pool_header_json(const struct pool_header *h, struct json_writer *w);
/* One refresh in fmt onto out: text (header, table, blank line), CSV (rows;
 * the column line only when csv_header) or one JSON object on one line.
 * 0, -ENOMEM, or -EIO when out has a write error. */
int pool_render_refresh(const struct pool_header *h, const struct table *t, enum output_format fmt,
			FILE *out, bool csv_header);
/* The same into a malloc'd buffer (*buf, *len; the caller frees): a whole
 * record for a log. 0 or -ENOMEM. */
int pool_render_refresh_mem(const struct pool_header *h, const struct table *t,
			    enum output_format fmt, bool csv_header, char **buf, size_t *len);

/* The format of a log file: CSV for *.csv, JSON lines for *.json, *.jsonl
 * and *.ndjson, otherwise CSV when fmt is CSV and JSON lines else. */
enum output_format pool_log_format(const char *path, enum output_format fmt);
/* Append one refresh to log in fmt (CSV or JSON), rotating first when it
 * would go past the limit; a fresh CSV file gets the column line. A refresh
 * that cannot be written (a full disk) is left out whole and is the note
 * "log-write"; the next call tries again. Notes as rotlog_make_room too.
 * 0, -ENOMEM, or -errno when the log could not be reopened after rotating
 * (it is closed then). */
int pool_log_refresh(struct rotlog *log, enum output_format fmt, const struct pool_header *h,
		     const struct table *t, struct notes *ns);

#endif
