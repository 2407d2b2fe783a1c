#include "analysis/trace_analysis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/userstacks.h"
#include "util/timeutil.h"

void trace_analysis_opts_init(struct trace_analysis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->to_ns = UINT64_MAX;
	group_opts_init(&o->filter);
}

/* The names' ctx is the analysis: with user stacks, a stack id is a joined
 * one (userstacks.h), whose kernel part the reader knows by its own id. */
static uint32_t kernel_stack(const struct trace_analysis *ta, uint32_t id)
{
	return ta->ustacks ? userstacks__kernel(ta->ustacks, id) : id;
}

static const char *names_string(const void *ctx, uint32_t id)
{
	return trace_reader__string(((const struct trace_analysis *)ctx)->reader, id);
}

static int names_stack(const void *ctx, uint32_t id, const uint64_t **ips)
{
	const struct trace_analysis *ta = ctx;

	return trace_reader__stack(ta->reader, kernel_stack(ta, id), ips);
}

static bool names_stack_estimated(const void *ctx, uint32_t id)
{
	const struct trace_analysis *ta = ctx;

	return trace_reader__stack_estimated(ta->reader, kernel_stack(ta, id));
}

static int names_user_stack(const void *ctx, uint32_t id, const struct user_frame **frames,
			    const char **what)
{
	return userstacks__frames(((const struct trace_analysis *)ctx)->ustacks, id, frames, what);
}

/* The reader's reason, prefixed with the path unless it names it already. */
static void say_reason(char *err, size_t errlen, const char *path, const char *reason)
{
	bool named = strncmp(reason, path, strlen(path)) == 0;

	snprintf(err, errlen, "%s%s%s", named ? "" : path, named ? "" : ": ", reason);
}

int trace_analysis__open(const char *path, struct trace_analysis **out, char *err,
			 size_t errlen)
{
	struct trace_analysis *ta = calloc(1, sizeof(*ta));
	char reason[256] = "";
	int rc;

	*out = NULL;
	if (!ta) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	ta->path = path;
	rc = trace_reader__open(path, &ta->reader, reason, sizeof(reason));
	if (rc) {
		if (!reason[0])
			snprintf(reason, sizeof(reason), "%s", strerror(-rc));
		say_reason(err, errlen, path, reason);
		free(ta);
		return rc;
	}
	ta->hdr = trace_reader__header(ta->reader);
	trace_analysis_opts_init(&ta->opts);
	ta->names = (struct trace_names){ .string = names_string, .stack = names_stack,
					  .ksyms = trace_reader__ksyms(ta->reader),
					  .ctx = ta,
					  .stack_estimated = names_stack_estimated,
					  .stack_budget = ta->hdr->stack_rate > 0 };
	if (ta->hdr->user_stacks) {
		ta->ustacks = userstacks__new(ta->reader);
		if (!ta->ustacks) {
			snprintf(err, errlen, "%s: out of memory", path);
			trace_analysis__free(ta);
			return -ENOMEM;
		}
		ta->names.user_stack = names_user_stack;
	}
	*out = ta;
	return 0;
}

void trace_analysis__free(struct trace_analysis *ta)
{
	if (!ta)
		return;
	free(ta->tags);
	free(ta->suspects);
	free(ta->held);
	notes_release(&ta->notes);
	trend__free(ta->trend);
	outstanding__free(ta->outstanding);
	userstacks__free(ta->ustacks);
	trace_reader__close(ta->reader);
	free(ta);
}

int trace_analysis__parse_time(const struct trace_analysis *ta, const char *s, uint64_t *abs_ns)
{
	return parse_recording_time(s, ta->hdr->start_ns, ta->hdr->start_realtime_ns, abs_ns);
}

void trace_analysis__set_source(struct trace_analysis *ta,
				int (*fn)(void *ctx, uint64_t ip, const char **file, int *line),
				void *ctx)
{
	ta->names.source = fn;
	ta->names.source_ctx = fn ? ctx : NULL;
}

void trace_analysis__set_merged_names(struct trace_analysis *ta, trace_merged_names_fn fn,
				      void *ctx)
{
	ta->merged_names = fn;
	ta->merged_names_ctx = fn ? ctx : NULL;
}

struct group_opts trace_analysis__group_opts(const struct trace_analysis *ta,
					     const enum group_dim *dims, int ndims,
					     unsigned int classes)
{
	struct group_opts g = ta->opts.filter;

	if (ndims)
		memcpy(g.dims, dims, sizeof(*dims) * (size_t)ndims);
	g.ndims = ndims;
	if (!g.classes)
		g.classes = classes;
	g.end_ns = ta->end_ns;
	g.names = &ta->names;
	return g;
}

