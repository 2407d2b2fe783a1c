/* history: the chunk codec round-trips exactly and stays small; the database
 * keeps every sample through folds and reopens, downsamples without
 * averaging a spike away, prunes by retention, keeps boots apart, stores
 * events, refuses an unknown schema and queues what a locked database
 * refuses. No root: a temporary directory, removed after. */
#include "test_util.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "kernel/boot.h"
#include "model/history.h"
#include "model/history_codec.h"

#define T0 1764547200000LL /* 2025-12-01 00:00:00 UTC, ms */
#define BOOT_A "11111111-2222-3333-4444-555555555555"
#define BOOT_B "66666666-7777-8888-9999-000000000000"

struct tmpdb {
	char dir[64];
	char path[128];
};

static void tmpdb_make(struct tmpdb *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/poolscope-history.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/history.db", t->dir);
}

static void tmpdb_remove(struct tmpdb *t)
{
	char p[192];

	snprintf(p, sizeof(p), "%s-wal", t->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", t->path);
	unlink(p);
	unlink(t->path);
	assert_int_equal(rmdir(t->dir), 0);
}

static struct history *open_db(const char *path, const struct history_opts *opts)
{
	struct notes ns = NOTES_INIT;
	struct history *h = NULL;

	assert_int_equal(history_open(path, opts, &h, &ns), 0);
	assert_int_equal(ns.n, 0);
	notes_release(&ns);
	return h;
}

static void append(struct history *h, int64_t ts, const char *const *names, const double *values,
		   size_t n)
{
	struct history_sample s[16];
	struct notes ns = NOTES_INIT;
	size_t i;

	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		s[i].name = names[i];
		s[i].value = values[i];
	}
	assert_int_equal(history_append(h, ts, s, n, &ns), 0);
	assert_int_equal(ns.n, 0);
	notes_release(&ns);
}

static struct series_set *query(struct history *h, const char *glob, int64_t since, int64_t until,
				int boot, enum history_stat stat)
{
	struct history_query q;
	struct notes ns = NOTES_INIT;
	struct series_set *set = NULL;

	history_query_init(&q);
	q.glob = glob;
	q.since_ms = since;
	q.until_ms = until;
	q.boot = boot;
	q.stat = stat;
	assert_int_equal(history_query(h, &q, &set, &ns), 0);
	assert_int_equal(ns.n, 0);
	notes_release(&ns);
	return set;
}

static void check_roundtrip(const struct history_points *p, bool buckets, size_t max_bytes)
{
	struct history_points back = HISTORY_POINTS_INIT;
	struct strbuf blob = STRBUF_INIT;
	size_t i;
	int c;

	assert_int_equal(history_chunk_encode(p, buckets, &blob), 0);
	if (blob.len > max_bytes)
		fail_msg("%zu points took %zu bytes, want <= %zu", p->n, blob.len, max_bytes);
	assert_int_equal(history_chunk_decode(blob.buf, blob.len, &back), 0);
	assert_int_equal(back.n, p->n);
	for (i = 0; i < p->n; i++) {
		assert_true(back.t[i] == p->t[i]);
		if (!buckets) {
			assert_true(back.col[COL_LAST][i] == p->col[COL_LAST][i]);
			continue;
		}
		for (c = 0; c < COL_N; c++)
			assert_true(back.col[c][i] == p->col[c][i]);
	}
	/* Every truncation is refused and leaves out as it was. */
	for (i = 0; i < blob.len; i++) {
		back.n = 3;
		assert_int_equal(history_chunk_decode(blob.buf, i, &back), -EINVAL);
		assert_int_equal(back.n, 3);
	}
	history_points_release(&back);
	strbuf_release(&blob);
}

