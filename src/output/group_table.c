#include "output/group_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/table.h"
#include "util/strbuf.h"

/* Columns of the dimensions; returns the first free column index. */
static int add_dim_cols(struct table *t, const struct group_opts *opts, bool frames_only)
{
	int i;

	for (i = 0; i < opts->ndims; i++) {
		switch (opts->dims[i]) {
		case GD_TYPE: table_add_col(t, "Type", "type", COL_STR, 0); break;
		case GD_KIND: table_add_col(t, "Kind", "kind", COL_STR, 0); break;
		case GD_TAG: table_add_col(t, "Tag", "tag", COL_STR, COL_SQUEEZE); break;
		case GD_STACK:
			if (!frames_only)
				table_add_col(t, "Stack", "stack_id", COL_UINT, 0);
			/* A trace recorded on the stack budget: say which per-stack
			 * figures are estimates (issue 12). */
			if (!frames_only && opts->names && opts->names->stack_budget)
				table_add_col(t, "Est", "stack_estimate", COL_JSON, 0);
			table_add_col(t, "Frames", "stack", COL_STRLIST, COL_TEXT_HIDDEN);
			/* --user-stacks: what the user part of each stack is. */
			if (!frames_only && opts->names && opts->names->user_stack)
				table_add_col(t, "User stack", "user_stack", COL_STR, COL_TEXT_HIDDEN);
			/* --diff: text shows the frames from where rows differ. */
			if (frames_only)
				table_add_col(t, "Frames", "frames_shown", COL_STR,
					      COL_SQUEEZE | COL_JSON_HIDDEN);
			break;
		case GD_SIZE: table_add_col(t, "Size", "size", COL_UINT, 0); break;
		case GD_PROCESS: table_add_col(t, "PID", "pid", COL_UINT, 0); break;
		case GD_COMM: table_add_col(t, "Comm", "comm", COL_STR, COL_SQUEEZE); break;
		case GD_CALLSITE: table_add_col(t, "Callsite", "callsite", COL_STR, COL_SQUEEZE); break;
		case GD_FUNCTION: table_add_col(t, "Function", "function", COL_STR, COL_SQUEEZE); break;
		case GD_CPU: table_add_col(t, "CPU", "cpu", COL_UINT, 0); break;
		case GD_UFUNC:
			table_add_col(t, "User function", "ufunc", COL_STR, COL_SQUEEZE);
			break;
		case GD_COUNT: break;
		}
	}
	return table_cols(t);
}

int group_table__set_frames(struct table *t, int row, int col, const struct trace_names *names,
			    uint32_t stack_id)
{
	const uint64_t *ips;
	const struct user_frame *uf;
	const char *what;
	int depth = trace_names__stack(names, stack_id, &ips), i, err = 0;
	/* Traces with user stacks: the user frames follow the kernel ones
	 * (innermost first all along), each marked [u:FILE]. */
	int udepth = trace_names__user_stack(names, stack_id, &uf, &what);
	const char **items;
	char *text;

	if (depth < 0)
		depth = 0;
	if (udepth < 0)
		udepth = 0;
	if (depth + udepth == 0) {
		table_set_null(t, row, col);
		return 0;
	}
	items = calloc((size_t)(depth + udepth), sizeof(*items));
	text = malloc((size_t)(depth ? depth : 1) * 256);
	if (!items || !text) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < depth; i++)
		items[i] = trace_names__frame(names, ips[i], text + (size_t)i * 256, 256);
	for (i = 0; i < udepth; i++)
		items[depth + i] = uf[i].frame;
	err = table_set_list(t, row, col, items, depth + udepth);
out:
	free(items);
	free(text);
	return err;
}

