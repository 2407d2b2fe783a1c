/* Text, JSON and HTML of a diagnosis. Text escapes every byte a terminal
 * would act on (comm and unit names are anyone's to choose). */
#include "output/findings_render.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/findings.h"
#include "model/series.h"
#include "output/html.h"
#include "output/json.h"
#include "util/timeutil.h"
#include "util/visible.h"

/* ---- JSON ---- */

static void json_process(struct json_writer *w, const char *key, const struct finding_process *p,
			 bool with_unit)
{
	json_key(w, key);
	if (!p->known) {
		json_null(w);
		return;
	}
	json_begin_object(w);
	json_kv_int(w, "pid", p->pid);
	json_kv_string(w, "comm", p->comm);
	if (with_unit)
		json_kv_string(w, "unit", p->unit[0] ? p->unit : NULL);
	json_end_object(w);
}

static void json_kv_opt(struct json_writer *w, const char *key, double v)
{
	json_key(w, key);
	if (v < 0)
		json_null(w);
	else
		json_double(w, v);
}

void findings_render_json_finding(const struct finding *f, struct json_writer *w)
{
	size_t i;

	json_begin_object(w);
	json_kv_string(w, "kind", finding_kind_name(f->kind));
	json_kv_string(w, "resource", f->resource);
	json_kv_string(w, "tag", f->tag[0] ? f->tag : NULL);
	json_kv_string(w, "object_type", f->object_type);
	json_kv_double(w, "rate_per_s", f->rate_per_s);
	json_kv_string(w, "unit", f->unit);
	json_kv_double(w, "used", f->used);
	json_kv_opt(w, "exhaustion_s", f->exhaustion_s);
	json_kv_opt(w, "limit", f->limit);
	json_kv_string(w, "limit_name", f->limit_name[0] ? f->limit_name : NULL);
	json_process(w, "holder", &f->holder, true);
	json_process(w, "allocator", &f->allocator, false);
	json_key(w, "stack");
	json_begin_array(w);
	for (i = 0; i < f->nstack; i++)
		json_string(w, f->stack[i]);
	json_end_array(w);
	json_key(w, "user_stack");
	json_begin_array(w);
	for (i = 0; i < f->nustack; i++)
		json_string(w, f->ustack[i]);
	json_end_array(w);
	json_kv_string(w, "user_stack_kind", f->ustack_kind[0] ? f->ustack_kind : NULL);
	json_kv_string(w, "subsystem", f->subsystem[0] ? f->subsystem : NULL);
	json_kv_double(w, "confidence", round(f->confidence * 100) / 100);
	json_key(w, "evidence");
	json_begin_array(w);
	for (i = 0; i < f->nevidence; i++)
		json_string(w, f->evidence[i]);
	json_end_array(w);
	json_key(w, "series");
	json_begin_array(w);
	for (i = 0; i < f->nseries; i++)
		json_string(w, f->series[i]);
	json_end_array(w);
	json_end_object(w);
}

static void json_strings(struct json_writer *w, const char *key, const char (*v)[FINDING_TEXT],
			 size_t n)
{
	size_t i;

	json_key(w, key);
	json_begin_array(w);
	for (i = 0; i < n; i++)
		json_string(w, v[i]);
	json_end_array(w);
}

void findings_render_json(const struct diagnosis *d, struct json_writer *w)
{
	const struct diagnosis_checked *c = &d->checked;
	size_t i;

	json_begin_object(w);
	json_key(w, "findings");
	json_begin_array(w);
	for (i = 0; i < d->n; i++)
		findings_render_json_finding(&d->findings[i], w);
	json_end_array(w);
	json_key(w, "checked");
	json_begin_object(w);
	json_kv_double(w, "duration_s", c->duration_s);
	json_kv_uint(w, "samples", c->samples);
	json_kv_uint(w, "processes", c->processes);
	json_kv_uint(w, "caches", c->caches);
	json_kv_uint(w, "series", c->series);
	json_kv_uint(w, "growing", c->growing);
	json_strings(w, "sources", c->sources, c->nsources);
	json_key(w, "skipped");
	json_begin_array(w);
	for (i = 0; i < c->nskipped; i++)
		json_string(w, c->skipped[i]);
	json_end_array(w);
	json_key(w, "recorded_tags");
	json_begin_array(w);
	for (i = 0; i < c->nrecorded; i++)
		json_string(w, c->recorded_tags[i]);
	json_end_array(w);
	json_end_object(w);
	json_key(w, "lost");
	json_begin_object(w);
	json_kv_uint(w, "bpf_misses", d->lost.bpf_misses);
	json_kv_uint(w, "ringbuf", d->lost.ringbuf);
	json_kv_uint(w, "map", d->lost.map);
	json_kv_uint(w, "stacks", d->lost.stacks);
	json_kv_uint(w, "counter_misses", d->lost.counter_misses);
	json_end_object(w);
	json_end_object(w);
}

/* ---- text ---- */

