#include "output/html.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/stacktree.h"
#include "output/report_tables.h"
#include "output/table.h"
#include "util/strbuf.h"

static const char style[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222}"
	"h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em}"
	".summary{font-family:monospace;white-space:pre-wrap}"
	"table{border-collapse:collapse;font-size:13px}"
	"th,td{border:1px solid #ccc;padding:2px 6px}"
	"th{background:#eee;cursor:pointer;user-select:none}"
	"td.n{text-align:right;font-family:monospace}"
	"#flame text{pointer-events:none}#flame g.fr{cursor:pointer}"
	"#flame g.fr:hover rect{stroke:#000;stroke-width:.5}"
	"details{margin-left:1em;font-family:monospace;font-size:13px}"
	"summary{cursor:pointer}.hint{color:#666;font-size:12px}"
	"ol.frames{font-family:monospace;font-size:13px;margin:.2em 0 .8em}"
	"li.us{list-style:none;color:#666}div.us{color:#666;font-family:monospace;font-size:13px;"
	"margin-left:1em}"
	"li.u,summary.u{color:#0550ae}"
	".ub{background:#ddeeff;color:#0550ae;border-radius:3px;padding:0 4px;margin-right:6px;"
	"font-size:11px}";

/* Sorting (click a header), flame zoom (click a frame; click the root to
 * reset) and a marker that tests look for once the page ran. */
static const char script[] =
	"(function(){\n"
	"function key(td){var v=td.getAttribute('data-v');return v===null?td.textContent:+v;}\n"
	"document.querySelectorAll('table.sortable').forEach(function(t){\n"
	" t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){\n"
	"  var tb=t.tBodies[0],rows=Array.prototype.slice.call(tb.rows);\n"
	"  var d=th.getAttribute('data-d')==='1'?-1:1;th.setAttribute('data-d',d===1?'1':'0');\n"
	"  rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);\n"
	"   return (x<y?-1:x>y?1:0)*d;});\n"
	"  rows.forEach(function(r){tb.appendChild(r);});});});});\n"
	"var svg=document.getElementById('flame');\n"
	"if(svg){var W=+svg.getAttribute('width'),gs=svg.querySelectorAll('g.fr');\n"
	" function zoom(x0,w0,d0){gs.forEach(function(g){\n"
	"  var x=+g.getAttribute('data-x'),w=+g.getAttribute('data-w'),d=+g.getAttribute('data-d');\n"
	"  var r=g.querySelector('rect'),t=g.querySelector('text'),nx,nw;\n"
	"  if(d<d0){if(x<=x0+1e-9&&x+w>=x0+w0-1e-9){nx=0;nw=W;}else{g.style.display='none';return;}}\n"
	"  else if(x>=x0-1e-9&&x+w<=x0+w0+1e-9){nx=(x-x0)/w0*W;nw=w/w0*W;}\n"
	"  else{g.style.display='none';return;}\n"
	"  g.style.display='';r.setAttribute('x',nx);r.setAttribute('width',Math.max(nw-0.5,0));\n"
	"  t.setAttribute('x',nx+3);var n=g.getAttribute('data-n'),c=Math.floor(nw/7);\n"
	"  t.textContent=c<3?'':(n.length>c?n.slice(0,c-2)+'..':n);});}\n"
	" gs.forEach(function(g){g.addEventListener('click',function(){\n"
	"  zoom(+g.getAttribute('data-x'),+g.getAttribute('data-w'),+g.getAttribute('data-d'));});});}\n"
	"var m=document.createElement('div');m.id='ps-ready';m.hidden=true;"
	"document.body.appendChild(m);\n"
	"})();\n";

static void html_text(struct strbuf *sb, const char *s)
{
	svg_escape(sb, s);
}

static void render_table(struct strbuf *sb, const struct table *t)
{
	int r, c, frames = table_col_find(t, "stack");
	char *buf = malloc(4096), *fbuf = malloc(4096);

	if (!buf || !fbuf)
		goto out;
	strbuf_puts(sb, "<table class=\"sortable\"><thead><tr>");
	for (c = 0; c < table_cols(t); c++) {
		if (c == frames)
			continue;
		strbuf_puts(sb, "<th>");
		html_text(sb, table_col_title(t, c));
		strbuf_puts(sb, "</th>");
	}
	strbuf_puts(sb, "</tr></thead><tbody>\n");
	for (r = 0; r < table_rows(t); r++) {
		strbuf_puts(sb, "<tr>");
		for (c = 0; c < table_cols(t); c++) {
			const char *text;

			if (c == frames)
				continue;
			text = table_cell_text(t, r, c, buf, 4096);
			if (table_is_null(t, r, c) || table_get_str(t, r, c)) {
				strbuf_puts(sb, "<td>");
			} else {
				strbuf_printf(sb, "<td class=\"n\" data-v=\"%.17g\"", table_get_double(t, r, c));
				if (frames >= 0 && !table_is_null(t, r, frames) &&
				    c == table_col_find(t, "stack_id")) {
					strbuf_puts(sb, " title=\"");
					html_text(sb, table_cell_text(t, r, frames, fbuf, 4096));
					strbuf_puts(sb, "\"");
				}
				strbuf_puts(sb, ">");
			}
			html_text(sb, text);
			strbuf_puts(sb, "</td>");
		}
		strbuf_puts(sb, "</tr>\n");
	}
	strbuf_puts(sb, "</tbody></table>\n");
out:
	free(buf);
	free(fbuf);
}

