#include "output/report_tables.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/group_table.h"
#include "output/json.h"
#include "output/table.h"
#include "util/parse.h"
#include "util/timeutil.h"

static const char spark_levels[] = " .:-=+*#%@";

void report_sparkline(const int64_t *v, size_t n, char *out, size_t width)
{
	int64_t max = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	if (n == 0) {
		out[0] = '\0';
		return;
	}
	if (width > n)
		width = n;
	for (i = 0; i < width; i++) {
		size_t at = (i + 1) * n / width - 1;
		int64_t y = v[at] > 0 ? v[at] : 0;

		out[i] = spark_levels[max ? (size_t)(y * 9 / max) : 0];
	}
	out[width] = '\0';
}

/* The tag's name, " !" after it when its frees are not exact (as record's
 * summary marks it; the legend under the tag table says why). */
static const char *tag_label(const struct trace_analysis *ta, uint32_t tag_id, char *buf,
			     size_t len)
{
	const char *name = trace_names__string(&ta->names, tag_id);

	if (trace_analysis__frees_exact(ta, tag_id))
		return name;
	snprintf(buf, len, "%s !", name);
	return buf;
}

/* The sparkline of one trend series into column col of row. */
static void set_spark(struct table *t, int row, int col, const struct trend *trend,
		      const struct trend_series *s)
{
	int64_t series[TREND_MAX_BUCKETS];
	size_t nb = trend__nbuckets(trend);
	char spark[24];

	if (!s || !nb)
		return;
	trend_series__outstanding(s, nb, series, NULL);
	report_sparkline(series, nb, spark, 16);
	table_set_str(t, row, col, spark);
}

/* The other names of a merged tag's cache (as top's Merged column):
 * how many, into others (at most max). */
static int merged_others(const struct trace_analysis *ta, const char *tag, const char **others,
			 int max)
{
	const char *const *names;
	int n = ta->merged_names ? ta->merged_names(ta->merged_names_ctx, tag, &names) : 0, i, k = 0;

	for (i = 0; i < n && k < max; i++)
		if (strcmp(names[i], tag))
			others[k++] = names[i];
	return k;
}

/* Does any tag of the table have merged names? Only then the column. */
static bool any_merged(const struct trace_analysis *ta)
{
	const char *others[1];
	size_t i;

	for (i = 0; i < ta->ntags; i++)
		if (merged_others(ta, trace_names__string(&ta->names, ta->tags[i].tag_id), others, 1))
			return true;
	return false;
}

int report_tag_table(const struct trace_analysis *ta, int top, struct table **out)
{
	struct table *t = table_new();
	int err = -ENOMEM, c, merged = -1;
	size_t i;

	if (!t)
		goto out;
	/* A merged cache is named by one of its names in the trace: say the
	 * others, or damon_region reads as ftrace_event_field. */
	if (any_merged(ta)) {
		if (table_add_col(t, "Tag", "tag", COL_STR, 0) < 0 ||
		    (merged = table_add_col(t, "Merged", "merged", COL_STRLIST, COL_SQUEEZE)) < 0)
			goto out;
	} else if (table_add_col(t, "Tag", "tag", COL_STR, COL_SQUEEZE) < 0) {
		goto out;
	}
	if (table_add_col(t, "AIFO", "aifo", COL_UINT, 0) < 0 ||
	    table_add_col(t, "AIFO bytes", "aifo_bytes", COL_UINT, COL_HUMAN_BYTES) < 0 ||
	    table_add_col(t, "AIFI", "aifi", COL_UINT, 0) < 0 ||
	    table_add_col(t, "AOFI", "aofi", COL_UINT, 0) < 0 ||
	    table_add_col(t, "AOFO", "aofo", COL_UINT, 0) < 0 ||
	    (c = table_add_col(t, "Oldest s", "oldest_age_s", COL_DOUBLE, 0)) < 0 ||
	    table_add_col(t, "Outstanding over time", "trend", COL_STR, COL_JSON_HIDDEN) < 0)
		goto out;
	table_set_precision(t, c, 1);
	for (i = 0; i < ta->ntags; i++) {
		const struct tag_totals *tt = &ta->tags[i];
		const char *name = trace_names__string(&ta->names, tt->tag_id), *others[64];
		int row = table_add_row(t), k = c - 5; /* the AIFO column */
		char label[300];

		if (row < 0)
			goto out;
		table_set_str(t, row, 0, tag_label(ta, tt->tag_id, label, sizeof(label)));
		if (merged >= 0 &&
		    table_set_list(t, row, merged, others, merged_others(ta, name, others, 64)))
			goto out;
		table_set_uint(t, row, k, tt->count[AC_AIFO]);
		table_set_uint(t, row, k + 1, tt->bytes[AC_AIFO]);
		table_set_uint(t, row, k + 2, tt->count[AC_AIFI]);
		table_set_uint(t, row, k + 3, tt->count[AC_AOFI]);
		table_set_uint(t, row, k + 4, tt->count[AC_AOFO]);
		if (tt->oldest_ns)
			table_set_double(t, row, c, (double)(ta->end_ns - tt->oldest_ns) / 1e9);
		set_spark(t, row, c + 1, ta->trend, trend__tag_series(ta->trend, tt->tag_id));
	}
	/* Ties by name keep the output stable run to run. */
	table_sort(t, 0, false);
	table_sort(t, c - 5, true);
	if (top > 0)
		table_truncate(t, top);
	*out = t;
	t = NULL;
	err = 0;
out:
	table_free(t);
	return err;
}

