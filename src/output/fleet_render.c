#include "output/fleet_render.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/fleet.h"
#include "output/json.h"
#include "output/svg.h"
#include "output/table.h"
#include "util/parse.h"
#include "util/strbuf.h"

/* Lacks said per host in text and HTML, and hosts listed with lacks. */
#define LACKS_SHOWN 8
#define LACK_HOSTS_SHOWN 20

/* ---- shared wording ---- */

/* A value in its unit: "3.8 MiB", "1.2 KiB/s", "20564", "0.40/s". */
static const char *value_text(enum fleet_measure m, double v, char *buf, size_t len)
{
	char b[48];

	switch (fleet_measure_unit(m)) {
	case FLEET_UNIT_BYTES:
	case FLEET_UNIT_BYTES_PER_S:
		format_bytes((uint64_t)fabs(v), b, sizeof(b));
		snprintf(buf, len, "%s%s%s", v < 0 ? "-" : "", b,
			 fleet_measure_unit(m) == FLEET_UNIT_BYTES_PER_S ? "/s" : "");
		break;
	case FLEET_UNIT_COUNT:
		snprintf(buf, len, "%.0f", v);
		break;
	default:
		snprintf(buf, len, "%.2f/s", v);
		break;
	}
	return buf;
}

/* "+3.6 MiB", "-120" */
static const char *diff_text(enum fleet_measure m, double d, char *buf, size_t len)
{
	char b[48];

	value_text(m, fabs(d), b, sizeof(b));
	snprintf(buf, len, "%s%s", d < 0 ? "-" : "+", b);
	return buf;
}

/* Bytes a terminal would act on as \xNN (names are anyone's to choose). */
static const char *safe(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	strbuf_reset(sb);
	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			strbuf_printf(sb, "\\x%02x", *p);
		else
			strbuf_append(sb, p, 1);
	}
	return strbuf_str(sb);
}

static size_t shown(const struct fleet_render *r)
{
	size_t n = r->verdict->ndeviations;

	return r->top && r->top < n ? r->top : n;
}

/* "too few hosts" in words, or NULL. */
static const char *too_few_text(const struct fleet_render *r, char *buf, size_t len)
{
	if (!r->verdict->too_few)
		return NULL;
	snprintf(buf, len,
		 "%zu host%s: too few to judge (at least %zu are needed to tell an odd host from "
		 "the rest)",
		 r->verdict->nhosts, r->verdict->nhosts == 1 ? "" : "s", r->opts->min_hosts);
	return buf;
}

/* "what" of a lack: "cache kmalloc-64", "no caches at all" */
static const char *lack_text(const struct fleet_lack *l, struct strbuf *tmp, char *buf, size_t len)
{
	static const char *const sections[] = {"caches", "resources", "processes", "processes"};

	if (!l->name)
		snprintf(buf, len, "no %s at all", sections[l->kind]);
	else
		snprintf(buf, len, "%s %s", fleet_kind_name(l->kind), safe(tmp, l->name));
	return buf;
}

/* ---- text ---- */

static struct table *deviation_table(const struct fleet_render *r, struct strbuf *tmp)
{
	static const char *const titles[] = {"HOST", "KIND", "NAME", "MEASURE", "VALUE",
					     "MEDIAN", "MAD", "DIFF", "SCORE", "HOSTS"};
	static const char *const keys[] = {"host", "kind", "name", "measure", "value",
					   "median", "mad", "diff", "score", "hosts"};
	struct table *t = table_new();
	size_t i, c;
	char buf[64];

	if (!t)
		return NULL;
	for (c = 0; c < 10; c++) {
		enum col_type type = c == 8 ? COL_DOUBLE : c == 9 ? COL_UINT : COL_STR;
		unsigned int flags = c >= 4 && c <= 7 ? COL_RIGHT : c == 2 ? COL_SQUEEZE : 0;

		if (table_add_col(t, titles[c], keys[c], type, c == 8 ? COL_SIGNED : flags) < 0)
			goto fail;
	}
	table_set_precision(t, 8, 1);
	for (i = 0; i < shown(r); i++) {
		const struct fleet_deviation *d = &r->verdict->deviations[i];
		int row = table_add_row(t);

		if (row < 0 || table_set_str(t, row, 0, safe(tmp, fleet_host_at(r->fleet, d->host)->host)) ||
		    table_set_str(t, row, 1, fleet_kind_name(d->kind)) ||
		    table_set_str(t, row, 2, safe(tmp, d->name)) ||
		    table_set_str(t, row, 3, fleet_measure_name(d->measure)) ||
		    table_set_str(t, row, 4, value_text(d->measure, d->value, buf, sizeof(buf))) ||
		    table_set_str(t, row, 5, value_text(d->measure, d->median, buf, sizeof(buf))) ||
		    table_set_str(t, row, 6, value_text(d->measure, d->mad, buf, sizeof(buf))) ||
		    table_set_str(t, row, 7, diff_text(d->measure, d->value - d->median, buf, sizeof(buf))) ||
		    table_set_double(t, row, 8, d->score) || table_set_uint(t, row, 9, d->nhosts))
			goto fail;
	}
	return t;
fail:
	table_free(t);
	return NULL;
}

