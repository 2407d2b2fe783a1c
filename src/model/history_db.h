/* Inside the history database: what history_db.c, history_write.c,
 * history_prune.c and history_query.c share. Not a public header: everything
 * outside src/model/history*.c goes through model/history.h. */
#ifndef POOLSCOPE_MODEL_HISTORY_DB_H
#define POOLSCOPE_MODEL_HISTORY_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/history.h"
#include "model/history_codec.h"
#include "util/hashmap.h"
#include "util/strbuf.h"

#define SCHEMA_VERSION 1

#define MINUTE_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
/* Raw samples are folded into chunks per hour: 360 samples at 10 s. */
#define RAW_CHUNK_MS HOUR_MS
/* Rolling minute buckets into hours: at most this many days per pass, so a
 * first pass over a long history does not hold the writer for long. */
#define ROLL_DAYS_PER_PASS 32

enum tier { TIER_RAW, TIER_MINUTE, TIER_HOUR };

enum stmt_id {
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_BOOT_INSERT,
	ST_BOOT_FIND,
	ST_BOOT_TOUCH,
	ST_SERIES_INSERT,
	ST_SERIES_FIND,
	ST_HEAD_INSERT,
	ST_HEAD_ALL,
	ST_HEAD_CLEAR,
	ST_CHUNK_INSERT,
	ST_EVENT_INSERT,
	ST_META_GET,
	ST_META_SET,
	ST_TIER_FIRST,
	ST_TIER_DAY,
	ST_Q_BOOTS,
	ST_Q_SERIES,
	ST_Q_CHUNKS,
	ST_Q_CHUNK_FIRST,
	ST_Q_HEAD,
	ST_Q_EVENTS,
	ST_Q_EVENTS_ALL,
	ST_N
};

/* An append or an event not yet written: the retry queue's entry. */
struct pending {
	char boot_id[HISTORY_BOOT_ID_MAX + 1];
	int64_t boot_start_ms;
	int64_t ts_ms;
	struct history_sample *samples; /* owned; names point into `names` */
	size_t n;
	char *names;	   /* owned */
	char *kind, *json; /* owned; an event when kind is set */
};

/* Series ids of the current boot by name, so an interval does not look each
 * up in the database. Only what a committed transaction wrote is cached. */
struct id_cache_entry {
	char *name; /* owned */
	int64_t id;
};

struct history {
	sqlite3 *db;
	struct history_opts opts;
	char *path; /* owned, for notes */
	sqlite3_stmt *st[ST_N];

	char boot_id[HISTORY_BOOT_ID_MAX + 1];
	int64_t boot_start_ms;
	bool boot_set;
	/* The boot row the cache below belongs to (0: none). */
	char cached_boot_id[HISTORY_BOOT_ID_MAX + 1];
	int64_t cached_boot_row;
	struct id_cache_entry *ids;
	size_t ids_n, ids_cap;
	struct u64map *ids_by_hash; /* hash(name) → index + 1 */

	/* The head: which hour and boot its samples belong to. */
	int64_t head_window; /* INT64_MIN: empty */
	int64_t head_boot_row;
	size_t head_intervals;

	struct pending *queue; /* ring of opts.queue_max */
	size_t q_first, q_len;

	int64_t last_prune_ms; /* INT64_MIN: not yet since open */
	struct history_stats stats;
};

/* SQLite's result code → 0 or -errno: -ENOSPC for a full disk, -ENOMEM,
 * -EIO for everything else (unwritable, I/O error, locked, corrupt). */
int hdb_errno(int rc);
/* The statement, prepared on first use and kept; reset and unbound. NULL
 * when it cannot be prepared (hdb_errno(sqlite3_errcode(db)) says why). */
sqlite3_stmt *hdb_stmt(struct history *h, enum stmt_id id);
/* Run a statement that returns no rows; reset it after. 0 or -errno. */
int hdb_step_done(sqlite3_stmt *s);
int hdb_exec(struct history *h, enum stmt_id id);
/* One integer from a one-row query; reset after. 0, 1 (NULL or no row:
 * *value untouched) or -errno. */
int hdb_step_int(sqlite3_stmt *s, int64_t *value);
/* Roll back the open transaction, if any. */
void hdb_rollback(struct history *h);

/* Forget the cached boot and series ids (after a failed transaction, after
 * pruning that may have removed some). */
void hdb_ids_clear(struct history *h);
void hdb_pending_release(struct pending *e);
/* Encode p and store it as a chunk of the series in a tier. 0 or -errno. */
int hdb_insert_chunk(struct history *h, int64_t series, enum tier tier,
		     const struct history_points *p, struct strbuf *blob);
/* Downsample and prune when due (see history_prune.c). */
void hdb_maintain(struct history *h, int64_t now_ms, struct notes *ns);

/* Floor division: hour and day boundaries stay aligned before the epoch. */
static inline int64_t hdb_floor_div(int64_t t, int64_t unit)
{
	return t / unit - (t % unit < 0);
}

#endif
