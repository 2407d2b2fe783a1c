/* Size of watch's history database after a simulated week, against a naive
 * table with a row per value written side by side in the same run.
 *
 * The simulated machine is what watch keeps at its defaults on a 200-cache,
 * 300-process box: 200 slab caches × (bytes, objs), the top-K 20 processes
 * × 5 series (fds by three types, threads, mappings) with one replaced by a
 * newcomer every 6 hours (pid + start time: new names), and 40 kernel-wide
 * series, every 10 s with a few ms of jitter. Values are mostly flat with
 * noise; some grow, some are sawtooth (fill, reclaimed), a few meminfo-like
 * figures change on every sample. Time is simulated (no sleeping): a week
 * takes a few minutes. Deterministic for given options.
 *
 *   history_size [--days N] [--interval S] [--no-naive] DIR
 *
 * Writes DIR/history.db and DIR/naive.db (both removed unless --keep) and
 * prints a line per simulated day and a summary. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/history.h"
#include "util/parse.h"
#include "util/timeutil.h"

#define CACHES 200
#define PROCS 20
#define PROC_SERIES 5
#define SYS_SERIES 40
#define MAX_SERIES (CACHES * 2 + PROCS * PROC_SERIES + SYS_SERIES)
#define T0 1764547200000LL /* 2025-12-01 00:00 UTC */

struct rng {
	uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
	r->state ^= r->state << 13;
	r->state ^= r->state >> 7;
	r->state ^= r->state << 17;
	return r->state;
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

enum shape { FLAT, NOISY, GROWING, SAWTOOTH, BUSY };

/* One simulated quantity: its shape and state. */
struct quantity {
	enum shape shape;
	double base, value, rate, period_s;
	double change_p; /* probability it changes at a sample */
	double noise;	 /* size of a change */
};

static void quantity_init(struct quantity *q, struct rng *r, enum shape shape, double base)
{
	memset(q, 0, sizeof(*q));
	q->shape = shape;
	q->base = q->value = base;
	switch (shape) {
	case FLAT:
		q->change_p = 0.02;
		q->noise = 1 + floor(rng_unit(r) * 3);
		break;
	case NOISY:
		q->change_p = 0.5;
		q->noise = 1 + floor(rng_unit(r) * 40);
		break;
	case GROWING:
		q->change_p = 0.4;
		q->noise = 2 + floor(rng_unit(r) * 10);
		q->rate = 0.05 + rng_unit(r) * 2; /* per second */
		break;
	case SAWTOOTH:
		q->change_p = 0.6;
		q->noise = 5;
		q->rate = 1 + rng_unit(r) * 20;
		q->period_s = 3600 * (1 + floor(rng_unit(r) * 6));
		break;
	case BUSY:
		q->change_p = 1.0;
		q->noise = base * 0.001;
		break;
	}
}

/* The value at simulated second t (called every interval, in order). */
static double quantity_step(struct quantity *q, struct rng *r, double t, double dt)
{
	double noise = 0;

	if (rng_unit(r) < q->change_p)
		noise = floor((rng_unit(r) * 2 - 1) * q->noise + 0.5);
	switch (q->shape) {
	case FLAT:
	case NOISY:
		/* Noise around the base, not a random walk away from it. */
		q->value = q->base + noise;
		break;
	case GROWING:
		q->base += q->rate * dt;
		q->value = floor(q->base) + noise;
		break;
	case SAWTOOTH: q->value = floor(q->base + q->rate * fmod(t, q->period_s)) + noise; break;
	case BUSY: q->value = floor(q->base + q->noise * 50 * sin(t / 3000) + noise * 10); break;
	}
	return q->value < 0 ? 0 : q->value;
}

struct sim {
	struct rng rng;
	char names[MAX_SERIES][64];
	struct quantity q[MAX_SERIES];
	double objsize[CACHES];
	int proc_gen[PROCS]; /* bumped when the process is replaced */
	size_t n;
};

static enum shape cache_shape(struct rng *r)
{
	double u = rng_unit(r);

