#include "analysis/trend.h"

#include <errno.h>
#include <math.h>
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

void trend__event(struct trend *t, struct alloc_site *site, uint64_t ts_ns, int dcount,
		  int64_t dbytes)
{
	uint64_t b = ts_ns > t->origin ? (ts_ns - t->origin) / t->width : 0;

	while (b >= TREND_MAX_BUCKETS) {
		halve(t);
		b = ts_ns > t->origin ? (ts_ns - t->origin) / t->width : 0;
	}
	if (b + 1 > t->nbuckets)
		t->nbuckets = b + 1;
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

/* AIFO, bytes and oldest outstanding allocation of a (tag, stack) or tag. */
static void site_totals(const struct outstanding *o, const struct leak_suspect *ls,
			uint64_t *aifo, uint64_t *bytes, uint64_t *oldest, uint64_t *tag_aifo)
{
	size_t i, n = outstanding__nsites(o);

	*aifo = *bytes = *oldest = *tag_aifo = 0;
	for (i = 0; i < n; i++) {
		const struct alloc_site *s = outstanding__site(o, i);

		if (ls->key == TREND_STACK && s->tag_id == ls->tag_id)
			*tag_aifo += s->count[AC_AIFO];
		if (ls->key == TREND_TAG)
			*tag_aifo += s->count[AC_AIFO]; /* all AIFO, for the share */
		if (s->tag_id != ls->tag_id || (ls->key == TREND_STACK && s->stack_id != ls->stack_id))
			continue;
		*aifo += s->count[AC_AIFO];
		*bytes += s->bytes[AC_AIFO];
		if (s->oldest_ns && (!*oldest || s->oldest_ns < *oldest))
			*oldest = s->oldest_ns;
	}
}

static int by_score(const void *pa, const void *pb)
{
	const struct leak_suspect *a = pa, *b = pb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->tag_id != b->tag_id)
		return a->tag_id < b->tag_id ? -1 : 1;
	return (a->stack_id > b->stack_id) - (a->stack_id < b->stack_id);
}

int trend__suspects(const struct trend *t, const struct outstanding *o, uint64_t end_ns,
		    struct leak_suspect **out, size_t *n)
{
	int64_t y[TREND_MAX_BUCKETS];
	double v[TREND_MAX_BUCKETS];
	struct growth_params gp;
	struct leak_suspect *list = NULL;
	size_t i, b, count = 0, nb = t->nbuckets;
	double width_s = (double)t->width / 1e9;

	*out = NULL;
	*n = 0;
	if (nb < 4)
		return 0; /* too short to tell a trend from noise */
	list = calloc(t->nseries ? t->nseries : 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	growth_params_init(&gp);
	for (i = 0; i < t->nseries; i++) {
		const struct trend_series *s = t->series[i];
		struct leak_suspect ls = { .key = s->key, .tag_id = s->tag_id,
					   .stack_id = s->stack_id };
		uint64_t oldest, tag_aifo;
		struct growth_fit fit;

		trend_series__outstanding(s, nb, y, NULL);
		for (b = 0; b < nb; b++)
			v[b] = (double)y[b];
		if (growth_assess(NULL, v, nb, &gp, &fit)) {
			free(list);
			return -ENOMEM;
		}
		if (fit.verdict != GROWTH_STEADY)
			continue;
		ls.first = y[0];
		ls.last = y[nb - 1];
		ls.peak = (int64_t)fit.max;
		ls.r2 = fit.r2;
		ls.rising = fit.rising;
		ls.slope_per_s = fit.slope_per_s / width_s;
		site_totals(o, &ls, &ls.aifo, &ls.aifo_bytes, &oldest, &tag_aifo);
		if (!ls.aifo)
			continue;
		ls.share = tag_aifo ? (double)ls.aifo / (double)tag_aifo : 0;
		ls.oldest_age_ns = oldest && end_ns > oldest ? end_ns - oldest : 0;
		ls.score = ls.slope_per_s * ls.r2 * ls.rising;
		list[count++] = ls;
	}
	qsort(list, count, sizeof(*list), by_score);
	*out = list;
	*n = count;
	return 0;
}