static void test_codec(void **state)
{
	struct history_points p = HISTORY_POINTS_INIT, b = HISTORY_POINTS_INIT;
	size_t i;

	(void)state;
	/* Flat and regular: 360 samples in a handful of bytes. */
	for (i = 0; i < 360; i++)
		assert_int_equal(history_points_push_sample(&p, T0 + (int64_t)i * 10000, 4096), 0);
	check_roundtrip(&p, false, 24);
	/* Jitter, a gap, negative and large values, steps. */
	history_points_reset(&p);
	for (i = 0; i < 360; i++) {
		int64_t t = T0 + (int64_t)i * 10000 + (i % 7) * 3 + (i > 200 ? 600000 : 0);
		double v = (i % 50 == 0) ? -1e15 : 1e12 + (double)(i * i % 97) * 4096;

		assert_int_equal(history_points_push_sample(&p, t, v), 0);
	}
	check_roundtrip(&p, false, 360 * 12);
	/* Not integers: stored as doubles, still exact. */
	history_points_reset(&p);
	for (i = 0; i < 100; i++)
		assert_int_equal(history_points_push_sample(&p, T0 + (int64_t)i * 10000, 0.1 * i),
				 0);
	check_roundtrip(&p, false, 100 * 9 + 16);
	assert_int_equal(history_points_push_sample(&p, T0 + 2000000, INFINITY), 0);
	check_roundtrip(&p, false, 101 * 9 + 16);
	/* Buckets: a minute of six samples each, one spike. */
	history_points_reset(&p);
	for (i = 0; i < 360; i++)
		assert_int_equal(
		    history_points_push_sample(&p, T0 + (int64_t)i * 10000,
					       i == 100 ? 9000 : 100 + (double)(i % 6)),
		    0);
	assert_int_equal(history_points_downsample(&p, 60000, &b), 0);
	assert_int_equal(b.n, 60);
	assert_true(b.t[16] == T0 + 16 * 60000);
	assert_true(b.col[COL_MAX][16] == 9000); /* sample 100 is in minute 16 */
	assert_true(b.col[COL_MIN][16] == 100);
	assert_true(b.col[COL_COUNT][16] == 6);
	assert_true(b.col[COL_SUM][16] == 9000 + 100 + 101 + 102 + 103 + 105);
	assert_true(b.col[COL_LAST][16] == 105);
	assert_true(b.col[COL_MAX][15] == 105);
	check_roundtrip(&b, true, 60 * 12);
	/* Buckets of buckets: one hour. */
	{
		struct history_points hour = HISTORY_POINTS_INIT;

		assert_int_equal(history_points_downsample(&b, 3600000, &hour), 0);
		assert_int_equal(hour.n, 1);
		assert_true(hour.col[COL_MAX][0] == 9000);
		assert_true(hour.col[COL_COUNT][0] == 360);
		history_points_release(&hour);
	}
	/* Garbage. */
	assert_int_equal(history_chunk_decode("\x07\x01", 2, &b), -EINVAL);
	assert_int_equal(history_chunk_decode("", 0, &b), -EINVAL);
	history_points_reset(&p);
	{
		struct strbuf blob = STRBUF_INIT;

		assert_int_equal(history_chunk_encode(&p, false, &blob), -EINVAL);
		strbuf_release(&blob);
	}
	history_points_release(&p);
	history_points_release(&b);
}

static const char *const NAMES[] = {"slab/filp/bytes", "slab/filp/objs", "sys/file-nr",
				    "proc/42:777/fds/eventfd"};

/* Three hours at 10 s (two folds), a restart in the middle: every sample
 * comes back exactly, in order, from chunks and from the head. */
