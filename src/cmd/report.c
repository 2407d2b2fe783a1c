/* poolscope report: analyze a trace written by `poolscope record`.
 * Wiring only: trace reader → outstanding/trend/group → table/folded/pprof/html. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/group.h"
#include "analysis/outstanding.h"
#include "analysis/stacktree.h"
#include "analysis/suspects.h"
#include "analysis/trend.h"
#include "cmd/cmd.h"
#include "kernel/debuginfo.h"
#include "kernel/ksyms.h"
#include "output/folded.h"
#include "output/group_table.h"
#include "output/html.h"
#include "output/json.h"
#include "output/pprof.h"
#include "output/table.h"
#include "trace/trace.h"
#include "util/err.h"
#include "util/notes.h"
#include "util/outfile.h"
#include "util/parse.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

enum report_format { RF_TEXT, RF_CSV, RF_JSON, RF_FOLDED, RF_PPROF, RF_HTML };

struct report_opts {
	enum report_format format;
	const char *output;
	const char *from, *to;
	const char *group;
	const char *sort;
	int top;
	struct group_opts filter; /* classes, tags, comms, pids, size, frame */
	bool type_given;
	bool diff;
	const char *vmlinux;
};

/* One trace, read and analyzed. */
struct analysis {
	const char *path;
	struct trace_reader *reader;
	const struct trace_header *hdr;
	struct outstanding *outstanding;
	struct trend *trend;
	struct trace_names names;
	struct debuginfo_lines lines; /* --vmlinux */
	uint64_t from_ns, to_ns, end_ns; /* absolute; end: the window's effective end */
};

static const char *names_string(const void *ctx, uint32_t id)
{
	return trace_reader__string(ctx, id);
}

static int names_stack(const void *ctx, uint32_t id, const uint64_t **ips)
{
	return trace_reader__stack(ctx, id, ips);
}

static void report_help(FILE *out)
{
	fprintf(out,
"usage: poolscope report [options] TRACE\n"
"       poolscope report --diff [options] TRACE_A TRACE_B\n"
"\n"
"Classify every allocation of a trace against a window (default: the whole\n"
"trace): AIFO allocated inside, freed outside (outstanding at its end),\n"
"AIFI allocated and freed inside, AOFI allocated before and freed inside,\n"
"AOFO allocated before and still outstanding.\n"
"\n"
"  -f, --format FMT    text (default), csv, json, folded, pprof, html\n"
"  -o, --output FILE   write there instead of stdout\n"
"      --from T        window start: seconds from the trace's start (\"2.5\",\n"
"                      \"250ms\"), an absolute timestamp \"@NS\" (CLOCK_MONOTONIC)\n"
"                      or a UTC time \"2026-11-25T18:05:51Z\"\n"
"      --to T          window end, same forms\n"
"  -g, --group LIST    group by columns in order: type, kind, tag, stack, size,\n"
"                      process (pid), comm, callsite, function, cpu\n"
"                      (default for csv/json: type,tag)\n"
"  -t, --type LIST     only these classes: AIFO, AIFI, AOFI, AOFO (comma list)\n"
"      --tag GLOB      only tags (cache names) matching; '!' excludes, commas\n"
"  -p, --pid LIST      only these process ids (comma list)\n"
"      --comm GLOB     only these process names\n"
"      --size N|MIN-MAX  only allocations of this size (bytes; 64K forms)\n"
"  -s, --sort KEY      count (default), bytes, allocs, frees, outstanding,\n"
"                      oldest_age_s or a group column; \":asc\"/\":desc\"\n"
"  -n, --top N         at most N rows per table (default 20; 0 = all)\n"
"      --frame N       'function' column: stack frame N (0 = innermost)\n"
"                      instead of the call site's function\n"
"      --diff          compare two traces: outstanding per tag and stack\n"
"      --vmlinux FILE  add file:line to kernel frames from FILE's DWARF (the\n"
"                      unstripped vmlinux of the traced kernel; KASLR offset\n"
"                      found from _text/_stext in the trace's symbols)\n"
"  -h, --help          this help\n"
"\n"
"Exit status: 0 ok, 1 failure, 2 usage or a bad trace file.\n");
}

static int parse_format(const char *s, enum report_format *f)
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

static int parse_time(const char *s, const struct trace_header *h, uint64_t *abs_ns)
{
	return parse_recording_time(s, h->start_ns, h->start_realtime_ns, abs_ns);
}

static int parse_types(const char *s, unsigned int *mask)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum alloc_class c;

		if (alloc_class_parse(tok, &c)) {
			err = -EINVAL;
			break;
		}
		*mask |= 1u << c;
	}
	free(copy);
	return *mask ? err : -EINVAL;
}

static int parse_pids(const char *s, struct group_opts *g)
{
	const char *p = s;

	while (*p) {
		char num[24];
		size_t len = strcspn(p, ",");
		uint64_t v;

		if (len == 0 || len >= sizeof(num) || g->npids == GROUP_MAX_PIDS)
			return -EINVAL;
		memcpy(num, p, len);
		num[len] = '\0';
		if (parse_u64_range(num, 0, UINT32_MAX, &v))
			return -EINVAL;
		g->pids[g->npids++] = (uint32_t)v;
		p += len;
		if (*p)
			p++;
	}
	return g->npids ? 0 : -EINVAL;
}

