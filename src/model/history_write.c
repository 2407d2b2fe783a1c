/* The history's write path: an interval or an event goes to the end of the
 * retry queue, and the queue is written oldest first, an entry per
 * transaction, until one fails. An interval's samples go to the head; the
 * first interval of a new hour (or boot) first folds the head into chunks. */
#include "model/history_db.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hdb_ids_clear(struct history *h)
{
	size_t i;

	for (i = 0; i < h->ids_n; i++)
		free(h->ids[i].name);
	h->ids_n = 0;
	u64map_free(h->ids_by_hash);
	h->ids_by_hash = NULL;
	h->cached_boot_row = 0;
	h->cached_boot_id[0] = '\0';
}

static void ids_remember(struct history *h, const char *name, uint64_t hash, int64_t id)
{
	struct id_cache_entry *e;

	if (!h->ids_by_hash)
		h->ids_by_hash = u64map_new(1024);
	if (!h->ids_by_hash || u64map_find(h->ids_by_hash, hash))
		return; /* a cache: out of memory or a hash collision just misses */
	if (h->ids_n == h->ids_cap) {
		size_t cap = h->ids_cap ? h->ids_cap * 2 : 256;
		struct id_cache_entry *v = realloc(h->ids, cap * sizeof(*v));

		if (!v)
			return;
		h->ids = v;
		h->ids_cap = cap;
	}
	e = &h->ids[h->ids_n];
	e->name = strdup(name);
	if (!e->name)
		return;
	e->id = id;
	if (u64map_set(h->ids_by_hash, hash, h->ids_n + 1)) {
		free(e->name);
		return;
	}
	h->ids_n++;
}

static int boot_row(struct history *h, const struct pending *e, int64_t *row)
{
	sqlite3_stmt *s;
	int err;

	if (h->cached_boot_row && strcmp(h->cached_boot_id, e->boot_id) == 0) {
		*row = h->cached_boot_row;
		return 0;
	}
	hdb_ids_clear(h);
	s = hdb_stmt(h, ST_BOOT_INSERT);
	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_text(s, 1, e->boot_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, e->boot_start_ms);
	err = hdb_step_done(s);
	if (err)
		return err;
	s = hdb_stmt(h, ST_BOOT_FIND);
	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_text(s, 1, e->boot_id, -1, SQLITE_STATIC);
	err = hdb_step_int(s, row);
	if (err)
		return err < 0 ? err : -EIO;
	h->cached_boot_row = *row;
	snprintf(h->cached_boot_id, sizeof(h->cached_boot_id), "%s", e->boot_id);
	return 0;
}

static int series_row(struct history *h, int64_t boot, const char *name, int64_t *row)
{
	uint64_t hash = hash_bytes(name, strlen(name));
	uint64_t *at = h->ids_by_hash ? u64map_find(h->ids_by_hash, hash) : NULL;
	sqlite3_stmt *s;
	int err;

	if (at && strcmp(h->ids[*at - 1].name, name) == 0) {
		*row = h->ids[*at - 1].id;
		return 0;
	}
	s = hdb_stmt(h, ST_SERIES_INSERT);
	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_int64(s, 1, boot);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	err = hdb_step_done(s);
	if (err)
		return err;
	s = hdb_stmt(h, ST_SERIES_FIND);
	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_int64(s, 1, boot);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	err = hdb_step_int(s, row);
	if (err)
		return err < 0 ? err : -EIO;
	ids_remember(h, name, hash, *row);
	return 0;
}

int hdb_insert_chunk(struct history *h, int64_t series, enum tier tier,
		     const struct history_points *p, struct strbuf *blob)
{
	sqlite3_stmt *s;
	int err = history_chunk_encode(p, tier != TIER_RAW, blob);

	if (err)
		return err;
	s = hdb_stmt(h, ST_CHUNK_INSERT);
	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_int64(s, 1, series);
	sqlite3_bind_int(s, 2, tier);
	sqlite3_bind_int64(s, 3, p->t[0]);
	sqlite3_bind_int64(s, 4, p->t[p->n - 1]);
	sqlite3_bind_int64(s, 5, (int64_t)p->n);
	sqlite3_bind_blob(s, 6, blob->buf, (int)blob->len, SQLITE_STATIC);
	return hdb_step_done(s);
}

