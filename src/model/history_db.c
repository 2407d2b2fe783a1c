/* The history database's file: schema, statements, opening and closing.
 *
 * Tiers: 0 raw samples (a chunk per series and hour), 1 one-minute buckets
 * (a chunk per series and hour, written when the hour is folded), 2 one-hour
 * buckets (a chunk per series and day, rolled from tier 1 once the day is
 * over). Retention goes by a chunk's last time, so a tier holds a little more
 * than its retention, never less. */
#include "model/history_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SCHEMA[] =
    "CREATE TABLE schema_version(version INTEGER NOT NULL);"
    "CREATE TABLE boots(id INTEGER PRIMARY KEY, boot_id TEXT NOT NULL UNIQUE,"
    " start_ms INTEGER NOT NULL, first_ms INTEGER, last_ms INTEGER);"
    "CREATE TABLE series(id INTEGER PRIMARY KEY, boot INTEGER NOT NULL, name TEXT NOT NULL,"
    " UNIQUE(boot, name));"
    /* The open hour's samples: a row each until the hour is folded. Keyed
     * by time first, so an interval's rows go side by side (a few pages per
     * commit, not a page per series). */
    "CREATE TABLE head(ts INTEGER NOT NULL, series INTEGER NOT NULL, value REAL NOT NULL,"
    " PRIMARY KEY(ts, series)) WITHOUT ROWID;"
    "CREATE TABLE chunks(id INTEGER PRIMARY KEY, series INTEGER NOT NULL,"
    " tier INTEGER NOT NULL, t0 INTEGER NOT NULL, t1 INTEGER NOT NULL, n INTEGER NOT NULL,"
    " body BLOB NOT NULL, UNIQUE(series, tier, t0));"
    "CREATE TABLE events(id INTEGER PRIMARY KEY, boot INTEGER NOT NULL, ts INTEGER NOT NULL,"
    " kind TEXT NOT NULL, body TEXT NOT NULL);"
    "CREATE INDEX events_by_time ON events(boot, ts);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;";

static const char *const STMT_SQL[ST_N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_BOOT_INSERT] = "INSERT OR IGNORE INTO boots(boot_id, start_ms) VALUES(?1, ?2)",
    [ST_BOOT_FIND] = "SELECT id FROM boots WHERE boot_id = ?1",
    [ST_BOOT_TOUCH] = "UPDATE boots SET first_ms = coalesce(min(first_ms, ?2), ?2),"
		      " last_ms = coalesce(max(last_ms, ?2), ?2) WHERE id = ?1",
    [ST_SERIES_INSERT] = "INSERT OR IGNORE INTO series(boot, name) VALUES(?1, ?2)",
    [ST_SERIES_FIND] = "SELECT id FROM series WHERE boot = ?1 AND name = ?2",
    [ST_HEAD_INSERT] = "INSERT OR REPLACE INTO head(series, ts, value) VALUES(?1, ?2, ?3)",
    [ST_HEAD_ALL] = "SELECT series, ts, value FROM head ORDER BY series, ts",
    [ST_HEAD_CLEAR] = "DELETE FROM head",
    [ST_CHUNK_INSERT] = "INSERT OR REPLACE INTO chunks(series, tier, t0, t1, n, body)"
			" VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_EVENT_INSERT] = "INSERT INTO events(boot, ts, kind, body) VALUES(?1, ?2, ?3, ?4)",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
    [ST_TIER_FIRST] = "SELECT min(t0) FROM chunks WHERE tier = ?1",
    [ST_TIER_DAY] = "SELECT series, body FROM chunks WHERE tier = ?1 AND t0 >= ?2 AND t0 < ?3"
		    " ORDER BY series, t0",
    [ST_Q_BOOTS] = "SELECT id, boot_id, start_ms, first_ms, last_ms FROM boots"
		   " ORDER BY start_ms, id",
    [ST_Q_SERIES] = "SELECT id, name FROM series WHERE boot = ?1 ORDER BY id",
    [ST_Q_CHUNKS] = "SELECT body FROM chunks WHERE series = ?1 AND tier = ?2 AND t0 <= ?4"
		    " AND t1 >= ?3 ORDER BY t0",
    [ST_Q_CHUNK_FIRST] = "SELECT min(t0) FROM chunks WHERE series = ?1 AND tier = ?2",
    [ST_Q_HEAD] = "SELECT h.series, h.ts, h.value FROM head h JOIN series s ON s.id = h.series"
		  " WHERE s.boot = ?1 ORDER BY h.ts",
    [ST_Q_EVENTS] = "SELECT ts, kind, body FROM events WHERE boot = ?1 AND ts BETWEEN ?2 AND ?3"
		    " ORDER BY ts, id",
    [ST_Q_EVENTS_ALL] = "SELECT ts, kind, body FROM events WHERE ts BETWEEN ?2 AND ?3"
			" ORDER BY ts, id",
};