static int report_size_range(const char *s, uint64_t *min, uint64_t *max)
{
	const char *dash = strchr(s, '-');
	char lo[32];

	if (!dash) {
		if (parse_size(s, min))
			return -EINVAL;
		*max = *min;
		return *min ? 0 : -EINVAL;
	}
	if ((size_t)(dash - s) >= sizeof(lo))
		return -EINVAL;
	memcpy(lo, s, (size_t)(dash - s));
	lo[dash - s] = '\0';
	if (parse_size(lo, min) || parse_size(dash + 1, max) || *max < *min || !*max)
		return -EINVAL;
	return 0;
}

static void analysis_release(struct analysis *a)
{
	trend__free(a->trend);
	outstanding__free(a->outstanding);
	trace_reader__close(a->reader);
	memset(a, 0, sizeof(*a));
}

/* Read the whole trace (or up to the window's end) into the analysis.
 * EXIT_OK, EXIT_USAGE (bad file or window), EXIT_FAIL (out of memory). */
static int analyze(const char *path, const struct report_opts *ro, struct analysis *a)
{
	struct outstanding_opts oo = { 0, UINT64_MAX };
	struct trace_record rec;
	char err[256] = "";
	uint64_t last;
	int rc;

	a->path = path;
	rc = trace_reader__open(path, &a->reader, err, sizeof(err));
	if (rc) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(-rc));
		/* The reader's reason usually names the file already. */
		ps_error("report: %s%s%s", strncmp(err, path, strlen(path)) ? path : "",
			 strncmp(err, path, strlen(path)) ? ": " : "", err);
		return rc == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	}
	a->hdr = trace_reader__header(a->reader);
	if (ro->from && parse_time(ro->from, a->hdr, &oo.from_ns))
		return ps_usage("report", "--from: '%s' is not a time in this trace (seconds, "
				"\"250ms\", \"@NS\" or UTC \"YYYY-MM-DDTHH:MM:SSZ\")", ro->from);
	if (ro->to && parse_time(ro->to, a->hdr, &oo.to_ns))
		return ps_usage("report", "--to: '%s' is not a time in this trace (seconds, "
				"\"250ms\", \"@NS\" or UTC \"YYYY-MM-DDTHH:MM:SSZ\")", ro->to);
	if (oo.to_ns < oo.from_ns)
		return ps_usage("report", "--to is before --from");
	if (outstanding__new(&oo, &a->outstanding))
		goto nomem;
	/* 1 ms buckets to start with; they widen as the trace goes on. */
	a->trend = trend__new(oo.from_ns > a->hdr->start_ns ? oo.from_ns : a->hdr->start_ns, 1000000);
	if (!a->trend)
		goto nomem;
	{
		struct outstanding_observer obs = trend__observer(a->trend);

		outstanding__set_observer(a->outstanding, &obs);
	}
	while ((rc = trace_reader__next(a->reader, &rec, err, sizeof(err))) == 1) {
		rc = outstanding__add_record(a->outstanding, &rec);
		if (rc < 0)
			goto nomem;
		if (rc == 1)
			break; /* past the window: nothing later changes the result */
	}
	if (rc < 0) {
		ps_error("report: %s%s%s", strncmp(err, path, strlen(path)) ? path : "",
			 strncmp(err, path, strlen(path)) ? ": " : "", err);
		return EXIT_USAGE;
	}
	if (trend__error(a->trend))
		goto nomem;
	/* Text, HTML and JSON carry this in the report itself; CSV, folded stacks,
	 * pprof and --diff have no place for it, and a cut-off trace must not read
	 * as a complete one. */
	if (trace_reader__truncated(a->reader) &&
	    (ro->diff || ro->format == RF_CSV || ro->format == RF_FOLDED || ro->format == RF_PPROF))
		ps_warn("report: %s was cut off: read up to its last complete chunk", path);
	last = a->hdr->stop_ns ? a->hdr->stop_ns : outstanding__totals(a->outstanding)->last_ns;
	if (last < outstanding__totals(a->outstanding)->last_ns)
		last = outstanding__totals(a->outstanding)->last_ns;
	/* Before the start is refused by parse_time; past the end would give an
	 * empty window that reads like "nothing leaked". */
	if (ro->from && oo.from_ns > last)
		return ps_usage("report", "--from: '%s' is after the end of %s (%.3f s)", ro->from,
				path, (double)(last - a->hdr->start_ns) / 1e9);
	a->from_ns = oo.from_ns > a->hdr->start_ns ? oo.from_ns : a->hdr->start_ns;
	a->to_ns = oo.to_ns;
	a->end_ns = oo.to_ns < last ? oo.to_ns : last;
	if (a->end_ns < a->from_ns)
		a->end_ns = a->from_ns;
	if (outstanding__finish(a->outstanding, a->end_ns))
		goto nomem;
	a->names = (struct trace_names){ .string = names_string, .stack = names_stack,
					 .ksyms = trace_reader__ksyms(a->reader), .ctx = a->reader };
	return EXIT_OK;
nomem:
	ps_error("report: %s: out of memory", path);
	return EXIT_FAIL;
}

/* Line the image up with the trace's kernel. EXIT_OK or EXIT_USAGE. */
static int attach_vmlinux(struct analysis *a, const struct debuginfo *di, const char *vmlinux)
{
	struct notes ns = NOTES_INIT;
	size_t i;

	if (debuginfo__align(di, trace_reader__ksyms(a->reader), a->hdr->kernel_release, vmlinux,
			     a->path, &a->lines, &ns)) {
		ps_error("report: %s shares no symbol with the symbols stored in %s (not even _text): "
			 "not the traced kernel, or a trace without symbols", vmlinux, a->path);
		return EXIT_USAGE;
	}
	for (i = 0; i < ns.n; i++)
		ps_warn("report: %s", ns.v[i].text);
	notes_release(&ns);
	a->names.source = debuginfo_lines__source;
	a->names.source_ctx = &a->lines;
	return EXIT_OK;
}