bool trace_analysis__frees_exact(const struct trace_analysis *ta, uint32_t tag_id)
{
	return trace_reader__frees_exact(ta->reader, trace_names__string(&ta->names, tag_id));
}

double trace_analysis__rel_s(const struct trace_analysis *ta, uint64_t ns)
{
	return ns > ta->hdr->start_ns ? (double)(ns - ta->hdr->start_ns) / 1e9 : 0;
}

/* Per tag, every class: the (tag, type) grouping folded into one entry per
 * tag, in the grouping's (tag name) order. */
static int tag_totals(struct trace_analysis *ta)
{
	static const enum group_dim dims[] = { GD_TAG, GD_TYPE };
	struct group_opts g = trace_analysis__group_opts(ta, dims, 2, TA_ALL_CLASSES);
	struct grouping *grouping = NULL;
	struct tag_totals *tags = NULL;
	size_t i, n = 0;
	int err;

	err = group__build(ta->outstanding, &g, &grouping);
	if (err)
		goto out;
	err = -ENOMEM;
	tags = calloc(grouping__nrows(grouping) + 1, sizeof(*tags));
	if (!tags)
		goto out;
	for (i = 0; i < grouping__nrows(grouping); i++) {
		const struct group_row *r = grouping__row(grouping, i);
		struct tag_totals *t;

		if (!n || r->site->tag_id != tags[n - 1].tag_id)
			tags[n++].tag_id = r->site->tag_id;
		t = &tags[n - 1];
		t->count[r->cls] += r->count;
		t->bytes[r->cls] += r->bytes;
		if (r->oldest_ns && ta->end_ns >= r->oldest_ns &&
		    (!t->oldest_ns || r->oldest_ns < t->oldest_ns))
			t->oldest_ns = r->oldest_ns;
	}
	for (i = 0; i < n; i++) {
		tags[i].frees_exact = trace_analysis__frees_exact(ta, tags[i].tag_id);
		ta->ninexact += !tags[i].frees_exact;
	}
	ta->tags = tags;
	ta->ntags = n;
	tags = NULL;
	err = 0;
out:
	free(tags);
	grouping__free(grouping);
	return err;
}

/* The totals of the selected sites (see struct trace_analysis). */
static void selected_totals(struct trace_analysis *ta)
{
	const struct outstanding_totals *all = outstanding__totals(ta->outstanding);
	struct outstanding_totals *t = &ta->totals;
	size_t i, n = outstanding__nsites(ta->outstanding);
	struct group_opts g = trace_analysis__group_opts(ta, NULL, 0, TA_ALL_CLASSES);
	int c;

	*t = *all;
	memset(t->count, 0, sizeof(t->count));
	memset(t->bytes, 0, sizeof(t->bytes));
	t->oldest_ns = t->unmatched_frees = t->allocs = t->frees = 0;
	for (i = 0; i < n; i++) {
		const struct alloc_site *s = outstanding__site(ta->outstanding, i);

		if (!group__site_selected(&g, s))
			continue;
		for (c = 0; c < AC_COUNT; c++) {
			t->count[c] += s->count[c];
			t->bytes[c] += s->bytes[c];
		}
		if (s->oldest_ns && (!t->oldest_ns || s->oldest_ns < t->oldest_ns))
			t->oldest_ns = s->oldest_ns;
		t->allocs += s->window_allocs;
		t->frees += s->window_frees;
		if (s->alloc_unseen)
			t->unmatched_frees += s->window_frees;
	}
	t->records = t->allocs + t->frees + all->window_other;
}

/* An aggregate trace knows counts only at its snapshots: say when a window
 * end asked for falls elsewhere, and where it was taken. */
static void note_snapshot_ends(struct trace_analysis *ta)
{
	const struct outstanding_totals *t = outstanding__totals(ta->outstanding);
	uint64_t start = ta->hdr->start_ns;

	if (!ta->hdr->aggregate)
		return;
	if (ta->opts.from_ns > start && t->snapshot_from_ns != ta->opts.from_ns) {
		if (t->snapshot_from_ns)
			notes_add(&ta->notes, "aggregate-from", "%s: aggregate trace: the window's "
				  "start %.3f s is taken at the snapshot of %.3f s", ta->path,
				  trace_analysis__rel_s(ta, ta->opts.from_ns),
				  trace_analysis__rel_s(ta, t->snapshot_from_ns));
		else
			notes_add(&ta->notes, "aggregate-from", "%s: aggregate trace: no snapshot "
				  "before the window's start %.3f s: counted from the recording's start",
				  ta->path, trace_analysis__rel_s(ta, ta->opts.from_ns));
	}
	if (ta->opts.to_ns < ta->last_ns && t->snapshot_to_ns != ta->opts.to_ns)
		notes_add(&ta->notes, "aggregate-to", "%s: aggregate trace: the window's end %.3f s "
			  "is taken at the snapshot of %.3f s", ta->path,
			  trace_analysis__rel_s(ta, ta->opts.to_ns),
			  trace_analysis__rel_s(ta, t->snapshot_to_ns));
}

