#include "analysis/trace_analysis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

void trace_analysis_opts_init(struct trace_analysis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->to_ns = UINT64_MAX;
	group_opts_init(&o->filter);
}

static const char *names_string(const void *ctx, uint32_t id)
{
	return trace_reader__string(ctx, id);
}

static int names_stack(const void *ctx, uint32_t id, const uint64_t **ips)
{
	return trace_reader__stack(ctx, id, ips);
}

static bool names_stack_estimated(const void *ctx, uint32_t id)
{
	return trace_reader__stack_estimated(ctx, id);
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
					  .ctx = ta->reader,
					  .stack_estimated = names_stack_estimated,
					  .stack_budget = ta->hdr->stack_rate > 0 };
	*out = ta;
	return 0;
}

void trace_analysis__free(struct trace_analysis *ta)
{
	if (!ta)
		return;
	free(ta->tags);
	free(ta->suspects);
	trend__free(ta->trend);
	outstanding__free(ta->outstanding);
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

/* Records up to the window's end into the outstanding analysis. 0, -EINVAL
 * (reason in err) or -ENOMEM. */
static int read_records(struct trace_analysis *ta, char *err, size_t errlen)
{
	struct trace_record rec;
	char reason[256] = "";
	int rc;

	while ((rc = trace_reader__next(ta->reader, &rec, reason, sizeof(reason))) == 1) {
		rc = outstanding__add_record(ta->outstanding, &rec);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return 0; /* past the window: nothing later changes the result */
	}
	if (rc < 0) {
		say_reason(err, errlen, ta->path, reason);
		return -EINVAL;
	}
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
	if (tag_totals(ta) ||
	    suspects__find(ta->trend, ta->outstanding, ta->end_ns, &ta->suspects, &ta->nsuspects))
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