/* After the output: frames were looked up, none had a line. */
static void check_lines_found(const struct analysis *a, const char *vmlinux)
{
	if (a->names.source && a->lines.lookups && !a->lines.found)
		ps_warn("report: none of the %" PRIu64 " frame addresses of %s has a line in %s's "
			"debug info: is it the traced kernel?", a->lines.lookups, a->path, vmlinux);
}

static double rel_s(const struct analysis *a, uint64_t ns)
{
	return ns > a->hdr->start_ns ? (double)(ns - a->hdr->start_ns) / 1e9 : 0;
}

/* The opts for one grouping, filters copied from the command line. */
static struct group_opts group_for(const struct report_opts *ro, const struct analysis *a,
				   const enum group_dim *dims, int ndims, unsigned int classes)
{
	struct group_opts g = ro->filter;

	memcpy(g.dims, dims, sizeof(*dims) * (size_t)ndims);
	g.ndims = ndims;
	if (!ro->type_given)
		g.classes = classes;
	g.end_ns = a->end_ns;
	g.names = &a->names;
	return g;
}

static int apply_sort_top(struct table *t, const struct report_opts *ro, const char *fallback)
{
	if (group_table__sort(t, ro->sort ? ro->sort : fallback))
		return ps_usage("report", "--sort: no column '%s' in this table", ro->sort);
	if (ro->top > 0)
		table_truncate(t, ro->top);
	return EXIT_OK;
}

#define CLASS_BIT(c) (1u << (c))
#define ALL_CLASSES ((1u << AC_COUNT) - 1)

static const char spark_levels[] = " .:-=+*#%@";

/* An ASCII sparkline of n values squeezed into `width` characters. */
static void sparkline(const int64_t *v, size_t n, char *out, size_t width)
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

/* Per-tag view: one row per tag with its count in each class. */
static int tag_table(const struct report_opts *ro, const struct analysis *a, struct table **out)
{
	static const enum group_dim dims[] = { GD_TAG, GD_TYPE };
	struct group_opts g = group_for(ro, a, dims, 2, ALL_CLASSES);
	struct grouping *grouping = NULL;
	struct table *t = table_new();
	int err = -ENOMEM, row = -1, c;
	uint32_t tag = UINT32_MAX;
	int64_t series[TREND_MAX_BUCKETS];
	char spark[24];
	size_t i, nb = trend__nbuckets(a->trend);

	if (!t || group__build(a->outstanding, &g, &grouping))
		goto out;
	if (table_add_col(t, "Tag", "tag", COL_STR, COL_SQUEEZE) < 0 ||
	    table_add_col(t, "AIFO", "aifo", COL_UINT, 0) < 0 ||
	    table_add_col(t, "AIFO bytes", "aifo_bytes", COL_UINT, COL_HUMAN_BYTES) < 0 ||
	    table_add_col(t, "AIFI", "aifi", COL_UINT, 0) < 0 ||
	    table_add_col(t, "AOFI", "aofi", COL_UINT, 0) < 0 ||
	    table_add_col(t, "AOFO", "aofo", COL_UINT, 0) < 0 ||
	    (c = table_add_col(t, "Oldest s", "oldest_age_s", COL_DOUBLE, 0)) < 0 ||
	    table_add_col(t, "Outstanding over time", "trend", COL_STR, COL_JSON_HIDDEN) < 0)
		goto out;
	table_set_precision(t, c, 1);
	for (i = 0; i < grouping__nrows(grouping); i++) {
		const struct group_row *r = grouping__row(grouping, i);

		if (row < 0 || r->site->tag_id != tag) {
			const struct trend_series *s = trend__tag_series(a->trend, r->site->tag_id);
			int k;

			row = table_add_row(t);
			if (row < 0)
				goto out;
			tag = r->site->tag_id;
			table_set_str(t, row, 0, trace_names__string(&a->names, tag));
			for (k = 1; k <= 5; k++)
				table_set_uint(t, row, k, 0);
			if (s && nb) {
				trend_series__outstanding(s, nb, series, NULL);
				sparkline(series, nb, spark, 16);
				table_set_str(t, row, 7, spark);
			}
		}
		switch (r->cls) {
		case AC_AIFO:
			table_set_uint(t, row, 1, r->count);
			table_set_uint(t, row, 2, r->bytes);
			break;
		case AC_AIFI: table_set_uint(t, row, 3, r->count); break;
		case AC_AOFI: table_set_uint(t, row, 4, r->count); break;
		case AC_AOFO: table_set_uint(t, row, 5, r->count); break;
		}
		if (r->oldest_ns && a->end_ns >= r->oldest_ns) {
			double age = (double)(a->end_ns - r->oldest_ns) / 1e9;

			if (table_is_null(t, row, 6) || age > table_get_double(t, row, 6))
				table_set_double(t, row, 6, age);
		}
	}
	/* Ties by name keep the output stable run to run. */
	table_sort(t, 0, false);
	table_sort(t, 1, true);
	if (ro->top > 0)
		table_truncate(t, ro->top);
	*out = t;
	t = NULL;
	err = 0;
out:
	grouping__free(grouping);
	table_free(t);
	return err;
}

