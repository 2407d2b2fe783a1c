/* poolscope report: analyze a trace written by `poolscope record`.
 * Options and wiring only: analysis/trace_analysis → output/report_render. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/trace_analysis.h"
#include "cmd/cmd.h"
#include "kernel/debuginfo.h"
#include "kernel/slabmerge.h"
#include "output/report_render.h"
#include "output/diag.h"
#include "util/notes.h"
#include "util/outfile.h"
#include "util/parse.h"

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
	const char *debuginfo;
};

/* One trace of the command line and its --vmlinux lines. */
struct report_trace {
	struct trace_analysis *ta;
	struct debuginfo_lines lines;
};

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
"                      process (pid), comm, callsite, function, cpu, ufunc\n"
"                      (default for csv/json: type,tag; ufunc: the function\n"
"                      of the innermost user frame outside the C library,\n"
"                      with record --user-stacks)\n"
"  -t, --type LIST     only these classes: AIFO, AIFI, AOFI, AOFO (comma list)\n"
"      --tag GLOB      only tags (cache names) matching; '!' excludes, commas\n"
"  -p, --pid LIST      only these process ids (comma list)\n"
"      --comm GLOB     only these process names\n"
"      --size N|MIN-MAX  only allocations of N, or MIN to MAX, bytes (64K forms;\n"
"                        either side may be empty: 1K-, -4K)\n"
"  -s, --sort KEY      count (default), bytes, allocs, frees, outstanding,\n"
"                      oldest_age_s or a group column; \":asc\"/\":desc\"\n"
"  -n, --top N         at most N rows per table (default 20; 0 = all)\n"
"      --frame N       'function' column: stack frame N (0 = innermost)\n"
"                      instead of the call site's function\n"
"      --diff          compare two traces: outstanding per tag and stack\n"
"      --vmlinux FILE  add file:line to kernel frames from FILE's DWARF (the\n"
"                      unstripped vmlinux of the traced kernel; KASLR offset\n"
"                      found from _text/_stext in the trace's symbols)\n"
"      --debuginfo DIR separate debug files of stripped programs (record\n"
"                      --user-stacks), found by build-id as\n"
"                      DIR/.build-id/ab/cdef....debug; /usr/lib/debug is\n"
"                      always searched after DIR\n"
"  -h, --help          this help\n"
"\n"
"Exit status: 0 ok, 1 failure, 2 usage or a bad trace file.\n");
}

/* --pid and --size by the one grammar of each (util/parse.h). */
static int parse_pids(const char *s, struct group_opts *g)
{
	size_t n = (size_t)g->npids;
	int err = parse_pid_list(s, g->pids, GROUP_MAX_PIDS, &n);

	g->npids = (int)n;
	return err;
}

static int parse_sizes(const char *s, struct group_opts *g)
{
	int err = parse_size_range(s, &g->size_min, &g->size_max);

	if (!err && g->size_max == UINT64_MAX)
		g->size_max = 0; /* group_opts: 0 is no upper bound */
	return err;
}

/* Each note of one trace (the same key may come from both traces of --diff). */
static void say_notes(const struct notes *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		ps_warn("report: %s", ns->v[i].text);
}

#define TIME_FORMS "(seconds, \"250ms\", \"@NS\" or UTC \"YYYY-MM-DDTHH:MM:SSZ\")"

/* Open and analyse one trace with the command line's window and filters.
 * EXIT_OK, EXIT_USAGE (bad file or window), EXIT_FAIL (out of memory). */
