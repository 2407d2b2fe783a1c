#include "output/report_render.h"

#include <errno.h>
#include <string.h>

#include "analysis/stacktree.h"
#include "output/folded.h"
#include "output/group_table.h"
#include "output/html.h"
#include "output/json.h"
#include "output/pprof.h"
#include "output/report_tables.h"
#include "output/table.h"

int report_format_parse(const char *s, enum report_format *f)
{
	static const char *const names[] = { "text", "csv", "json", "folded", "pprof", "html" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*f = (enum report_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *report_view_check(enum report_format format, bool diff, bool grouped, bool sorted)
{
	if (diff && (format == RF_FOLDED || format == RF_PPROF || format == RF_HTML))
		return "--diff writes text, csv or json";
	if (grouped && format == RF_PPROF)
		return "--group does not apply to -f pprof: its samples are per tag and stack, "
		       "labelled with pid and comm";
	/* Elsewhere --sort would be ignored without a word. */
	if (sorted && (diff || !(format == RF_CSV || format == RF_JSON ||
				 ((format == RF_TEXT || format == RF_HTML) && grouped))))
		return "--sort orders the group table: use it with --group, -f csv or -f json";
	return NULL;
}

static int render_table(FILE *out, const struct table *t, enum output_format fmt)
{
	struct table_render_opts opts = { .max_width = 100 };

	return table_render(t, fmt, out, &opts);
}

static void section(FILE *out, const char *title)
{
	fprintf(out, "\n%s\n", title);
}

static void print_summary(FILE *out, const struct trace_analysis *ta)
{
	char lines[REPORT_SUMMARY_MAX][REPORT_LINE_MAX];
	size_t n = report_summary_lines(ta, lines, REPORT_SUMMARY_MAX), i;

	for (i = 0; i < n; i++)
		fprintf(out, "%s\n", lines[i]);
}

static int write_json(FILE *out, const struct trace_analysis *ta, const struct table *rows,
		      const struct table *suspects, const struct table *held)
{
	struct json_writer *w = json_writer_new(out);

	if (!w)
		return -ENOMEM;
	json_begin_object(w);
	report_json_window(w, ta);
	report_json_totals(w, ta);
	json_key(w, "rows");
	table_render_json_rows(rows, w);
	json_key(w, "suspects");
	table_render_json_rows(suspects, w);
	json_key(w, "held");
	table_render_json_rows(held, w);
	report_json_frees_not_exact(w, ta);
	json_end_object(w);
	json_writer_free(w);
	fputc('\n', out);
	return 0;
}

/* Text with --group: the summary, the group table and its frames. */
static void write_grouped_text(FILE *out, const struct trace_analysis *ta,
			       const struct table *rows)
{
	struct shown_stacks seen = { .n = 0 };

	print_summary(out, ta);
	section(out, "Groups");
	render_table(out, rows, FMT_TEXT);
	section(out, "Frames");
	report_print_frames(out, ta, rows, &seen);
	if (seen.more)
		fprintf(out, "(frames of the other stacks above: -f json or -f csv)\n");
}

static int write_text(FILE *out, const struct trace_analysis *ta, const struct report_view *v,
		      const struct table *suspects, const struct table *held)
{
	struct table *tags = NULL, *stacks = NULL;
	struct shown_stacks seen = { .n = 0 };
	int err;

	err = report_tag_table(ta, v->top, &tags);
	if (!err)
		err = report_stacks_table(ta, v->top, &stacks);
	if (err)
		goto out;
	print_summary(out, ta);
	section(out, "Outstanding by tag (AIFO: allocated in the window, still there at its end)");
	render_table(out, tags, FMT_TEXT);
	fprintf(out, "(Outstanding over time: %s)\n", REPORT_SPARK_LEGEND);
	if (ta->ninexact)
		fprintf(out, "%s\n", REPORT_INEXACT_LEGEND);
	section(out, "Leak suspects (outstanding count grows steadily)");
	if (table_rows(suspects))
		render_table(out, suspects, FMT_TEXT);
	else if (table_rows(held))
		fprintf(out, "none grows steadily across the window: see the held ones below\n");
	else
		fprintf(out, "none: no tag or stack grows steadily across the window\n");
	if (table_rows(held)) {
		section(out, "Leak suspects held since long ago (allocated early in the window, "
			"never freed)");
		render_table(out, held, FMT_TEXT);
	}
	section(out, "Stacks per process (Allocs = Count Allocate, Frees = Count Free)");
	render_table(out, stacks, FMT_TEXT);
	section(out, "Frames (innermost first)");
	report_print_frames(out, ta, stacks, &seen);
	report_print_frames(out, ta, suspects, &seen);
	report_print_frames(out, ta, held, &seen);
	if (seen.more)
		fprintf(out, "(frames of the other stacks above: -f json, or --group stack -f csv)\n");
out:
	table_free(tags);
	table_free(stacks);
	return err;
}

static int render_tables(FILE *out, const struct trace_analysis *ta, const struct report_view *v)
{
	struct table *rows = NULL, *suspects = NULL, *held = NULL;
	int err = 0;

	if (v->format != RF_TEXT || v->grouped) {
		err = report_group_table(ta, v->dims, v->ndims, v->sort, v->top, &rows);
		if (err)
			goto out;
	}
	if (v->format == RF_CSV) {
		err = render_table(out, rows, FMT_CSV) ? -EIO : 0;
		goto out;
	}
	err = report_suspects_table(ta, v->top, &suspects);
	if (!err)
		err = report_held_table(ta, v->top, &held);
	if (err)
		goto out;
	if (v->format == RF_JSON)
		err = write_json(out, ta, rows, suspects, held);
	else if (rows)
		write_grouped_text(out, ta, rows);
	else
		err = write_text(out, ta, v, suspects, held);
out:
	table_free(rows);
	table_free(suspects);
	table_free(held);
	return err;
}

static int stack_grouping(const struct trace_analysis *ta, unsigned int classes,
			  struct group_opts *g, struct grouping **out)
{
	static const enum group_dim dims[] = { GD_TAG, GD_STACK };

	*g = trace_analysis__group_opts(ta, dims, 2, classes);
	return group__build(ta->outstanding, g, out);
}

/* Folded stacks of AIFO: by tag and stack, or with --group by its
 * dimensions (the stack added last when missing), each a level above the
 * outermost frame. */
static int render_folded(FILE *out, const struct trace_analysis *ta, const struct report_view *v)
{
	enum group_dim dims[GROUP_MAX_DIMS];
	struct grouping *g = NULL;
	struct stacktree *tree = NULL;
	struct group_opts go;
	int err, n = 0, i;

	if (v->grouped) {
		for (i = 0; i < v->ndims; i++)
			dims[n++] = v->dims[i];
		go = trace_analysis__group_opts(ta, dims, n, 1u << AC_AIFO);
		if (!group_opts__has_dim(&go, GD_STACK) && n < GROUP_MAX_DIMS) {
			dims[n++] = GD_STACK;
			go = trace_analysis__group_opts(ta, dims, n, 1u << AC_AIFO);
		}
		err = group__build(ta->outstanding, &go, &g);
	} else {
		err = stack_grouping(ta, 1u << AC_AIFO, &go, &g);
	}
	if (!err)
		err = stacktree__build(g, &go, &tree);
	if (!err) {
		stacktree__sort(tree);
		err = folded_write(out, tree);
	}
	stacktree__free(tree);
	grouping__free(g);
	return err;
}

/* One sample per tag, stack, process and comm, labelled with them. */
static int render_pprof(FILE *out, const struct trace_analysis *ta)
{
	static const enum group_dim dims[] = { GD_TAG, GD_STACK, GD_PROCESS, GD_COMM };
	struct group_opts go = trace_analysis__group_opts(ta, dims, 4, TA_ALL_CLASSES);
	struct grouping *g = NULL;
	int err;

	err = group__build(ta->outstanding, &go, &g);
	if (!err)
		err = pprof_write(out, g, &go, ta->hdr->start_realtime_ns +
				  (ta->from_ns - ta->hdr->start_ns), ta->end_ns - ta->from_ns);
	grouping__free(g);
	return err;
}

#define HTML_SERIES 6

/* The top tags by AIFO (the tag table's order) get a line each. */
static size_t html_series(const struct trace_analysis *ta, const struct table *tags,
			  struct svg_series *series, int64_t (*values)[TREND_MAX_BUCKETS])
{
	size_t i, n = 0, nb = trend__nbuckets(ta->trend);

	for (i = 0; i < (size_t)table_rows(tags) && n < HTML_SERIES; i++) {
		const char *tag = table_get_str(tags, (int)i, 0);
		size_t k;

		for (k = 0; k < trend__nseries(ta->trend); k++) {
			const struct trend_series *s = trend__series(ta->trend, k);

			if (s->key == TREND_TAG &&
			    strcmp(trace_names__string(&ta->names, s->tag_id), tag) == 0) {
				trend_series__outstanding(s, nb, values[n], NULL);
				series[n] = (struct svg_series){ tag, values[n], nb };
				n++;
				break;
			}
		}
	}
	return n;
}

static int render_html(FILE *out, const struct trace_analysis *ta, const struct report_view *v)
{
	struct table *tags = NULL, *suspects = NULL, *held = NULL, *stacks = NULL, *rows = NULL;
	struct grouping *g = NULL;
	struct stacktree *tree = NULL;
	struct group_opts go;
	struct html_section_table sections[5];
	struct svg_series series[HTML_SERIES];
	int64_t values[HTML_SERIES][TREND_MAX_BUCKETS];
	char lines[REPORT_SUMMARY_MAX][REPORT_LINE_MAX], title[300];
	const char *summary[REPORT_SUMMARY_MAX];
	struct html_report hr = { 0 };
	/* The frames of the stacks the tables show, as text shows them. */
	struct report_stack frames[REPORT_FRAMES_SHOWN];
	struct shown_stacks seen = { .n = 0 };
	size_t n, i, nsec = 0;
	int err, nframes = 0, got;

	err = report_tag_table(ta, v->top, &tags);
	err = err ?: report_suspects_table(ta, v->top, &suspects);
	err = err ?: report_held_table(ta, v->top, &held);
	err = err ?: report_stacks_table(ta, v->top, &stacks);
	err = err ?: stack_grouping(ta, 1u << AC_AIFO, &go, &g);
	err = err ?: stacktree__build(g, &go, &tree);
	if (!err && v->grouped)
		err = report_group_table(ta, v->dims, v->ndims, v->sort, v->top, &rows);
	if (err)
		goto out;
	for (i = 0; i < 3; i++) {
		const struct table *t = i == 0 ? stacks : i == 1 ? suspects : held;

		got = report_collect_stacks(ta, t, &seen, frames + nframes);
		if (got < 0) {
			err = got;
			goto out;
		}
		nframes += got;
	}
	stacktree__sort(tree);
	n = report_summary_lines(ta, lines, REPORT_SUMMARY_MAX);
	for (i = 0; i < n; i++)
		summary[i] = lines[i];
	hr.nseries = html_series(ta, tags, series, values);
	snprintf(title, sizeof(title), "poolscope report: %s", ta->path);
	sections[nsec++] = (struct html_section_table){ "Outstanding by tag", tags };
	sections[nsec++] = (struct html_section_table){ "Leak suspects", suspects };
	if (table_rows(held))
		sections[nsec++] = (struct html_section_table){ "Leak suspects held since long ago",
								held };
	sections[nsec++] = (struct html_section_table){ "Stacks per process", stacks };
	if (rows)
		sections[nsec++] = (struct html_section_table){ "Groups", rows };
	hr.title = title;
	hr.summary = summary;
	hr.nsummary = n;
	hr.series = series;
	/* The window's length: the series span it (trend__extend). */
	hr.duration_s = (double)(ta->end_ns - ta->from_ns) / 1e9;
	hr.flame = tree;
	hr.tables = sections;
	hr.ntables = nsec;
	hr.stacks = frames;
	hr.nstacks = (size_t)nframes;
	err = html_write(out, &hr);
out:
	report_stacks_release(frames, nframes);
	stacktree__free(tree);
	grouping__free(g);
	table_free(tags);
	table_free(suspects);
	table_free(held);
	table_free(stacks);
	table_free(rows);
	return err;
}

int report_render(FILE *out, const struct trace_analysis *ta, const struct report_view *v)
{
	switch (v->format) {
	case RF_FOLDED:
		return render_folded(out, ta, v);
	case RF_PPROF:
		return render_pprof(out, ta);
	case RF_HTML:
		return render_html(out, ta, v);
	default:
		return render_tables(out, ta, v);
	}
}

/* Outstanding per key of dims in A and B, as a diff table. */
static int diff_table(const struct trace_analysis *a, const struct trace_analysis *b,
		      const enum group_dim *dims, int ndims, struct table **out)
{
	struct group_opts oa = trace_analysis__group_opts(a, dims, ndims, TA_ALL_CLASSES);
	struct group_opts ob = trace_analysis__group_opts(b, dims, ndims, TA_ALL_CLASSES);
	struct grouping *ga = NULL, *gb = NULL;
	int err;

	err = group__build(a->outstanding, &oa, &ga);
	err = err ?: group__build(b->outstanding, &ob, &gb);
	err = err ?: group_diff_table__compare(ga, &oa, gb, &ob, out);
	grouping__free(ga);
	grouping__free(gb);
	return err;
}

int report_render_diff(FILE *out, const struct trace_analysis *a, const struct trace_analysis *b,
		       const struct report_view *v)
{
	static const enum group_dim by_stack[] = { GD_TAG, GD_STACK };
	struct table *tags = NULL, *stacks = NULL;
	struct json_writer *w;
	int err;

	err = diff_table(a, b, v->dims, v->ndims, &tags);
	err = err ?: diff_table(a, b, by_stack, 2, &stacks);
	if (err)
		goto out;
	if (v->top > 0) {
		table_truncate(tags, v->top);
		table_truncate(stacks, v->top);
	}
	switch (v->format) {
	case RF_CSV:
		err = render_table(out, tags, FMT_CSV) ? -EIO : 0;
		break;
	case RF_JSON:
		w = json_writer_new(out);
		if (!w) {
			err = -ENOMEM;
			break;
		}
		json_begin_object(w);
		json_kv_string(w, "a", a->path);
		json_kv_string(w, "b", b->path);
		json_key(w, "rows");
		table_render_json_rows(tags, w);
		json_key(w, "stacks");
		table_render_json_rows(stacks, w);
		json_end_object(w);
		json_writer_free(w);
		fputc('\n', out);
		break;
	default:
		fprintf(out, "Diff: A = %s, B = %s (outstanding at each window's end)\n", a->path,
			b->path);
		section(out, "By group");
		render_table(out, tags, FMT_TEXT);
		section(out, "By tag and stack (frames innermost first)");
		render_table(out, stacks, FMT_TEXT);
	}
out:
	table_free(tags);
	table_free(stacks);
	return err;
}