static int suspects_table(const struct analysis *a, int top, struct table **out)
{
	struct leak_suspect *list = NULL;
	struct table *t = table_new();
	size_t n = 0, i;
	int err = -ENOMEM, c;

	if (!t || suspects__find(a->trend, a->outstanding, a->end_ns, &list, &n))
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
	table_set_precision(t, c, 1);
	table_set_precision(t, c + 5, 1);
	for (i = 0; i < n && (top <= 0 || (int)i < top); i++) {
		const struct leak_suspect *ls = &list[i];
		const uint64_t *ips;
		int row = table_add_row(t), depth, f;
		int64_t series[TREND_MAX_BUCKETS];
		char spark[24], buf[256];
		size_t k;

		if (row < 0)
			goto out;
		table_set_str(t, row, 0, trace_names__string(&a->names, ls->tag_id));
		if (ls->key == TREND_STACK) {
			const char *frames[256];
			static char text[256][256];

			table_set_uint(t, row, 1, ls->stack_id);
			depth = trace_names__stack(&a->names, ls->stack_id, &ips);
			for (f = 0; f < depth && f < 256; f++)
				frames[f] = strcpy(text[f], trace_names__frame(&a->names, ips[f], buf,
									       sizeof(buf)));
			table_set_list(t, row, 2, frames, f);
		}
		table_set_double(t, row, 3, ls->slope_per_s);
		table_set_double(t, row, 4, ls->r2);
		table_set_double(t, row, 5, ls->rising);
		table_set_uint(t, row, 6, ls->aifo);
		table_set_double(t, row, 7, ls->share);
		table_set_double(t, row, 8, (double)ls->oldest_age_ns / 1e9);
		for (k = 0; k < trend__nseries(a->trend); k++) {
			const struct trend_series *s = trend__series(a->trend, k);

			if (s->key == ls->key && s->tag_id == ls->tag_id && s->stack_id == ls->stack_id) {
				trend_series__outstanding(s, trend__nbuckets(a->trend), series, NULL);
				sparkline(series, trend__nbuckets(a->trend), spark, 16);
				table_set_str(t, row, 9, spark);
				break;
			}
		}
	}
	*out = t;
	t = NULL;
	err = 0;
out:
	free(list);
	table_free(t);
	return err;
}

/* WPA's stacks view: per process and stack, allocations, frees, outstanding. */
static int stacks_table(const struct report_opts *ro, const struct analysis *a,
			struct table **out)
{
	static const enum group_dim dims[] = { GD_PROCESS, GD_COMM, GD_TAG, GD_STACK };
	struct group_opts g = group_for(ro, a, dims, 4, ALL_CLASSES);
	struct grouping *grouping = NULL;
	int err;

	err = group__build(a->outstanding, &g, &grouping);
	if (!err)
		err = group_table__build(grouping, &g, out);
	grouping__free(grouping);
	if (err)
		return err;
	/* Most outstanding first, then most allocations: frees of objects
	 * allocated before the trace (no stack) sink to the bottom. */
	table_sort(*out, table_col_find(*out, "allocs"), true);
	table_sort(*out, table_col_find(*out, "outstanding"), true);
	if (ro->top > 0)
		table_truncate(*out, ro->top);
	return 0;
}

#define FRAMES_SHOWN 6

struct shown_stacks {
	uint32_t ids[FRAMES_SHOWN];
	int n, more;
};

/* The frames of every stack a text table shows, once each. */
static void print_frames(FILE *out, const struct analysis *a, const struct table *t,
			 struct shown_stacks *seen)
{
	int col = table_col_find(t, "stack_id"), r, k;
	uint32_t *shown = seen->ids;
	int nshown = seen->n;

	if (col < 0)
		return;
	for (r = 0; r < table_rows(t); r++) {
		const uint64_t *ips;
		uint32_t id;
		int depth, f;
		char buf[256];

		if (table_is_null(t, r, col))
			continue;
		id = (uint32_t)table_get_uint(t, r, col);
		for (k = 0; k < nshown; k++)
			if (shown[k] == id)
				break;
		if (k < nshown)
			continue;
		/* Readable without a pager: the first few stacks in full. */
		if (nshown == FRAMES_SHOWN) {
			seen->more++;
			continue;
		}
		shown[nshown++] = id;
		depth = trace_names__stack(&a->names, id, &ips);
		fprintf(out, "Stack %u:\n", id);
		for (f = 0; f < depth; f++)
			fprintf(out, "    %s\n", trace_names__frame(&a->names, ips[f], buf, sizeof(buf)));
		if (depth == 0)
			fprintf(out, "    (frames not in the trace)\n");
	}
	seen->n = nshown;
}

static void format_duration(char *buf, size_t len, double s)
{
	snprintf(buf, len, "%.3f s", s);
}

