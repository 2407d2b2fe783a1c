#include "analysis/alerts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hashmap.h"

/* A forecast that disappears for this many updates in a row clears. */
#define FORECAST_GRACE 3
#define LEVEL_HYSTERESIS 0.05

struct alert_state {
	char *key;
	unsigned int flags;
	double since_s, seen_s;
	unsigned int invalid_run; /* updates in a row without a valid forecast */
};

struct alerts {
	double horizon_s;
	struct alert_state *v;
	size_t n, cap;
	struct u64map *by_hash; /* hash(key) → index + 1 (collisions: linear scan) */
};

const char *alert_flags_text(unsigned int flags, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!flags)
		snprintf(buf, len, "ok");
	if (flags & ALERT_FORECAST)
		off += (size_t)snprintf(buf + off, len - off, "forecast");
	if ((flags & ALERT_PCT95) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%s95%%", off ? "+" : "");
	else if ((flags & ALERT_PCT80) && off < len)
		snprintf(buf + off, len - off, "%s80%%", off ? "+" : "");
	return buf;
}

unsigned int alert_flags_parse(const char *text)
{
	unsigned int flags = 0;

	if (strstr(text, "forecast"))
		flags |= ALERT_FORECAST;
	if (strstr(text, "95%"))
		flags |= ALERT_PCT95 | ALERT_PCT80;
	else if (strstr(text, "80%"))
		flags |= ALERT_PCT80;
	return flags;
}

struct alerts *alerts_new(double horizon_s)
{
	struct alerts *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->horizon_s = horizon_s;
	a->by_hash = u64map_new(256);
	if (!a->by_hash) {
		free(a);
		return NULL;
	}
	return a;
}

void alerts_free(struct alerts *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->n; i++)
		free(a->v[i].key);
	free(a->v);
	u64map_free(a->by_hash);
	free(a);
}

static struct alert_state *find(struct alerts *a, const char *key)
{
	uint64_t *i = a->by_hash ? u64map_find(a->by_hash, hash_bytes(key, strlen(key))) : NULL;
	size_t k;

	if (i && strcmp(a->v[*i - 1].key, key) == 0)
		return &a->v[*i - 1];
	/* A hash collision (rare) or no index: the slow way. */
	for (k = 0; (i || !a->by_hash) && k < a->n; k++)
		if (strcmp(a->v[k].key, key) == 0)
			return &a->v[k];
	return NULL;
}

static struct alert_state *findnew(struct alerts *a, const char *key, double now_s)
{
	struct alert_state *st = find(a, key);
	uint64_t h;

	if (st)
		return st;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct alert_state *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	st = &a->v[a->n];
	memset(st, 0, sizeof(*st));
	st->key = strdup(key);
	if (!st->key)
		return NULL;
	st->since_s = now_s;
	h = hash_bytes(key, strlen(key));
	if (a->by_hash && !u64map_find(a->by_hash, h) &&
	    u64map_set(a->by_hash, h, (uint64_t)a->n + 1)) {
		free(st->key);
		return NULL;
	}
	a->n++;
	return st;
}

static unsigned int level_flags(const struct alert_input *in, unsigned int before)
{
	double pct;
	unsigned int flags = 0;

	if (in->limit <= 0)
		return 0;
	pct = in->used / in->limit;
	/* Raised at the threshold, cleared a little under it. */
	if (pct >= 0.95 || ((before & ALERT_PCT95) && pct >= 0.95 - LEVEL_HYSTERESIS))
		flags |= ALERT_PCT95;
	if (pct >= 0.80 || ((before & (ALERT_PCT80 | ALERT_PCT95)) && pct >= 0.80 - LEVEL_HYSTERESIS))
		flags |= ALERT_PCT80;
	return flags;
}

bool alerts_update(struct alerts *a, const struct alert_input *in, double now_s,
		   struct alert_change *change, int *err)
{
	struct alert_state *st = findnew(a, in->key, now_s);
	unsigned int flags;

	*err = 0;
	if (!st) {
		*err = -ENOMEM;
		return false;
	}
	st->seen_s = now_s;
	flags = level_flags(in, st->flags);
	if (in->forecast_valid) {
		st->invalid_run = 0;
		if (in->exhaustion_s <= a->horizon_s ||
		    ((st->flags & ALERT_FORECAST) && in->exhaustion_s <= 1.5 * a->horizon_s))
			flags |= ALERT_FORECAST;
	} else if ((st->flags & ALERT_FORECAST) && ++st->invalid_run < FORECAST_GRACE) {
		flags |= ALERT_FORECAST;
	}
	if (flags == st->flags)
		return false;
	change->before = st->flags;
	change->after = flags;
	change->since_s = st->since_s;
	st->flags = flags;
	st->since_s = now_s;
	return true;
}

int alerts_restore(struct alerts *a, const char *key, unsigned int flags, double now_s)
{
	struct alert_state *st = findnew(a, key, now_s);

	if (!st)
		return -ENOMEM;
	st->flags = flags;
	st->since_s = st->seen_s = now_s;
	st->invalid_run = 0;
	return 0;
}

void alerts_forget(struct alerts *a, double before_s)
{
	size_t i, kept = 0;

	for (i = 0; i < a->n; i++) {
		if (a->v[i].seen_s < before_s) {
			free(a->v[i].key);
			continue;
		}
		a->v[kept++] = a->v[i];
	}
	if (kept == a->n)
		return;
	a->n = kept;
	/* Indices moved: rebuild the index (a failure leaves lookups to the
	 * linear fallback, which still finds every key). */
	u64map_free(a->by_hash);
	a->by_hash = u64map_new(kept ? kept : 256);
	for (i = 0; a->by_hash && i < a->n; i++) {
		uint64_t h = hash_bytes(a->v[i].key, strlen(a->v[i].key));

		if (!u64map_find(a->by_hash, h))
			u64map_set(a->by_hash, h, (uint64_t)i + 1);
	}
}

size_t alerts_active(const struct alerts *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		n += a->v[i].flags != 0;
	return n;
}
