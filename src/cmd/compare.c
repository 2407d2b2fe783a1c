/* poolscope compare: which host is not like the others. Options and wiring:
 * the reader is src/model/snapshot_read.c, the judgement
 * src/analysis/fleet.c, the drawing src/output/fleet_render.c. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/fleet.h"
#include "cmd/cmd.h"
#include "model/snapshot_read.h"
#include "output/diag.h"
#include "output/fleet_render.h"
#include "output/table.h"
#include "util/notes.h"
#include "util/outfile.h"
#include "util/parse.h"

enum compare_format { COMPARE_TEXT, COMPARE_JSON, COMPARE_HTML };

struct compare_cli {
	struct fleet_opts fleet;
	enum compare_format fmt;
	const char *output;
	uint64_t top;
};

static void compare_help(FILE *out)
{
	fprintf(out,
		"usage: poolscope compare [options] SNAPSHOT.json... | DIR | -\n"
		"\n"
		"Which host is not like the others: read the snapshots that\n"
		"`poolscope watch --snapshot` wrote on several hosts and show which host's slab\n"
		"caches, kernel-wide resources or processes' fds deviate from the rest, by how\n"
		"much, against the fleet's median and spread (the median absolute deviation:\n"
		"one odd host cannot hide by moving the average). Levels (bytes, used, fds) and\n"
		"growth rates are judged alike; the verdict does not depend on the order of\n"
		"the files. Also says what a host lacks that most others have.\n"
		"\n"
		"A DIR argument reads every *.json in it; '-' reads one path per line from\n"
		"stdin (for thousands of files). A file that is not a readable snapshot is\n"
		"skipped with one line saying why.\n"
		"\n"
		"  -f, --format FMT      text (default), json or html (a self-contained page)\n"
		"  -o, --output FILE     write there instead of stdout (whole or not at all)\n"
		"  -z, --threshold Z     a host deviates when it is Z spreads or more from the\n"
		"                        median (default 3.5)\n"
		"      --min-hosts N     judge only with at least N hosts (default 3, at least 2)\n"
		"  -n, --top N           show the N largest deviations (default 50; 0: all)\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 when it compared (odd hosts or not), 1 when no snapshot could\n"
		"be read or the output failed, 2 on a usage error.\n");
}

enum { OPT_MIN_HOSTS = 256 };

static const struct option compare_options[] = {
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"threshold", required_argument, NULL, 'z'},
    {"min-hosts", required_argument, NULL, OPT_MIN_HOSTS},
    {"top", required_argument, NULL, 'n'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_format(const char *s, enum compare_format *fmt)
{
	enum output_format f;

	if (strcmp(s, "html") == 0) {
		*fmt = COMPARE_HTML;
		return 0;
	}
	if (output_format_parse(s, &f) || f == FMT_CSV)
		return -EINVAL;
	*fmt = f == FMT_JSON ? COMPARE_JSON : COMPARE_TEXT;
	return 0;
}

static int parse_args(int argc, char **argv, struct compare_cli *o, bool *help)
{
	uint64_t n;
	char *end;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:z:n:h", compare_options, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_format(optarg, &o->fmt))
				return ps_usage("compare", "--format is text, json or html, not '%s'",
						optarg);
			break;
		case 'o':
			if (!*optarg)
				return ps_usage("compare", "--output needs a file name");
			o->output = optarg;
			break;
		case 'z':
			errno = 0;
			o->fleet.threshold = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(o->fleet.threshold) ||
			    o->fleet.threshold <= 0)
				return ps_usage("compare", "--threshold must be a number > 0, not '%s'",
						optarg);
			break;
		case OPT_MIN_HOSTS:
			if (parse_u64_range(optarg, 2, 1000000, &n))
				return ps_usage("compare", "--min-hosts must be from 2 to 1000000, not '%s'",
						optarg);
			o->fleet.min_hosts = (size_t)n;
			break;
		case 'n':
			if (parse_u64_range(optarg, 0, 100000000, &o->top))
				return ps_usage("compare", "--top must be a count (0: all), not '%s'",
						optarg);
			break;
		case 'h': *help = true; return EXIT_OK;
		default: return ps_usage_getopt("compare", c, argv, compare_options);
		}
	}
	if (optind >= argc)
		return ps_usage("compare", "which snapshots? (files, a directory, or - for a list on "
				"stdin)");
	return EXIT_OK;
}

/* The arguments as a sorted list of files, duplicates dropped. */
static int collect_paths(int argc, char **argv, struct snapshot_paths *paths)
{
	bool stdin_read = false;
	struct stat st;
	size_t i, k;
	int err = 0;

	for (i = (size_t)optind; i < (size_t)argc && !err; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "-") == 0) {
			if (stdin_read)
				continue;
			stdin_read = true;
			if ((err = snapshot_paths_add_lines(paths, stdin)))
				ps_error("compare: reading the list of snapshots on stdin: %s",
					 strerror(-err));
		} else if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
			if ((err = snapshot_paths_add_dir(paths, arg)))
				ps_error("compare: cannot list %s: %s", arg, strerror(-err));
		} else if ((err = snapshot_paths_add(paths, arg))) {
			ps_error("compare: out of memory");
		}
	}
	if (err)
		return err;
	snapshot_paths_sort(paths);
	for (i = k = 0; i < paths->n; i++) {
		if (k && strcmp(paths->v[k - 1], paths->v[i]) == 0) {
			free(paths->v[i]);
			continue;
		}
		paths->v[k++] = paths->v[i];
	}
	paths->n = k;
	return 0;
}

