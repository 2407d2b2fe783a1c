/* Reading the history back: boots, series by glob and time range, events. */
#include "model/history_db.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void history_query_init(struct history_query *q)
{
	memset(q, 0, sizeof(*q));
	q->since_ms = INT64_MIN;
	q->until_ms = INT64_MAX;
	q->stat = HISTORY_MEAN;
}

static double point_value(const struct history_points *p, size_t i, enum history_stat stat)
{
	switch (stat) {
	case HISTORY_MIN: return p->col[COL_MIN][i];
	case HISTORY_MAX: return p->col[COL_MAX][i];
	case HISTORY_LAST: return p->col[COL_LAST][i];
	case HISTORY_MEAN:
	default:
		return p->col[COL_COUNT][i] > 0 ? p->col[COL_SUM][i] / p->col[COL_COUNT][i]
						: p->col[COL_LAST][i];
	}
}

/* The rows of the boots table, oldest first: ids and, when wanted, rows. */
static int load_boots(struct history *h, int64_t **ids, struct history_boot **rows, size_t *n)
{
	sqlite3_stmt *s = hdb_stmt(h, ST_Q_BOOTS);
	size_t cap = 0;
	int rc, err = 0;

	*ids = NULL;
	if (rows)
		*rows = NULL;
	*n = 0;
	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			int64_t *v = realloc(*ids, ncap * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				goto out;
			}
			*ids = v;
			if (rows) {
				struct history_boot *r = realloc(*rows, ncap * sizeof(*r));

				if (!r) {
					err = -ENOMEM;
					goto out;
				}
				*rows = r;
			}
			cap = ncap;
		}
		(*ids)[*n] = sqlite3_column_int64(s, 0);
		if (rows) {
			struct history_boot *b = &(*rows)[*n];
			const char *id = (const char *)sqlite3_column_text(s, 1);

			snprintf(b->boot_id, sizeof(b->boot_id), "%s", id ? id : "");
			b->start_ms = sqlite3_column_int64(s, 2);
			b->first_ms = sqlite3_column_type(s, 3) == SQLITE_NULL
					  ? INT64_MIN
					  : sqlite3_column_int64(s, 3);
			b->last_ms = sqlite3_column_type(s, 4) == SQLITE_NULL
					 ? INT64_MIN
					 : sqlite3_column_int64(s, 4);
		}
		(*n)++;
	}
	if (rc != SQLITE_DONE)
		err = hdb_errno(rc);
out:
	sqlite3_reset(s);
	if (err) {
		free(*ids);
		*ids = NULL;
		if (rows) {
			free(*rows);
			*rows = NULL;
		}
		*n = 0;
	}
	return err;
}

int history_boots(struct history *h, struct history_boot **out, size_t *n)
{
	int64_t *ids;
	int err = load_boots(h, &ids, out, n);

	free(ids);
	return err;
}

/* Which rows of boot_ids a boot number selects: [*first, *end). */
static void pick_boots(size_t nboots, int boot, size_t *first, size_t *end)
{
	*first = *end = 0;
	if (boot == HISTORY_ALL_BOOTS) {
		*end = nboots;
	} else if (boot <= 0 && (size_t)(-(int64_t)boot) < nboots) {
		*first = nboots - 1 - (size_t)(-(int64_t)boot);
		*end = *first + 1;
	}
}

/* A series a query reads: its id, name and the samples still in the head. */
struct matched {
	int64_t id;
	char *name; /* owned */
	struct history_points head;
};

/* The first time a tier holds for a series (INT64_MAX: none). */
static int tier_first(struct history *h, const struct matched *m, enum tier tier, int64_t *first)
{
	sqlite3_stmt *s = hdb_stmt(h, ST_Q_CHUNK_FIRST);
	int err;

	*first = INT64_MAX;
	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_int64(s, 1, m->id);
	sqlite3_bind_int(s, 2, tier);
	err = hdb_step_int(s, first);
	if (err < 0)
		return err;
	if (tier == TIER_RAW && m->head.n && m->head.t[0] < *first)
		*first = m->head.t[0];
	return 0;
}

/* Append a tier's points of a series in [since, until] to out (the head's
 * samples after the raw chunks). */