static int analyze(const char *path, const struct report_opts *ro, struct report_trace *rt)
{
	struct trace_analysis_opts opts;
	char err[512] = "";
	int rc;

	trace_analysis_opts_init(&opts);
	opts.filter = ro->filter;
	opts.debuginfo_dir = ro->debuginfo;
	if (!ro->type_given)
		opts.filter.classes = 0;
	rc = trace_analysis__open(path, &rt->ta, err, sizeof(err));
	if (rc) {
		ps_error("report: %s", err);
		return rc == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	}
	if (ro->from && trace_analysis__parse_time(rt->ta, ro->from, &opts.from_ns))
		return ps_usage("report", "--from: '%s' is not a time in this trace " TIME_FORMS,
				ro->from);
	if (ro->to && trace_analysis__parse_time(rt->ta, ro->to, &opts.to_ns))
		return ps_usage("report", "--to: '%s' is not a time in this trace " TIME_FORMS, ro->to);
	rc = trace_analysis__run(rt->ta, &opts, err, sizeof(err));
	if (rc == -EDOM)
		return ps_usage("report", "--to is before --from");
	/* Text, HTML and JSON carry this in the report itself; CSV, folded stacks,
	 * pprof and --diff have no place for it, and a cut-off trace must not read
	 * as a complete one. */
	if ((!rc || rc == -ERANGE) && rt->ta->truncated &&
	    (ro->diff || ro->format == RF_CSV || ro->format == RF_FOLDED || ro->format == RF_PPROF))
		ps_warn("report: %s was cut off: read up to its last complete chunk", path);
	if (rc == -ERANGE)
		return ps_usage("report", "--from: '%s' is after the end of %s (%.3f s)", ro->from,
				path, trace_analysis__rel_s(rt->ta, rt->ta->last_ns));
	if (rc) {
		ps_error("report: %s", err);
		return rc == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	}
	say_notes(&rt->ta->notes);
	return EXIT_OK;
}

/* Line the image up with the trace's kernel. EXIT_OK or EXIT_USAGE. */
static int attach_vmlinux(struct report_trace *rt, const struct debuginfo *di, const char *vmlinux)
{
	struct notes ns = NOTES_INIT;
	struct trace_analysis *ta = rt->ta;

	if (debuginfo__align(di, trace_reader__ksyms(ta->reader), ta->hdr->kernel_release, vmlinux,
			     ta->path, &rt->lines, &ns)) {
		ps_error("report: %s shares no symbol with the symbols stored in %s (not even _text): "
			 "not the traced kernel, or a trace without symbols", vmlinux, ta->path);
		return EXIT_USAGE;
	}
	say_notes(&ns);
	notes_release(&ns);
	trace_analysis__set_source(ta, debuginfo_lines__source, &rt->lines);
	return EXIT_OK;
}

/* After the output: frames were looked up, none had a line. */
static void check_lines_found(const struct report_trace *rt, const char *vmlinux)
{
	if (rt->ta && rt->ta->names.source && rt->lines.lookups && !rt->lines.found)
		ps_warn("report: none of the %" PRIu64 " frame addresses of %s has a line in %s's "
			"debug info: is it the traced kernel?", rt->lines.lookups, rt->ta->path, vmlinux);
}

/* A merged cache is one name in the trace; on the boot it was recorded on,
 * /sys/kernel/slab knows the others. mc_state: 0 not read, 1 read, -1 not. */
static void attach_merged_names(struct report_trace *rt, struct slabsys *ss, int *mc_state)
{
	if (!rt->ta)
		return;
	if (!*mc_state)
		*mc_state = slabmerge_read(ss, rt->ta->hdr->boot_id) ? -1 : 1;
	if (*mc_state > 0)
		trace_analysis__set_merged_names(rt->ta, slabmerge_names, ss);
}

/* Write the view; says what failed. EXIT_OK, EXIT_USAGE or EXIT_FAIL. */
static int render(FILE *out, const struct report_opts *ro, const struct report_trace *a,
		  const struct report_trace *b)
{
	enum group_dim dims[GROUP_MAX_DIMS];
	struct report_view v = { .format = ro->format, .dims = dims, .grouped = ro->group != NULL,
				 .sort = ro->sort, .top = ro->top };
	char err[160];
	int rc;

	/* pprof is always by tag and stack (refused with --group). */
	if (ro->format != RF_PPROF &&
	    group_parse_dims(ro->group ? ro->group : ro->diff ? "tag" : "type,tag", dims, &v.ndims,
			     err, sizeof(err)))
		return ps_usage("report", "--group: %s", err);
	rc = ro->diff ? report_render_diff(out, a->ta, b->ta, &v) : report_render(out, a->ta, &v);
	if (rc == -EINVAL)
		return ps_usage("report", "--sort: no column '%s' in this table", ro->sort);
	/* A failed write is said once, by report_run's check of the output. */
	if (rc == -ENOMEM && ro->format != RF_PPROF)
		ps_error("report: out of memory");
	else if (rc && ro->format == RF_PPROF && !ferror(out))
		ps_error("report: writing the profile: %s", strerror(-rc));
	return rc ? EXIT_FAIL : EXIT_OK;
}

/* Stop parse_options with this exit code (a usage error's, or --help's). */
static int refuse(int *rc, int usage_rc)
{
	*rc = usage_rc;
	return -1;
}