/* Names are anyone's to choose: shown escaped (util/visible). */
static void put_safe(FILE *out, const char *s)
{
	char buf[4 * 2 * FINDING_TEXT + 1];

	visible_escape(s, strlen(s), buf, sizeof(buf));
	fputs(buf, out);
}

static void text_process(FILE *out, const char *label, const struct finding_process *p)
{
	fprintf(out, "  %-11s", label);
	put_safe(out, p->comm);
	fprintf(out, " (pid %d", p->pid);
	if (p->unit[0]) {
		fputs(", ", out);
		put_safe(out, p->unit);
	}
	fputs(")\n", out);
}

static void text_finding(const struct finding *f, FILE *out)
{
	static const char *const label[] = {
	    [FINDING_LEAK] = "LEAK", [FINDING_CACHE] = "CACHE", [FINDING_NEAR_LIMIT] = "NEAR LIMIT"};
	char a[48];
	size_t i;

	fprintf(out, "%s  ", label[f->kind]);
	put_safe(out, f->resource);
	if (f->rate_per_s > 0)
		fprintf(out, ": %+.3g %s/s", f->rate_per_s, f->unit);
	if (f->exhaustion_s >= 0)
		fprintf(out, ", runs out in %s", format_span(f->exhaustion_s, a, sizeof(a)));
	if (f->limit >= 0)
		fprintf(out, " (%.0f of %.0f, %s)", f->used, f->limit, f->limit_name);
	fputc('\n', out);
	if (f->holder.known)
		text_process(out, "holder", &f->holder);
	else if (f->kind == FINDING_LEAK)
		fprintf(out, "  %-11s%s\n", "holder", "no process (the kernel holds the objects)");
	if (f->allocator.known)
		text_process(out, "allocator", &f->allocator);
	fprintf(out, "  %-11s", "object");
	put_safe(out, f->object_type);
	if (f->tag[0] && !strstr(f->object_type, f->tag)) {
		fputs(" (", out);
		put_safe(out, f->tag);
		fputc(')', out);
	}
	fputc('\n', out);
	for (i = 0; i < f->nstack; i++) {
		fprintf(out, "  %-11s", i ? "" : "stack");
		put_safe(out, f->stack[i]);
		fputc('\n', out);
	}
	if (f->ustack_kind[0] && !f->nustack) {
		fprintf(out, "  %-11s", "user stack");
		put_safe(out, f->ustack_kind);
		fputc('\n', out);
	}
	for (i = 0; i < f->nustack; i++) {
		fprintf(out, "  %-11s", i ? "" : "user stack");
		put_safe(out, f->ustack[i]);
		fputc('\n', out);
	}
	if (f->subsystem[0]) {
		fprintf(out, "  %-11s", "subsystem");
		put_safe(out, f->subsystem);
		fputc('\n', out);
	}
	fprintf(out, "  %-11s%.2f\n", "confidence", f->confidence);
	for (i = 0; i < f->nevidence; i++) {
		fprintf(out, "  %-11s", i ? "" : "evidence");
		put_safe(out, f->evidence[i]);
		fputc('\n', out);
	}
}

void findings_render_text(const struct diagnosis *d, FILE *out)
{
	const struct diagnosis_checked *c = &d->checked;
	size_t i, nleak = 0, nnear = 0, ncache = 0;

	for (i = 0; i < d->n; i++) {
		nleak += d->findings[i].kind == FINDING_LEAK;
		nnear += d->findings[i].kind == FINDING_NEAR_LIMIT;
		ncache += d->findings[i].kind == FINDING_CACHE;
	}
	fprintf(out,
		"poolscope diagnose: %zu leak%s, %zu near a limit, %zu cache growth%s  "
		"(%.0f s, %u samples, %u series, %u processes, %u caches)\n",
		nleak, nleak == 1 ? "" : "s", nnear, ncache, ncache == 1 ? "" : "s",
		c->duration_s, c->samples, c->series, c->processes, c->caches);
	for (i = 0; i < d->n; i++) {
		fputc('\n', out);
		text_finding(&d->findings[i], out);
	}
	if (!nleak)
		fprintf(out, "\nNo leak: nothing grew steadily in the %u series checked.\n",
			c->series);
	fputs("\nChecked:", out);
	for (i = 0; i < c->nsources; i++) {
		fputs(i ? ", " : " ", out);
		put_safe(out, c->sources[i]);
	}
	fputc('\n', out);
	if (c->nrecorded) {
		fputs("Stacks recorded for:", out);
		for (i = 0; i < c->nrecorded; i++) {
			fputs(i ? ", " : " ", out);
			put_safe(out, c->recorded_tags[i]);
		}
		fputc('\n', out);
	}
	for (i = 0; i < c->nskipped; i++) {
		fputs("Not checked: ", out);
		put_safe(out, c->skipped[i]);
		fputc('\n', out);
	}
	if (d->lost.bpf_misses || d->lost.ringbuf || d->lost.map || d->lost.stacks ||
	    d->lost.counter_misses)
		fprintf(out,
			"Lost: %" PRIu64 " BPF misses, %" PRIu64 " ring buffer, %" PRIu64
			" map full, %" PRIu64 " stacks, %" PRIu64
			" counter events (confidence lowered accordingly)\n",
			d->lost.bpf_misses, d->lost.ringbuf, d->lost.map, d->lost.stacks,
			d->lost.counter_misses);
}