void history_opts_init(struct history_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->raw_keep_s = 24 * 3600;
	opts->minute_keep_s = 30 * 24 * 3600;
	opts->hour_keep_s = 365 * 24 * 3600;
	opts->prune_every_s = 300;
	opts->queue_max = 360;
	opts->busy_timeout_ms = 2000;
	opts->time_resolution_ms = 1000;
}

int history_opts_validate(const struct history_opts *o, struct notes *ns)
{
	if (o->raw_keep_s <= 0 || o->minute_keep_s < o->raw_keep_s ||
	    o->hour_keep_s < o->minute_keep_s || o->prune_every_s < 0 || o->queue_max < 1 ||
	    o->busy_timeout_ms < 0 || o->time_resolution_ms < 1 || o->time_resolution_ms > 60000) {
		notes_add(ns, "history-opts",
			  "history: retention must be positive with raw <= 1-minute <= 1-hour "
			  "(%lld, %lld, %lld s), the queue at least 1 and the time resolution "
			  "1 ms to 1 minute",
			  (long long)o->raw_keep_s, (long long)o->minute_keep_s,
			  (long long)o->hour_keep_s);
		return -EINVAL;
	}
	return 0;
}

int hdb_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE: return 0;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_FULL: return -ENOSPC;
	default: return -EIO;
	}
}

sqlite3_stmt *hdb_stmt(struct history *h, enum stmt_id id)
{
	if (!h->st[id] && sqlite3_prepare_v3(h->db, STMT_SQL[id], -1, SQLITE_PREPARE_PERSISTENT,
					     &h->st[id], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(h->st[id]);
	sqlite3_clear_bindings(h->st[id]);
	return h->st[id];
}

int hdb_step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : hdb_errno(rc);
}

int hdb_exec(struct history *h, enum stmt_id id)
{
	sqlite3_stmt *s = hdb_stmt(h, id);

	return s ? hdb_step_done(s) : hdb_errno(sqlite3_errcode(h->db));
}

int hdb_step_int(sqlite3_stmt *s, int64_t *value)
{
	int rc = sqlite3_step(s), ret;

	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*value = sqlite3_column_int64(s, 0);
		ret = 0;
	} else {
		ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 1 : hdb_errno(rc);
	}
	sqlite3_reset(s);
	return ret;
}

void hdb_rollback(struct history *h)
{
	if (!sqlite3_get_autocommit(h->db))
		hdb_exec(h, ST_ROLLBACK);
}

int history_set_boot(struct history *h, const char *boot_id, int64_t boot_start_ms)
{
	size_t len = boot_id ? strlen(boot_id) : 0;

	if (len == 0 || len > HISTORY_BOOT_ID_MAX)
		return -EINVAL;
	memcpy(h->boot_id, boot_id, len + 1);
	h->boot_start_ms = boot_start_ms;
	h->boot_set = true;
	return 0;
}

void history_stats(const struct history *h, struct history_stats *out)
{
	*out = h->stats;
	out->queued = h->q_len;
}