static int fill_dims(struct table *t, int row, const struct group_row *r,
		     const struct group_opts *opts, bool frames_only)
{
	const struct alloc_site *s = r->site;
	char buf[256];
	int i, col = 0, err = 0;

	for (i = 0; i < opts->ndims && !err; i++) {
		switch (opts->dims[i]) {
		case GD_TYPE:
			err = table_set_str(t, row, col++, alloc_class_name((enum alloc_class)r->cls));
			break;
		case GD_KIND: err = table_set_str(t, row, col++, group_kind_name(s->kind)); break;
		case GD_TAG:
			err = table_set_str(t, row, col++, trace_names__string(opts->names, s->tag_id));
			break;
		case GD_STACK:
			if (!frames_only) {
				if (s->stack_id == TRACE_NO_STACK)
					table_set_null(t, row, col);
				else
					table_set_uint(t, row, col, s->stack_id);
				col++;
			}
			if (!frames_only && opts->names && opts->names->stack_budget) {
				bool est = s->stack_id != TRACE_NO_STACK &&
					   trace_names__stack_estimated(opts->names, s->stack_id);

				err = table_set_json(t, row, col++, est ? "true" : "false",
						     est ? "~" : "");
				if (err)
					break;
			}
			err = group_table__set_frames(t, row, col++, opts->names, s->stack_id);
			if (!err && !frames_only && opts->names && opts->names->user_stack) {
				const struct user_frame *uf;
				const char *what = NULL;

				trace_names__user_stack(opts->names, s->stack_id, &uf, &what);
				if (what)
					err = table_set_str(t, row, col, what);
				else
					table_set_null(t, row, col);
				col++;
			}
			if (frames_only)
				col++; /* frames_shown: set_frames_shown, over all rows */
			break;
		case GD_SIZE: err = table_set_uint(t, row, col++, s->size); break;
		case GD_PROCESS: err = table_set_uint(t, row, col++, s->tgid); break;
		case GD_COMM:
			err = table_set_str(t, row, col++, trace_names__string(opts->names, s->comm_id));
			break;
		case GD_CALLSITE:
			if (s->call_site)
				err = table_set_str(t, row, col, trace_names__frame(opts->names, s->call_site,
										    buf, sizeof(buf)));
			col++;
			break;
		case GD_FUNCTION:
			if (r->function)
				err = table_set_str(t, row, col, r->function);
			else if (r->function_ip)
				err = table_set_str(t, row, col, trace_names__function(opts->names,
						   r->function_ip, buf, sizeof(buf)));
			col++;
			break;
		case GD_CPU: err = table_set_uint(t, row, col++, s->cpu); break;
		case GD_UFUNC: err = table_set_str(t, row, col++, r->ufunction); break;
		case GD_COUNT: break;
		}
	}
	return err;
}

int group_table__build(const struct grouping *g, const struct group_opts *opts,
			struct table **out)
{
	struct table *t = table_new();
	int c_count, c_age, err = -ENOMEM;
	size_t i;

	if (!t)
		return -ENOMEM;
	c_count = add_dim_cols(t, opts, false);
	if (table_add_col(t, "Count", "count", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Bytes", "bytes", COL_UINT, COL_HUMAN_BYTES) < 0 ||
	    table_add_col(t, "Allocs", "allocs", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Frees", "frees", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Outstanding", "outstanding", COL_UINT, 0) < 0)
		goto out;
	c_age = table_add_col(t, "Oldest s", "oldest_age_s", COL_DOUBLE, 0);
	if (c_age < 0)
		goto out;
	table_set_precision(t, c_age, 1);
	for (i = 0; i < grouping__nrows(g); i++) {
		const struct group_row *r = grouping__row(g, i);
		int row = table_add_row(t);

		if (row < 0 || fill_dims(t, row, r, opts, false))
			goto out;
		table_set_uint(t, row, c_count, r->count);
		table_set_uint(t, row, c_count + 1, r->bytes);
		table_set_uint(t, row, c_count + 2, r->allocs);
		table_set_uint(t, row, c_count + 3, r->frees);
		table_set_uint(t, row, c_count + 4, r->outstanding);
		if (r->oldest_ns && opts->end_ns >= r->oldest_ns)
			table_set_double(t, row, c_age, (double)(opts->end_ns - r->oldest_ns) / 1e9);
	}
	*out = t;
	t = NULL;
	err = 0;
out:
	table_free(t);
	return err;
}

int group_table__sort(struct table *t, const char *spec)
{
	char key[64];
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	bool desc;
	int col;

	if (len >= sizeof(key))
		return -EINVAL;
	memcpy(key, spec, len);
	key[len] = '\0';
	if (strcmp(key, "process") == 0)
		strcpy(key, "pid");
	else if (strcmp(key, "stack") == 0)
		strcpy(key, "stack_id");
	col = table_col_find(t, key);
	if (col < 0)
		return -EINVAL;
	/* Numbers read best largest first, names alphabetically. */
	desc = !(strcmp(key, "type") == 0 || strcmp(key, "kind") == 0 || strcmp(key, "tag") == 0 ||
		 strcmp(key, "comm") == 0 || strcmp(key, "callsite") == 0 ||
		 strcmp(key, "function") == 0 || strcmp(key, "ufunc") == 0);
	if (colon) {
		if (strcmp(colon + 1, "asc") == 0)
			desc = false;
		else if (strcmp(colon + 1, "desc") == 0)
			desc = true;
		else
			return -EINVAL;
	}
	table_sort(t, col, desc);
	return 0;
}

/* The frames of one --diff row, as text (comparable across traces). */
struct row_frames {
	char **frame;
	int n;
};

static int row_frames_of(const struct group_diff_row *d, const struct group_opts *oa,
			 const struct group_opts *ob, struct row_frames *out)
{
	const struct group_opts *o = d->a ? oa : ob;
	const struct group_row *r = d->a ? d->a : d->b;
	const uint64_t *ips;
	int depth = trace_names__stack(o->names, r->site->stack_id, &ips), i;
	char buf[256];

	out->n = 0;
	out->frame = calloc(depth > 0 ? (size_t)depth : 1, sizeof(*out->frame));
	if (!out->frame)
		return -ENOMEM;
	for (i = 0; i < depth; i++) {
		out->frame[i] = strdup(trace_names__frame(o->names, ips[i], buf, sizeof(buf)));
		if (!out->frame[i])
			return -ENOMEM;
		out->n++;
	}
	return 0;
}

static int common_frames(const struct row_frames *x, const struct row_frames *y)
{
	int k = 0;

	while (k < x->n && k < y->n && strcmp(x->frame[k], y->frame[k]) == 0)
		k++;
	return k;
}

/* Stacks of one tag mostly share their innermost frames (the allocator):
 * a squeezed column would cut them all to the same text. The text column
 * starts at the first frame where a row differs from the row most like it,
 * "(+N)" saying how many frames it skipped. O(rows² × depth). */
static int set_frames_shown(struct table *t, int col, const struct group_diff_row *rows,
			    size_t n, const struct group_opts *oa, const struct group_opts *ob)
{
	struct row_frames *rf = calloc(n ? n : 1, sizeof(*rf));
	size_t i, j;
	int err = -ENOMEM, f;

	if (!rf)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (row_frames_of(&rows[i], oa, ob, &rf[i]))
			goto out;
	for (i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		int skip = 0;

		for (j = 0; j < n; j++) {
			int k = j == i ? 0 : common_frames(&rf[i], &rf[j]);

			if (k > skip)
				skip = k;
		}
		if (skip >= rf[i].n)
			skip = rf[i].n > 0 ? rf[i].n - 1 : 0;
		if (skip)
			strbuf_printf(&sb, "(+%d) ", skip);
		for (f = skip; f < rf[i].n; f++)
			strbuf_printf(&sb, "%s%s", f > skip ? "," : "", rf[i].frame[f]);
		if (rf[i].n)
			err = table_set_str(t, (int)i, col, strbuf_str(&sb));
		else
			err = 0;
		strbuf_release(&sb);
		if (err)
			goto out;
	}
	err = 0;
out:
	for (i = 0; i < n; i++) {
		for (f = 0; f < rf[i].n; f++)
			free(rf[i].frame[f]);
		free(rf[i].frame);
	}
	free(rf);
	return err;
}

int group_diff_table__build(const struct group_diff_row *rows, size_t n,
			     const struct group_opts *oa, const struct group_opts *ob,
			     struct table **out)
{
	struct table *t = table_new();
	int c0, err = -ENOMEM;
	size_t i;