/* A series' raw samples of the folded hour → its raw chunk and its minute
 * buckets. */
static int fold_series(struct history *h, int64_t series, const struct history_points *raw,
		       struct history_points *buckets, struct strbuf *blob)
{
	int err = hdb_insert_chunk(h, series, TIER_RAW, raw, blob);

	if (err)
		return err;
	history_points_reset(buckets);
	err = history_points_downsample(raw, MINUTE_MS, buckets);
	return err ? err : hdb_insert_chunk(h, series, TIER_MINUTE, buckets, blob);
}

/* Fold every series' head samples into chunks and empty the head; inside the
 * caller's transaction. */
static int fold_head(struct history *h)
{
	struct history_points raw = HISTORY_POINTS_INIT, buckets = HISTORY_POINTS_INIT;
	struct strbuf blob = STRBUF_INIT;
	sqlite3_stmt *s = hdb_stmt(h, ST_HEAD_ALL);
	int64_t series = 0;
	int rc, err = 0;

	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);

		if (raw.n && id != series) {
			err = fold_series(h, series, &raw, &buckets, &blob);
			if (err)
				goto out;
			history_points_reset(&raw);
		}
		series = id;
		err = history_points_push_sample(&raw, sqlite3_column_int64(s, 1),
						 sqlite3_column_double(s, 2));
		if (err)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		err = hdb_errno(rc);
		goto out;
	}
	if (raw.n) {
		err = fold_series(h, series, &raw, &buckets, &blob);
		if (err)
			goto out;
	}
	sqlite3_reset(s);
	err = hdb_exec(h, ST_HEAD_CLEAR);
out:
	sqlite3_reset(s);
	history_points_release(&raw);
	history_points_release(&buckets);
	strbuf_release(&blob);
	return err;
}

static int write_samples(struct history *h, const struct pending *e, int64_t boot, bool *folded)
{
	int64_t window = hdb_floor_div(e->ts_ms, RAW_CHUNK_MS);
	sqlite3_stmt *s;
	size_t i;
	int err;

	*folded = false;
	if (h->head_intervals && (window != h->head_window || boot != h->head_boot_row ||
				  h->head_intervals >= HISTORY_CHUNK_MAX_POINTS)) {
		err = fold_head(h);
		if (err)
			return err;
		*folded = true;
	}
	for (i = 0; i < e->n; i++) {
		int64_t series;

		if (!isfinite(e->samples[i].value))
			continue;
		err = series_row(h, boot, e->samples[i].name, &series);
		if (err)
			return err;
		s = hdb_stmt(h, ST_HEAD_INSERT);
		if (!s)
			return hdb_errno(sqlite3_errcode(h->db));
		sqlite3_bind_int64(s, 1, series);
		sqlite3_bind_int64(s, 2, e->ts_ms);
		sqlite3_bind_double(s, 3, e->samples[i].value);
		err = hdb_step_done(s);
		if (err)
			return err;
	}
	s = hdb_stmt(h, ST_BOOT_TOUCH);
	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_int64(s, 1, boot);
	sqlite3_bind_int64(s, 2, e->ts_ms);
	return hdb_step_done(s);
}

static int write_event(struct history *h, const struct pending *e, int64_t boot)
{
	sqlite3_stmt *s = hdb_stmt(h, ST_EVENT_INSERT);

	if (!s)
		return hdb_errno(sqlite3_errcode(h->db));
	sqlite3_bind_int64(s, 1, boot);
	sqlite3_bind_int64(s, 2, e->ts_ms);
	sqlite3_bind_text(s, 3, e->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, e->json, -1, SQLITE_STATIC);
	return hdb_step_done(s);
}

/* Write one queued entry in its own transaction. */
static int write_entry(struct history *h, const struct pending *e)
{
	bool folded = false;
	int64_t boot = 0;
	int err;

	err = hdb_exec(h, ST_BEGIN);
	if (err)
		goto out;
	err = boot_row(h, e, &boot);
	if (err)
		goto out;
	err = e->kind ? write_event(h, e, boot) : write_samples(h, e, boot, &folded);
	if (err)
		goto out;
	err = hdb_exec(h, ST_COMMIT);
out:
	if (err) {
		hdb_rollback(h);
		hdb_ids_clear(h);
		return err;
	}
	if (!e->kind) {
		if (folded)
			h->head_intervals = 0;
		h->head_window = hdb_floor_div(e->ts_ms, RAW_CHUNK_MS);
		h->head_boot_row = boot;
		h->head_intervals++;
		h->stats.intervals++;
	}
	if (h->stats.last_ts_ms < e->ts_ms)
		h->stats.last_ts_ms = e->ts_ms;
	return 0;
}

