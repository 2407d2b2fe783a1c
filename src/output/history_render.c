#include "output/history_render.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/history.h"
#include "model/series.h"
#include "output/html.h"
#include "output/json.h"
#include "output/report_tables.h"
#include "util/timeutil.h"

#define SPARK_WIDTH 32
#define HTML_MAX_SERIES 12
#define HTML_POINTS 300

static const char *when(double t_s, char *buf, size_t len)
{
	return format_iso8601((uint64_t)(t_s * 1e9), buf, (unsigned int)len);
}

/* A sparkline of the series between its own min and max. */
static void spark(const struct series *s, char *out)
{
	int64_t *v = malloc((s->n ? s->n : 1) * sizeof(*v));
	double lo = INFINITY, hi = -INFINITY;
	size_t i;

	out[0] = '\0';
	if (!v)
		return;
	for (i = 0; i < s->n; i++) {
		lo = fmin(lo, s->v[i]);
		hi = fmax(hi, s->v[i]);
	}
	for (i = 0; i < s->n; i++)
		v[i] = hi > lo ? (int64_t)((s->v[i] - lo) * 1000 / (hi - lo)) : 0;
	report_sparkline(v, s->n, out, SPARK_WIDTH);
	free(v);
}

static int render_table(const struct history_view *v, enum output_format fmt, FILE *out)
{
	struct table *t = table_new();
	size_t i, n = series_set_count(v->set);
	char a[40], b[40], sp[SPARK_WIDTH + 1];
	int c_name, c_from, c_to, c_first, c_last, c_min, c_max, c_spark, err = 0;

	if (!t)
		return -ENOMEM;
	c_name = table_add_col(t, "Series", "series", COL_STR, 0);
	c_from = table_add_col(t, "From", "from", COL_STR, 0);
	c_to = table_add_col(t, "To", "to", COL_STR, 0);
	c_first = table_add_col(t, "First", "first", COL_DOUBLE, 0);
	c_last = table_add_col(t, "Last", "last", COL_DOUBLE, 0);
	c_min = table_add_col(t, "Min", "min", COL_DOUBLE, 0);
	c_max = table_add_col(t, "Max", "max", COL_DOUBLE, 0);
	c_spark = table_add_col(t, "Over time", "spark", COL_STR, 0);
	for (i = 0; i < n && !err; i++) {
		const struct series *s = series_set_at(v->set, i);
		double lo = INFINITY, hi = -INFINITY;
		size_t k;
		int row;

		if (!s->n)
			continue;
		for (k = 0; k < s->n; k++) {
			lo = fmin(lo, s->v[k]);
			hi = fmax(hi, s->v[k]);
		}
		row = table_add_row(t);
		if (row < 0) {
			err = -ENOMEM;
			break;
		}
		spark(s, sp);
		table_set_str(t, row, c_name, s->name);
		table_set_str(t, row, c_from, when(s->t[0], a, sizeof(a)));
		table_set_str(t, row, c_to, when(s->t[s->n - 1], b, sizeof(b)));
		table_set_double(t, row, c_first, s->v[0]);
		table_set_double(t, row, c_last, s->v[s->n - 1]);
		table_set_double(t, row, c_min, lo);
		table_set_double(t, row, c_max, hi);
		table_set_str(t, row, c_spark, sp);
	}
	for (i = 0; i < 4; i++)
		table_set_precision(t, c_first + (int)i, 0);
	if (!err)
		err = table_render(t, fmt, out, NULL);
	table_free(t);
	return err;
}

static void render_events_text(const struct history_view *v, FILE *out)
{
	char t[40];
	size_t i;

	if (!v->nevents)
		return;
	fprintf(out, "\nEvents:\n");
	for (i = 0; i < v->nevents; i++) {
		const struct history_event *e = &v->events[i];

		fprintf(out, "  %s  %-9s ", format_iso8601((uint64_t)e->ts_ms * 1000000, t, sizeof(t)),
			e->kind);
		/* The body is JSON: its strings are escaped already. */
		fprintf(out, "%.400s%s\n", e->json, strlen(e->json) > 400 ? " ..." : "");
	}
}