/* ---- HTML: the report's page, with the findings' series as graphs ---- */

#define HTML_MAX_SERIES 8
#define HTML_POINTS 240

/* A series as evenly spaced points of its growth since its first sample
 * (findings of different sizes share one chart). */
static int resample(const struct series *s, double duration_s, int64_t *out)
{
	size_t i, k = 0;

	for (i = 0; i < HTML_POINTS; i++) {
		double t = duration_s * (double)i / (HTML_POINTS - 1);

		while (k + 1 < s->n && s->t[k + 1] <= t)
			k++;
		if (!s->n || s->t[0] > t)
			out[i] = 0;
		else if (k + 1 < s->n && s->t[k + 1] > s->t[k])
			out[i] = (int64_t)(s->v[k] - s->v[0] +
					   (s->v[k + 1] - s->v[k]) * (t - s->t[k]) /
					       (s->t[k + 1] - s->t[k]));
		else
			out[i] = (int64_t)(s->v[k] - s->v[0]);
	}
	return HTML_POINTS;
}

int findings_render_html(const struct diagnosis *d, const struct series_set *set, FILE *out)
{
	static const char *const label[] = {
	    [FINDING_LEAK] = "LEAK", [FINDING_CACHE] = "CACHE", [FINDING_NEAR_LIMIT] = "NEAR LIMIT"};
	struct svg_series series[HTML_MAX_SERIES];
	int64_t points[HTML_MAX_SERIES][HTML_POINTS];
	const char **lines = NULL;
	char (*text)[2 * FINDING_TEXT + 64] = NULL;
	struct html_report r = {0};
	size_t i, k, nlines = 0, max_lines, nseries = 0;
	int err = 0;

	max_lines = 2 + d->n * (4 + FINDING_EVIDENCE);
	lines = calloc(max_lines, sizeof(*lines));
	text = calloc(max_lines, sizeof(*text));
	if (!lines || !text) {
		err = -ENOMEM;
		goto out;
	}
#define LINE(...)                                                                            \
	do {                                                                                 \
		snprintf(text[nlines], sizeof(text[0]), __VA_ARGS__);                        \
		lines[nlines] = text[nlines];                                                \
		nlines++;                                                                    \
	} while (0)
	LINE("%zu finding%s in %.0f s: %u samples of %u series, %u processes, %u caches", d->n,
	     d->n == 1 ? "" : "s", d->checked.duration_s, d->checked.samples, d->checked.series,
	     d->checked.processes, d->checked.caches);
	for (i = 0; i < d->n; i++) {
		const struct finding *f = &d->findings[i];

		char when[48] = "";

		if (f->exhaustion_s >= 0) {
			char a[32];

			snprintf(when, sizeof(when), ", runs out in %s", format_span(f->exhaustion_s, a, sizeof(a)));
		}
		LINE("%s %s: %+.3g %s/s%s", label[f->kind], f->resource, f->rate_per_s, f->unit, when);
		if (f->holder.known)
			LINE("holder %s (pid %d%s%s)", f->holder.comm, f->holder.pid,
			     f->holder.unit[0] ? ", " : "", f->holder.unit);
		if (f->allocator.known)
			LINE("allocator %s (pid %d)", f->allocator.comm, f->allocator.pid);
		LINE("object %s%s%s; confidence %.2f%s%s", f->object_type, f->tag[0] ? ", tag " : "",
		     f->tag, f->confidence, f->nstack ? "; stack " : "",
		     f->nstack ? f->stack[f->nstack > 2 ? 2 : f->nstack - 1] : "");
		for (k = 0; k < f->nevidence; k++)
			LINE("  %s", f->evidence[k]);
		for (k = 0; set && k < f->nseries && nseries < HTML_MAX_SERIES; k++) {
			const struct series *s = series_set_find(set, f->series[k]);

			if (!s)
				continue;
			series[nseries].name = s->name;
			series[nseries].values = points[nseries];
			series[nseries].n = (size_t)resample(s, d->checked.duration_s, points[nseries]);
			nseries++;
		}
	}
	if (!d->n)
		LINE("No leak: nothing grew steadily in the %u series checked.", d->checked.series);
#undef LINE
	r.title = "poolscope diagnose";
	r.chart_title = "Growth of each finding's series since the start of the run";
	r.chart_y_label = "gained since the start";
	r.no_flame = true;
	r.summary = lines;
	r.nsummary = nlines;
	r.series = series;
	r.nseries = nseries;
	r.duration_s = d->checked.duration_s;
	err = html_write(out, &r);
out:
	free(lines);
	free(text);
	return err;
}
