/* The machine sampler against this kernel: when one scan of every process
 * costs more than its budget, processes are scanned every Nth sample, and
 * the samples between carry the last scan's notes, so a condition the scan
 * found (pid 1's fds that cannot be named, here) does not look cleared and
 * is not said anew at every scan by a caller that says notes once per
 * state change (watch). */
#include "test_util.h"

#include "model/machine_sampler.h"
#include "model/series.h"
#include "util/notes.h"

static void test_thinned_scan_keeps_its_notes(void **state)
{
	struct machine_sampler_opts o;
	struct machine_sampler_status st;
	struct machine_sampler *ms = NULL;
	struct series_set *set = series_set_new();
	struct notes ns = NOTES_INIT;

	(void)state;
	REQUIRE_ROOT();
	assert_non_null(set);
	machine_sampler_opts_init(&o);
	o.no_counters = true;
	o.interval_ns = 1000000000ull;
	o.cpu_budget = 1e-9; /* every scan is over it: thinned at once */
	assert_int_equal(machine_sampler_start(&ms, &o, &ns), 0);
	notes_clear(&ns);
	assert_int_equal(machine_sampler_sample(ms, 1, set, &ns), 0);
	machine_sampler_status(ms, &st);
	assert_int_equal(st.process_scans, 1);
	assert_true(st.process_every > 1);
	assert_non_null(notes_find(&ns, "processes-thinned"));
	if (!notes_find(&ns, "handles-unnamed")) {
		print_message("skipped: no process here refuses its fds (the note this checks)\n");
		machine_sampler_stop(ms);
		series_set_free(set);
		notes_release(&ns);
		skip();
	}
	for (int t = 2; t <= 4; t++) {
		notes_clear(&ns);
		assert_int_equal(machine_sampler_sample(ms, t, set, &ns), 0);
		machine_sampler_status(ms, &st);
		assert_int_equal(st.process_scans, 1); /* no scan since */
		assert_non_null(notes_find(&ns, "handles-unnamed"));
		/* Said when it happened, not repeated as if new. */
		assert_null(notes_find(&ns, "processes-thinned"));
	}
	machine_sampler_stop(ms);
	series_set_free(set);
	notes_release(&ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thinned_scan_keeps_its_notes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