static void render_json(const struct history_view *v, FILE *out)
{
	struct json_writer *w = json_writer_new(out);
	size_t i, k, n = series_set_count(v->set);

	if (!w)
		return;
	json_begin_object(w);
	json_key(w, "boot");
	if (v->boot) {
		json_begin_object(w);
		json_kv_int(w, "index", v->boot_index);
		json_kv_string(w, "boot_id", v->boot->boot_id);
		json_kv_double(w, "start_s", (double)v->boot->start_ms / 1000);
		json_end_object(w);
	} else {
		json_null(w);
	}
	json_key(w, "series");
	json_begin_array(w);
	for (i = 0; i < n; i++) {
		const struct series *s = series_set_at(v->set, i);

		json_begin_object(w);
		json_kv_string(w, "name", s->name);
		json_key(w, "points");
		json_begin_array(w);
		for (k = 0; k < s->n; k++) {
			json_begin_array(w);
			json_double(w, s->t[k]);
			json_double(w, s->v[k]);
			json_end_array(w);
		}
		json_end_array(w);
		json_end_object(w);
	}
	json_end_array(w);
	json_key(w, "events");
	json_begin_array(w);
	for (i = 0; i < v->nevents; i++) {
		json_begin_object(w);
		json_kv_double(w, "time", (double)v->events[i].ts_ms / 1000);
		json_kv_string(w, "kind", v->events[i].kind);
		json_key(w, "body");
		json_raw(w, v->events[i].json);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
	json_writer_free(w);
	fputc('\n', out);
}

static void render_csv(const struct history_view *v, FILE *out)
{
	size_t i, k, n = series_set_count(v->set);
	char t[40];

	fprintf(out, "series,time,value\n");
	for (i = 0; i < n; i++) {
		const struct series *s = series_set_at(v->set, i);

		for (k = 0; k < s->n; k++) {
			/* Names are ours or the kernel's: quote them as CSV does. */
			fputc('"', out);
			for (const char *p = s->name; *p; p++) {
				if (*p == '"')
					fputc('"', out);
				fputc(*p, out);
			}
			fprintf(out, "\",%s,%.17g\n", when(s->t[k], t, sizeof(t)), s->v[k]);
		}
	}
}

int history_render(const struct history_view *v, enum output_format fmt, FILE *out)
{
	int err = 0;

	if (fmt == FMT_JSON)
		render_json(v, out);
	else if (fmt == FMT_CSV)
		render_csv(v, out);
	else {
		if (v->boot) {
			char t[40];

			fprintf(out, "boot %d (%s), up since %s\n", v->boot_index, v->boot->boot_id,
				when((double)v->boot->start_ms / 1000, t, sizeof(t)));
		}
		err = render_table(v, FMT_TEXT, out);
		render_events_text(v, out);
	}
	return err ? err : ferror(out) ? -EIO : 0;
}

int history_render_html(const struct history_view *v, FILE *out)
{
	struct svg_series series[HTML_MAX_SERIES];
	int64_t (*points)[HTML_POINTS] = calloc(HTML_MAX_SERIES, sizeof(*points));
	size_t i, k, n = series_set_count(v->set), ns = 0;
	double t0 = INFINITY, t1 = -INFINITY;
	char line[256];
	const char *summary[1] = {line};
	struct html_report r = {0};
	int err;

	if (!points)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct series *s = series_set_at(v->set, i);

		if (s->n) {
			t0 = fmin(t0, s->t[0]);
			t1 = fmax(t1, s->t[s->n - 1]);
		}
	}
	for (i = 0; i < n && ns < HTML_MAX_SERIES; i++) {
		const struct series *s = series_set_at(v->set, i);

		if (!s->n)
			continue;
		for (k = 0, n = 0; k < HTML_POINTS; k++) {
			double t = t0 + (t1 - t0) * (double)k / (HTML_POINTS - 1);

			while (n + 1 < s->n && s->t[n + 1] <= t)
				n++;
			points[ns][k] = s->t[0] <= t ? (int64_t)s->v[n] : 0;
		}
		n = series_set_count(v->set);
		series[ns].name = s->name;
		series[ns].values = points[ns];
		series[ns].n = HTML_POINTS;
		ns++;
	}
	snprintf(line, sizeof(line), "%zu series%s, %zu events", series_set_count(v->set),
		 ns < series_set_count(v->set) ? " (the first 12 drawn)" : "", v->nevents);
	r.title = "poolscope history";
	r.summary = summary;
	r.nsummary = 1;
	r.series = series;
	r.nseries = ns;
	r.duration_s = isfinite(t1 - t0) ? t1 - t0 : 0;
	r.chart_title = "Values over time";
	r.chart_y_label = "value";
	r.no_flame = true;
	err = html_write(out, &r);
	free(points);
	return err;
}