/* Create the schema in a new database, or check the version of an old one. */
static int init_schema(struct history *h, struct notes *ns)
{
	sqlite3_stmt *s = NULL;
	int64_t version = 0;
	int rc, err;

	err = hdb_exec(h, h->opts.read_only ? ST_BEGIN_READ : ST_BEGIN);
	if (err)
		goto out;
	rc = sqlite3_prepare_v2(h->db,
				"SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'",
				-1, &s, NULL);
	if (rc != SQLITE_OK || hdb_step_int(s, &version)) {
		err = hdb_errno(sqlite3_errcode(h->db));
		err = err ? err : -EIO;
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (version == 0) {
		if (h->opts.read_only) {
			err = -ENOENT;
			notes_add(ns, "history-open", "history: %s holds no history", h->path);
			goto out;
		}
		rc = sqlite3_exec(h->db, SCHEMA, NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(h->db, "INSERT INTO schema_version VALUES(1)", NULL, NULL,
					  NULL);
		if (rc != SQLITE_OK) {
			err = hdb_errno(rc);
			goto out;
		}
		version = SCHEMA_VERSION;
	} else {
		rc = sqlite3_prepare_v2(h->db, "SELECT max(version) FROM schema_version", -1, &s,
					NULL);
		version = 0;
		if (rc != SQLITE_OK || hdb_step_int(s, &version) < 0) {
			err = hdb_errno(sqlite3_errcode(h->db));
			err = err ? err : -EIO;
			goto out;
		}
	}
	if (version != SCHEMA_VERSION) {
		notes_add(ns, "history-open",
			  "history: %s has schema version %lld; this poolscope reads version %d",
			  h->path, (long long)version, SCHEMA_VERSION);
		err = -EPROTO;
		goto out;
	}
	err = hdb_exec(h, ST_COMMIT);
out:
	sqlite3_finalize(s);
	if (err)
		hdb_rollback(h);
	return err;
}

/* Where the head stands after a restart: its hour, boot and intervals. */
static int load_head(struct history *h)
{
	sqlite3_stmt *s = NULL;
	int rc;

	h->head_window = INT64_MIN;
	rc = sqlite3_prepare_v2(h->db,
				"SELECT max(h.ts), count(DISTINCT h.ts), max(s.boot) FROM head h"
				" JOIN series s ON s.id = h.series",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return hdb_errno(rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		h->head_window = hdb_floor_div(sqlite3_column_int64(s, 0), RAW_CHUNK_MS);
		h->head_intervals = (size_t)sqlite3_column_int64(s, 1);
		h->head_boot_row = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hdb_errno(rc);
}

/* Open the file and set its journal. 0 or -errno. */
static int open_file(struct history *h, const char *path)
{
	int flags =
	    h->opts.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &h->db, flags | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK)
		return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	sqlite3_extended_result_codes(h->db, 1);
	/* Another process (`poolscope history` while `watch` writes) holds
	 * the lock for a moment at most: wait rather than fail. */
	sqlite3_busy_timeout(h->db, h->opts.busy_timeout_ms);
	if (h->opts.read_only)
		return 0;
	/* WAL with synchronous=NORMAL: a commit is in the WAL before it
	 * returns, so a killed process loses nothing committed; the WAL is
	 * synced at checkpoints only, so a power cut may lose the last commits
	 * but never corrupts the database. The WAL is cut back to 4 MiB after
	 * a checkpoint. */
	rc = sqlite3_exec(h->db,
			  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			  " PRAGMA journal_size_limit=4194304;",
			  NULL, NULL, NULL);
	return hdb_errno(rc);
}

int history_open(const char *path, const struct history_opts *opts, struct history **out,
		 struct notes *ns)
{
	struct history *h;
	int err;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (opts)
		h->opts = *opts;
	else
		history_opts_init(&h->opts);
	h->stats.last_ts_ms = INT64_MIN;
	h->last_prune_ms = INT64_MIN;
	h->head_window = INT64_MIN;
	err = history_opts_validate(&h->opts, ns);
	if (err)
		goto out;
	err = -ENOMEM;
	h->path = strdup(path);
	h->queue = calloc(h->opts.queue_max, sizeof(*h->queue));
	if (!h->path || !h->queue)
		goto out;
	err = open_file(h, path);
	/* init_schema says itself why it refuses a file (-EPROTO, -ENOENT). */
	if (!err)
		err = init_schema(h, ns);
	if (!err)
		err = load_head(h);
	if (err && err != -EPROTO && err != -ENOENT)
		notes_add(ns, "history-open", "history: cannot open %s: %s", path,
			  h->db ? sqlite3_errmsg(h->db) : strerror(-err));
	if (err)
		goto out;
	*out = h;
	h = NULL;
out:
	history_close(h);
	return err;
}

void history_close(struct history *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < ST_N; i++)
		sqlite3_finalize(h->st[i]);
	sqlite3_close(h->db);
	for (i = 0; i < h->q_len; i++)
		hdb_pending_release(&h->queue[(h->q_first + i) % h->opts.queue_max]);
	free(h->queue);
	hdb_ids_clear(h);
	free(h->ids);
	free(h->path);
	free(h);
}
