#include "analysis/suspects.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "analysis/growth.h"

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

int suspects__find(const struct trend *t, const struct outstanding *o, uint64_t end_ns,
		   struct leak_suspect **out, size_t *n)
{
	int64_t y[TREND_MAX_BUCKETS];
	double v[TREND_MAX_BUCKETS];
	struct growth_params gp;
	struct leak_suspect *list = NULL;
	size_t i, b, count = 0, nb = trend__nbuckets(t), nseries = trend__nseries(t);
	double width_s = (double)trend__bucket_ns(t) / 1e9;

	*out = NULL;
	*n = 0;
	if (nb < 4)
		return 0; /* too short to tell a trend from noise */
	list = calloc(nseries ? nseries : 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	growth_params_init(&gp);
	for (i = 0; i < nseries; i++) {
		const struct trend_series *s = trend__series(t, i);
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
		ls.held_since_ns = oldest;
		ls.score = ls.slope_per_s * ls.r2 * ls.rising;
		list[count++] = ls;
	}
	qsort(list, count, sizeof(*list), by_score);
	*out = list;
	*n = count;
	return 0;
}

static bool among(const struct leak_suspect *list, size_t n, const struct trend_series *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i].key == s->key && list[i].tag_id == s->tag_id &&
		    list[i].stack_id == s->stack_id)
			return true;
	return false;
}

static int by_held(const void *pa, const void *pb)
{
	const struct leak_suspect *a = pa, *b = pb;

	if (a->aifo != b->aifo)
		return a->aifo > b->aifo ? -1 : 1;
	if (a->aifo_bytes != b->aifo_bytes)
		return a->aifo_bytes > b->aifo_bytes ? -1 : 1;
	if (a->oldest_age_ns != b->oldest_age_ns)
		return a->oldest_age_ns > b->oldest_age_ns ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->tag_id != b->tag_id)
		return a->tag_id < b->tag_id ? -1 : 1;
	return (a->stack_id > b->stack_id) - (a->stack_id < b->stack_id);
}

int suspects__held(const struct trend *t, const struct outstanding *o, uint64_t from_ns,
		   uint64_t end_ns, const struct leak_suspect *growing, size_t ngrowing,
		   struct leak_suspect **out, size_t *n)
{
	int64_t y[TREND_MAX_BUCKETS];
	struct leak_suspect *list = NULL;
	size_t i, b, count = 0, nb = trend__nbuckets(t), nseries = trend__nseries(t);
	double window = end_ns > from_ns ? (double)(end_ns - from_ns) : 0;

	*out = NULL;
	*n = 0;
	list = calloc(nseries ? nseries : 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (i = 0; i < nseries && nb; i++) {
		const struct trend_series *s = trend__series(t, i);
		struct leak_suspect ls = { .key = s->key, .tag_id = s->tag_id,
					   .stack_id = s->stack_id };
		uint64_t oldest, tag_aifo;

		if (among(growing, ngrowing, s))
			continue;
		site_totals(o, &ls, &ls.aifo, &ls.aifo_bytes, &oldest, &tag_aifo);
		if (ls.aifo < HELD_MIN_OBJECTS || !oldest || oldest > end_ns ||
		    (double)(end_ns - oldest) < HELD_MIN_WINDOW_SHARE * window)
			continue;
		trend_series__outstanding(s, nb, y, NULL);
		ls.first = y[0];
		ls.last = y[nb - 1];
		ls.peak = y[0];
		for (b = 1; b < nb; b++)
			if (y[b] > ls.peak)
				ls.peak = y[b];
		if ((double)ls.last < 0.8 * (double)ls.peak)
			continue; /* being released */
		ls.share = tag_aifo ? (double)ls.aifo / (double)tag_aifo : 0;
		ls.oldest_age_ns = end_ns - oldest;
		ls.held_since_ns = oldest;
		list[count++] = ls;
	}
	qsort(list, count, sizeof(*list), by_held);
	*out = list;
	*n = count;
	return 0;
}
