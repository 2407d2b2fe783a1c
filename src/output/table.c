#include "output/table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"
#include "util/strbuf.h"
#include "util/visible.h"

struct table_col {
	char *title;
	char *key;
	enum col_type type;
	unsigned int flags;
	int precision;
};

struct table_cell {
	bool set;
	union {
		int64_t i;
		uint64_t u;
		double d;
		char *s; /* COL_STR; COL_JSON's JSON form */
	};
	char **list; /* COL_STRLIST items */
	int nlist;
	char *text; /* COL_JSON's text form */
};

struct table {
	struct table_col *cols;
	int ncols;
	struct table_cell **rows; /* each row: ncols cells, allocated at add time */
	int nrows;
	int cap;
	bool frozen; /* columns can no longer be added once rows exist */
};

int output_format_parse(const char *s, enum output_format *fmt)
{
	if (!s)
		return -EINVAL;
	if (strcmp(s, "text") == 0)
		*fmt = FMT_TEXT;
	else if (strcmp(s, "csv") == 0)
		*fmt = FMT_CSV;
	else if (strcmp(s, "json") == 0)
		*fmt = FMT_JSON;
	else
		return -EINVAL;
	return 0;
}

const char *output_format_name(enum output_format fmt)
{
	switch (fmt) {
	case FMT_CSV: return "csv";
	case FMT_JSON: return "json";
	default: return "text";
	}
}

struct table *table_new(void)
{
	return calloc(1, sizeof(struct table));
}

static void cell_clear(const struct table_col *c, struct table_cell *cell)
{
	int i;

	if (c->type == COL_STR || c->type == COL_JSON)
		free(cell->s);
	for (i = 0; i < cell->nlist; i++)
		free(cell->list[i]);
	free(cell->list);
	free(cell->text);
	memset(cell, 0, sizeof(*cell));
}

void table_free(struct table *t)
{
	int r, c;

	if (!t)
		return;
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			cell_clear(&t->cols[c], &t->rows[r][c]);
		free(t->rows[r]);
	}
	free(t->rows);
	for (c = 0; c < t->ncols; c++) {
		free(t->cols[c].title);
		free(t->cols[c].key);
	}
	free(t->cols);
	free(t);
}

int table_add_col(struct table *t, const char *title, const char *key, enum col_type type,
		  unsigned int flags)
{
	struct table_col *cols;

	if (t->frozen)
		return -EINVAL;
	cols = realloc(t->cols, sizeof(*cols) * (size_t)(t->ncols + 1));
	if (!cols)
		return -ENOMEM;
	t->cols = cols;
	cols[t->ncols] = (struct table_col){ .title = strdup(title), .key = strdup(key),
					      .type = type, .flags = flags, .precision = 2 };
	if (!cols[t->ncols].title || !cols[t->ncols].key) {
		free(cols[t->ncols].title);
		free(cols[t->ncols].key);
		return -ENOMEM;
	}
	return t->ncols++;
}

void table_set_precision(struct table *t, int col, int digits)
{
	t->cols[col].precision = digits;
}

int table_add_row(struct table *t)
{
	struct table_cell *row;

	if (t->nrows == t->cap) {
		int cap = t->cap ? t->cap * 2 : 64;
		struct table_cell **rows = realloc(t->rows, sizeof(*rows) * (size_t)cap);

		if (!rows)
			return -ENOMEM;
		t->rows = rows;
		t->cap = cap;
	}
	row = calloc((size_t)(t->ncols ? t->ncols : 1), sizeof(*row));
	if (!row)
		return -ENOMEM;
	t->frozen = true;
	t->rows[t->nrows] = row;
	return t->nrows++;
}

int table_rows(const struct table *t)
{
	return t->nrows;
}

int table_cols(const struct table *t)
{
	return t->ncols;
}