	if (!t)
		goto out;
	c0 = add_dim_cols(t, oa, true);
	if (table_add_col(t, "Outst. A", "outstanding_a", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Outst. B", "outstanding_b", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Change", "change", COL_INT, COL_SIGNED) < 0 ||
	    table_add_col(t, "Bytes A", "bytes_a", COL_UINT, COL_HUMAN_BYTES) < 0 ||
	    table_add_col(t, "Bytes B", "bytes_b", COL_UINT, COL_HUMAN_BYTES) < 0 ||
	    table_add_col(t, "Bytes change", "bytes_change", COL_INT, COL_SIGNED | COL_HUMAN_BYTES) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct group_diff_row *d = &rows[i];
		int row = table_add_row(t);

		if (row < 0 || fill_dims(t, row, d->a ? d->a : d->b, d->a ? oa : ob, true))
			goto out;
		table_set_uint(t, row, c0, d->count_a);
		table_set_uint(t, row, c0 + 1, d->count_b);
		table_set_int(t, row, c0 + 2, (int64_t)d->count_b - (int64_t)d->count_a);
		table_set_uint(t, row, c0 + 3, d->bytes_a);
		table_set_uint(t, row, c0 + 4, d->bytes_b);
		table_set_int(t, row, c0 + 5, (int64_t)d->bytes_b - (int64_t)d->bytes_a);
	}
	if (table_col_find(t, "frames_shown") >= 0 &&
	    set_frames_shown(t, table_col_find(t, "frames_shown"), rows, n, oa, ob))
		goto out;
	table_sort(t, c0 + 2, true);
	*out = t;
	t = NULL;
	err = 0;
out:
	table_free(t);
	return err;
}

int group_diff_table__compare(const struct grouping *a, const struct group_opts *oa,
			      const struct grouping *b, const struct group_opts *ob,
			      struct table **out)
{
	struct group_diff_row *rows = NULL;
	size_t n = 0;
	int err = group__diff(a, oa, b, ob, &rows, &n);

	if (!err)
		err = group_diff_table__build(rows, n, oa, ob, out);
	free(rows);
	return err;
}