static const struct trend_series *series_of(const struct trend *trend,
					    const struct leak_suspect *ls)
{
	size_t k;

	for (k = 0; k < trend__nseries(trend); k++) {
		const struct trend_series *s = trend__series(trend, k);

		if (s->key == ls->key && s->tag_id == ls->tag_id && s->stack_id == ls->stack_id)
			return s;
	}
	return NULL;
}

int report_suspects_table(const struct trace_analysis *ta, int top, struct table **out)
{
	struct table *t = table_new();
	bool budget = ta->names.stack_budget;
	int err = -ENOMEM, c, est = -1;
	size_t i;

	if (!t)
		goto out;
	if (table_add_col(t, "Tag", "tag", COL_STR, COL_SQUEEZE) < 0 ||
	    table_add_col(t, "Stack", "stack_id", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Frames", "stack", COL_STRLIST, COL_TEXT_HIDDEN) < 0 ||
	    (c = table_add_col(t, "Growth/s", "slope_per_s", COL_DOUBLE, 0)) < 0 ||
	    table_add_col(t, "R2", "r2", COL_DOUBLE, 0) < 0 ||
	    table_add_col(t, "Rising", "rising", COL_DOUBLE, 0) < 0 ||
	    table_add_col(t, "AIFO", "aifo", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Share", "share", COL_DOUBLE, 0) < 0 ||
	    table_add_col(t, "Oldest s", "oldest_age_s", COL_DOUBLE, 0) < 0 ||
	    table_add_col(t, "Outstanding over time", "trend", COL_STR, COL_JSON_HIDDEN) < 0)
		goto out;
	/* Last, so the other columns keep their places: see group_table.c. */
	if (budget && (est = table_add_col(t, "Est", "stack_estimate", COL_JSON, 0)) < 0)
		goto out;
	table_set_precision(t, c, 1);
	table_set_precision(t, c + 5, 1);
	for (i = 0; i < ta->nsuspects && (top <= 0 || (int)i < top); i++) {
		const struct leak_suspect *ls = &ta->suspects[i];
		int row = table_add_row(t);
		char label[300];

		if (row < 0)
			goto out;
		table_set_str(t, row, 0, tag_label(ta, ls->tag_id, label, sizeof(label)));
		if (ls->key == TREND_STACK) {
			table_set_uint(t, row, 1, ls->stack_id);
			if (group_table__set_frames(t, row, 2, &ta->names, ls->stack_id))
				goto out;
		}
		if (est >= 0) {
			bool e = ls->key == TREND_STACK &&
				 trace_names__stack_estimated(&ta->names, ls->stack_id);

			if (table_set_json(t, row, est, e ? "true" : "false", e ? "~" : ""))
				goto out;
		}
		table_set_double(t, row, 3, ls->slope_per_s);
		table_set_double(t, row, 4, ls->r2);
		table_set_double(t, row, 5, ls->rising);
		table_set_uint(t, row, 6, ls->aifo);
		table_set_double(t, row, 7, ls->share);
		table_set_double(t, row, 8, (double)ls->oldest_age_ns / 1e9);
		set_spark(t, row, 9, ta->trend, series_of(ta->trend, ls));
	}
	*out = t;
	t = NULL;
	err = 0;
out:
	table_free(t);
	return err;
}

int report_held_table(const struct trace_analysis *ta, int top, struct table **out)
{
	struct table *t = table_new();
	int err = -ENOMEM, c;
	size_t i;

	if (!t)
		goto out;
	if (table_add_col(t, "Tag", "tag", COL_STR, COL_SQUEEZE) < 0 ||
	    table_add_col(t, "Stack", "stack_id", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Frames", "stack", COL_STRLIST, COL_TEXT_HIDDEN) < 0 ||
	    table_add_col(t, "AIFO", "aifo", COL_UINT, 0) < 0 ||
	    table_add_col(t, "AIFO bytes", "aifo_bytes", COL_UINT, COL_HUMAN_BYTES) < 0 ||
	    (c = table_add_col(t, "Held since s", "held_since_s", COL_DOUBLE, 0)) < 0 ||
	    table_add_col(t, "Oldest s", "oldest_age_s", COL_DOUBLE, 0) < 0 ||
	    table_add_col(t, "Share", "share", COL_DOUBLE, 0) < 0 ||
	    table_add_col(t, "Outstanding over time", "trend", COL_STR, COL_JSON_HIDDEN) < 0)
		goto out;
	table_set_precision(t, c, 3);
	table_set_precision(t, c + 1, 1);
	for (i = 0; i < ta->nheld && (top <= 0 || (int)i < top); i++) {
		const struct leak_suspect *ls = &ta->held[i];
		int row = table_add_row(t);
		char label[300];

		if (row < 0)
			goto out;
		table_set_str(t, row, 0, tag_label(ta, ls->tag_id, label, sizeof(label)));
		if (ls->key == TREND_STACK) {
			table_set_uint(t, row, 1, ls->stack_id);
			if (group_table__set_frames(t, row, 2, &ta->names, ls->stack_id))
				goto out;
		}
		table_set_uint(t, row, 3, ls->aifo);
		table_set_uint(t, row, 4, ls->aifo_bytes);
		table_set_double(t, row, 5, trace_analysis__rel_s(ta, ls->held_since_ns));
		table_set_double(t, row, 6, (double)ls->oldest_age_ns / 1e9);
		table_set_double(t, row, 7, ls->share);
		set_spark(t, row, 8, ta->trend, series_of(ta->trend, ls));
	}
	*out = t;
	t = NULL;
	err = 0;
out:
	table_free(t);
	return err;
}

int report_stacks_table(const struct trace_analysis *ta, int top, struct table **out)
{
	static const enum group_dim dims[] = { GD_PROCESS, GD_COMM, GD_TAG, GD_STACK };
	struct group_opts g = trace_analysis__group_opts(ta, dims, 4, TA_ALL_CLASSES);
	struct grouping *grouping = NULL;
	int err;

	err = group__build(ta->outstanding, &g, &grouping);
	if (!err)
		err = group_table__build(grouping, &g, out);
	grouping__free(grouping);
	if (err)
		return err;
	/* Most outstanding first, then most allocations: frees of objects
	 * allocated before the trace (no stack) sink to the bottom. */
	table_sort(*out, table_col_find(*out, "allocs"), true);
	table_sort(*out, table_col_find(*out, "outstanding"), true);
	if (top > 0)
		table_truncate(*out, top);
	return 0;
}

int report_group_table(const struct trace_analysis *ta, const enum group_dim *dims, int ndims,
		       const char *sort, int top, struct table **out)
{
	struct group_opts go = trace_analysis__group_opts(ta, dims, ndims, TA_ALL_CLASSES);
	struct grouping *g = NULL;
	struct table *t = NULL;
	int err;

	err = group__build(ta->outstanding, &go, &g);
	if (!err)
		err = group_table__build(g, &go, &t);
	grouping__free(g);
	if (!err)
		err = group_table__sort(t, sort ? sort : "count");
	if (err) {
		table_free(t);
		return err;
	}
	if (top > 0)
		table_truncate(t, top);
	*out = t;
	return 0;
}

int report_collect_stacks(const struct trace_analysis *ta, const struct table *t,
			  struct shown_stacks *seen, struct report_stack *out)
{
	int col = table_col_find(t, "stack_id"), r, k, n = 0;

	if (col < 0)
		return 0;
	for (r = 0; r < table_rows(t); r++) {
		struct report_stack *s = &out[n];
		const uint64_t *ips;
		uint32_t id;
		int f;

		if (table_is_null(t, r, col))
			continue;
		id = (uint32_t)table_get_uint(t, r, col);
		for (k = 0; k < seen->n; k++)
			if (seen->ids[k] == id)
				break;
		if (k < seen->n)
			continue;
		/* Readable without a pager: the first few stacks in full. */
		if (seen->n == REPORT_FRAMES_SHOWN) {
			seen->more++;
			continue;
		}
		*s = (struct report_stack){ .id = id };
		s->nkernel = trace_names__stack(&ta->names, id, &ips);
		if (s->nkernel < 0)
			s->nkernel = 0;
		s->kernel = calloc(s->nkernel ? (size_t)s->nkernel : 1, sizeof(*s->kernel));
		if (!s->kernel) {
			report_stacks_release(out, n);
			return -ENOMEM;
		}
		for (f = 0; f < s->nkernel; f++)
			trace_names__frame(&ta->names, ips[f], s->kernel[f], sizeof(s->kernel[f]));
		s->nuser = trace_names__user_stack(&ta->names, id, &s->user, &s->user_what);
		if (s->nuser < 0)
			s->nuser = 0;
		s->estimated = trace_names__stack_estimated(&ta->names, id);
		seen->ids[seen->n++] = id;
		n++;
	}
	return n;
}

void report_stacks_release(struct report_stack *s, int n)
{
	for (int i = 0; i < n; i++)
		free(s[i].kernel);
}

void report_print_frames(FILE *out, const struct trace_analysis *ta, const struct table *t,
			 struct shown_stacks *seen)
{
	struct report_stack stacks[REPORT_FRAMES_SHOWN];
	int n = report_collect_stacks(ta, t, seen, stacks), i, f;

	for (i = 0; i < n; i++) {
		const struct report_stack *s = &stacks[i];

		if (s->estimated)
			fprintf(out, "Stack %u (~ also stands for its path's unwalked allocations: "
				     "its figures are estimates, the path's total is exact):\n", s->id);
		else
			fprintf(out, "Stack %u:\n", s->id);
		for (f = 0; f < s->nkernel; f++)
			fprintf(out, "    %s\n", s->kernel[f]);
		/* --user-stacks: the user frames below the kernel ones, after a
		 * line that says what they are. */
		if (s->user_what)
			fprintf(out, "    -- user space: %s --\n", s->user_what);
		for (f = 0; f < s->nuser; f++)
			fprintf(out, "    %s\n", s->user[f].frame);
		if (s->nkernel == 0 && s->nuser == 0)
			fprintf(out, "    (frames not in the trace)\n");
	}
	report_stacks_release(stacks, n);
}

size_t report_summary_lines(const struct trace_analysis *ta, char lines[][REPORT_LINE_MAX],
			    size_t max)
{
	const struct outstanding_totals *t = &ta->totals;
	const struct trace_header *h = ta->hdr;
	double from_s = trace_analysis__rel_s(ta, ta->from_ns), end_s = trace_analysis__rel_s(ta, ta->end_ns);
	char when[64], b[32], age[32];
	size_t n = 0;

	format_iso8601(h->start_realtime_ns, when, sizeof(when));
	snprintf(lines[n++], REPORT_LINE_MAX, "Trace: %.400s  (host %s, kernel %s, started %s)",
		 ta->path, h->hostname, h->kernel_release, when);
	if (h->stacks && h->stack_rate)
		snprintf(lines[n++], REPORT_LINE_MAX, "Mode: %s, stacks on a budget (%u per second "
			 "per path per CPU after its first; counts per path exact, ~ marks per-stack "
			 "estimates)", h->aggregate ? "aggregate" : "events", h->stack_rate);
	else if (h->stacks && h->sample_every > 1)
		snprintf(lines[n++], REPORT_LINE_MAX, "Mode: %s, stacks on (1 event in %u)",
			 h->aggregate ? "aggregate" : "events", h->sample_every);
	else
		snprintf(lines[n++], REPORT_LINE_MAX, "Mode: %s, stacks %s",
			 h->aggregate ? "aggregate" : "events", h->stacks ? "on" : "off");
	snprintf(lines[n++], REPORT_LINE_MAX, "Window: %.3f s to %.3f s (%.3f s); %" PRIu64
		 " records: %" PRIu64 " allocs, %" PRIu64 " frees", from_s, end_s, end_s - from_s,
		 t->records, t->allocs, t->frees);
	if (t->oldest_ns && ta->end_ns >= t->oldest_ns)
		snprintf(age, sizeof(age), "%.1f s", (double)(ta->end_ns - t->oldest_ns) / 1e9);
	else
		snprintf(age, sizeof(age), "-");
	snprintf(lines[n++], REPORT_LINE_MAX, "Outstanding at the end: AIFO %" PRIu64 " (%s), AOFO %"
		 PRIu64 "; AIFI %" PRIu64 ", AOFI %" PRIu64 "; oldest %s", t->count[AC_AIFO],
		 format_bytes(t->bytes[AC_AIFO], b, sizeof(b)), t->count[AC_AOFO], t->count[AC_AIFI],
		 t->count[AC_AOFI], age);
	if (n < max && (t->lost_ringbuf || t->lost_map || t->lost_misses))
		snprintf(lines[n++], REPORT_LINE_MAX, "WARNING: events lost while recording: %" PRIu64
			 " ring buffer full, %" PRIu64 " map full, %" PRIu64 " BPF recursion misses"
			 " (lost frees show as outstanding)", t->lost_ringbuf, t->lost_map,
			 t->lost_misses);
	if (n < max && ta->truncated)
		snprintf(lines[n++], REPORT_LINE_MAX, "WARNING: the trace was cut off: read up to its "
			 "last complete chunk");
	if (n < max && t->reused_ptrs)
		snprintf(lines[n++], REPORT_LINE_MAX, "Note: %" PRIu64 " allocations reused a live "
			 "address (their frees were not recorded)", t->reused_ptrs);
	if (n < max && ta->ring && ta->ring_complete_ns)
		snprintf(lines[n++], REPORT_LINE_MAX, "Note: flight-recorder (--ring) trace: complete "
			 "from %.3f s (older events were overwritten)",
			 trace_analysis__rel_s(ta, ta->ring_complete_ns));
	if (n < max && h->aggregate)
		snprintf(lines[n++], REPORT_LINE_MAX, "Note: aggregate trace: classes are estimated "
			 "from snapshots at the window's ends");
	return n;
}

void report_json_frees_not_exact(struct json_writer *w, const struct trace_analysis *ta)
{
	size_t i;

	json_key(w, "frees_not_exact");
	json_begin_array(w);
	for (i = 0; i < ta->ntags; i++)
		if (!ta->tags[i].frees_exact)
			json_string(w, trace_names__string(&ta->names, ta->tags[i].tag_id));
	json_end_array(w);
}

void report_json_window(struct json_writer *w, const struct trace_analysis *ta)
{
	json_key(w, "window");
	json_begin_object(w);
	json_kv_double(w, "from_s", trace_analysis__rel_s(ta, ta->from_ns));
	json_kv_double(w, "to_s", trace_analysis__rel_s(ta, ta->end_ns));
	json_kv_uint(w, "from_ns", ta->from_ns);
	json_kv_uint(w, "to_ns", ta->end_ns);
	json_kv_string(w, "trace", ta->path);
	if (ta->ring && ta->ring_complete_ns)
		json_kv_double(w, "complete_from_s", trace_analysis__rel_s(ta, ta->ring_complete_ns));
	/* Recorded on the stack budget: rows' stack_estimate says which
	 * per-stack figures are estimates. Absent for other traces. */
	if (ta->hdr->stacks && ta->hdr->stack_rate)
		json_kv_uint(w, "stack_rate", ta->hdr->stack_rate);
	json_end_object(w);
}

void report_json_totals(struct json_writer *w, const struct trace_analysis *ta)
{
	const struct outstanding_totals *t = &ta->totals;
	int c;

	json_key(w, "totals");
	json_begin_object(w);
	for (c = 0; c < AC_COUNT; c++) {
		char key[32];
		int i;

		snprintf(key, sizeof(key), "%s", alloc_class_name((enum alloc_class)c));
		for (i = 0; key[i]; i++)
			key[i] = (char)(key[i] | 0x20);
		json_kv_uint(w, key, t->count[c]);
		strcat(key, "_bytes");
		json_kv_uint(w, key, t->bytes[c]);
	}
	json_kv_uint(w, "records", t->records);
	json_kv_uint(w, "allocs", t->allocs);
	json_kv_uint(w, "frees", t->frees);
	json_kv_uint(w, "unmatched_frees", t->unmatched_frees);
	json_kv_uint(w, "lost_ringbuf", t->lost_ringbuf);
	json_kv_uint(w, "lost_map", t->lost_map);
	json_kv_uint(w, "lost_bpf_misses", t->lost_misses);
	json_kv_bool(w, "truncated", ta->truncated);
	if (t->oldest_ns && ta->end_ns >= t->oldest_ns)
		json_kv_double(w, "oldest_age_s", (double)(ta->end_ns - t->oldest_ns) / 1e9);
	json_end_object(w);
}