static void test_write_read_reopen(void **state)
{
	struct tmpdb t;
	struct history *h;
	struct series_set *set;
	const struct series *s;
	struct history_stats st;
	int64_t i, n = 3 * 360 + 17;

	(void)state;
	tmpdb_make(&t);
	h = open_db(t.path, NULL);
	{
		struct history_sample one = {"x", 1};
		struct notes ns = NOTES_INIT;

		assert_int_equal(history_append(h, T0, &one, 1, &ns), -EINVAL); /* no boot */
		notes_release(&ns);
	}
	assert_int_equal(history_set_boot(h, BOOT_A, T0 - 3600000), 0);
	for (i = 0; i < n; i++) {
		double v[4] = {1e6 + (double)(i % 13) * 256, (double)(i % 13), 5000 + (double)i,
			       (double)i / 4};

		if (i == n / 2) {
			history_close(h);
			h = open_db(t.path, NULL);
			assert_int_equal(history_set_boot(h, BOOT_A, T0 - 3600000), 0);
		}
		/* Start a quarter hour in, so folds do not fall on the start. */
		append(h, T0 + 900000 + i * 10000, NAMES, v, 4);
	}
	history_stats(h, &st);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.dropped, 0);
	assert_true(st.last_ts_ms == T0 + 900000 + (n - 1) * 10000);

	set = query(h, NULL, INT64_MIN, INT64_MAX, 0, HISTORY_MEAN);
	assert_int_equal(series_set_count(set), 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(series_set_at(set, (size_t)i)->name, NAMES[i]);
	s = series_set_find(set, "sys/file-nr");
	assert_int_equal(s->n, n);
	for (i = 0; i < n; i++) {
		assert_true(s->t[i] == (double)(T0 + 900000 + i * 10000) / 1000.0);
		assert_true(s->v[i] == 5000 + (double)i);
	}
	s = series_set_find(set, "proc/42:777/fds/eventfd");
	assert_true(s->v[n - 1] == (double)(n - 1) / 4);
	series_set_free(set);

	/* A glob and a range. */
	set = query(h, "slab/*", T0 + 3600000, T0 + 3600000 + 59999, 0, HISTORY_MAX);
	assert_int_equal(series_set_count(set), 2);
	s = series_set_find(set, "slab/filp/objs");
	assert_int_equal(s->n, 6);
	assert_true(s->t[0] == (double)(T0 + 3600000) / 1000.0);
	series_set_free(set);
	history_close(h);
	history_close(NULL);
	tmpdb_remove(&t);
}

/* Short retention, six simulated days at 60 s: recent samples are raw,
 * older ones minute buckets, older still hour buckets, the oldest gone; a
 * spike survives as the max of its buckets. */
static void test_tiers_and_retention(void **state)
{
	struct history_opts o;
	struct tmpdb t;
	struct history *h;
	struct series_set *set;
	const struct series *s;
	const char *name[] = {"slab/dentry/bytes"};
	int64_t i, n = 6 * 1440, spike = 2 * 1440 + 605, last;
	size_t k, raw = 0, minute = 0, hour = 0;
	bool spike_seen = false;

	(void)state;
	history_opts_init(&o);
	o.raw_keep_s = 6 * 3600;
	o.minute_keep_s = 2 * 86400;
	o.hour_keep_s = 5 * 86400;
	tmpdb_make(&t);
	h = open_db(t.path, &o);
	assert_int_equal(history_set_boot(h, BOOT_A, T0), 0);
	for (i = 0; i < n; i++) {
		double v = i == spike ? 1e9 : 1000 + (double)(i % 10);

		append(h, T0 + i * 60000 + 1234, name, &v, 1); /* kept as +1000 */
	}
	last = T0 + (n - 1) * 60000 + 1000;
	set = query(h, NULL, INT64_MIN, INT64_MAX, 0, HISTORY_MAX);
	s = series_set_find(set, name[0]);
	assert_non_null(s);
	for (k = 0; k < s->n; k++) {
		int64_t ms = (int64_t)llround(s->t[k] * 1000);

		if (k)
			assert_true(s->t[k] > s->t[k - 1]);
		if (ms % 60000 == 1000)
			raw++;
		else if (ms % 3600000 == 0)
			hour++;
		else
			minute++;
		if (s->v[k] == 1e9)
			spike_seen = true;
	}
	/* The oldest point is no older than the hour tier keeps (plus the
	 * day chunk it sits in). */
	assert_true((int64_t)(s->t[0] * 1000) >= last - (5 + 1) * 86400000LL);
	assert_true(raw >= 6 * 60 && raw <= 8 * 60);
	assert_true(minute >= 40 * 60);
	assert_true(hour >= 24);
	assert_true(spike_seen);
	assert_true(series_last(s) == 1000 + (double)((n - 1) % 10));
	series_set_free(set);

	/* The mean of the spike's hour is diluted, its max is not. */
	set = query(h, NULL, T0 + 2 * 86400000LL + 10 * 3600000LL,
		    T0 + 2 * 86400000LL + 10 * 3600000LL, 0, HISTORY_MEAN);
	s = series_set_find(set, name[0]);
	assert_non_null(s);
	assert_int_equal(s->n, 1);
	assert_true(s->v[0] > 1000 && s->v[0] < 1e9);
	series_set_free(set);
	history_close(h);
	tmpdb_remove(&t);
}