static int parse_options(int argc, char **argv, struct report_opts *ro, int *rc)
{
	enum { OPT_FROM = 256, OPT_TO, OPT_TAG, OPT_COMM, OPT_SIZE, OPT_FRAME, OPT_DIFF,
	       OPT_VMLINUX, OPT_DEBUGINFO };
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
		{ "debuginfo", required_argument, NULL, OPT_DEBUGINFO },
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
			if (report_format_parse(optarg, &ro->format))
				return refuse(rc, ps_usage("report", "--format: '%s' is not one of text, "
							   "csv, json, folded, pprof, html", optarg));
			break;
		case 'o':
			if (!optarg[0])
				return refuse(rc, ps_usage("report", "--output wants a file name"));
			ro->output = optarg;
			break;
		case OPT_FROM: ro->from = optarg; break;
		case OPT_TO: ro->to = optarg; break;
		case 'g': ro->group = optarg; break;
		case 't':
			if (alloc_class_parse_list(optarg, &ro->filter.classes))
				return refuse(rc, ps_usage("report", "--type: '%s' is not a list of AIFO, "
							   "AIFI, AOFI, AOFO", optarg));
			ro->type_given = true;
			break;
		case OPT_TAG:
			if (globlist_add(&ro->filter.tags, optarg))
				return refuse(rc, ps_usage("report", "--tag: bad pattern list '%s'", optarg));
			break;
		case 'p':
			if (parse_pids(optarg, &ro->filter))
				return refuse(rc, ps_usage("report", "--pid: '%s' is not a list of up to %d "
							   "process ids", optarg, GROUP_MAX_PIDS));
			break;
		case OPT_COMM:
			if (globlist_add(&ro->filter.comms, optarg))
				return refuse(rc, ps_usage("report", "--comm: bad pattern list '%s'", optarg));
			break;
		case OPT_SIZE:
			if (parse_sizes(optarg, &ro->filter))
				return refuse(rc, ps_usage("report", "--size: '%s' is not a size or MIN-MAX "
							   "range", optarg));
			break;
		case 's': ro->sort = optarg; break;
		case 'n':
			if (parse_u64_range(optarg, 0, 1000000, &v))
				return refuse(rc, ps_usage("report", "--top: '%s' is not a count "
							   "(0-1000000)", optarg));
			ro->top = (int)v;
			break;
		case OPT_FRAME:
			if (parse_u64_range(optarg, 0, 255, &v))
				return refuse(rc, ps_usage("report", "--frame: '%s' is not a frame index "
							   "(0-255)", optarg));
			ro->filter.frame = (int)v;
			break;
		case OPT_DIFF: ro->diff = true; break;
		case OPT_VMLINUX: ro->vmlinux = optarg; break;
		case OPT_DEBUGINFO: {
			struct stat st;

			if (stat(optarg, &st))
				return refuse(rc, ps_usage("report", "--debuginfo: %s: %s", optarg,
							   strerror(errno)));
			if (!S_ISDIR(st.st_mode))
				return refuse(rc, ps_usage("report", "--debuginfo: '%s' is not a "
							   "directory", optarg));
			ro->debuginfo = optarg;
			break;
		}
		case 'h':
			report_help(stdout);
			return refuse(rc, EXIT_OK);
		default:
			return refuse(rc, ps_usage_getopt("report", opt, argv, longopts));
		}
	}
	return 0;
}

static int report_run(int argc, char **argv)
{
	struct report_opts ro = { .format = RF_TEXT, .top = 20 };
	struct report_trace a = { 0 }, b = { 0 };
	struct slabsys merges = { 0 };
	int merges_state = 0;
	struct debuginfo *di = NULL;
	struct outfile outf = { .anon_fd = -1 };
	FILE *out = stdout;
	struct notes diff_notes = NOTES_INIT;
	const char *why;
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
	why = report_view_check(ro.format, ro.diff, ro.group != NULL, ro.sort != NULL);
	if (why) {
		rc = ps_usage("report", "%s", why);
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
		trace_analysis__compare_filters(a.ta, b.ta, &diff_notes);
		say_notes(&diff_notes);
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
	attach_merged_names(&a, &merges, &merges_state);
	attach_merged_names(&b, &merges, &merges_state);
	rc = render(out, &ro, &a, &b);
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
	trace_analysis__free(a.ta);
	trace_analysis__free(b.ta);
	debuginfo__free(di);
	slabsys_release(&merges);
	notes_release(&diff_notes);
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