int table_col_find(const struct table *t, const char *key)
{
	int c;

	for (c = 0; c < t->ncols; c++)
		if (strcmp(t->cols[c].key, key) == 0)
			return c;
	return -1;
}

const char *table_col_title(const struct table *t, int col)
{
	return t->cols[col].title;
}

const char *table_col_key(const struct table *t, int col)
{
	return t->cols[col].key;
}

unsigned int table_col_flags(const struct table *t, int col)
{
	return t->cols[col].flags;
}

static struct table_cell *cell_at(const struct table *t, int row, int col)
{
	return &t->rows[row][col];
}

void table_set_null(struct table *t, int row, int col)
{
	cell_clear(&t->cols[col], cell_at(t, row, col));
}

int table_set_str(struct table *t, int row, int col, const char *s)
{
	struct table_cell *cell = cell_at(t, row, col);

	table_set_null(t, row, col);
	if (!s)
		return 0;
	cell->s = strdup(s);
	if (!cell->s)
		return -ENOMEM;
	cell->set = true;
	return 0;
}

int table_set_int(struct table *t, int row, int col, int64_t v)
{
	struct table_cell *cell = cell_at(t, row, col);

	table_set_null(t, row, col);
	cell->i = v;
	cell->set = true;
	return 0;
}

int table_set_uint(struct table *t, int row, int col, uint64_t v)
{
	struct table_cell *cell = cell_at(t, row, col);

	table_set_null(t, row, col);
	cell->u = v;
	cell->set = true;
	return 0;
}

int table_set_double(struct table *t, int row, int col, double v)
{
	struct table_cell *cell = cell_at(t, row, col);

	table_set_null(t, row, col);
	cell->d = v;
	cell->set = true;
	return 0;
}

int table_set_list(struct table *t, int row, int col, const char *const *items, int n)
{
	struct table_cell *cell = cell_at(t, row, col);
	int i;

	table_set_null(t, row, col);
	cell->set = true;
	if (n <= 0)
		return 0;
	cell->list = calloc((size_t)n, sizeof(char *));
	if (!cell->list)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		cell->list[i] = strdup(items[i] ? items[i] : "");
		if (!cell->list[i])
			return -ENOMEM;
		cell->nlist++;
	}
	return 0;
}

int table_set_json(struct table *t, int row, int col, const char *json, const char *text)
{
	struct table_cell *cell = cell_at(t, row, col);

	table_set_null(t, row, col);
	if (!json)
		return 0;
	cell->s = strdup(json);
	cell->text = strdup(text ? text : json);
	if (!cell->s || !cell->text)
		return -ENOMEM;
	cell->set = true;
	return 0;
}

bool table_is_null(const struct table *t, int row, int col)
{
	return !cell_at(t, row, col)->set;
}

const char *table_get_str(const struct table *t, int row, int col)
{
	const struct table_cell *cell = cell_at(t, row, col);

	return cell->set && (t->cols[col].type == COL_STR || t->cols[col].type == COL_JSON)
		       ? cell->s : NULL;
}

int64_t table_get_int(const struct table *t, int row, int col)
{
	const struct table_cell *cell = cell_at(t, row, col);

	if (!cell->set)
		return 0;
	switch (t->cols[col].type) {
	case COL_INT: return cell->i;
	case COL_UINT: return (int64_t)cell->u;
	case COL_DOUBLE: return (int64_t)cell->d;
	default: return 0;
	}
}

uint64_t table_get_uint(const struct table *t, int row, int col)
{
	return (uint64_t)table_get_int(t, row, col);
}

double table_get_double(const struct table *t, int row, int col)
{
	const struct table_cell *cell = cell_at(t, row, col);

	if (!cell->set)
		return 0;
	switch (t->cols[col].type) {
	case COL_INT: return (double)cell->i;
	case COL_UINT: return (double)cell->u;
	case COL_DOUBLE: return cell->d;
	default: return 0;
	}
}