static int load_tier(struct history *h, const struct matched *m, enum tier tier, int64_t since,
		     int64_t until, struct history_points *out, struct notes *ns)
{
	sqlite3_stmt *s = hdb_stmt(h, ST_Q_CHUNKS);
	size_t i;
	int rc, err = 0;

	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_int64(s, 1, m->id);
	sqlite3_bind_int(s, 2, tier);
	sqlite3_bind_int64(s, 3, since);
	sqlite3_bind_int64(s, 4, until);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		err = history_chunk_decode(sqlite3_column_blob(s, 0),
					   (size_t)sqlite3_column_bytes(s, 0), out);
		if (err == -ENOMEM)
			goto out;
		if (err) {
			notes_add(ns, "history-read", "history: %s: a chunk of %s is corrupt",
				  h->path, m->name);
			err = -EIO;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		err = hdb_errno(rc);
	for (i = 0; !err && tier == TIER_RAW && i < m->head.n; i++)
		if (m->head.t[i] >= since && m->head.t[i] <= until)
			err =
			    history_points_push_sample(out, m->head.t[i], m->head.col[COL_LAST][i]);
out:
	sqlite3_reset(s);
	return err;
}

/* Add the points of p that start in [since, until] and, for a bucket of
 * bucket_ms, end by `limit`, where a finer tier takes over. */
static int add_points(struct series_set *set, const char *name, const struct history_points *p,
		      int64_t since, int64_t until, int64_t bucket_ms, int64_t limit,
		      enum history_stat stat)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		int err;

		if (p->t[i] < since || p->t[i] > until ||
		    (limit != INT64_MAX && p->t[i] + bucket_ms > limit))
			continue;
		err = series_set_add(set, name, (double)p->t[i] / 1000.0, point_value(p, i, stat));
		if (err == -ENOMEM)
			return err; /* -EINVAL: the time went backwards, left out */
	}
	return 0;
}

/* One series: hour buckets before the minute ones, minute buckets before the
 * raw samples, raw samples where they are kept. */
static int query_series(struct history *h, const struct matched *m, const struct history_query *q,
			struct series_set *set, struct history_points *pts, struct notes *ns)
{
	static const int64_t bucket_ms[] = {
	    [TIER_RAW] = 0, [TIER_MINUTE] = MINUTE_MS, [TIER_HOUR] = HOUR_MS};
	int64_t from, limit[3], finer = INT64_MAX;
	int tier, err;

	/* A tier covers what no finer one does: up to where they start. */
	for (tier = TIER_RAW; tier <= TIER_HOUR; tier++) {
		err = tier_first(h, m, tier, &from);
		if (err)
			return err;
		limit[tier] = from == INT64_MAX ? INT64_MIN : finer;
		if (from < finer)
			finer = from;
	}
	for (tier = TIER_HOUR; tier >= TIER_RAW; tier--) {
		int64_t until = q->until_ms;

		if (limit[tier] == INT64_MIN)
			continue; /* the tier is empty */
		if (limit[tier] != INT64_MAX && limit[tier] - 1 < until)
			until = limit[tier] - 1;
		if (until < q->since_ms)
			continue;
		history_points_reset(pts);
		err = load_tier(h, m, tier, q->since_ms, until, pts, ns);
		if (!err)
			err = add_points(set, m->name, pts, q->since_ms, until, bucket_ms[tier],
					 limit[tier], q->stat);
		if (err)
			return err;
	}
	return 0;
}

static void matched_release(struct matched *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		history_points_release(&v[i].head);
	}
	free(v);
}