/* Summary lines, shared by text and HTML. Returns how many were written. */
static size_t summary_lines(const struct analysis *a, char lines[][1024], size_t max)
{
	const struct outstanding_totals *t = outstanding__totals(a->outstanding);
	const struct trace_header *h = a->hdr;
	char when[64], d[32], b[32], age[32];
	size_t n = 0;

	format_iso8601(h->start_realtime_ns, when, sizeof(when));
	format_duration(d, sizeof(d), rel_s(a, a->end_ns) - rel_s(a, a->from_ns));
	snprintf(lines[n++], 1024, "Trace: %.400s  (host %s, kernel %s, started %s)", a->path,
		 h->hostname, h->kernel_release, when);
	snprintf(lines[n++], 1024, "Mode: %s, stacks %s%s%s", h->aggregate ? "aggregate" : "events",
		 h->stacks ? "on" : "off", h->stacks && h->sample_every > 1 ? ", 1 in " : "",
		 h->stacks && h->sample_every > 1 ? "N" : "");
	if (h->stacks && h->sample_every > 1)
		snprintf(lines[n - 1], 1024, "Mode: %s, stacks on (1 event in %u)",
			 h->aggregate ? "aggregate" : "events", h->sample_every);
	snprintf(lines[n++], 1024, "Window: %.3f s to %.3f s (%s); %" PRIu64 " records: %" PRIu64
		 " allocs, %" PRIu64 " frees", rel_s(a, a->from_ns), rel_s(a, a->end_ns), d,
		 t->records, t->allocs, t->frees);
	if (t->oldest_ns && a->end_ns >= t->oldest_ns)
		snprintf(age, sizeof(age), "%.1f s", (double)(a->end_ns - t->oldest_ns) / 1e9);
	else
		snprintf(age, sizeof(age), "-");
	snprintf(lines[n++], 1024, "Outstanding at the end: AIFO %" PRIu64 " (%s), AOFO %" PRIu64
		 "; AIFI %" PRIu64 ", AOFI %" PRIu64 "; oldest %s", t->count[AC_AIFO],
		 format_bytes(t->bytes[AC_AIFO], b, sizeof(b)), t->count[AC_AOFO], t->count[AC_AIFI],
		 t->count[AC_AOFI], age);
	if (n < max && (t->lost_ringbuf || t->lost_map || t->lost_misses))
		snprintf(lines[n++], 1024, "WARNING: events lost while recording: %" PRIu64
			 " ring buffer full, %" PRIu64 " map full, %" PRIu64 " BPF recursion misses"
			 " (lost frees show as outstanding)", t->lost_ringbuf, t->lost_map,
			 t->lost_misses);
	if (n < max && trace_reader__truncated(a->reader))
		snprintf(lines[n++], 1024, "WARNING: the trace was cut off: read up to its last "
			 "complete chunk");
	if (n < max && t->reused_ptrs)
		snprintf(lines[n++], 1024, "Note: %" PRIu64 " allocations reused a live address "
			 "(their frees were not recorded)", t->reused_ptrs);
	if (n < max && h->aggregate)
		snprintf(lines[n++], 1024, "Note: aggregate trace: classes are estimated from "
			 "snapshots at the window's ends");
	return n;
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

static int default_dims(const struct report_opts *ro, enum group_dim *dims, int *ndims)
{
	char err[160];

	if (group_parse_dims(ro->group ? ro->group : "type,tag", dims, ndims, err, sizeof(err)))
		return ps_usage("report", "--group: %s", err);
	return EXIT_OK;
}

static int build_group_table(const struct report_opts *ro, const struct analysis *a,
			     struct table **t)
{
	enum group_dim dims[GROUP_MAX_DIMS];
	struct grouping *g = NULL;
	struct group_opts go;
	int ndims, rc = default_dims(ro, dims, &ndims);

	if (rc)
		return rc;
	go = group_for(ro, a, dims, ndims, ALL_CLASSES);
	if (group__build(a->outstanding, &go, &g) || group_table__build(g, &go, t)) {
		grouping__free(g);
		ps_error("report: out of memory");
		return EXIT_FAIL;
	}
	grouping__free(g);
	return apply_sort_top(*t, ro, "count");
}

static void json_window(struct json_writer *w, const struct analysis *a)
{
	json_key(w, "window");
	json_begin_object(w);
	json_kv_double(w, "from_s", rel_s(a, a->from_ns));
	json_kv_double(w, "to_s", rel_s(a, a->end_ns));
	json_kv_uint(w, "from_ns", a->from_ns);
	json_kv_uint(w, "to_ns", a->end_ns);
	json_kv_string(w, "trace", a->path);
	json_end_object(w);
}

static void json_totals(struct json_writer *w, const struct analysis *a)
{
	const struct outstanding_totals *t = outstanding__totals(a->outstanding);
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
	json_kv_bool(w, "truncated", trace_reader__truncated(a->reader));
	if (t->oldest_ns && a->end_ns >= t->oldest_ns)
		json_kv_double(w, "oldest_age_s", (double)(a->end_ns - t->oldest_ns) / 1e9);
	json_end_object(w);
}

static int run_tables(FILE *out, const struct report_opts *ro, const struct analysis *a)
{
	struct table *rows = NULL, *tags = NULL, *suspects = NULL, *stacks = NULL;
	struct shown_stacks seen = { .n = 0 };
	char lines[8][1024];
	size_t n, i;
	int rc = EXIT_FAIL;

	if (ro->format != RF_TEXT || ro->group) {
		rc = build_group_table(ro, a, &rows);
		if (rc)
			goto out;
		rc = EXIT_FAIL;
	}
	if (ro->format == RF_CSV) {
		rc = render_table(out, rows, FMT_CSV) ? EXIT_FAIL : EXIT_OK;
		goto out;
	}
	if (suspects_table(a, ro->top, &suspects))
		goto nomem;
	if (ro->format == RF_JSON) {
		struct json_writer *w = json_writer_new(out);

		if (!w)
			goto nomem;
		json_begin_object(w);
		json_window(w, a);
		json_totals(w, a);
		json_key(w, "rows");
		table_render_json_rows(rows, w);
		json_key(w, "suspects");
		table_render_json_rows(suspects, w);
		json_end_object(w);
		json_writer_free(w);
		fputc('\n', out);
		rc = EXIT_OK;
		goto out;
	}
	n = summary_lines(a, lines, 8);
	for (i = 0; i < n; i++)
		fprintf(out, "%s\n", lines[i]);
	if (rows) {
		section(out, "Groups");
		render_table(out, rows, FMT_TEXT);
		section(out, "Frames");
		print_frames(out, a, rows, &seen);
		if (seen.more)
			fprintf(out, "(frames of the other stacks above: -f json or -f csv)\n");
		rc = EXIT_OK;
		goto out;
	}
	if (tag_table(ro, a, &tags) || stacks_table(ro, a, &stacks))
		goto nomem;
	section(out, "Outstanding by tag (AIFO: allocated in the window, still there at its end)");
	render_table(out, tags, FMT_TEXT);
	section(out, "Leak suspects (outstanding count grows steadily)");
	if (table_rows(suspects))
		render_table(out, suspects, FMT_TEXT);
	else
		fprintf(out, "none: no tag or stack grows steadily across the window\n");
	section(out, "Stacks per process (Allocs = Count Allocate, Frees = Count Free)");
	render_table(out, stacks, FMT_TEXT);
	section(out, "Frames (innermost first)");
	print_frames(out, a, stacks, &seen);
	print_frames(out, a, suspects, &seen);
	if (seen.more)
		fprintf(out, "(frames of the other stacks above: -f json, or --group stack -f csv)\n");
	rc = EXIT_OK;
	goto out;
nomem:
	ps_error("report: out of memory");
	rc = EXIT_FAIL;
out:
	table_free(rows);
	table_free(tags);
	table_free(suspects);
	table_free(stacks);
	return rc;
}

static int stack_grouping(const struct report_opts *ro, const struct analysis *a,
			  unsigned int classes, struct group_opts *g, struct grouping **out)
{
	static const enum group_dim dims[] = { GD_TAG, GD_STACK };

	*g = group_for(ro, a, dims, 2, classes);
	return group__build(a->outstanding, g, out);
}

static int run_folded(FILE *out, const struct report_opts *ro, const struct analysis *a)
{
	struct grouping *g = NULL;
	struct stacktree *tree = NULL;
	struct group_opts go;
	int rc = EXIT_FAIL;

	if (stack_grouping(ro, a, CLASS_BIT(AC_AIFO), &go, &g) ||
	    stacktree__build(g, &go, true, &tree)) {
		ps_error("report: out of memory");
		goto out;
	}
	stacktree__sort(tree);
	rc = folded_write(out, tree) ? EXIT_FAIL : EXIT_OK;
out:
	stacktree__free(tree);
	grouping__free(g);
	return rc;
}

static int run_pprof(FILE *out, const struct report_opts *ro, const struct analysis *a)
{
	struct grouping *g = NULL;
	struct group_opts go;
	int rc = EXIT_FAIL, err;

	if (stack_grouping(ro, a, ALL_CLASSES, &go, &g)) {
		ps_error("report: out of memory");
		goto out;
	}
	err = pprof_write(out, g, &go, a->hdr->start_realtime_ns +
			  (a->from_ns - a->hdr->start_ns), a->end_ns - a->from_ns);
	/* A failed write is said once, by report_run's check of the output. */
	if (err && !ferror(out))
		ps_error("report: writing the profile: %s", strerror(-err));
	else if (!err)
		rc = EXIT_OK;
out:
	grouping__free(g);
	return rc;
}

#define HTML_SERIES 6

static int run_html(FILE *out, const struct report_opts *ro, const struct analysis *a)
{
	struct table *tags = NULL, *suspects = NULL, *stacks = NULL, *rows = NULL;
	struct grouping *g = NULL;
	struct stacktree *tree = NULL;
	struct group_opts go;
	struct html_section_table sections[4];
	struct svg_series series[HTML_SERIES];
	int64_t values[HTML_SERIES][TREND_MAX_BUCKETS];
	char lines[8][1024], title[300];
	const char *summary[8];
	struct html_report hr = { 0 };
	size_t n, i, nb = trend__nbuckets(a->trend), nsec = 0;
	int rc = EXIT_FAIL;

	if (tag_table(ro, a, &tags) || suspects_table(a, ro->top, &suspects) ||
	    stacks_table(ro, a, &stacks) || stack_grouping(ro, a, CLASS_BIT(AC_AIFO), &go, &g) ||
	    stacktree__build(g, &go, true, &tree)) {
		ps_error("report: out of memory");
		goto out;
	}
	if (ro->group) {
		rc = build_group_table(ro, a, &rows);
		if (rc)
			goto out;
		rc = EXIT_FAIL;
	}
	stacktree__sort(tree);
	n = summary_lines(a, lines, 8);
	for (i = 0; i < n; i++)
		summary[i] = lines[i];
	/* The top tags by AIFO (the tag table's order) get a line each. */
	for (i = 0; i < (size_t)table_rows(tags) && hr.nseries < HTML_SERIES; i++) {
		const char *tag = table_get_str(tags, (int)i, 0);
		size_t k;

		for (k = 0; k < trend__nseries(a->trend); k++) {
			const struct trend_series *s = trend__series(a->trend, k);

			if (s->key == TREND_TAG && strcmp(trace_names__string(&a->names, s->tag_id), tag) == 0) {
				trend_series__outstanding(s, nb, values[hr.nseries], NULL);
				series[hr.nseries] = (struct svg_series){ tag, values[hr.nseries], nb };
				hr.nseries++;
				break;
			}
		}
	}
	snprintf(title, sizeof(title), "poolscope report: %s", a->path);
	sections[nsec++] = (struct html_section_table){ "Outstanding by tag", tags };
	sections[nsec++] = (struct html_section_table){ "Leak suspects", suspects };
	sections[nsec++] = (struct html_section_table){ "Stacks per process", stacks };
	if (rows)
		sections[nsec++] = (struct html_section_table){ "Groups", rows };
	hr.title = title;
	hr.summary = summary;
	hr.nsummary = n;
	hr.series = series;
	hr.duration_s = (double)nb * (double)trend__bucket_ns(a->trend) / 1e9;
	hr.flame = tree;
	hr.tables = sections;
	hr.ntables = nsec;
	rc = html_write(out, &hr) ? EXIT_FAIL : EXIT_OK;
out:
	stacktree__free(tree);
	grouping__free(g);
	table_free(tags);
	table_free(suspects);
	table_free(stacks);
	table_free(rows);
	return rc;
}

static int run_diff(FILE *out, const struct report_opts *ro, const struct analysis *a,
		    const struct analysis *b)
{
	static const enum group_dim by_stack[] = { GD_TAG, GD_STACK };
	enum group_dim dims[GROUP_MAX_DIMS];
	struct grouping *ga = NULL, *gb = NULL, *sa = NULL, *sb = NULL;
	struct table *tags = NULL, *stacks = NULL;
	struct group_opts oa, ob, osa, osb;
	int ndims, rc;
	char err[160];

	if (group_parse_dims(ro->group ? ro->group : "tag", dims, &ndims, err, sizeof(err)))
		return ps_usage("report", "--group: %s", err);
	oa = group_for(ro, a, dims, ndims, ALL_CLASSES);
	ob = group_for(ro, b, dims, ndims, ALL_CLASSES);
	osa = group_for(ro, a, by_stack, 2, ALL_CLASSES);
	osb = group_for(ro, b, by_stack, 2, ALL_CLASSES);
	rc = EXIT_FAIL;
	if (group__build(a->outstanding, &oa, &ga) || group__build(b->outstanding, &ob, &gb) ||
	    group__build(a->outstanding, &osa, &sa) || group__build(b->outstanding, &osb, &sb) ||
	    group_diff_table__compare(ga, &oa, gb, &ob, &tags) ||
	    group_diff_table__compare(sa, &osa, sb, &osb, &stacks)) {
		ps_error("report: out of memory");
		goto out;
	}
	if (ro->top > 0) {
		table_truncate(tags, ro->top);
		table_truncate(stacks, ro->top);
	}
	switch (ro->format) {
	case RF_CSV:
		rc = render_table(out, tags, FMT_CSV) ? EXIT_FAIL : EXIT_OK;
		break;
	case RF_JSON: {
		struct json_writer *w = json_writer_new(out);

		if (!w)
			goto out;
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
		rc = EXIT_OK;
		break;
	}
	default:
		fprintf(out, "Diff: A = %s, B = %s (outstanding at each window's end)\n", a->path,
			b->path);
		section(out, "By group");
		render_table(out, tags, FMT_TEXT);
		section(out, "By tag and stack (frames innermost first)");
		render_table(out, stacks, FMT_TEXT);
		rc = EXIT_OK;
	}
out:
	grouping__free(ga);
	grouping__free(gb);
	grouping__free(sa);
	grouping__free(sb);
	table_free(tags);
	table_free(stacks);
	return rc;
}

static int parse_options(int argc, char **argv, struct report_opts *ro, int *rc)
{
	enum { OPT_FROM = 256, OPT_TO, OPT_TAG, OPT_COMM, OPT_SIZE, OPT_FRAME, OPT_DIFF,
	       OPT_VMLINUX };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "group", required_argument, NULL, 'g' },
		{ "type", required_argument, NULL, 't' },
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "sort", required_argument, NULL, 's' },
		{ "top", required_argument, NULL, 'n' },
		{ "frame", required_argument, NULL, OPT_FRAME },
		{ "diff", no_argument, NULL, OPT_DIFF },
		{ "vmlinux", required_argument, NULL, OPT_VMLINUX },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int opt;

	/* getopt stays quiet: each bad input gets one line, ours. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":f:o:g:t:p:s:n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (parse_format(optarg, &ro->format)) {
				*rc = ps_usage("report", "--format: '%s' is not one of text, csv, json, "
					       "folded, pprof, html", optarg);
				return -1;
			}
			break;
		case 'o':
			if (!optarg[0]) {
				*rc = ps_usage("report", "--output wants a file name");
				return -1;
			}
			ro->output = optarg;
			break;
		case OPT_FROM: ro->from = optarg; break;
		case OPT_TO: ro->to = optarg; break;
		case 'g': ro->group = optarg; break;
		case 't':
			if (parse_types(optarg, &ro->filter.classes)) {
				*rc = ps_usage("report", "--type: '%s' is not a list of AIFO, AIFI, AOFI, "
					       "AOFO", optarg);
				return -1;
			}
			ro->type_given = true;
			break;
		case OPT_TAG:
			if (globlist_add(&ro->filter.tags, optarg)) {
				*rc = ps_usage("report", "--tag: bad pattern list '%s'", optarg);
				return -1;
			}
			break;
		case 'p':
			if (parse_pids(optarg, &ro->filter)) {
				*rc = ps_usage("report", "--pid: '%s' is not a list of up to %d process ids",
					       optarg, GROUP_MAX_PIDS);
				return -1;
			}
			break;
		case OPT_COMM:
			if (globlist_add(&ro->filter.comms, optarg)) {
				*rc = ps_usage("report", "--comm: bad pattern list '%s'", optarg);
				return -1;
			}
			break;
		case OPT_SIZE:
			if (report_size_range(optarg, &ro->filter.size_min, &ro->filter.size_max)) {
				*rc = ps_usage("report", "--size: '%s' is not a size or MIN-MAX range",
					       optarg);
				return -1;
			}
			break;
		case 's': ro->sort = optarg; break;
		case 'n':
			if (parse_u64_range(optarg, 0, 1000000, &v)) {
				*rc = ps_usage("report", "--top: '%s' is not a count (0-1000000)", optarg);
				return -1;
			}
			ro->top = (int)v;
			break;
		case OPT_FRAME:
			if (parse_u64_range(optarg, 0, 255, &v)) {
				*rc = ps_usage("report", "--frame: '%s' is not a frame index (0-255)",
					       optarg);
				return -1;
			}
			ro->filter.frame = (int)v;
			break;
		case OPT_DIFF: ro->diff = true; break;
		case OPT_VMLINUX: ro->vmlinux = optarg; break;
		case 'h':
			report_help(stdout);
			*rc = EXIT_OK;
			return -1;
		default:
			*rc = ps_usage_getopt("report", opt, argv, longopts);
			return -1;
		}
	}
	return 0;
}

static int report_run(int argc, char **argv)
{
	struct report_opts ro = { .format = RF_TEXT, .top = 20 };
	struct analysis a = { 0 }, b = { 0 };
	struct debuginfo *di = NULL;
	struct outfile outf = { .anon_fd = -1 };
	FILE *out = stdout;
	int rc = EXIT_OK, nfiles;

	group_opts_init(&ro.filter);
	if (parse_options(argc, argv, &ro, &rc))
		goto out;
	nfiles = argc - optind;
	if (nfiles != (ro.diff ? 2 : 1)) {
		rc = ps_usage("report", ro.diff ? "--diff needs two trace files" :
			      "expected one trace file");
		goto out;
	}
	if (ro.diff && (ro.format == RF_FOLDED || ro.format == RF_PPROF || ro.format == RF_HTML)) {
		rc = ps_usage("report", "--diff writes text, csv or json");
		goto out;
	}
	/* Only the group table takes --sort: elsewhere it would be ignored without a word. */
	if (ro.sort && (ro.diff || !(ro.format == RF_CSV || ro.format == RF_JSON ||
				     ((ro.format == RF_TEXT || ro.format == RF_HTML) && ro.group)))) {
		rc = ps_usage("report", "--sort orders the group table: use it with --group, -f csv "
			      "or -f json");
		goto out;
	}
	if (ro.vmlinux) {
		char err[512] = "";
		int derr = debuginfo__open(ro.vmlinux, &di, err, sizeof(err));

		if (derr) {
			ps_error("report: --vmlinux %s", err);
			rc = derr == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
			goto out;
		}
	}
	rc = analyze(argv[optind], &ro, &a);
	if (!rc && di)
		rc = attach_vmlinux(&a, di, ro.vmlinux);
	if (rc)
		goto out;
	if (ro.diff) {
		rc = analyze(argv[optind + 1], &ro, &b);
		if (!rc && di)
			rc = attach_vmlinux(&b, di, ro.vmlinux);
		if (rc)
			goto out;
	}
	if (ro.output) {
		int oerr = outfile_open(&outf, ro.output);

		if (oerr) {
			ps_error("report: cannot create %s: %s", ro.output, strerror(-oerr));
			rc = EXIT_FAIL;
			goto out;
		}
		out = outf.stream;
	}
	if (ro.diff)
		rc = run_diff(out, &ro, &a, &b);
	else if (ro.format == RF_FOLDED)
		rc = run_folded(out, &ro, &a);
	else if (ro.format == RF_PPROF)
		rc = run_pprof(out, &ro, &a);
	else if (ro.format == RF_HTML)
		rc = run_html(out, &ro, &a);
	else
		rc = run_tables(out, &ro, &a);
	check_lines_found(&a, ro.vmlinux);
	check_lines_found(&b, ro.vmlinux);
	/* A full disk is not silent. */
	if (fflush(out) || ferror(out)) {
		ps_error("report: writing %s: %s", ro.output ? ro.output : "stdout", strerror(errno));
		rc = EXIT_FAIL;
	}
out:
	/* -o FILE appears only complete: a late usage error or a failed write
	 * leaves FILE as it was. */
	if (out != stdout && rc == EXIT_OK) {
		int cerr = outfile_commit(&outf);

		if (cerr) {
			ps_error("report: writing %s: %s", ro.output, strerror(-cerr));
			rc = EXIT_FAIL;
		}
	}
	outfile_discard(&outf);
	analysis_release(&a);
	analysis_release(&b);
	debuginfo__free(di);
	globlist_clear(&ro.filter.tags);
	globlist_clear(&ro.filter.comms);
	return rc;
}

const struct command cmd_report = {
	.name = "report",
	.summary = "analyze a trace: outstanding allocations, groups, trends, leak suspects",
	.run = report_run,
	.help = report_help,
};
