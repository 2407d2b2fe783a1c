#include "analysis/findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *finding_kind_name(enum finding_kind k)
{
	switch (k) {
	case FINDING_LEAK: return "leak";
	case FINDING_CACHE: return "cache";
	case FINDING_NEAR_LIMIT: return "near-limit";
	}
	return "?";
}

struct finding *diagnosis_add(struct diagnosis *d, enum finding_kind kind)
{
	struct finding *f;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct finding *v = realloc(d->findings, cap * sizeof(*v));

		if (!v)
			return NULL;
		d->findings = v;
		d->cap = cap;
	}
	f = &d->findings[d->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->limit = -1;
	f->exhaustion_s = -1;
	return f;
}

void finding_series(struct finding *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nseries; i++)
		if (strcmp(f->series[i], name) == 0)
			return;
	if (f->nseries < sizeof(f->series) / sizeof(f->series[0]))
		snprintf(f->series[f->nseries++], sizeof(f->series[0]), "%s", name);
}

void finding_evidence(struct finding *f, const char *fmt, ...)
{
	va_list ap;

	if (f->nevidence >= FINDING_EVIDENCE)
		return;
	va_start(ap, fmt);
	vsnprintf(f->evidence[f->nevidence++], sizeof(f->evidence[0]), fmt, ap);
	va_end(ap);
}

void diagnosis_checked_source(struct diagnosis *d, const char *fmt, ...)
{
	struct diagnosis_checked *c = &d->checked;
	va_list ap;

	if (c->nsources >= sizeof(c->sources) / sizeof(c->sources[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(c->sources[c->nsources++], sizeof(c->sources[0]), fmt, ap);
	va_end(ap);
}

void diagnosis_checked_skip(struct diagnosis *d, const char *fmt, ...)
{
	struct diagnosis_checked *c = &d->checked;
	va_list ap;

	if (c->nskipped >= sizeof(c->skipped) / sizeof(c->skipped[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(c->skipped[c->nskipped++], sizeof(c->skipped[0]), fmt, ap);
	va_end(ap);
}

static int kind_rank(enum finding_kind k)
{
	return k == FINDING_LEAK ? 0 : k == FINDING_NEAR_LIMIT ? 1 : 2;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	double ex, ey;

	if (kind_rank(x->kind) != kind_rank(y->kind))
		return kind_rank(x->kind) - kind_rank(y->kind);
	if (x->confidence != y->confidence)
		return x->confidence > y->confidence ? -1 : 1;
	/* Soonest exhaustion first; "never" (< 0) last. */
	ex = x->exhaustion_s < 0 ? 1e300 : x->exhaustion_s;
	ey = y->exhaustion_s < 0 ? 1e300 : y->exhaustion_s;
	if (ex != ey)
		return ex < ey ? -1 : 1;
	if (x->rate_per_s != y->rate_per_s)
		return x->rate_per_s > y->rate_per_s ? -1 : 1;
	return strcmp(x->resource, y->resource);
}

void diagnosis_sort(struct diagnosis *d)
{
	if (d->n > 1)
		qsort(d->findings, d->n, sizeof(*d->findings), cmp_finding);
}

void diagnosis_release(struct diagnosis *d)
{
	if (!d)
		return;
	free(d->findings);
	memset(d, 0, sizeof(*d));
}
