/* Series are kept in one array (in creation order, so output is stable) and
 * found by name through a hash of the name → first index, chained by index. */
#include "model/series.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/hashmap.h"

#define NO_NEXT SIZE_MAX

struct series_set {
	struct series *v;
	size_t n, cap;
	struct u64map *by_hash; /* hash(name) → index + 1 of the chain's head */
};

struct series_set *series_set_new(void)
{
	struct series_set *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	set->by_hash = u64map_new(256);
	if (!set->by_hash) {
		free(set);
		return NULL;
	}
	return set;
}

void series_set_free(struct series_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++) {
		free(set->v[i].name);
		free(set->v[i].t);
		free(set->v[i].v);
	}
	free(set->v);
	u64map_free(set->by_hash);
	free(set);
}

static struct series *find(const struct series_set *set, const char *name, uint64_t h)
{
	uint64_t *head = u64map_find(set->by_hash, h);
	size_t i;

	for (i = head ? (size_t)*head - 1 : NO_NEXT; i != NO_NEXT; i = set->v[i].next)
		if (strcmp(set->v[i].name, name) == 0)
			return &set->v[i];
	return NULL;
}

static struct series *create(struct series_set *set, const char *name, uint64_t h)
{
	uint64_t *head;
	struct series *s;

	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		struct series *v = realloc(set->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		set->v = v;
		set->cap = cap;
	}
	s = &set->v[set->n];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	s->limit = SERIES_NO_LIMIT;
	head = u64map_find(set->by_hash, h);
	s->next = head ? (size_t)*head - 1 : NO_NEXT;
	if (u64map_set(set->by_hash, h, (uint64_t)set->n + 1)) {
		free(s->name);
		return NULL;
	}
	set->n++;
	return s;
}

int series_set_add(struct series_set *set, const char *name, double t, double v)
{
	uint64_t h = hash_bytes(name, strlen(name));
	struct series *s = find(set, name, h);

	if (!s)
		s = create(set, name, h);
	if (!s)
		return -ENOMEM;
	if (s->n && t < s->t[s->n - 1])
		return -EINVAL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		double *nt = realloc(s->t, cap * sizeof(*nt)), *nv;

		if (!nt)
			return -ENOMEM;
		s->t = nt;
		nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->t[s->n] = t;
	s->v[s->n] = v;
	s->n++;
	return 0;
}

void series_set_limit(struct series_set *set, const char *name, double limit)
{
	struct series *s = find(set, name, hash_bytes(name, strlen(name)));

	if (s)
		s->limit = limit;
}

const struct series *series_set_find(const struct series_set *set, const char *name)
{
	return find(set, name, hash_bytes(name, strlen(name)));
}

size_t series_set_count(const struct series_set *set)
{
	return set ? set->n : 0;
}

const struct series *series_set_at(const struct series_set *set, size_t i)
{
	return set && i < set->n ? &set->v[i] : NULL;
}

double series_last(const struct series *s)
{
	return s && s->n ? s->v[s->n - 1] : NAN;
}

/* Fold one series in place; returns its new length. */
static size_t compact_one(struct series *s, double raw_from, double bucket_s, double keep_from)
{
	size_t i, out = 0;
	double bucket = -1;

	for (i = 0; i < s->n; i++) {
		double t = s->t[i], v = s->v[i];

		if (t < keep_from)
			continue;
		if (t < raw_from && bucket_s > 0) {
			/* Aligned to absolute time: folding again moves nothing. */
			double b = bucket_s * floor(t / bucket_s);

			/* The oldest bucket is cut at keep_from: a point is
			 * never moved out of what is kept. */
			if (b < keep_from)
				b = keep_from;

			if (out && bucket == b) {
				if (v < s->v[out - 1])
					s->v[out - 1] = v;
				continue;
			}
			bucket = b;
			s->t[out] = b;
			s->v[out++] = v;
			continue;
		}
		s->t[out] = t;
		s->v[out++] = v;
	}
	return out;
}

int series_set_compact(struct series_set *set, double now, double raw_s, double bucket_s,
		       double keep_s)
{
	struct u64map *by_hash;
	size_t i, kept = 0;

	for (i = 0; i < set->n; i++)
		set->v[i].n = compact_one(&set->v[i], now - raw_s, bucket_s, now - keep_s);
	for (i = 0; i < set->n; i++) {
		if (!set->v[i].n) {
			free(set->v[i].name);
			free(set->v[i].t);
			free(set->v[i].v);
			continue;
		}
		set->v[kept++] = set->v[i];
	}
	if (kept == set->n)
		return 0;
	set->n = kept;
	/* Indices moved: rebuild the chains. */
	by_hash = u64map_new(kept ? kept : 256);
	if (!by_hash)
		return -ENOMEM;
	u64map_free(set->by_hash);
	set->by_hash = by_hash;
	for (i = 0; i < set->n; i++) {
		uint64_t h = hash_bytes(set->v[i].name, strlen(set->v[i].name));
		uint64_t *head = u64map_find(set->by_hash, h);

		set->v[i].next = head ? (size_t)*head - 1 : NO_NEXT;
		if (u64map_set(set->by_hash, h, (uint64_t)i + 1))
			return -ENOMEM;
	}
	return 0;
}
