/* The one output model. A view fills a table (typed columns, rows); one
 * renderer turns it into aligned text, CSV or JSON, so the three never
 * drift apart. Cells are copied in: the table owns everything it holds. */
#ifndef POOLSCOPE_OUTPUT_TABLE_H
#define POOLSCOPE_OUTPUT_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_writer;

enum output_format {
	FMT_TEXT,
	FMT_CSV,
	FMT_JSON,
};

/* "text", "csv", "json" → format. 0 or -EINVAL. */
int output_format_parse(const char *s, enum output_format *fmt);
const char *output_format_name(enum output_format fmt);

enum col_type {
	COL_STR,
	COL_INT,
	COL_UINT,
	COL_DOUBLE,
	COL_STRLIST, /* JSON array of strings; text/CSV joined with ',' */
	COL_JSON,    /* a pre-rendered JSON value plus its own text form */
};

enum col_flags {
	COL_LEFT = 1 << 0,	  /* left-align in text (strings are by default) */
	COL_RIGHT = 1 << 1,	  /* right-align strings */
	COL_SIGNED = 1 << 2,	  /* text shows an explicit '+' on positive numbers */
	COL_HUMAN_BYTES = 1 << 3, /* text shows 1.5M-style sizes; CSV/JSON raw */
	COL_TEXT_HIDDEN = 1 << 4, /* only in CSV and JSON */
	COL_JSON_HIDDEN = 1 << 5, /* only in text and CSV */
	COL_SQUEEZE = 1 << 6,	  /* text: this column gives up width to fit */
	/* COL_DOUBLE: JSON carries the value rounded to the column's precision,
	 * the digits text shows (percentages: 0.9, not 0.897216796875). */
	COL_JSON_ROUNDED = 1 << 7,
};

struct table;

struct table *table_new(void);
void table_free(struct table *t); /* accepts NULL */

/* Add a column: title for text/CSV headers, key for JSON. Returns its index
 * or -ENOMEM. precision applies to COL_DOUBLE in text (default 2). */
int table_add_col(struct table *t, const char *title, const char *key, enum col_type type,
		  unsigned int flags);
void table_set_precision(struct table *t, int col, int digits);
/* Append an empty row (all cells null). Returns its index or -ENOMEM. */
int table_add_row(struct table *t);

int table_rows(const struct table *t);
int table_cols(const struct table *t);
/* Column index by JSON key, or -1. */
int table_col_find(const struct table *t, const char *key);
/* A column's header title, JSON key and COL_* flags (renderers outside
 * this file, e.g. the HTML report). */
const char *table_col_title(const struct table *t, int col);
const char *table_col_key(const struct table *t, int col);
unsigned int table_col_flags(const struct table *t, int col);

/* Setters; a NULL string sets null. 0 or -ENOMEM. */
int table_set_str(struct table *t, int row, int col, const char *s);
int table_set_int(struct table *t, int row, int col, int64_t v);
int table_set_uint(struct table *t, int row, int col, uint64_t v);
int table_set_double(struct table *t, int row, int col, double v);
int table_set_list(struct table *t, int row, int col, const char *const *items, int n);
int table_set_json(struct table *t, int row, int col, const char *json, const char *text);
void table_set_null(struct table *t, int row, int col);

/* Getters for tests and sorting; null cells read as 0 / NULL. */
bool table_is_null(const struct table *t, int row, int col);
const char *table_get_str(const struct table *t, int row, int col);
int64_t table_get_int(const struct table *t, int row, int col);
uint64_t table_get_uint(const struct table *t, int row, int col);
double table_get_double(const struct table *t, int row, int col);

/* Stable sort of rows by one column (nulls last). */
void table_sort(struct table *t, int col, bool descending);
/* Keep only the first n rows. */
void table_truncate(struct table *t, int n);

struct table_render_opts {
	int max_width;	  /* text: squeeze COL_SQUEEZE columns to fit; 0 = no limit */
	bool no_header;	  /* text/CSV: omit the header line */
};

/* Render the whole table: text (aligned, header), CSV (RFC 4180, header) or
 * JSON (an array of row objects, then a newline). 0 or -EIO on write error. */
int table_render(const struct table *t, enum output_format fmt, FILE *out,
		 const struct table_render_opts *opts);
/* The rows as a JSON array into an open writer (for envelopes). */
void table_render_json_rows(const struct table *t, struct json_writer *w);
/* One row as a JSON object into an open writer. */
void table_render_json_row(const struct table *t, int row, struct json_writer *w);
/* The text form of one cell into buf (what the text renderer prints). */
const char *table_cell_text(const struct table *t, int row, int col, char *buf, unsigned int len);

#endif