void hdb_pending_release(struct pending *e)
{
	free(e->samples);
	free(e->names);
	free(e->kind);
	free(e->json);
	memset(e, 0, sizeof(*e));
}

/* Put an entry at the queue's end; a full queue drops its oldest. */
static struct pending *queue_push(struct history *h)
{
	struct pending *e;

	if (h->q_len == h->opts.queue_max) {
		hdb_pending_release(&h->queue[h->q_first]);
		h->q_first = (h->q_first + 1) % h->opts.queue_max;
		h->q_len--;
		h->stats.dropped++;
	}
	e = &h->queue[(h->q_first + h->q_len) % h->opts.queue_max];
	h->q_len++;
	memset(e, 0, sizeof(*e));
	snprintf(e->boot_id, sizeof(e->boot_id), "%s", h->boot_id);
	e->boot_start_ms = h->boot_start_ms;
	return e;
}

/* Undo the last queue_push (out of memory while filling it). */
static void queue_unpush(struct history *h)
{
	h->q_len--;
	hdb_pending_release(&h->queue[(h->q_first + h->q_len) % h->opts.queue_max]);
}

static int queue_flush(struct history *h, struct notes *ns)
{
	while (h->q_len) {
		struct pending *e = &h->queue[h->q_first];
		int err = write_entry(h, e);

		if (err) {
			notes_add(ns, "history-write",
				  "history: cannot write to %s: %s (%zu intervals and events "
				  "queued, %llu dropped)",
				  h->path, sqlite3_errmsg(h->db), h->q_len,
				  (unsigned long long)h->stats.dropped);
			return err;
		}
		hdb_pending_release(e);
		h->q_first = (h->q_first + 1) % h->opts.queue_max;
		h->q_len--;
	}
	return 0;
}

int history_append(struct history *h, int64_t ts_ms, const struct history_sample *samples, size_t n,
		   struct notes *ns)
{
	struct pending *e;
	size_t i, bytes = 0;
	char *p;
	int flushed, err;

	if (!h->boot_set || h->opts.read_only)
		return -EINVAL;
	for (i = 0; i < n; i++)
		bytes += strlen(samples[i].name) + 1;
	/* What waits is tried first, so a disk that came back does not see
	 * the oldest entry dropped to make room for this one. */
	flushed = queue_flush(h, ns);
	e = queue_push(h);
	e->ts_ms =
	    hdb_floor_div(ts_ms + h->opts.time_resolution_ms / 2, h->opts.time_resolution_ms) *
	    h->opts.time_resolution_ms;
	e->samples = malloc((n ? n : 1) * sizeof(*e->samples));
	e->names = malloc(bytes ? bytes : 1);
	if (!e->samples || !e->names) {
		queue_unpush(h);
		return -ENOMEM;
	}
	for (i = 0, p = e->names; i < n; i++) {
		size_t len = strlen(samples[i].name) + 1;

		memcpy(p, samples[i].name, len);
		e->samples[i].name = p;
		e->samples[i].value = samples[i].value;
		p += len;
	}
	e->n = n;
	err = flushed ? flushed : queue_flush(h, ns);
	if (err)
		return err;
	hdb_maintain(h, h->stats.last_ts_ms, ns);
	return 0;
}

int history_add_event(struct history *h, int64_t ts_ms, const char *kind, const char *json,
		      struct notes *ns)
{
	struct pending *e;
	int flushed;

	if (!h->boot_set || h->opts.read_only || !kind || !json)
		return -EINVAL;
	flushed = queue_flush(h, ns);
	e = queue_push(h);
	e->ts_ms = ts_ms;
	e->kind = strdup(kind);
	e->json = strdup(json);
	if (!e->kind || !e->json) {
		queue_unpush(h);
		return -ENOMEM;
	}
	return flushed ? flushed : queue_flush(h, ns);
}