static void text_lacks(const struct fleet_render *r, FILE *out, struct strbuf *tmp,
		       struct strbuf *tmp2)
{
	const struct fleet_verdict *v = r->verdict;
	size_t i = 0, j, hosts = 0;
	char what[512];

	while (i < v->nlacks) {
		uint32_t h = v->lacks[i].host;

		for (j = i; j < v->nlacks && v->lacks[j].host == h; j++)
			;
		if (hosts++ < LACK_HOSTS_SHOWN) {
			const struct fleet_host *fh = fleet_host_at(r->fleet, h);
			size_t k;

			fprintf(out, "%s (%s) lacks ", safe(tmp, fh->host), safe(tmp2, fh->path));
			for (k = i; k < j && k < i + LACKS_SHOWN; k++)
				fprintf(out, "%s%s (%zu of %zu hosts have it)", k > i ? ", " : "",
					lack_text(&v->lacks[k], tmp, what, sizeof(what)), v->lacks[k].have,
					v->nhosts);
			if (j - i > LACKS_SHOWN)
				fprintf(out, ", and %zu more", j - i - LACKS_SHOWN);
			fputc('\n', out);
		}
		i = j;
	}
	if (hosts > LACK_HOSTS_SHOWN)
		fprintf(out, "and %zu more hosts lack something most others have (--format json lists "
			"them all)\n", hosts - LACK_HOSTS_SHOWN);
}

int fleet_render_text(const struct fleet_render *r, FILE *out)
{
	const struct fleet_verdict *v = r->verdict;
	struct strbuf tmp = STRBUF_INIT, tmp2 = STRBUF_INIT;
	struct table *t = NULL;
	char buf[256];
	size_t i;
	int err = 0;

	fprintf(out, "%zu host%s compared, %zu snapshot%s skipped, %zu of %zu metrics judged\n",
		v->nhosts, v->nhosts == 1 ? "" : "s", r->nskipped, r->nskipped == 1 ? "" : "s",
		v->njudged, v->nmetrics);
	if (too_few_text(r, buf, sizeof(buf))) {
		fprintf(out, "%s\n", buf);
	} else if (!v->nodd) {
		fprintf(out, "every host is like the others (no metric %.1f spreads from the median)\n",
			r->opts->threshold);
	} else {
		fprintf(out, "not like the others: %zu host%s\n", v->nodd, v->nodd == 1 ? "" : "s");
		for (i = 0; i < v->nodd && i < LACK_HOSTS_SHOWN; i++) {
			const struct fleet_host *h = fleet_host_at(r->fleet, v->odd[i].host);

			fprintf(out, "  %s (%s): %zu deviation%s, the largest %.1f spreads from the median\n",
				safe(&tmp, h->host), safe(&tmp2, h->path), v->odd[i].ndeviations,
				v->odd[i].ndeviations == 1 ? "" : "s", v->odd[i].max_score);
		}
		if (v->nodd > LACK_HOSTS_SHOWN)
			fprintf(out, "  and %zu more\n", v->nodd - LACK_HOSTS_SHOWN);
		fputc('\n', out);
		t = deviation_table(r, &tmp);
		if (!t) {
			err = -ENOMEM;
			goto out;
		}
		if ((err = table_render(t, FMT_TEXT, out, NULL)))
			goto out;
		if (shown(r) < v->ndeviations)
			fprintf(out, "(%zu of %zu deviations shown: --top 0 shows all)\n", shown(r),
				v->ndeviations);
	}
	if (v->nlacks) {
		fputc('\n', out);
		text_lacks(r, out, &tmp, &tmp2);
	}
out:
	table_free(t);
	strbuf_release(&tmp);
	strbuf_release(&tmp2);
	if (!err && ferror(out))
		err = -EIO;
	return err;
}

/* ---- JSON ---- */

static void json_host(struct json_writer *w, const struct fleet_render *r, uint32_t host)
{
	const struct fleet_host *h = fleet_host_at(r->fleet, host);

	json_kv_string(w, "host", h->host);
	json_kv_string(w, "path", h->path);
}