/* qsort is not stable: sort row pointers carrying their original index. */
struct sort_item {
	struct table_cell *row;
	int index;
};

/* What one table_sort compares by, passed to qsort_r. */
struct sort_by {
	const struct table *t;
	int col;
	bool desc;
};

static int compare_cells(const struct sort_by *by, const struct table_cell *a,
			 const struct table_cell *b)
{
	const struct table_col *c = &by->t->cols[by->col];
	const struct table_cell *x = &a[by->col], *y = &b[by->col];

	if (!x->set || !y->set)
		return 0; /* handled by the caller */
	switch (c->type) {
	case COL_INT: return (x->i > y->i) - (x->i < y->i);
	case COL_UINT: return (x->u > y->u) - (x->u < y->u);
	case COL_DOUBLE: return (x->d > y->d) - (x->d < y->d);
	case COL_STR:
	case COL_JSON: return strcmp(x->s, y->s);
	case COL_STRLIST: return (x->nlist > y->nlist) - (x->nlist < y->nlist);
	}
	return 0;
}

static int compare_items(const void *pa, const void *pb, void *ctx)
{
	const struct sort_by *by = ctx;
	const struct sort_item *a = pa, *b = pb;
	bool an = !a->row[by->col].set, bn = !b->row[by->col].set;
	int r;

	if (an != bn)
		return an ? 1 : -1; /* nulls last either way */
	r = an ? 0 : compare_cells(by, a->row, b->row);
	if (by->desc)
		r = -r;
	if (r == 0)
		r = (a->index > b->index) - (a->index < b->index);
	return r;
}

void table_sort(struct table *t, int col, bool descending)
{
	struct sort_by by = { .t = t, .col = col, .desc = descending };
	struct sort_item *items;
	int i;

	if (col < 0 || col >= t->ncols || t->nrows < 2)
		return;
	items = malloc(sizeof(*items) * (size_t)t->nrows);
	if (!items)
		return; /* unsorted output beats none */
	for (i = 0; i < t->nrows; i++)
		items[i] = (struct sort_item){ t->rows[i], i };
	qsort_r(items, (size_t)t->nrows, sizeof(*items), compare_items, &by);
	for (i = 0; i < t->nrows; i++)
		t->rows[i] = items[i].row;
	free(items);
}

void table_truncate(struct table *t, int n)
{
	int r, c;

	if (n < 0)
		n = 0;
	for (r = n; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			cell_clear(&t->cols[c], &t->rows[r][c]);
		free(t->rows[r]);
	}
	if (n < t->nrows)
		t->nrows = n;
}