/* The caller/callee tree as nested <details>, counts at every node. Small
 * branches (< 0.1% of the root) are left out to keep the page light. */
static void render_tree(struct strbuf *sb, const struct stack_node *n, uint64_t total,
			int depth, size_t *budget)
{
	size_t i;

	if (!*budget || (total && n->count * 1000 < total))
		return;
	(*budget)--;
	strbuf_printf(sb, "<details%s><summary%s>", depth < 2 ? " open" : "",
		      n->user ? " class=\"u\"" : "");
	if (n->user)
		strbuf_puts(sb, "<span class=\"ub\">user</span>");
	html_text(sb, n->name);
	strbuf_printf(sb, " &mdash; %" PRIu64 " (%.1f%%)</summary>\n", n->count,
		      total ? 100.0 * (double)n->count / (double)total : 0);
	for (i = 0; i < n->nchildren; i++)
		render_tree(sb, n->children[i], total, depth + 1, budget);
	strbuf_puts(sb, "</details>\n");
}

static bool has_user_frames(const struct stack_node *n)
{
	size_t i;

	if (n->user)
		return true;
	for (i = 0; i < n->nchildren; i++)
		if (has_user_frames(n->children[i]))
			return true;
	return false;
}

/* Each stack the tables show, innermost first: its kernel frames, then
 * under a line saying what they are its user frames, each marked "user". */
static void render_stacks(struct strbuf *sb, const struct report_stack *stacks, size_t n)
{
	size_t i;
	int f;

	strbuf_puts(sb, "<h2>Frames (innermost first)</h2>\n");
	for (i = 0; i < n; i++) {
		const struct report_stack *s = &stacks[i];

		strbuf_printf(sb, "<details open><summary>Stack %u%s</summary><ol class=\"frames\">\n",
			      s->id, s->estimated ? " (~ figures are estimates within its path)" : "");
		for (f = 0; f < s->nkernel; f++) {
			strbuf_puts(sb, "<li>");
			html_text(sb, s->kernel[f]);
			strbuf_puts(sb, "</li>\n");
		}
		/* The numbering goes on below the line: one stack, innermost first. */
		if (s->user_what) {
			strbuf_puts(sb, "</ol><div class=\"us\">&mdash; user space: ");
			html_text(sb, s->user_what);
			strbuf_printf(sb, " &mdash;</div><ol class=\"frames\" start=\"%d\">\n",
				      s->nkernel + 1);
		}
		for (f = 0; f < s->nuser; f++) {
			strbuf_puts(sb, "<li class=\"u\"><span class=\"ub\">user</span>");
			html_text(sb, s->user[f].frame);
			strbuf_puts(sb, "</li>\n");
		}
		if (s->nkernel == 0 && s->nuser == 0)
			strbuf_puts(sb, "<li class=\"us\">(frames not in the trace)</li>\n");
		strbuf_puts(sb, "</ol></details>\n");
	}
}

int html_write(FILE *out, const struct html_report *r)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, budget = 3000;

	strbuf_puts(&sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		    "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>");
	html_text(&sb, r->title);
	strbuf_printf(&sb, "</title>\n<style>%s</style>\n</head><body>\n<h1>", style);
	html_text(&sb, r->title);
	strbuf_puts(&sb, "</h1>\n<div class=\"summary\">");
	for (i = 0; i < r->nsummary; i++) {
		html_text(&sb, r->summary[i]);
		strbuf_puts(&sb, "\n");
	}
	strbuf_puts(&sb, "</div>\n<h2>");
	html_text(&sb, r->chart_title ? r->chart_title : "Outstanding over time (AIFO so far), top tags");
	strbuf_puts(&sb, "</h2>\n");
	if (r->nseries)
		svg_line_chart(&sb, r->series, r->nseries, r->duration_s,
			       r->chart_y_label ? r->chart_y_label : "outstanding objects", 960, 300);
	else
		strbuf_puts(&sb, "<p>No allocation inside the window.</p>\n");
	if (!r->no_flame)
		strbuf_printf(&sb, "<h2>Flame graph of outstanding (AIFO) stacks</h2>\n"
			    "<p class=\"hint\">Tag on top, callers above callees. Click a frame to "
			    "zoom, the top bar to reset.%s</p>\n",
			    r->flame && has_user_frames(&r->flame->root) ?
			    " User-space frames (record --user-stacks) are blue." : "");
	if (r->no_flame) {
		/* nothing */
	} else if (r->flame && r->flame->root.count) {
		svg_flame(&sb, r->flame, 1200);
		strbuf_puts(&sb, "<h2>Caller/callee tree (outstanding at every node)</h2>\n");
		render_tree(&sb, &r->flame->root, r->flame->root.count, 0, &budget);
	} else {
		strbuf_puts(&sb, "<p>No outstanding allocation with a stack.</p>\n");
	}
	for (i = 0; i < r->ntables; i++) {
		strbuf_puts(&sb, "<h2>");
		html_text(&sb, r->tables[i].title);
		strbuf_puts(&sb, "</h2>\n");
		render_table(&sb, r->tables[i].table);
	}
	if (r->nstacks)
		render_stacks(&sb, r->stacks, r->nstacks);
	strbuf_printf(&sb, "<script>%s</script>\n</body></html>\n", script);
	if (sb.len && fwrite(sb.buf, 1, sb.len, out) != sb.len) {
		strbuf_release(&sb);
		return -EIO;
	}
	strbuf_release(&sb);
	return ferror(out) ? -EIO : 0;
}