/* record's options that select what is recorded, long name and short
 * letter (0: none). */
static const struct {
	const char *name;
	char letter;
} filter_options[] = {
	{ "comm", 0 }, { "kinds", 0 }, { "pid", 'p' }, { "sample", 0 }, { "size", 0 }, { "tag", 't' },
};

/* The value of filter option k if token tok (followed by next) is it;
 * NULL if not. *used: tokens consumed (1 or 2). */
static const char *filter_value(size_t k, const char *tok, const char *next, int *used)
{
	size_t n = strlen(filter_options[k].name);

	*used = 1;
	if (strncmp(tok, "--", 2) == 0 && strncmp(tok + 2, filter_options[k].name, n) == 0) {
		if (tok[2 + n] == '=')
			return tok + 3 + n;
		if (tok[2 + n] == '\0' && next) {
			*used = 2;
			return next;
		}
		return NULL;
	}
	if (filter_options[k].letter && tok[0] == '-' && tok[1] == filter_options[k].letter) {
		if (tok[2])
			return tok + 2;
		if (next) {
			*used = 2;
			return next;
		}
	}
	return NULL;
}

const char *trace_analysis__recorded_filters(const struct trace_analysis *ta, char *buf,
					     size_t len)
{
	char *copy = ta->hdr->options ? strdup(ta->hdr->options) : NULL;
	char *tok[256], *save = NULL, *p;
	size_t ntok = 0, k, used_len = 0;
	int i, used;

	buf[0] = '\0';
	if (!copy)
		return buf;
	for (p = strtok_r(copy, " ", &save); p && ntok < 256; p = strtok_r(NULL, " ", &save))
		tok[ntok++] = p;
	for (k = 0; k < sizeof(filter_options) / sizeof(filter_options[0]); k++) {
		for (i = 0; i < (int)ntok; i += used) {
			const char *v = filter_value(k, tok[i], i + 1 < (int)ntok ? tok[i + 1] : NULL,
						     &used);

			if (v && used_len + 1 < len)
				used_len += (size_t)snprintf(buf + used_len, len - used_len, "%s--%s %s",
							     used_len ? " " : "", filter_options[k].name, v);
			if (!v)
				used = 1;
			if (used_len >= len)
				used_len = len - 1;
		}
	}
	free(copy);
	return buf;
}

void trace_analysis__compare_filters(const struct trace_analysis *a,
				     const struct trace_analysis *b, struct notes *ns)
{
	char fa[512], fb[512];

	trace_analysis__recorded_filters(a, fa, sizeof(fa));
	trace_analysis__recorded_filters(b, fb, sizeof(fb));
	if (strcmp(fa, fb))
		notes_add(ns, "diff-filters", "--diff: %s and %s were recorded with different "
			  "filters (A: %s; B: %s): counts differ for that reason too", a->path,
			  b->path, fa[0] ? fa : "none", fb[0] ? fb : "none");
}

/* Was the trace recorded with --ring? The header keeps the command line. */
static bool recorded_with_ring(const char *options)
{
	const char *p = options;

	while (p && (p = strstr(p, "--ring"))) {
		char next = p[6];

		if ((p == options || p[-1] == ' ') && (next == '\0' || next == ' ' || next == '='))
			return true;
		p += 6;
	}
	return false;
}

/* A flight-recorder trace is complete only from its first kept event: say
 * so when the window starts clearly before it. */
static void note_ring(struct trace_analysis *ta)
{
	const struct outstanding_totals *t = outstanding__totals(ta->outstanding);
	uint64_t gap, slack;

	ta->ring = recorded_with_ring(ta->hdr->options);
	if (!ta->ring || !t->first_event_ns)
		return;
	ta->ring_complete_ns = t->first_event_ns;
	gap = ta->ring_complete_ns > ta->from_ns ? ta->ring_complete_ns - ta->from_ns : 0;
	slack = (ta->end_ns - ta->from_ns) / 100;
	if (slack < 10000000)
		slack = 10000000;
	if (gap > slack)
		notes_add(&ta->notes, "ring-incomplete", "%s: flight-recorder (--ring) trace: events "
			  "are kept from %.3f s on (older ones were overwritten): the window from "
			  "%.3f s misses what happened before", ta->path,
			  trace_analysis__rel_s(ta, ta->ring_complete_ns),
			  trace_analysis__rel_s(ta, ta->from_ns));
}