int fleet_render_json(const struct fleet_render *r, FILE *out)
{
	const struct fleet_verdict *v = r->verdict;
	struct json_writer *w = json_writer_new(out);
	char buf[256];
	size_t i;

	if (!w)
		return -ENOMEM;
	json_begin_object(w);
	json_kv_uint(w, "hosts", v->nhosts);
	json_kv_uint(w, "metrics", v->nmetrics);
	json_kv_uint(w, "metrics_judged", v->njudged);
	json_kv_double(w, "threshold", r->opts->threshold);
	json_kv_uint(w, "min_hosts", r->opts->min_hosts);
	json_kv_bool(w, "too_few", v->too_few);
	json_kv_string(w, "too_few_reason", too_few_text(r, buf, sizeof(buf)));
	json_key(w, "odd_hosts");
	json_begin_array(w);
	for (i = 0; i < v->nodd; i++) {
		const struct fleet_host *h = fleet_host_at(r->fleet, v->odd[i].host);

		json_begin_object(w);
		json_host(w, r, v->odd[i].host);
		json_kv_string(w, "kernel", h->kernel);
		json_kv_uint(w, "deviations", v->odd[i].ndeviations);
		json_kv_double(w, "max_score", v->odd[i].max_score);
		json_end_object(w);
	}
	json_end_array(w);
	json_kv_uint(w, "deviations_total", v->ndeviations);
	json_key(w, "deviations");
	json_begin_array(w);
	for (i = 0; i < shown(r); i++) {
		const struct fleet_deviation *d = &v->deviations[i];

		json_begin_object(w);
		json_host(w, r, d->host);
		json_kv_string(w, "kind", fleet_kind_name(d->kind));
		json_kv_string(w, "name", d->name);
		json_kv_string(w, "measure", fleet_measure_name(d->measure));
		json_kv_double(w, "value", d->value);
		json_kv_double(w, "median", d->median);
		json_kv_double(w, "mad", d->mad);
		json_kv_double(w, "score", d->score);
		json_kv_uint(w, "hosts_with_value", d->nhosts);
		json_end_object(w);
	}
	json_end_array(w);
	json_key(w, "lacks");
	json_begin_array(w);
	for (i = 0; i < v->nlacks; i++) {
		const struct fleet_lack *l = &v->lacks[i];

		json_begin_object(w);
		json_host(w, r, l->host);
		json_kv_string(w, "kind", fleet_kind_name(l->kind));
		json_kv_string(w, "name", l->name);
		json_kv_uint(w, "hosts_with_it", l->have);
		json_end_object(w);
	}
	json_end_array(w);
	json_key(w, "skipped");
	json_begin_array(w);
	for (i = 0; i < r->nskipped; i++) {
		json_begin_object(w);
		json_kv_string(w, "path", r->skipped[i].path);
		json_kv_string(w, "reason", r->skipped[i].why);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
	json_writer_free(w);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

/* ---- HTML ---- */

static const char html_style[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222}"
	"h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em}"
	".summary{font-family:monospace;white-space:pre-wrap}"
	"table{border-collapse:collapse;font-size:13px}"
	"th,td{border:1px solid #ccc;padding:2px 6px}th{background:#eee}"
	"td.n{text-align:right;font-family:monospace}"
	".bar{display:inline-block;height:10px;background:#c0392b;vertical-align:middle}"
	".bar.low{background:#2e86c1}";

static void html_cell(struct strbuf *sb, const char *s, bool numeric)
{
	strbuf_puts(sb, numeric ? "<td class=\"n\">" : "<td>");
	svg_escape(sb, s);
	strbuf_puts(sb, "</td>");
}

static void html_deviations(struct strbuf *sb, const struct fleet_render *r)
{
	const struct fleet_verdict *v = r->verdict;
	double top = v->ndeviations ? fabs(v->deviations[0].score) : 1;
	char buf[64];
	size_t i;

	strbuf_puts(sb, "<table><thead><tr><th>host</th><th>file</th><th>kind</th><th>name</th>"
		    "<th>measure</th><th>value</th><th>median</th><th>MAD</th><th>diff</th>"
		    "<th>score</th><th></th></tr></thead><tbody>\n");
	for (i = 0; i < shown(r); i++) {
		const struct fleet_deviation *d = &v->deviations[i];
		const struct fleet_host *h = fleet_host_at(r->fleet, d->host);
		/* Bars on a log scale: scores run from 3.5 to thousands. */
		double width = 200 * log1p(fabs(d->score)) / log1p(top);

		strbuf_puts(sb, "<tr>");
		html_cell(sb, h->host, false);
		html_cell(sb, h->path, false);
		html_cell(sb, fleet_kind_name(d->kind), false);
		html_cell(sb, d->name, false);
		html_cell(sb, fleet_measure_name(d->measure), false);
		html_cell(sb, value_text(d->measure, d->value, buf, sizeof(buf)), true);
		html_cell(sb, value_text(d->measure, d->median, buf, sizeof(buf)), true);
		html_cell(sb, value_text(d->measure, d->mad, buf, sizeof(buf)), true);
		html_cell(sb, diff_text(d->measure, d->value - d->median, buf, sizeof(buf)), true);
		snprintf(buf, sizeof(buf), "%+.1f", d->score);
		html_cell(sb, buf, true);
		strbuf_printf(sb, "<td><span class=\"bar%s\" style=\"width:%.0fpx\"></span></td></tr>\n",
			      d->score < 0 ? " low" : "", width);
	}
	strbuf_puts(sb, "</tbody></table>\n");
}

static void html_lacks(struct strbuf *sb, const struct fleet_render *r, struct strbuf *tmp)
{
	const struct fleet_verdict *v = r->verdict;
	char what[512], have[64];
	size_t i;

	strbuf_puts(sb, "<h2>What a host lacks that most others have</h2>\n<table><thead><tr>"
		    "<th>host</th><th>file</th><th>lacks</th><th>hosts with it</th></tr></thead>"
		    "<tbody>\n");
	for (i = 0; i < v->nlacks; i++) {
		const struct fleet_host *h = fleet_host_at(r->fleet, v->lacks[i].host);

		strbuf_puts(sb, "<tr>");
		html_cell(sb, h->host, false);
		html_cell(sb, h->path, false);
		/* lack_text escapes control bytes; svg_escape the markup. */
		html_cell(sb, lack_text(&v->lacks[i], tmp, what, sizeof(what)), false);
		snprintf(have, sizeof(have), "%zu of %zu", v->lacks[i].have, v->nhosts);
		html_cell(sb, have, true);
		strbuf_puts(sb, "</tr>\n");
	}
	strbuf_puts(sb, "</tbody></table>\n");
}

int fleet_render_html(const struct fleet_render *r, FILE *out)
{
	const struct fleet_verdict *v = r->verdict;
	struct strbuf sb = STRBUF_INIT, tmp = STRBUF_INIT;
	char buf[256];
	size_t i;
	int err = 0;

	strbuf_printf(&sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		      "style-src 'unsafe-inline'\">\n<title>poolscope compare</title>\n"
		      "<style>%s</style>\n</head><body>\n<h1>Which host is not like the others</h1>\n"
		      "<div class=\"summary\">",
		      html_style);
	strbuf_printf(&sb, "%zu hosts compared, %zu snapshots skipped, %zu of %zu metrics judged\n",
		      v->nhosts, r->nskipped, v->njudged, v->nmetrics);
	if (too_few_text(r, buf, sizeof(buf))) {
		svg_escape(&sb, buf);
		strbuf_puts(&sb, "\n");
	} else if (!v->nodd) {
		strbuf_puts(&sb, "every host is like the others\n");
	}
	for (i = 0; i < v->nodd; i++) {
		const struct fleet_host *h = fleet_host_at(r->fleet, v->odd[i].host);

		strbuf_puts(&sb, "not like the others: ");
		svg_escape(&sb, h->host);
		strbuf_printf(&sb, " (%zu deviations, the largest %.1f spreads from the median)\n",
			      v->odd[i].ndeviations, v->odd[i].max_score);
	}
	strbuf_puts(&sb, "</div>\n");
	if (v->ndeviations) {
		strbuf_puts(&sb, "<h2>Deviations from the fleet's median</h2>\n");
		html_deviations(&sb, r);
	}
	if (v->nlacks)
		html_lacks(&sb, r, &tmp);
	if (r->nskipped) {
		strbuf_puts(&sb, "<h2>Snapshots skipped</h2>\n<ul>\n");
		for (i = 0; i < r->nskipped; i++) {
			strbuf_puts(&sb, "<li>");
			svg_escape(&sb, r->skipped[i].why);
			strbuf_puts(&sb, "</li>\n");
		}
		strbuf_puts(&sb, "</ul>\n");
	}
	strbuf_puts(&sb, "</body></html>\n");
	if (!sb.buf || fwrite(sb.buf, 1, sb.len, out) != sb.len || ferror(out))
		err = -EIO;
	strbuf_release(&sb);
	strbuf_release(&tmp);
	return err;
}
