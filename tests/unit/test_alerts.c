/* alerts: one change per state change, never per sample; hysteresis at the
 * levels and for a forecast that wavers; forgetting exited processes. */
#include "test_util.h"

#include <errno.h>

#include "analysis/alerts.h"
#include "analysis/findings.h"
#include "model/alert_read.h"
#include "output/alert_render.h"

static bool feed(struct alerts *a, const char *key, double used, double limit, bool fv, double ex,
		 double now, struct alert_change *ch)
{
	struct alert_input in = {.key = key, .used = used, .limit = limit, .forecast_valid = fv,
				 .exhaustion_s = ex};
	int err;
	bool changed = alerts_update(a, &in, now, ch, &err);

	assert_int_equal(err, 0);
	return changed;
}

static void test_levels_and_hysteresis(void **state)
{
	struct alerts *a = alerts_new(48 * 3600.0);
	struct alert_change ch;
	char buf[64];
	int i, changes = 0;

	(void)state;
	assert_false(feed(a, "sys/file handles", 10, 100, false, 0, 0, &ch));
	assert_true(feed(a, "sys/file handles", 81, 100, false, 0, 10, &ch));
	assert_int_equal(ch.before, 0);
	assert_int_equal(ch.after, ALERT_PCT80);
	assert_string_equal(alert_flags_text(ch.after, buf, sizeof(buf)), "80%");
	/* Hovering around 80 % says nothing more. */
	for (i = 0; i < 100; i++)
		changes += feed(a, "sys/file handles", i % 2 ? 79 : 81, 100, false, 0, 20 + i, &ch);
	assert_int_equal(changes, 0);
	assert_true(feed(a, "sys/file handles", 96, 100, false, 0, 200, &ch));
	assert_int_equal(ch.after, ALERT_PCT80 | ALERT_PCT95);
	assert_true(feed(a, "sys/file handles", 70, 100, false, 0, 300, &ch));
	assert_int_equal(ch.after, 0);
	assert_true(ch.since_s == 200);
	assert_int_equal(alerts_active(a), 0);
	alerts_free(a);
}

static void test_forecast(void **state)
{
	struct alerts *a = alerts_new(3600);
	struct alert_change ch;

	(void)state;
	assert_false(feed(a, "proc/1:2/fds", 10, 1024, true, 7200, 0, &ch));
	assert_true(feed(a, "proc/1:2/fds", 10, 1024, true, 3000, 10, &ch));
	assert_int_equal(ch.after, ALERT_FORECAST);
	assert_int_equal(alerts_active(a), 1);
	/* A forecast that wavers a little past the horizon holds. */
	assert_false(feed(a, "proc/1:2/fds", 10, 1024, true, 4000, 20, &ch));
	/* Two intervals without a forecast hold too; the third clears. */
	assert_false(feed(a, "proc/1:2/fds", 10, 1024, false, 0, 30, &ch));
	assert_false(feed(a, "proc/1:2/fds", 10, 1024, false, 0, 40, &ch));
	assert_true(feed(a, "proc/1:2/fds", 10, 1024, false, 0, 50, &ch));
	assert_int_equal(ch.after, 0);
	/* Exited processes are forgotten without an alert. */
	assert_true(feed(a, "proc/1:2/fds", 10, 1024, true, 60, 60, &ch));
	alerts_forget(a, 100);
	assert_int_equal(alerts_active(a), 0);
	assert_false(feed(a, "proc/3:4/fds", 10, 1024, false, 0, 110, &ch));
	alerts_free(a);
	alerts_free(NULL);
}

static void test_many(void **state)
{
	struct alerts *a = alerts_new(3600);
	struct alert_change ch;
	char key[64];
	int i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "proc/%d:1/fds", i);
		assert_true(feed(a, key, 900, 1000, false, 0, 1, &ch));
	}
	assert_int_equal(alerts_active(a), 3000);
	for (i = 0; i < 3000; i += 2) {
		snprintf(key, sizeof(key), "proc/%d:1/fds", i);
		assert_false(feed(a, key, 900, 1000, false, 0, 2, &ch));
	}
	alerts_forget(a, 2);
	assert_int_equal(alerts_active(a), 1500);
	for (i = 0; i < 3000; i += 2) {
		snprintf(key, sizeof(key), "proc/%d:1/fds", i);
		assert_false(feed(a, key, 900, 1000, false, 0, 3, &ch));
	}
	alerts_free(a);
}

/* A restart reads back the stored states: every text alert_flags_text
 * writes parses to its flags, and a restored state in force is not said
 * again while its clearing is. */