struct skipped_list {
	struct fleet_skipped *v; /* path and why owned here */
	size_t n, cap;
};

static int skipped_add(struct skipped_list *s, const char *path, const char *why)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct fleet_skipped *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].path = strdup(path);
	s->v[s->n].why = strdup(why);
	if (!s->v[s->n].path || !s->v[s->n].why) {
		free((char *)s->v[s->n].path);
		free((char *)s->v[s->n].why);
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

static void skipped_release(struct skipped_list *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free((char *)s->v[i].path);
		free((char *)s->v[i].why);
	}
	free(s->v);
}

/* Files parsed at once: enough to keep every CPU busy, few enough that
 * their structs stay small (each is folded into the fleet, then freed). */
#define READ_BATCH 256

/* Read every snapshot into the fleet, in path order; a bad one is said and
 * skipped. */
static int read_fleet(const struct snapshot_paths *paths, struct fleet *f,
		      struct skipped_list *skipped)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct snapshot_result *res = calloc(READ_BATCH, sizeof(*res));
	size_t at, i, n;
	int err = 0;

	if (!res)
		return -ENOMEM;
	for (at = 0; at < paths->n && !err; at += n) {
		n = paths->n - at < READ_BATCH ? paths->n - at : READ_BATCH;
		snapshot_read_files(paths->v + at, n, res, cpus > 0 ? (unsigned int)cpus : 1);
		for (i = 0; i < n; i++) {
			if (!err && res[i].err == -ENOMEM)
				err = -ENOMEM;
			else if (!err && res[i].err) {
				ps_warn("compare: skipped %s", res[i].why);
				err = skipped_add(skipped, paths->v[at + i], res[i].why);
			} else if (!err) {
				err = fleet_add(f, &res[i].snap, paths->v[at + i]);
			}
			host_snapshot_release(&res[i].snap);
		}
	}
	free(res);
	return err;
}

static int render(const struct compare_cli *o, const struct fleet_render *r, FILE *out)
{
	switch (o->fmt) {
	case COMPARE_JSON: return fleet_render_json(r, out);
	case COMPARE_HTML: return fleet_render_html(r, out);
	default: return fleet_render_text(r, out);
	}
}

static int write_output(const struct compare_cli *o, const struct fleet_render *r)
{
	struct outfile of = {0};
	int err;

	if (!o->output) {
		err = render(o, r, stdout);
		if (err && !stdout_reader_gone()) {
			ps_error("compare: writing the output failed: %s", strerror(-err));
			return EXIT_FAIL;
		}
		return EXIT_OK;
	}
	if ((err = outfile_open(&of, o->output))) {
		ps_error("compare: cannot write %s: %s", o->output, strerror(-err));
		return EXIT_FAIL;
	}
	err = render(o, r, of.stream);
	if (!err)
		err = outfile_commit(&of);
	outfile_discard(&of); /* after a commit: frees the names only */
	if (err) {
		ps_error("compare: writing %s failed: %s", o->output, strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int compare_cmd(int argc, char **argv)
{
	struct compare_cli o = {.fmt = COMPARE_TEXT, .top = 50};
	struct snapshot_paths paths = {0};
	struct skipped_list skipped = {0};
	struct fleet_verdict verdict = {0};
	struct notes notes = NOTES_INIT;
	struct fleet *f = NULL;
	bool help = false;
	int rc, err;

	fleet_opts_init(&o.fleet);
	rc = parse_args(argc, argv, &o, &help);
	if (rc != EXIT_OK || help) {
		if (help)
			compare_help(stdout);
		goto out;
	}
	err_json = o.fmt == COMPARE_JSON;
	rc = EXIT_FAIL;
	if (collect_paths(argc, argv, &paths))
		goto out;
	f = fleet_new();
	if (!f || (err = read_fleet(&paths, f, &skipped))) {
		ps_error("compare: out of memory");
		goto out;
	}
	if (!fleet_nhosts(f)) {
		ps_error("compare: no snapshot could be read (%zu given)", paths.n);
		goto out;
	}
	if (fleet_analyze(f, &o.fleet, &verdict, &notes)) {
		ps_error("compare: out of memory");
		goto out;
	}
	ps_warn_notes("compare", &notes);
	rc = write_output(&o, &(struct fleet_render){
				  .fleet = f,
				  .verdict = &verdict,
				  .opts = &o.fleet,
				  .skipped = skipped.v,
				  .nskipped = skipped.n,
				  .top = (size_t)o.top,
			      });
out:
	fleet_verdict_release(&verdict);
	fleet_free(f);
	notes_release(&notes);
	skipped_release(&skipped);
	snapshot_paths_release(&paths);
	return rc;
}

const struct command cmd_compare = {
    .name = "compare",
    .summary = "which host is not like the others: compare snapshots of several hosts",
    .run = compare_cmd,
    .help = compare_help,
};
