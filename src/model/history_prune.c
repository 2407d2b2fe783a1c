/* The history's upkeep, at most every prune_every_s of data time: minute
 * buckets of finished days rolled into hour buckets, then whatever is older
 * than its tier's retention deleted (and series and boots left empty). */
#include "model/history_db.h"

#include <errno.h>
#include <stdlib.h>

static int meta_get(struct history *h, const char *key, int64_t *value)
{
	sqlite3_stmt *s = hdb_stmt(h, ST_META_GET);

	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	return hdb_step_int(s, value);
}

static int meta_set(struct history *h, const char *key, int64_t value)
{
	sqlite3_stmt *s = hdb_stmt(h, ST_META_SET);

	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, value);
	return hdb_step_done(s);
}

/* One day's minute buckets of every series → their hour buckets. */
static int roll_day(struct history *h, int64_t day_ms)
{
	struct history_points minutes = HISTORY_POINTS_INIT, hours = HISTORY_POINTS_INIT;
	struct strbuf blob = STRBUF_INIT;
	sqlite3_stmt *s = hdb_stmt(h, ST_TIER_DAY);
	int64_t series = 0;
	int rc, err = 0;

	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_int(s, 1, TIER_MINUTE);
	sqlite3_bind_int64(s, 2, day_ms);
	sqlite3_bind_int64(s, 3, day_ms + DAY_MS);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);

		if (minutes.n && id != series) {
			history_points_reset(&hours);
			err = history_points_downsample(&minutes, HOUR_MS, &hours);
			if (!err)
				err = hdb_insert_chunk(h, series, TIER_HOUR, &hours, &blob);
			if (err)
				goto out;
			history_points_reset(&minutes);
		}
		series = id;
		/* A chunk that does not decode is left to the query to report;
		 * it does not stop every other series from rolling. */
		history_chunk_decode(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1),
				     &minutes);
	}
	if (rc != SQLITE_DONE) {
		err = hdb_errno(rc);
		goto out;
	}
	if (minutes.n) {
		history_points_reset(&hours);
		err = history_points_downsample(&minutes, HOUR_MS, &hours);
		if (!err)
			err = hdb_insert_chunk(h, series, TIER_HOUR, &hours, &blob);
	}
out:
	sqlite3_reset(s);
	history_points_release(&minutes);
	history_points_release(&hours);
	strbuf_release(&blob);
	return err;
}

/* Roll every day before now's into hour buckets (tier 2), once each: the
 * first day not yet rolled is kept in meta. */
static int roll_days(struct history *h, int64_t now_ms)
{
	int64_t today = hdb_floor_div(now_ms, DAY_MS) * DAY_MS, day = 0, first;
	sqlite3_stmt *s;
	int err, passes = 0;

	err = meta_get(h, "hour_rolled_until", &day);
	if (err < 0)
		return err;
	if (err) {
		s = hdb_stmt(h, ST_TIER_FIRST);
		if (!s)
			return hdb_errno(sqlite3_errcode(h->db));
		sqlite3_bind_int(s, 1, TIER_MINUTE);
		err = hdb_step_int(s, &first);
		if (err)
			return err < 0 ? err : 0; /* nothing to roll yet */
		day = hdb_floor_div(first, DAY_MS) * DAY_MS;
	}
	/* After a long stop, days beyond the hour tier's reach are not rolled. */
	if (day < today - h->opts.hour_keep_s * 1000)
		day = hdb_floor_div(today - h->opts.hour_keep_s * 1000, DAY_MS) * DAY_MS;
	for (; day < today && passes < ROLL_DAYS_PER_PASS; day += DAY_MS, passes++) {
		err = roll_day(h, day);
		if (err)
			return err;
	}
	return passes ? meta_set(h, "hour_rolled_until", day) : 0;
}

static int exec_sql(struct history *h, const char *sql, int64_t bind)
{
	sqlite3_stmt *s = NULL;
	int err;

	/* Pruning runs every few minutes: a statement prepared each time costs
	 * nothing next to the delete it runs. */
	if (sqlite3_prepare_v2(h->db, sql, -1, &s, NULL) != SQLITE_OK)
		return hdb_errno(sqlite3_errcode(h->db));
	if (sqlite3_bind_parameter_count(s) >= 1)
		sqlite3_bind_int64(s, 1, bind);
	err = hdb_step_done(s);
	sqlite3_finalize(s);
	return err;
}

static int prune(struct history *h, int64_t now_ms)
{
	static const char *const by_tier[] = {
	    "DELETE FROM chunks WHERE tier = 0 AND t1 < ?1",
	    "DELETE FROM chunks WHERE tier = 1 AND t1 < ?1",
	    "DELETE FROM chunks WHERE tier = 2 AND t1 < ?1",
	};
	int64_t keep_s[] = {h->opts.raw_keep_s, h->opts.minute_keep_s, h->opts.hour_keep_s};
	int err = 0;
	int i;

	for (i = 0; i < 3 && !err; i++)
		err = exec_sql(h, by_tier[i], now_ms - keep_s[i] * 1000);
	/* A head left by a boot that never came back. */
	if (!err)
		err = exec_sql(h, "DELETE FROM head WHERE ts < ?1",
			       now_ms - h->opts.raw_keep_s * 1000);
	if (!err)
		err = exec_sql(h, "DELETE FROM events WHERE ts < ?1",
			       now_ms - h->opts.hour_keep_s * 1000);
	if (!err)
		err = exec_sql(h,
			       "DELETE FROM series WHERE id NOT IN (SELECT series FROM chunks)"
			       " AND id NOT IN (SELECT series FROM head)",
			       0);
	if (!err)
		err = exec_sql(h,
			       "DELETE FROM boots WHERE id NOT IN (SELECT boot FROM series)"
			       " AND id NOT IN (SELECT boot FROM events)",
			       0);
	return err;
}

/* Downsample and prune, at most every prune_every_s of data time, in a
 * transaction of its own: a failure here does not cost an interval. */
void hdb_maintain(struct history *h, int64_t now_ms, struct notes *ns)
{
	int err;

	if (h->last_prune_ms != INT64_MIN &&
	    now_ms - h->last_prune_ms < h->opts.prune_every_s * 1000 && now_ms >= h->last_prune_ms)
		return;
	err = hdb_exec(h, ST_BEGIN);
	if (!err)
		err = roll_days(h, now_ms);
	if (!err)
		err = prune(h, now_ms);
	if (!err)
		err = hdb_exec(h, ST_COMMIT);
	/* Pruning may have removed a series or boot whose id is cached. */
	hdb_ids_clear(h);
	if (err) {
		hdb_rollback(h);
		notes_add(ns, "history-prune", "history: cannot downsample or prune %s: %s",
			  h->path, sqlite3_errmsg(h->db));
		return;
	}
	h->last_prune_ms = now_ms;
}
