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
	size_t reserve;		/* points allocated (and touched) per new series */
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
		free(set->v[i].peak);
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
	if (set->reserve) {
		/* A few points first: most short-lived processes never need
		 * more, and a fork-heavy machine must not cost a whole window
		 * per process it saw once (series.h). */
		size_t first = set->reserve < SERIES_FIRST_POINTS ? set->reserve : SERIES_FIRST_POINTS;

		s->t = calloc(first, sizeof(*s->t));
		s->v = calloc(first, sizeof(*s->v));
		s->peak = calloc(first, sizeof(*s->peak));
		if (!s->t || !s->v || !s->peak) {
			free(s->t);
			free(s->v);
			free(s->peak);
			free(s->name);
			return NULL;
		}
		s->cap = first;
	}
	head = u64map_find(set->by_hash, h);
	s->next = head ? (size_t)*head - 1 : NO_NEXT;
	if (u64map_set(set->by_hash, h, (uint64_t)set->n + 1)) {
		free(s->name);
		free(s->t);
		free(s->v);
		free(s->peak);
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
		/* A reserved series that outlived its first points: its whole
		 * window at once, touched, so its footprint is taken now. */
		bool to_reserve = set->reserve && s->cap < set->reserve;
		size_t old = s->cap, cap = to_reserve ? set->reserve : s->cap ? s->cap * 2 : 16;
		double *nt = realloc(s->t, cap * sizeof(*nt)), *nv;

		if (!nt)
			return -ENOMEM;
		s->t = nt;
		nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		if (s->peak) {
			double *np = realloc(s->peak, cap * sizeof(*np));

			if (!np)
				return -ENOMEM;
			s->peak = np;
		}
		s->cap = cap;
		if (to_reserve) {
			memset(s->t + old, 0, (cap - old) * sizeof(*s->t));
			memset(s->v + old, 0, (cap - old) * sizeof(*s->v));
			if (s->peak)
				memset(s->peak + old, 0, (cap - old) * sizeof(*s->peak));
		}
	}
	s->t[s->n] = t;
	s->v[s->n] = v;
	if (s->peak)
		s->peak[s->n] = v;
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

void series_set_upper_envelope(struct series_set *set, const char *name)
{
	struct series *s = find(set, name, hash_bytes(name, strlen(name)));

	if (s)
		s->upper = true;
}

void series_set_reserve(struct series_set *set, size_t points)
{
	set->reserve = points;
}

/* Each width a multiple of the one before (3, 6, 4, 2): see series.h. */
static const struct series_tier watch_tiers[] = {
	{ 120, 15 },	 /* the 10 min window: 15 s buckets */
	{ 600, 45 },	 /* the 1 h window: 90 s */
	{ 3600, 270 },	 /* the 6 h window: 540 s */
	{ 21600, 1080 }, /* the 24 h window: 2160 s */
	{ 86400, 2160 }, /* older: "been this high before" */
};

const struct series_window series_watch_window = {
	.tiers = watch_tiers,
	.ntiers = sizeof(watch_tiers) / sizeof(watch_tiers[0]),
	.keep_s = 3 * 86400.0,
	.stale_s = 600,
};

size_t series_window_points(const struct series_window *w, double interval_s)
{
	double n, raw_until = w->ntiers ? w->tiers[0].after_s : w->keep_s;
	size_t k;

	if (!(interval_s > 0))
		interval_s = 1;
	n = ceil(raw_until / interval_s) + 1;
	for (k = 0; k < w->ntiers; k++) {
		double until = k + 1 < w->ntiers ? w->tiers[k + 1].after_s : w->keep_s;
		double width = w->tiers[k].bucket_s > interval_s ? w->tiers[k].bucket_s : interval_s;

		/* +2: a bucket cut at each end of the tier. */
		if (until > w->tiers[k].after_s)
			n += ceil((until - w->tiers[k].after_s) / width) + 2;
	}
	return (size_t)n;
}

/* The tier a point of this age folds into; -1: still raw. */
static int tier_of(const struct series_window *w, double age)
{
	int k;

	for (k = (int)w->ntiers - 1; k >= 0; k--)
		if (age > w->tiers[k].after_s)
			return k;
	return -1;
}

/* Fold one series in place; returns its new length. */
static size_t fold_one(struct series *s, double now, const struct series_window *w)
{
	size_t i, out = 0;
	double bucket = NAN, width = 0;

	for (i = 0; i < s->n; i++) {
		double t = s->t[i], v = s->v[i], pk = s->peak[i];
		int k = tier_of(w, now - t);

		if (t < now - w->keep_s)
			continue;
		if (k >= 0) {
			double bw = w->tiers[k].bucket_s, b = bw * floor(t / bw);

			if (out && b == bucket && bw == width) {
				/* The bucket keeps its extreme, at its own time,
				 * and its other extreme as the peak. */
				if (s->upper ? v > s->v[out - 1] : v < s->v[out - 1]) {
					s->t[out - 1] = t;
					s->v[out - 1] = v;
				}
				if (s->upper ? pk < s->peak[out - 1] : pk > s->peak[out - 1])
					s->peak[out - 1] = pk;
				continue;
			}
			bucket = b;
			width = bw;
		} else {
			bucket = NAN;
		}
		s->t[out] = t;
		s->peak[out] = pk;
		s->v[out++] = v;
	}
	return out;
}

int series_set_add_folded(struct series_set *set, const char *name, double t, double v,
			  double peak, double now, const struct series_window *w)
{
	struct series *s = find(set, name, hash_bytes(name, strlen(name)));
	int err;

	if (s && s->n && t < s->t[s->n - 1])
		return -EINVAL;
	if (s && s->peak && s->n && s->n == s->cap && s->cap >= set->reserve)
		s->n = fold_one(s, now, w);
	err = series_set_add(set, name, t, v);
	if (err)
		return err;
	s = find(set, name, hash_bytes(name, strlen(name)));
	if (!s->peak) {
		s->peak = malloc(s->cap * sizeof(*s->peak));
		if (!s->peak)
			return -ENOMEM;
		memcpy(s->peak, s->v, s->n * sizeof(*s->peak));
	}
	s->peak[s->n - 1] = peak;
	return 0;
}

int series_set_fold(struct series_set *set, double now, const struct series_window *w)
{
	struct u64map *by_hash;
	size_t i, kept = 0;

	for (i = 0; i < set->n; i++) {
		struct series *s = &set->v[i];

		if (w->stale_s > 0 && s->n && s->t[s->n - 1] < now - w->stale_s) {
			s->n = 0;
			continue;
		}
		if (!s->peak && s->cap) {
			s->peak = malloc(s->cap * sizeof(*s->peak));
			if (!s->peak)
				return -ENOMEM;
			memcpy(s->peak, s->v, s->n * sizeof(*s->peak));
		}
		s->n = fold_one(s, now, w);
	}
	for (i = 0; i < set->n; i++) {
		if (!set->v[i].n) {
			free(set->v[i].name);
			free(set->v[i].t);
			free(set->v[i].v);
			free(set->v[i].peak);
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
