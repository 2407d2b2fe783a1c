/* The history database under the two failures a daemon meets:
 *  - killed: a child writes intervals continuously and is SIGKILLed at
 *    random moments, many times over, restarting on the same file each time;
 *    after every kill the database opens, PRAGMA integrity_check says ok,
 *    every interval the child was told was committed is there, complete,
 *    and at most the one it was writing is missing;
 *  - a full disk (root: a small tmpfs mounted for the test): appends fail
 *    with -ENOSPC and queue, the queue's bound drops the oldest and counts
 *    them, and once space is back everything still queued is written. */
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "model/history.h"

#define BOOT "0f0f0f0f-1111-2222-3333-444444444444"
#define T0 1764547200000LL
#define STEP_MS 30000LL /* folds every 120 intervals, prunes every 10 */
#define SERIES 300
#define KILLS 60

struct names {
	char v[SERIES][48];
	struct history_sample s[SERIES];
};

static void names_init(struct names *nm)
{
	int i;

	for (i = 0; i < SERIES; i++) {
		snprintf(nm->v[i], sizeof(nm->v[i]), "slab/cache-%03d/%s", i / 2,
			 i % 2 ? "objs" : "bytes");
		nm->s[i].name = nm->v[i];
	}
}

static void fill(struct names *nm, int64_t k)
{
	int i;

	for (i = 0; i < SERIES; i++)
		nm->s[i].value = (double)((k * (i + 1)) % 1000 + i * 4096);
}

static void rm_db(const char *dir, const char *path)
{
	char p[512];

	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	unlink(path);
	rmdir(dir);
}

static void integrity_ok(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The child: continue after the last interval in the file, forever; report
 * each committed interval's time through shared memory. */
static void writer(const char *path, volatile int64_t *committed)
{
	struct notes ns = NOTES_INIT;
	struct history *h = NULL;
	struct history_boot *boots = NULL;
	struct names nm;
	size_t nboots = 0;
	int64_t ts = T0;

	names_init(&nm);
	if (history_open(path, NULL, &h, &ns) || history_set_boot(h, BOOT, T0 - 60000))
		_exit(3);
	if (history_boots(h, &boots, &nboots))
		_exit(4);
	if (nboots && boots[0].last_ms != INT64_MIN)
		ts = boots[0].last_ms + STEP_MS;
	free(boots);
	for (;; ts += STEP_MS) {
		fill(&nm, (ts - T0) / STEP_MS);
		if (history_append(h, ts, nm.s, SERIES, &ns))
			_exit(5);
		if (((ts - T0) / STEP_MS) % 50 == 0 &&
		    history_add_event(h, ts, "forecast", "{\"in_s\":3600}", &ns))
			_exit(6);
		*committed = ts;
	}
}

/* Returns the time of the last interval stored. */
static int64_t check_after_kill(const char *path, int64_t committed)
{
	struct notes ns = NOTES_INIT;
	struct history *h = NULL;
	struct history_query q;
	struct series_set *set = NULL;
	const struct series *first;
	int64_t stored;
	size_t i, k;

	integrity_ok(path);
	assert_int_equal(history_open(path, NULL, &h, &ns), 0);
	/* The last 12 hours: raw samples still (after a day the older ones
	 * are minute buckets). */
	history_query_init(&q);
	q.since_ms = committed - 12 * 3600000LL > T0 ? committed - 12 * 3600000LL : T0;
	assert_int_equal(history_query(h, &q, &set, &ns), 0);
	assert_int_equal(series_set_count(set), SERIES);
	first = series_set_at(set, 0);
	/* Every interval from the first on, none missing, each complete;
	 * nothing committed lost, at most the interval in flight gained. */
	assert_true(first->t[0] == (double)q.since_ms / 1000.0);
	for (k = 1; k < first->n; k++)
		if (first->t[k] - first->t[k - 1] != (double)STEP_MS / 1000.0)
			fail_msg("interval %zu of %zu at %.0f s, the one before at %.0f s "
				 "(committed %lld)",
				 k, first->n, first->t[k] - (double)T0 / 1000,
				 first->t[k - 1] - (double)T0 / 1000,
				 (long long)(committed - T0) / 1000);
	assert_true(first->t[first->n - 1] * 1000.0 >= (double)committed);
	assert_true(first->t[first->n - 1] * 1000.0 <= (double)(committed + STEP_MS));
	for (i = 1; i < SERIES; i++) {
		const struct series *s = series_set_at(set, i);

		assert_int_equal(s->n, first->n);
		assert_true(
		    s->v[s->n - 1] ==
		    (double)((((int64_t)(s->t[s->n - 1] * 1000) - T0) / STEP_MS * (i + 1)) % 1000 +
			     (int64_t)i * 4096));
	}
	stored = (int64_t)(first->t[first->n - 1] * 1000.0);
	series_set_free(set);
	history_close(h);
	notes_release(&ns);
	return stored;
}

static void test_sigkill_mid_write(void **state)
{
	char dir[64] = "/tmp/poolscope-hkill.XXXXXX", path[128];
	volatile int64_t *committed;
	int64_t last = INT64_MIN;
	int round;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/history.db", dir);
	committed = mmap(NULL, sizeof(*committed), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(committed != MAP_FAILED);
	srand((unsigned int)time(NULL));
	*committed = INT64_MIN;
	for (round = 0; round < KILLS; round++) {
		struct timespec nap = {0, (long)(1 + rand() % 120) * 1000000L};
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0)
			writer(path, committed);
		nanosleep(&nap, NULL);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		/* Killed, not exited on an error of its own. */
		assert_true(WIFSIGNALED(status));
		if (*committed == INT64_MIN)
			continue; /* killed before its first commit */
		/* The interval in flight may have been committed unreported:
		 * what the file holds is where the next writer goes on from. */
		last = check_after_kill(path, *committed);
		*committed = last;
	}
	print_message("%d kills, last committed interval %lld s in\n", KILLS,
		      (long long)((last - T0) / 1000));
	assert_true(last > T0);
	munmap((void *)committed, sizeof(*committed));
	rm_db(dir, path);
}

/* Fill the file system with a file until it refuses. */
static void fill_disk(const char *path)
{
	static const char block[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 512) > 0)
		;
	close(fd);
}