/* Two boots under the same names; events in each; the previous boot. */
static void test_boots_and_events(void **state)
{
	struct tmpdb t;
	struct history *h;
	struct series_set *set;
	struct history_boot *boots;
	struct history_event *ev;
	struct notes ns = NOTES_INIT;
	size_t nboots, nev;
	int64_t i;

	(void)state;
	tmpdb_make(&t);
	h = open_db(t.path, NULL);
	assert_int_equal(history_set_boot(h, BOOT_A, T0), 0);
	for (i = 0; i < 100; i++) {
		double v[2] = {(double)i, 7};

		append(h, T0 + 60000 + i * 10000, NAMES, v, 2);
	}
	assert_int_equal(history_add_event(h, T0 + 500000, "alert", "{\"resource\":\"fds\"}", &ns),
			 0);
	assert_int_equal(history_add_event(h, T0 + 600000, "forecast", "{\"in\":3600}", &ns), 0);
	history_close(h);

	h = open_db(t.path, NULL);
	assert_int_equal(history_set_boot(h, BOOT_B, T0 + 86400000), 0);
	for (i = 0; i < 10; i++) {
		double v[2] = {1000 + (double)i, 8};

		append(h, T0 + 86400000 + 60000 + i * 10000, NAMES, v, 2);
	}
	assert_int_equal(history_add_event(h, T0 + 86400000 + 70000, "alert", "{}", &ns), 0);
	assert_int_equal(ns.n, 0);

	assert_int_equal(history_boots(h, &boots, &nboots), 0);
	assert_int_equal(nboots, 2);
	assert_string_equal(boots[0].boot_id, BOOT_A);
	assert_string_equal(boots[1].boot_id, BOOT_B);
	assert_true(boots[0].first_ms == T0 + 60000);
	assert_true(boots[0].last_ms == T0 + 60000 + 99 * 10000);
	assert_true(boots[1].start_ms == T0 + 86400000);
	free(boots);

	set = query(h, "slab/filp/bytes", INT64_MIN, INT64_MAX, -1, HISTORY_MEAN);
	assert_int_equal(series_set_find(set, "slab/filp/bytes")->n, 100);
	assert_true(series_last(series_set_find(set, "slab/filp/bytes")) == 99);
	series_set_free(set);
	set = query(h, "slab/filp/bytes", INT64_MIN, INT64_MAX, 0, HISTORY_MEAN);
	assert_int_equal(series_set_find(set, "slab/filp/bytes")->n, 10);
	series_set_free(set);
	set = query(h, "slab/filp/bytes", INT64_MIN, INT64_MAX, HISTORY_ALL_BOOTS, HISTORY_MEAN);
	assert_int_equal(series_set_find(set, "slab/filp/bytes")->n, 110);
	series_set_free(set);
	set = query(h, NULL, INT64_MIN, INT64_MAX, -2, HISTORY_MEAN);
	assert_int_equal(series_set_count(set), 0);
	series_set_free(set);

	assert_int_equal(history_events(h, -1, INT64_MIN, INT64_MAX, &ev, &nev), 0);
	assert_int_equal(nev, 2);
	assert_string_equal(ev[0].kind, "alert");
	assert_string_equal(ev[0].json, "{\"resource\":\"fds\"}");
	assert_string_equal(ev[1].kind, "forecast");
	assert_true(ev[1].ts_ms == T0 + 600000);
	history_events_free(ev, nev);
	assert_int_equal(history_events(h, HISTORY_ALL_BOOTS, INT64_MIN, INT64_MAX, &ev, &nev), 0);
	assert_int_equal(nev, 3);
	history_events_free(ev, nev);
	assert_int_equal(history_events(h, 0, T0, T0 + 86400000 + 60000, &ev, &nev), 0);
	assert_int_equal(nev, 0);
	history_events_free(ev, nev);
	history_events_free(NULL, 0);
	notes_release(&ns);
	history_close(h);
	tmpdb_remove(&t);
}