/* Records up to the window's end into the outstanding analysis. 0, -EINVAL
 * (reason in err) or -ENOMEM. */
static int read_records(struct trace_analysis *ta, char *err, size_t errlen)
{
	struct trace_record rec;
	char reason[256] = "";
	int rc;

	while ((rc = trace_reader__next(ta->reader, &rec, reason, sizeof(reason))) == 1) {
		if (ta->ustacks && rec.type == TR_ALLOC &&
		    userstacks__join(ta->ustacks, &rec.alloc, &rec.alloc.stack_id))
			return -ENOMEM;
		rc = outstanding__add_record(ta->outstanding, &rec);
		if (rc < 0)
			return rc;
		if (rc == 1)
			break; /* past the window: no later record changes the counts */
	}
	/* Read to the end all the same, without counting: what the recorder
	 * writes last (the symbols of late stacks, which tags' frees are not
	 * exact) describes the whole trace. A bad record out there only ends
	 * the reading: the window is complete. */
	while (rc == 1 && (rc = trace_reader__next(ta->reader, &rec, reason, sizeof(reason))) == 1)
		;
	if (rc < 0 && outstanding__totals(ta->outstanding)->last_ns > ta->opts.to_ns)
		rc = 0;
	if (rc < 0) {
		say_reason(err, errlen, ta->path, reason);
		return -EINVAL;
	}
	/* Every mapping is known now: name the user frames. */
	if (ta->ustacks)
		userstacks__set_debug_dir(ta->ustacks, ta->opts.debuginfo_dir);
	if (ta->ustacks && userstacks__name(ta->ustacks))
		return -ENOMEM;
	return trend__error(ta->trend);
}

int trace_analysis__run(struct trace_analysis *ta, const struct trace_analysis_opts *opts,
			char *err, size_t errlen)
{
	struct outstanding_opts oo = { opts->from_ns, opts->to_ns };
	const struct outstanding_totals *t;
	struct outstanding_observer obs;
	uint64_t start = ta->hdr->start_ns;
	int rc;

	ta->opts = *opts;
	if (oo.to_ns < oo.from_ns)
		return -EDOM;
	rc = outstanding__new(&oo, &ta->outstanding);
	if (rc)
		goto nomem;
	/* 1 ms buckets to start with; they widen as the trace goes on. */
	ta->trend = trend__new(oo.from_ns > start ? oo.from_ns : start, 1000000);
	if (!ta->trend)
		goto nomem;
	obs = trend__observer(ta->trend);
	outstanding__set_observer(ta->outstanding, &obs);
	rc = read_records(ta, err, errlen);
	if (rc == -EINVAL)
		return rc;
	if (rc)
		goto nomem;
	ta->truncated = trace_reader__truncated(ta->reader);
	t = outstanding__totals(ta->outstanding);
	ta->last_ns = ta->hdr->stop_ns > t->last_ns ? ta->hdr->stop_ns : t->last_ns;
	/* Past the end would give an empty window that reads like "nothing
	 * leaked". */
	if (oo.from_ns > ta->last_ns)
		return -ERANGE;
	ta->from_ns = oo.from_ns > start ? oo.from_ns : start;
	ta->to_ns = oo.to_ns;
	ta->end_ns = oo.to_ns < ta->last_ns ? oo.to_ns : ta->last_ns;
	if (ta->end_ns < ta->from_ns)
		ta->end_ns = ta->from_ns;
	if (outstanding__finish(ta->outstanding, ta->end_ns))
		goto nomem;
	selected_totals(ta);
	note_snapshot_ends(ta);
	note_ring(ta);
	if (tag_totals(ta) ||
	    suspects__find(ta->trend, ta->outstanding, ta->end_ns, &ta->suspects, &ta->nsuspects) ||
	    suspects__held(ta->trend, ta->outstanding, ta->from_ns, ta->end_ns, ta->suspects,
			   ta->nsuspects, &ta->held, &ta->nheld))
		goto nomem;
	/* Over time up to the window's end: an old leak must not look new.
	 * After the suspects, whose rules judge the series up to its last
	 * event (their golden numbers stay as they were). */
	trend__extend(ta->trend, ta->end_ns);
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", ta->path);
	return -ENOMEM;
}