static const char *human_bytes(uint64_t v, char *buf, unsigned int len)
{
	static const char units[] = "BKMGTPE";
	double d = (double)v;
	int i = 0;

	while (d >= 1024.0 && i < 6) {
		d /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%" PRIu64, v);
	else if (d < 10)
		snprintf(buf, len, "%.1f%c", d, units[i]);
	else
		snprintf(buf, len, "%.0f%c", d, units[i]);
	return buf;
}

/* The text form of a cell; `csv` keeps raw numbers (no human sizes, no '+'). */
static const char *cell_text(const struct table *t, int row, int col, char *buf, unsigned int len,
			     bool csv)
{
	const struct table_col *c = &t->cols[col];
	const struct table_cell *cell = cell_at(t, row, col);
	bool plus = !csv && (c->flags & COL_SIGNED);
	char tmp[64];

	if (!cell->set)
		return csv ? "" : "-";
	switch (c->type) {
	case COL_STR:
		return cell->s;
	case COL_JSON:
		return cell->text;
	case COL_INT:
		if (!csv && (c->flags & COL_HUMAN_BYTES)) {
			human_bytes((uint64_t)(cell->i < 0 ? -cell->i : cell->i), tmp, sizeof(tmp));
			snprintf(buf, len, "%s%s", cell->i < 0 ? "-" : (plus && cell->i > 0 ? "+" : ""), tmp);
		} else {
			snprintf(buf, len, plus && cell->i > 0 ? "+%" PRId64 : "%" PRId64, cell->i);
		}
		return buf;
	case COL_UINT:
		if (!csv && (c->flags & COL_HUMAN_BYTES))
			return human_bytes(cell->u, buf, len);
		snprintf(buf, len, "%" PRIu64, cell->u);
		return buf;
	case COL_DOUBLE:
		snprintf(buf, len, plus && cell->d > 0 ? "+%.*f" : "%.*f", csv ? 6 : c->precision, cell->d);
		return buf;
	case COL_STRLIST: {
		size_t used = 0;
		int i;

		buf[0] = '\0';
		for (i = 0; i < cell->nlist && used + 1 < len; i++) {
			int n = snprintf(buf + used, len - used, "%s%s", i ? "," : "", cell->list[i]);

			if (n < 0)
				break;
			used += (size_t)n;
		}
		return buf;
	}
	}
	return "";
}

const char *table_cell_text(const struct table *t, int row, int col, char *buf, unsigned int len)
{
	return cell_text(t, row, col, buf, len, false);
}

static bool right_aligned(const struct table_col *c)
{
	if (c->flags & COL_LEFT)
		return false;
	if (c->flags & COL_RIGHT)
		return true;
	return c->type == COL_INT || c->type == COL_UINT || c->type == COL_DOUBLE;
}

/* Display width of a UTF-8 string, counting code points (good enough for
 * names; wide characters are rare in cache names and paths). */
static int text_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Bytes of s that fit in `width` display columns. */
static int bytes_for_width(const char *s, int width)
{
	int w = 0, i = 0;

	while (s[i]) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (w == width)
				break;
			w++;
		}
		i++;
	}
	return i;
}

#define CELL_BUF 4096
#define VISIBLE_BUF (4 * CELL_BUF + 1) /* every byte escaped as \xNN */

/* What a terminal may be shown of s: control bytes and invalid UTF-8
 * escaped (names come from untrusted processes and files). */
static const char *visible(const char *s, char *vis)
{
	visible_escape(s, strlen(s), vis, VISIBLE_BUF);
	return vis;
}

static int render_text(const struct table *t, FILE *out, const struct table_render_opts *opts)
{
	int *width = calloc((size_t)(t->ncols ? t->ncols : 1), sizeof(int));
	char *buf = malloc(CELL_BUF), *vis = malloc(VISIBLE_BUF);
	int r, c, total = 0, visible_cols = 0;

	if (!width || !buf || !vis) {
		free(width);
		free(buf);
		free(vis);
		return -ENOMEM;
	}
	/* Widths are those of the escaped forms, which is what is printed. */
	for (c = 0; c < t->ncols; c++) {
		if (t->cols[c].flags & COL_TEXT_HIDDEN)
			continue;
		width[c] = opts->no_header ? 0 : text_width(visible(t->cols[c].title, vis));
		for (r = 0; r < t->nrows; r++) {
			int w = text_width(visible(cell_text(t, r, c, buf, CELL_BUF, false), vis));

			if (w > width[c])
				width[c] = w;
		}
		total += width[c] + (visible_cols++ ? 2 : 0);
	}
	/* Too wide: take the excess from the squeezable columns, widest first. */
	if (opts->max_width > 0 && total > opts->max_width) {
		int excess = total - opts->max_width;

		while (excess > 0) {
			int widest = -1;

			for (c = 0; c < t->ncols; c++)
				if ((t->cols[c].flags & COL_SQUEEZE) && !(t->cols[c].flags & COL_TEXT_HIDDEN) &&
				    width[c] > 8 && (widest < 0 || width[c] > width[widest]))
					widest = c;
			if (widest < 0)
				break;
			width[widest]--;
			excess--;
		}
	}
	for (r = opts->no_header ? 0 : -1; r < t->nrows; r++) {
		bool first = true;
		int pending = 0; /* spaces owed before the next cell */

		for (c = 0; c < t->ncols; c++) {
			const struct table_col *col = &t->cols[c];
			const char *s;
			int w, n;

			if (col->flags & COL_TEXT_HIDDEN)
				continue;
			s = visible(r < 0 ? col->title : cell_text(t, r, c, buf, CELL_BUF, false), vis);
			w = text_width(s);
			n = bytes_for_width(s, width[c]);
			if (w > width[c])
				w = width[c];
			if (!first)
				pending += 2;
			first = false;
			if (right_aligned(col)) {
				fprintf(out, "%*s%.*s", pending + width[c] - w, "", n, s);
				pending = 0;
			} else {
				fprintf(out, "%*s%.*s", pending, "", n, s);
				pending = width[c] - w; /* no trailing blanks at line end */
			}
		}
		fputc('\n', out);
	}
	free(width);
	free(buf);
	free(vis);
	return 0;
}