static void test_open_refusals(void **state)
{
	struct history_opts o;
	struct notes ns = NOTES_INIT;
	struct history *h;
	struct tmpdb t;
	sqlite3 *db;

	(void)state;
	history_opts_init(&o);
	o.minute_keep_s = 10; /* shorter than raw */
	assert_int_equal(history_open("/nonexistent/x.db", &o, &h, &ns), -EINVAL);
	assert_null(h);
	assert_non_null(notes_find(&ns, "history-opts"));
	notes_clear(&ns);
	assert_int_equal(history_open("/nonexistent/dir/x.db", NULL, &h, &ns), -EIO);
	assert_non_null(notes_find(&ns, "history-open"));
	notes_clear(&ns);

	tmpdb_make(&t);
	history_opts_init(&o);
	o.read_only = true;
	assert_true(history_open(t.path, &o, &h, &ns) < 0); /* no such file */
	assert_null(h);
	notes_clear(&ns);
	h = open_db(t.path, NULL);
	history_close(h);
	assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "UPDATE schema_version SET version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(history_open(t.path, NULL, &h, &ns), -EPROTO);
	assert_non_null(strstr(notes_find(&ns, "history-open")->text, "schema version 99"));
	notes_release(&ns);
	tmpdb_remove(&t);
}

/* Another connection holds the write lock: appends fail with -EIO and wait
 * in the queue, the oldest dropped past its bound, and the rest are written
 * by the first append that succeeds. */
static void test_queue_when_locked(void **state)
{
	struct history_opts o;
	struct notes ns = NOTES_INIT;
	struct history_stats st;
	struct history *h;
	struct series_set *set;
	const struct series *s;
	struct tmpdb t;
	sqlite3 *db;
	int64_t i;

	(void)state;
	history_opts_init(&o);
	o.queue_max = 3;
	o.busy_timeout_ms = 10;
	tmpdb_make(&t);
	h = open_db(t.path, &o);
	assert_int_equal(history_set_boot(h, BOOT_A, T0), 0);
	{
		double v = 0;

		append(h, T0, NAMES, &v, 1);
	}
	assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (i = 1; i <= 5; i++) {
		struct history_sample one = {NAMES[0], (double)i};

		assert_int_equal(history_append(h, T0 + i * 10000, &one, 1, &ns), -EIO);
		assert_non_null(notes_find(&ns, "history-write"));
	}
	assert_int_equal(history_add_event(h, T0 + 55000, "alert", "{}", &ns), -EIO);
	history_stats(h, &st);
	assert_int_equal(st.queued, 3);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	notes_clear(&ns);
	{
		double v = 6;

		append(h, T0 + 60000, NAMES, &v, 1);
	}
	history_stats(h, &st);
	assert_int_equal(st.queued, 0);
	set = query(h, NULL, INT64_MIN, INT64_MAX, 0, HISTORY_MEAN);
	s = series_set_find(set, NAMES[0]);
	/* 0, then 4 and 5 (1–3 dropped), then 6. */
	assert_int_equal(s->n, 4);
	assert_true(s->v[0] == 0 && s->v[1] == 4 && s->v[2] == 5 && s->v[3] == 6);
	series_set_free(set);
	notes_release(&ns);
	history_close(h);
	tmpdb_remove(&t);
}

static void test_boot_parse(void **state)
{
	struct boot_ident b;
	int64_t btime = 0;

	(void)state;
	assert_int_equal(
	    proc_stat_btime_parse("cpu  1 2 3\nintr 5\nbtime 1764547200\nprocesses 9\n", &btime),
	    0);
	assert_true(btime == 1764547200);
	assert_int_equal(proc_stat_btime_parse("cpu 1\n", &btime), -ENOENT);
	assert_int_equal(proc_stat_btime_parse("btime x\n", &btime), -EINVAL);
	/* This machine's: a 36-character id and a boot time in the past. */
	assert_int_equal(boot_ident_read(&b), 0);
	assert_int_equal(strlen(b.boot_id), BOOT_ID_LEN);
	assert_true(b.start_ms > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codec),
	    cmocka_unit_test(test_write_read_reopen),
	    cmocka_unit_test(test_tiers_and_retention),
	    cmocka_unit_test(test_boots_and_events),
	    cmocka_unit_test(test_open_refusals),
	    cmocka_unit_test(test_queue_when_locked),
	    cmocka_unit_test(test_boot_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