static void test_restore(void **state)
{
	static const unsigned int all[] = {0, ALERT_FORECAST, ALERT_PCT80, ALERT_PCT80 | ALERT_PCT95,
					   ALERT_FORECAST | ALERT_PCT80,
					   ALERT_FORECAST | ALERT_PCT80 | ALERT_PCT95};
	struct alerts *a = alerts_new(3600);
	struct alert_change ch;
	char buf[64], series[64], st[32];

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_int_equal(alert_flags_parse(alert_flags_text(all[i], buf, sizeof(buf))), all[i]);
	assert_int_equal(alert_flags_parse("nonsense"), 0);

	assert_int_equal(alert_read_state("{\"alert\":{\"series\":\"sys/file-nr\",\"state\":"
					  "\"forecast+80%\",\"pid\":0},\"diagnosis\":null}",
					  series, sizeof(series), st, sizeof(st)),
			 0);
	assert_string_equal(series, "sys/file-nr");
	assert_string_equal(st, "forecast+80%");
	/* Not that shape, not JSON, too long for the caller: refused. */
	assert_int_equal(alert_read_state("{\"alert\":{\"series\":1,\"state\":\"ok\"}}", series,
					  sizeof(series), st, sizeof(st)),
			 -EINVAL);
	assert_int_equal(alert_read_state("{\"alert\":", series, sizeof(series), st, sizeof(st)),
			 -EINVAL);
	assert_int_equal(alert_read_state("[]", series, sizeof(series), st, sizeof(st)), -EINVAL);
	assert_int_equal(alert_read_state("{\"alert\":{\"series\":\"sys/file-nr\",\"state\":\"ok\"}}",
					  series, 4, st, sizeof(st)),
			 -EINVAL);

	assert_int_equal(alerts_restore(a, "sys/file-nr", alert_flags_parse(st), 100), 0);
	assert_false(feed(a, "sys/file-nr", 85, 100, true, 600, 110, &ch));
	assert_true(feed(a, "sys/file-nr", 10, 100, true, 1e9, 120, &ch));
	assert_int_equal(ch.before, ALERT_FORECAST | ALERT_PCT80);
	assert_int_equal(ch.after, 0);
	alerts_free(a);
}

/* The diagnosis line of an alert: a diagnosis cut short says so, rather
 * than "no leak found"; one that ran says what it checked; a memory
 * cgroup's names a leak of one of its processes before a kernel-wide one. */
static void test_diagnosis_line(void **state)
{
	struct alert_event a = {0};
	struct finding f[2] = {0};
	struct diagnosis d = {0};
	char buf[256];

	(void)state;
	snprintf(a.resource, sizeof(a.resource), "memory of cgroup x");
	d.checked.samples = 0;
	alert_render_diagnosis_line(&a, &d, buf, sizeof(buf));
	assert_string_equal(buf, "diagnosis of memory of cgroup x: stopped after 0 samples, "
				 "before it could judge");
	d.checked.samples = 30;
	d.checked.duration_s = 30;
	d.checked.series = 12;
	d.checked.processes = 1;
	alert_render_diagnosis_line(&a, &d, buf, sizeof(buf));
	assert_string_equal(buf, "diagnosis of memory of cgroup x: no leak found in 30 s "
				 "(12 series of 1 process checked)");
	d.checked.processes = 180;
	alert_render_diagnosis_line(&a, &d, buf, sizeof(buf));
	assert_string_equal(buf, "diagnosis of memory of cgroup x: no leak found in 30 s "
				 "(12 series of 180 processes checked)");

	snprintf(a.series, sizeof(a.series), "memcg/x/usage");
	f[0].kind = f[1].kind = FINDING_LEAK;
	snprintf(f[0].resource, sizeof(f[0].resource), "file handles (fs.file-nr)");
	snprintf(f[1].resource, sizeof(f[1].resource), "fds of leaky (pid 42)");
	f[1].holder = (struct finding_process){.known = true, .pid = 42, .comm = "leaky"};
	d.findings = f;
	d.n = 2;
	alert_render_diagnosis_line(&a, &d, buf, sizeof(buf));
	assert_non_null(strstr(buf, ": LEAK fds of leaky (pid 42); holder pid 42 leaky"));
	/* A kernel-wide alert: the first leak, kernel-wide or not. */
	snprintf(a.series, sizeof(a.series), "sys/file-nr");
	alert_render_diagnosis_line(&a, &d, buf, sizeof(buf));
	assert_non_null(strstr(buf, ": LEAK file handles (fs.file-nr)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_and_hysteresis),
		cmocka_unit_test(test_forecast),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_diagnosis_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