static void csv_field(FILE *out, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static int render_csv(const struct table *t, FILE *out, const struct table_render_opts *opts)
{
	char *buf = malloc(CELL_BUF);
	int r, c;

	if (!buf)
		return -ENOMEM;
	for (r = opts->no_header ? 0 : -1; r < t->nrows; r++) {
		bool first = true;

		for (c = 0; c < t->ncols; c++) {
			if (!first)
				fputc(',', out);
			first = false;
			csv_field(out, r < 0 ? t->cols[c].key : cell_text(t, r, c, buf, CELL_BUF, true));
		}
		fputc('\n', out);
	}
	free(buf);
	return 0;
}

void table_render_json_row(const struct table *t, int row, struct json_writer *w)
{
	int c, i;

	json_begin_object(w);
	for (c = 0; c < t->ncols; c++) {
		const struct table_col *col = &t->cols[c];
		const struct table_cell *cell = cell_at(t, row, c);

		if (col->flags & COL_JSON_HIDDEN)
			continue;
		json_key(w, col->key);
		if (!cell->set) {
			json_null(w);
			continue;
		}
		switch (col->type) {
		case COL_STR: json_string(w, cell->s); break;
		case COL_INT: json_int(w, cell->i); break;
		case COL_UINT: json_uint(w, cell->u); break;
		case COL_DOUBLE:
			if (col->flags & COL_JSON_ROUNDED) {
				char digits[64];

				/* The same rounding as the text renderer's. */
				snprintf(digits, sizeof(digits), "%.*f", col->precision, cell->d);
				json_double(w, strtod(digits, NULL));
			} else {
				json_double(w, cell->d);
			}
			break;
		case COL_JSON: json_raw(w, cell->s); break;
		case COL_STRLIST:
			json_begin_array(w);
			for (i = 0; i < cell->nlist; i++)
				json_string(w, cell->list[i]);
			json_end_array(w);
			break;
		}
	}
	json_end_object(w);
}

void table_render_json_rows(const struct table *t, struct json_writer *w)
{
	int r;

	json_begin_array(w);
	for (r = 0; r < t->nrows; r++)
		table_render_json_row(t, r, w);
	json_end_array(w);
}

int table_render(const struct table *t, enum output_format fmt, FILE *out,
		 const struct table_render_opts *opts)
{
	static const struct table_render_opts defaults;
	int err = 0;

	if (!opts)
		opts = &defaults;
	switch (fmt) {
	case FMT_TEXT:
		err = render_text(t, out, opts);
		break;
	case FMT_CSV:
		err = render_csv(t, out, opts);
		break;
	case FMT_JSON: {
		struct json_writer *w = json_writer_new(out);

		if (!w)
			return -ENOMEM;
		table_render_json_rows(t, w);
		json_writer_free(w);
		fputc('\n', out);
		break;
	}
	}
	if (!err && ferror(out))
		err = -EIO;
	return err;
}