/* The series of a boot whose names match, in creation order. */
static int match_series(struct history *h, int64_t boot, const char *glob, struct matched **out,
			size_t *n)
{
	sqlite3_stmt *s = hdb_stmt(h, ST_Q_SERIES);
	struct matched *v = NULL;
	size_t len = 0, cap = 0;
	int rc, err = 0;

	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_int64(s, 1, boot);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);

		if (!name || (glob && fnmatch(glob, name, 0) != 0))
			continue;
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct matched *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				err = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		memset(&v[len], 0, sizeof(v[len]));
		v[len].id = sqlite3_column_int64(s, 0);
		v[len].name = strdup(name);
		if (!v[len++].name) {
			err = -ENOMEM;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		err = hdb_errno(rc);
out:
	sqlite3_reset(s);
	if (err) {
		matched_release(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

/* The head's samples of the matched series: one pass over the head (keyed
 * by time, it has no index by series). */
static int load_head(struct history *h, int64_t boot, struct matched *v, size_t n)
{
	sqlite3_stmt *s = hdb_stmt(h, ST_Q_HEAD);
	struct u64map *by_id = u64map_new(n ? n : 1);
	size_t i;
	int rc, err = 0;

	if (!by_id)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		err = u64map_set(by_id, (uint64_t)v[i].id, i);
	if (err)
		goto out;
	if (!s) {
		err = hdb_errno(sqlite3_errcode(h->db));
		goto out;
	}
	sqlite3_bind_int64(s, 1, boot);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t *at = u64map_find(by_id, (uint64_t)sqlite3_column_int64(s, 0));

		if (!at)
			continue;
		err = history_points_push_sample(&v[*at].head, sqlite3_column_int64(s, 1),
						 sqlite3_column_double(s, 2));
		if (err)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = hdb_errno(rc);
out:
	if (s)
		sqlite3_reset(s);
	u64map_free(by_id);
	return err;
}

static int query_boot(struct history *h, int64_t boot, const struct history_query *q,
		      struct series_set *set, struct notes *ns)
{
	struct history_points pts = HISTORY_POINTS_INIT;
	struct matched *v = NULL;
	size_t n = 0, i;
	int err;

	err = match_series(h, boot, q->glob, &v, &n);
	if (err)
		return err;
	err = load_head(h, boot, v, n);
	for (i = 0; !err && i < n; i++)
		err = query_series(h, &v[i], q, set, &pts, ns);
	matched_release(v, n);
	history_points_release(&pts);
	return err;
}

int history_query(struct history *h, const struct history_query *q, struct series_set **out,
		  struct notes *ns)
{
	struct series_set *set = series_set_new();
	int64_t *boots = NULL;
	size_t nboots = 0, b = 0, end = 0;
	int err;

	*out = NULL;
	if (!set)
		return -ENOMEM;
	err = hdb_exec(h, ST_BEGIN_READ);
	if (!err)
		err = load_boots(h, &boots, NULL, &nboots);
	if (!err)
		pick_boots(nboots, q->boot, &b, &end);
	for (; !err && b < end; b++)
		err = query_boot(h, boots[b], q, set, ns);
	hdb_rollback(h);
	free(boots);
	if (err) {
		if (err != -ENOMEM && !notes_find(ns, "history-read"))
			notes_add(ns, "history-read", "history: cannot read %s: %s", h->path,
				  sqlite3_errmsg(h->db));
		series_set_free(set);
		return err;
	}
	*out = set;
	return 0;
}

void history_events_free(struct history_event *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].kind);
		free(v[i].json);
	}
	free(v);
}

int history_events(struct history *h, int boot, int64_t since_ms, int64_t until_ms,
		   struct history_event **out, size_t *n)
{
	struct history_event *v = NULL;
	sqlite3_stmt *s = NULL;
	int64_t *boots = NULL;
	size_t nboots = 0, cap = 0, len = 0, b, end;
	int rc, err;

	*out = NULL;
	*n = 0;
	err = hdb_exec(h, ST_BEGIN_READ);
	if (err)
		goto out;
	err = load_boots(h, &boots, NULL, &nboots);
	if (err)
		goto out;
	pick_boots(nboots, boot, &b, &end);
	if (b == end)
		goto out;
	s = hdb_stmt(h, boot == HISTORY_ALL_BOOTS ? ST_Q_EVENTS_ALL : ST_Q_EVENTS);
	if (!s) {
		err = hdb_errno(sqlite3_errcode(h->db));
		goto out;
	}
	sqlite3_bind_int64(s, 1, boots[b]);
	sqlite3_bind_int64(s, 2, since_ms);
	sqlite3_bind_int64(s, 3, until_ms);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(s, 1);
		const char *json = (const char *)sqlite3_column_text(s, 2);

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct history_event *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				err = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		v[len].ts_ms = sqlite3_column_int64(s, 0);
		v[len].kind = strdup(kind ? kind : "");
		v[len].json = strdup(json ? json : "");
		len++;
		if (!v[len - 1].kind || !v[len - 1].json) {
			err = -ENOMEM;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		err = hdb_errno(rc);
out:
	if (s)
		sqlite3_reset(s);
	hdb_rollback(h);
	free(boots);
	if (err) {
		history_events_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}
