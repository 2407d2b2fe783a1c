#include "output/svg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "analysis/stacktree.h"

static const char *const palette[] = { "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd",
				       "#8c564b", "#e377c2", "#17becf" };
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

void svg_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': strbuf_puts(sb, "&lt;"); break;
		case '>': strbuf_puts(sb, "&gt;"); break;
		case '&': strbuf_puts(sb, "&amp;"); break;
		case '"': strbuf_puts(sb, "&quot;"); break;
		case '\'': strbuf_puts(sb, "&#39;"); break;
		default:
			/* Control bytes are not allowed in XML 1.0 text. */
			if ((unsigned char)*s < 0x20)
				strbuf_puts(sb, "?");
			else
				strbuf_append(sb, s, 1);
		}
	}
}

void svg_line_chart(struct strbuf *sb, const struct svg_series *series, size_t nseries,
		    double duration_s, const char *y_label, int width, int height)
{
	const int left = 70, right = 170, top = 10, bottom = 30;
	int pw = width - left - right, ph = height - top - bottom;
	int64_t max = 1;
	size_t i, k;

	for (i = 0; i < nseries; i++)
		for (k = 0; k < series[i].n; k++)
			if (series[i].values[k] > max)
				max = series[i].values[k];
	strbuf_printf(sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" "
		      "height=\"%d\" viewBox=\"0 0 %d %d\">\n", width, height, width, height);
	strbuf_printf(sb, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
		      "stroke=\"#999\"/>\n", left, top, pw, ph);
	strbuf_printf(sb, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">%" PRId64
		      "</text>\n", left - 4, top + 10, max);
	strbuf_printf(sb, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">0</text>\n",
		      left - 4, top + ph);
	strbuf_printf(sb, "<text x=\"%d\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 %d %d)\" "
		      "text-anchor=\"middle\">", 14, top + ph / 2, 14, top + ph / 2);
	svg_escape(sb, y_label);
	strbuf_puts(sb, "</text>\n");
	strbuf_printf(sb, "<text x=\"%d\" y=\"%d\" font-size=\"11\">0 s</text>\n", left,
		      top + ph + 16);
	strbuf_printf(sb, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.3f s"
		      "</text>\n", left + pw, top + ph + 16, duration_s);
	for (i = 0; i < nseries; i++) {
		const char *color = palette[i % NPALETTE];
		size_t n = series[i].n;

		strbuf_printf(sb, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" "
			      "stroke-width=\"1.5\" points=\"", color);
		for (k = 0; k < n; k++) {
			double x = left + (n > 1 ? (double)pw * (double)k / (double)(n - 1) : 0);
			int64_t v = series[i].values[k] > 0 ? series[i].values[k] : 0;
			double y = top + ph - (double)ph * (double)v / (double)max;

			strbuf_printf(sb, "%s%.1f,%.1f", k ? " " : "", x, y);
		}
		strbuf_puts(sb, "\"><title>");
		svg_escape(sb, series[i].name);
		strbuf_puts(sb, "</title></polyline>\n");
		strbuf_printf(sb, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>",
			      left + pw + 10, top + 4 + (int)i * 16, color);
		strbuf_printf(sb, "<text x=\"%d\" y=\"%d\" font-size=\"11\">", left + pw + 24,
			      top + 13 + (int)i * 16);
		svg_escape(sb, series[i].name);
		strbuf_puts(sb, "</text>\n");
	}
	strbuf_puts(sb, "</svg>\n");
}

#define FLAME_ROW 18

/* Colours by name, stable run to run: warm for the kernel, blue for user
 * frames (record --user-stacks). */
static void flame_color(const char *name, bool user, char *buf, size_t len)
{
	unsigned int h = 0;

	for (; *name; name++)
		h = h * 31 + (unsigned char)*name;
	if (user)
		snprintf(buf, len, "rgb(%u,%u,%u)", 90 + h % 50, 150 + (h >> 8) % 50,
			 215 + (h >> 16) % 40);
	else
		snprintf(buf, len, "rgb(%u,%u,%u)", 205 + h % 50, 80 + (h >> 8) % 130,
			 40 + (h >> 16) % 50);
}

static void flame_node(struct strbuf *sb, const struct stack_node *n, double x, double w,
		       int depth, uint64_t total, int width, int *max_depth)
{
	char color[32];
	double cx = x;
	size_t i;
	int chars;

	if (w * width < 1.0)
		return;
	if (depth > *max_depth)
		*max_depth = depth;
	flame_color(n->name, n->user, color, sizeof(color));
	strbuf_printf(sb, "<g class=\"fr%s\" data-x=\"%.6f\" data-w=\"%.6f\" data-d=\"%d\" "
		      "data-c=\"%" PRIu64 "\" data-n=\"", n->user ? " u" : "", x, w, depth, n->count);
	svg_escape(sb, n->name);
	strbuf_printf(sb, "\"><title>");
	svg_escape(sb, n->name);
	strbuf_printf(sb, " (%" PRIu64 ", %.1f%%)</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
		      "height=\"%d\" fill=\"%s\"/>", n->count,
		      total ? 100.0 * (double)n->count / (double)total : 0, x * width,
		      depth * FLAME_ROW, w * width - 0.5 > 0 ? w * width - 0.5 : 0, FLAME_ROW - 1,
		      color);
	chars = (int)(w * width / 7);
	strbuf_printf(sb, "<text x=\"%.1f\" y=\"%d\">", x * width + 3, depth * FLAME_ROW + 13);
	if (chars >= 3) {
		char text[256];
		size_t len = strlen(n->name);

		snprintf(text, sizeof(text), "%s", n->name);
		if (len > (size_t)chars && chars < (int)sizeof(text)) {
			text[chars - 2] = '.';
			text[chars - 1] = '.';
			text[chars] = '\0';
		}
		svg_escape(sb, text);
	}
	strbuf_puts(sb, "</text></g>\n");
	for (i = 0; i < n->nchildren; i++) {
		double cw = n->count ? w * (double)n->children[i]->count / (double)n->count : 0;

		flame_node(sb, n->children[i], cx, cw, depth + 1, total, width, max_depth);
		cx += cw;
	}
}

void svg_flame(struct strbuf *sb, const struct stacktree *t, int width)
{
	struct strbuf body = STRBUF_INIT;
	int max_depth = 0;

	flame_node(&body, &t->root, 0, 1, 0, t->root.count, width, &max_depth);
	strbuf_printf(sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"flame\" width=\"%d\" "
		      "height=\"%d\" font-size=\"11\" font-family=\"monospace\">\n", width,
		      (max_depth + 1) * FLAME_ROW);
	if (body.len)
		strbuf_append(sb, body.buf, body.len);
	strbuf_puts(sb, "</svg>\n");
	strbuf_release(&body);
}