static void test_disk_full(void **state)
{
	char dir[64] = "/tmp/poolscope-hfull.XXXXXX", fs[96], path[160], filler[160];
	struct history_opts o;
	struct notes ns = NOTES_INIT;
	struct history_stats st;
	struct history *h = NULL;
	struct history_query q;
	struct series_set *set = NULL;
	const struct series *s;
	struct names nm;
	int64_t k = 0, failed = 0, first_failed, i;
	int err = 0;

	(void)state;
	REQUIRE_ROOT();
	assert_non_null(mkdtemp(dir));
	snprintf(fs, sizeof(fs), "%s/fs", dir);
	snprintf(path, sizeof(path), "%s/history.db", fs);
	snprintf(filler, sizeof(filler), "%s/filler", fs);
	assert_int_equal(mkdir(fs, 0700), 0);
	assert_int_equal(mount("tmpfs", fs, "tmpfs", 0, "size=8m"), 0);
	names_init(&nm);
	history_opts_init(&o);
	o.queue_max = 40;
	assert_int_equal(history_open(path, &o, &h, &ns), 0);
	assert_int_equal(history_set_boot(h, BOOT, T0), 0);
	for (; k < 20; k++) {
		fill(&nm, k);
		assert_int_equal(history_append(h, T0 + k * STEP_MS, nm.s, SERIES, &ns), 0);
	}
	fill_disk(filler);
	/* The WAL has room for a few commits still; then the disk is full. */
	for (; k < 5000; k++) {
		fill(&nm, k);
		err = history_append(h, T0 + k * STEP_MS, nm.s, SERIES, &ns);
		if (err)
			break;
	}
	assert_int_equal(err, -ENOSPC);
	assert_non_null(strstr(notes_find(&ns, "history-write")->text, "queued"));
	first_failed = k++;
	failed = 1;
	assert_int_equal(
	    history_add_event(h, T0 + k * STEP_MS - 1, "alert", "{\"disk\":\"full\"}", &ns),
	    -ENOSPC);
	for (i = 0; i < 60; i++, k++, failed++) {
		fill(&nm, k);
		assert_int_equal(history_append(h, T0 + k * STEP_MS, nm.s, SERIES, &ns), -ENOSPC);
	}
	history_stats(h, &st);
	assert_int_equal(st.queued, 40);
	/* The failed appends and the event, 40 kept. */
	assert_int_equal(st.dropped, failed + 1 - 40);
	assert_int_equal(unlink(filler), 0);
	notes_clear(&ns);
	fill(&nm, k);
	assert_int_equal(history_append(h, T0 + k * STEP_MS, nm.s, SERIES, &ns), 0);
	k++;
	history_stats(h, &st);
	assert_int_equal(st.queued, 0);

	history_query_init(&q);
	assert_int_equal(history_query(h, &q, &set, &ns), 0);
	s = series_set_at(set, 7);
	/* Everything but the dropped: the oldest of what failed, which were
	 * the first failed interval, the event, then intervals. */
	assert_int_equal(s->n, k - ((int64_t)st.dropped - 1));
	assert_true(s->t[first_failed - 1] == (double)(T0 + (first_failed - 1) * STEP_MS) / 1000.0);
	assert_true(s->t[first_failed] ==
		    (double)(T0 + (first_failed + (int64_t)st.dropped - 1) * STEP_MS) / 1000.0);
	assert_true(series_last(s) == nm.s[7].value);
	series_set_free(set);
	history_close(h);
	integrity_ok(path);
	notes_release(&ns);
	assert_int_equal(umount2(fs, MNT_DETACH), 0);
	rmdir(fs);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigkill_mid_write),
	    cmocka_unit_test(test_disk_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
