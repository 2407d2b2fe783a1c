#include "analysis/trend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/growth.h"
#include "util/hashmap.h"

struct trend {
	uint64_t origin, width;
	size_t nbuckets; /* highest bucket touched + 1 */
	struct trend_series **series;
	size_t nseries, cap;
	struct u64map *index; /* (key, tag, stack) → series index + 1 */
	int error;
};

struct trend *trend__new(uint64_t origin_ns, uint64_t min_bucket_ns)
{
	struct trend *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->origin = origin_ns;
	t->width = min_bucket_ns ? min_bucket_ns : 1000000;
	t->index = u64map_new(256);
	if (!t->index) {
		free(t);
		return NULL;
	}
	return t;
}

void trend__free(struct trend *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nseries; i++)
		free(t->series[i]);
	free(t->series);
	u64map_free(t->index);
	free(t);
}

static uint64_t series_key(enum trend_key key, uint32_t tag, uint32_t stack)
{
	return (uint64_t)key << 62 ^ (uint64_t)tag << 32 ^ stack;
}

/* Series index + 1, created if new; 0 when out of memory. Tag ids below
 * 2^30 keep the key unique (string tables are far smaller). */
static uint32_t series_findnew(struct trend *t, enum trend_key key, uint32_t tag, uint32_t stack)
{
	uint64_t *slot = u64map_findnew(t->index, series_key(key, tag, stack), 0);
	struct trend_series *s;

	if (!slot)
		return 0;
	if (*slot)
		return (uint32_t)*slot;
	if (t->nseries == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct trend_series **grown = realloc(t->series, cap * sizeof(*grown));

		if (!grown)
			goto fail;
		t->series = grown;
		t->cap = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	s->key = key;
	s->tag_id = tag;
	s->stack_id = stack;
	t->series[t->nseries++] = s;
	*slot = t->nseries;
	return (uint32_t)*slot;
fail:
	u64map_remove(t->index, series_key(key, tag, stack), NULL);
	return 0;
}

/* The window outgrew the buckets: merge neighbours, double the width. */
static void halve(struct trend *t)
{
	size_t i, b;

	for (i = 0; i < t->nseries; i++) {
		struct trend_series *s = t->series[i];

		for (b = 0; b < TREND_MAX_BUCKETS / 2; b++) {
			s->allocs[b] = s->allocs[2 * b] + s->allocs[2 * b + 1];
			s->frees[b] = s->frees[2 * b] + s->frees[2 * b + 1];
			s->net_count[b] = s->net_count[2 * b] + s->net_count[2 * b + 1];
			s->net_bytes[b] = s->net_bytes[2 * b] + s->net_bytes[2 * b + 1];
		}
		memset(&s->allocs[b], 0, sizeof(s->allocs[0]) * (TREND_MAX_BUCKETS - b));
		memset(&s->frees[b], 0, sizeof(s->frees[0]) * (TREND_MAX_BUCKETS - b));
		memset(&s->net_count[b], 0, sizeof(s->net_count[0]) * (TREND_MAX_BUCKETS - b));
		memset(&s->net_bytes[b], 0, sizeof(s->net_bytes[0]) * (TREND_MAX_BUCKETS - b));
	}
	t->width *= 2;
	t->nbuckets = (t->nbuckets + 1) / 2;
}

static void bump(struct trend_series *s, size_t b, int dcount, int64_t dbytes)
{
	if (dcount > 0)
		s->allocs[b]++;
	else
		s->frees[b]++;
	s->net_count[b] += dcount;
	s->net_bytes[b] += dbytes;
}

/* The bucket of ts, merging buckets until it fits; nbuckets covers it. */
static uint64_t bucket_of(struct trend *t, uint64_t ts_ns)
{
	uint64_t b = ts_ns > t->origin ? (ts_ns - t->origin) / t->width : 0;

	while (b >= TREND_MAX_BUCKETS) {
		halve(t);
		b = ts_ns > t->origin ? (ts_ns - t->origin) / t->width : 0;
	}
	if (b + 1 > t->nbuckets)
		t->nbuckets = b + 1;
	return b;
}

void trend__extend(struct trend *t, uint64_t ts_ns)
{
	bucket_of(t, ts_ns);
}

void trend__event(struct trend *t, struct alloc_site *site, uint64_t ts_ns, int dcount,
		  int64_t dbytes)
{
	uint64_t b = bucket_of(t, ts_ns);

	if (!site->trend_tag)
		site->trend_tag = series_findnew(t, TREND_TAG, site->tag_id, TRACE_NO_STACK);
	if (!site->trend_stack && site->stack_id != TRACE_NO_STACK)
		site->trend_stack = series_findnew(t, TREND_STACK, site->tag_id, site->stack_id);
	if (!site->trend_tag || (!site->trend_stack && site->stack_id != TRACE_NO_STACK)) {
		t->error = -ENOMEM;
		return;
	}
	bump(t->series[site->trend_tag - 1], b, dcount, dbytes);
	if (site->trend_stack)
		bump(t->series[site->trend_stack - 1], b, dcount, dbytes);
}

static void observe(void *ctx, struct alloc_site *site, uint64_t ts_ns, int dcount,
		    int64_t dbytes)
{
	trend__event(ctx, site, ts_ns, dcount, dbytes);
}

struct outstanding_observer trend__observer(struct trend *t)
{
	return (struct outstanding_observer){ .event = observe, .ctx = t };
}

int trend__error(const struct trend *t)
{
	return t->error;
}

uint64_t trend__origin_ns(const struct trend *t)
{
	return t->origin;
}

uint64_t trend__bucket_ns(const struct trend *t)
{
	return t->width;
}

size_t trend__nbuckets(const struct trend *t)
{
	return t->nbuckets;
}

size_t trend__nseries(const struct trend *t)
{
	return t->nseries;
}

const struct trend_series *trend__series(const struct trend *t, size_t i)
{
	return t->series[i];
}

const struct trend_series *trend__tag_series(const struct trend *t, uint32_t tag_id)
{
	uint64_t *slot = u64map_find(t->index, series_key(TREND_TAG, tag_id, TRACE_NO_STACK));

	return slot ? t->series[*slot - 1] : NULL;
}

void trend_series__outstanding(const struct trend_series *s, size_t nbuckets, int64_t *counts,
			       int64_t *bytes)
{
	int64_t c = 0, by = 0;
	size_t b;

	for (b = 0; b < nbuckets && b < TREND_MAX_BUCKETS; b++) {
		c += s->net_count[b];
		by += s->net_bytes[b];
		counts[b] = c;
		if (bytes)
			bytes[b] = by;
	}
}

void trend_fit(const int64_t *y, size_t n, double *slope, double *r2, double *rising)
{
	double v[TREND_MAX_BUCKETS];
	size_t i;

	if (n > TREND_MAX_BUCKETS)
		n = TREND_MAX_BUCKETS;
	for (i = 0; i < n; i++)
		v[i] = (double)y[i];
	growth_line_fit(NULL, v, n, slope, r2, rising);
}