	return u < 0.5 ? FLAT : u < 0.8 ? NOISY : u < 0.9 ? GROWING : SAWTOOTH;
}

static void name_proc(struct sim *s, int p)
{
	static const char *const kinds[PROC_SERIES] = {"fds/eventfd", "fds/file", "fds/socket",
						       "threads", "mappings"};
	int k;

	for (k = 0; k < PROC_SERIES; k++)
		snprintf(s->names[CACHES * 2 + p * PROC_SERIES + k], sizeof(s->names[0]),
			 "proc/%d:%d/%s", 1000 + p * 37 + s->proc_gen[p] * 4099,
			 123456 + s->proc_gen[p] * 977 + p, kinds[k]);
}

static void init_proc(struct sim *s, int p)
{
	int k;

	name_proc(s, p);
	for (k = 0; k < PROC_SERIES; k++) {
		struct quantity *q = &s->q[CACHES * 2 + p * PROC_SERIES + k];
		enum shape shape = (p == 3 && k == 0) ? GROWING : FLAT;

		quantity_init(q, &s->rng, shape, 10 + floor(rng_unit(&s->rng) * 500));
		if (shape == FLAT)
			q->change_p = 0.01;
	}
}

static void sim_init(struct sim *s)
{
	static const double sizes[] = {8,   16,	  32,	64,   96,  128, 192,  256,
				       512, 1024, 2048, 4096, 232, 704, 1152, 640};
	int c, i;

	memset(s, 0, sizeof(*s));
	s->rng.state = 88172645463325252ULL;
	for (c = 0; c < CACHES; c++) {
		enum shape shape = cache_shape(&s->rng);

		s->objsize[c] = sizes[rng_next(&s->rng) % (sizeof(sizes) / sizeof(sizes[0]))];
		snprintf(s->names[2 * c], sizeof(s->names[0]), "slab/cache-%03d/bytes", c);
		snprintf(s->names[2 * c + 1], sizeof(s->names[0]), "slab/cache-%03d/objs", c);
		quantity_init(&s->q[2 * c + 1], &s->rng, shape,
			      64 + floor(rng_unit(&s->rng) * 100000));
	}
	for (i = 0; i < PROCS; i++)
		init_proc(s, i);
	for (i = 0; i < SYS_SERIES; i++) {
		struct quantity *q = &s->q[CACHES * 2 + PROCS * PROC_SERIES + i];

		snprintf(s->names[CACHES * 2 + PROCS * PROC_SERIES + i], sizeof(s->names[0]),
			 "sys/resource-%02d", i);
		/* A quarter change on every sample (meminfo's free, cached,
		 * slab figures, file-nr), the rest like a flat counter. */
		quantity_init(q, &s->rng,
			      i < 10   ? BUSY
			      : i < 30 ? NOISY
				       : FLAT,
			      i < 10 ? 1e6 + floor(rng_unit(&s->rng) * 2e7)
				     : floor(rng_unit(&s->rng) * 1e5));
	}
	s->n = MAX_SERIES;
}

/* One interval's values into samples[]. */
static void sim_step(struct sim *s, double t, double dt, struct history_sample *samples)
{
	size_t i;
	int c;

	for (i = 0; i < s->n; i++) {
		c = (int)(i / 2);
		if (i < CACHES * 2 && i % 2 == 0)
			continue; /* bytes follow objs */
		samples[i].name = s->names[i];
		samples[i].value = quantity_step(&s->q[i], &s->rng, t, dt);
		if (i < CACHES * 2)
			samples[i - 1].value = samples[i].value * s->objsize[c];
	}
	for (i = 0; i < CACHES * 2; i += 2)
		samples[i].name = s->names[i];
}

struct naive {
	sqlite3 *db;
	sqlite3_stmt *insert, *series;
};

/* The table everyone writes first: a row per (series, time, value) and an
 * index to find a series' rows. Same journal settings as the history. */
static int naive_open(struct naive *nv, const char *path)
{
	const char *schema =
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE series(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);"
	    "CREATE TABLE samples(series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL);"
	    "CREATE INDEX samples_by_series ON samples(series, ts);";

	if (sqlite3_open(path, &nv->db) != SQLITE_OK ||
	    sqlite3_exec(nv->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(nv->db, "INSERT INTO samples VALUES(?1, ?2, ?3)", -1, &nv->insert,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(nv->db,
			       "INSERT INTO series(name) VALUES(?1) ON CONFLICT(name) DO UPDATE"
			       " SET name = name RETURNING id",
			       -1, &nv->series, NULL) != SQLITE_OK) {
		fprintf(stderr, "history_size: naive db %s: %s\n", path, sqlite3_errmsg(nv->db));
		return -EIO;
	}
	return 0;
}

static int naive_append(struct naive *nv, int64_t ts, const struct history_sample *samples,
			size_t n, int64_t *ids)
{
	size_t i;

	sqlite3_exec(nv->db, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < n; i++) {
		if (!ids[i]) {
			sqlite3_reset(nv->series);
			sqlite3_bind_text(nv->series, 1, samples[i].name, -1, SQLITE_STATIC);
			if (sqlite3_step(nv->series) != SQLITE_ROW)
				return -EIO;
			ids[i] = sqlite3_column_int64(nv->series, 0);
			sqlite3_reset(nv->series);
		}
		sqlite3_reset(nv->insert);
		sqlite3_bind_int64(nv->insert, 1, ids[i]);
		sqlite3_bind_int64(nv->insert, 2, ts);
		sqlite3_bind_double(nv->insert, 3, samples[i].value);
		if (sqlite3_step(nv->insert) != SQLITE_DONE)
			return -EIO;
	}
	return sqlite3_exec(nv->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static void naive_close(struct naive *nv)
{
	sqlite3_finalize(nv->insert);
	sqlite3_finalize(nv->series);
	sqlite3_close(nv->db);
}

/* The database's size on disk: the file and its WAL. */
static double file_mib(const char *path)
{
	char wal[4200];
	struct stat st;
	double bytes = 0;

	if (stat(path, &st) == 0)
		bytes += (double)st.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &st) == 0)
		bytes += (double)st.st_size;
	return bytes / (1024.0 * 1024.0);
}

/* What `poolscope history` costs: every series over the whole range, and
 * one glob over the last day. */
static void query_speed(struct history *h)
{
	static const char *const globs[] = {NULL, "slab/cache-01*"};
	struct notes ns = NOTES_INIT;
	size_t g;

	for (g = 0; g < 2; g++) {
		struct series_set *set = NULL;
		struct history_query q;
		struct history_stats st;
		uint64_t start = monotonic_ns(), points = 0;
		size_t i;

		history_stats(h, &st);
		history_query_init(&q);
		q.glob = globs[g];
		if (g)
			q.since_ms = st.last_ts_ms - 86400000LL;
		if (history_query(h, &q, &set, &ns)) {
			fprintf(stderr, "history_size: query: %s\n",
				ns.n ? ns.v[0].text : "failed");
			continue;
		}
		for (i = 0; i < series_set_count(set); i++)
			points += series_set_at(set, i)->n;
		printf("query %s: %zu series, %" PRIu64 " points in %.0f ms\n",
		       g ? "'slab/cache-01*' over the last day" : "every series, whole range",
		       series_set_count(set), points, (double)(monotonic_ns() - start) / 1e6);
		series_set_free(set);
	}
	notes_release(&ns);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: history_size [--days N] [--interval S] [--no-naive] [--keep] DIR\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"days", required_argument, NULL, 'd'},
	    {"interval", required_argument, NULL, 'i'},
	    {"no-naive", no_argument, NULL, 'n'},
	    {"keep", no_argument, NULL, 'k'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t days = 7, interval_s = 10;
	bool with_naive = true, keep = false;
	char hpath[4096], npath[4096];
	struct history_sample samples[MAX_SERIES];
	int64_t naive_ids[MAX_SERIES] = {0};
	struct notes ns = NOTES_INIT;
	struct history *h = NULL;
	struct naive nv = {0};
	struct sim *s = calloc(1, sizeof(*s));
	uint64_t hist_ns = 0, hist_cpu_ns = 0, naive_ns = 0, intervals, k, values = 0;
	int64_t ts;
	int opt, err, day = 0;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'd' && parse_u64(optarg, &days) == 0 && days > 0)
			continue;
		if (opt == 'i' && parse_u64(optarg, &interval_s) == 0 && interval_s > 0)
			continue;
		if (opt == 'n') {
			with_naive = false;
			continue;
		}
		if (opt == 'k') {
			keep = true;
			continue;
		}
		return usage();
	}
	if (optind + 1 != argc || !s)
		return usage();
	snprintf(hpath, sizeof(hpath), "%s/history.db", argv[optind]);
	snprintf(npath, sizeof(npath), "%s/naive.db", argv[optind]);
	unlink(hpath);
	unlink(npath);
	err = history_open(hpath, NULL, &h, &ns);
	if (err) {
		fprintf(stderr, "history_size: %s\n", ns.n ? ns.v[0].text : strerror(-err));
		return 1;
	}
	history_set_boot(h, "00000000-1111-2222-3333-444444444444", T0 - 3600000);
	if (with_naive && naive_open(&nv, npath))
		return 1;
	sim_init(s);
	intervals = days * 86400 / interval_s;
	printf("simulated: %zu series (%d caches x 2, %d processes x %d, %d system), every %" PRIu64
	       " s, %" PRIu64 " days\n",
	       s->n, CACHES, PROCS, PROC_SERIES, SYS_SERIES, interval_s, days);
	printf("%-4s %12s %12s\n", "day", "history MiB", "naive MiB");
	for (k = 0; k < intervals; k++) {
		double t = (double)(k * interval_s);
		uint64_t start, cpu;

		/* A few ms late, as a daemon's timer is. */
		ts = T0 + (int64_t)(k * interval_s * 1000) + (int64_t)(rng_next(&s->rng) % 15);
		if (k && k % (6 * 3600 / interval_s) == 0) {
			int p = (int)(rng_next(&s->rng) % PROCS);

			s->proc_gen[p]++;
			init_proc(s, p);
			memset(&naive_ids[CACHES * 2 + p * PROC_SERIES], 0,
			       PROC_SERIES * sizeof(naive_ids[0]));
		}
		sim_step(s, t, (double)interval_s, samples);
		start = monotonic_ns();
		cpu = process_cpu_ns();
		err = history_append(h, ts, samples, s->n, &ns);
		hist_ns += monotonic_ns() - start;
		hist_cpu_ns += process_cpu_ns() - cpu;
		if (err) {
			fprintf(stderr, "history_size: %s\n", ns.n ? ns.v[0].text : strerror(-err));
			return 1;
		}
		if (with_naive) {
			start = monotonic_ns();
			if (naive_append(&nv, ts, samples, s->n, naive_ids)) {
				fprintf(stderr, "history_size: naive: %s\n", sqlite3_errmsg(nv.db));
				return 1;
			}
			naive_ns += monotonic_ns() - start;
		}
		values += s->n;
		if ((k + 1) * interval_s % 86400 == 0) {
			day++;
			printf("%-4d %12.1f %12.1f\n", day, file_mib(hpath),
			       with_naive ? file_mib(npath) : 0.0);
			fflush(stdout);
		}
	}
	query_speed(h);
	history_close(h);
	if (with_naive)
		naive_close(&nv);
	printf("after close: history %.1f MiB, naive %.1f MiB (%.1fx), %" PRIu64 " values\n",
	       file_mib(hpath), with_naive ? file_mib(npath) : 0.0,
	       with_naive ? file_mib(npath) / file_mib(hpath) : 0.0, values);
	printf("write time per interval: history %.0f us (CPU %.0f us), naive %.0f us\n",
	       (double)hist_ns / 1000.0 / (double)intervals,
	       (double)hist_cpu_ns / 1000.0 / (double)intervals,
	       with_naive ? (double)naive_ns / 1000.0 / (double)intervals : 0.0);
	if (!keep) {
		unlink(hpath);
		unlink(npath);
	}
	notes_release(&ns);
	free(s);
	return 0;
}
