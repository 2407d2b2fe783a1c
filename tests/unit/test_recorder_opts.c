/* recorder_opts_init/validate and recorder_parse_kinds: the recording rules
 * every command that records shares (no root, no kernel). */
#include "test_util.h"

#include <errno.h>

#include "trace/recorder.h"

static void expect_bad(const struct recorder_opts *o, const char *needle)
{
	char why[256] = "";

	assert_int_equal(recorder_opts_validate(o, why, sizeof(why)), -EINVAL);
	if (!strstr(why, needle))
		fail_msg("expected '%s' in '%s'", needle, why);
}

static void test_defaults_and_rules(void **state)
{
	struct recorder_opts o;
	char why[256];

	(void)state;
	recorder_opts_init(&o);
	assert_true(o.probe.stacks && !o.probe.aggregate);
	assert_int_equal(o.probe.sample_every, 1);
	assert_int_equal(o.probe.stack_rate, RECORDER_DEFAULT_STACK_RATE); /* the budget */
	assert_int_equal(o.interval_ns, 0); /* the mode's default */
	expect_bad(&o, "an output file is required");
	o.path = "";
	expect_bad(&o, "--output wants a file name");
	o.path = "-";
	expect_bad(&o, "not a stream");
	o.path = "t.pst";
	assert_int_equal(recorder_opts_validate(&o, why, sizeof(why)), 0);

	o.flight_bytes = 1 << 20;
	o.max_size = 1 << 20;
	expect_bad(&o, "--max-size does not combine with --ring");
	o.max_size = 0;
	o.probe.aggregate = true;
	expect_bad(&o, "--ring keeps events");
	o.flight_bytes = 0;
	assert_int_equal(recorder_opts_validate(&o, why, sizeof(why)), 0);
	o.probe.aggregate = false;
	o.probe.max_outstanding = 64;
	expect_bad(&o, "add one of them");
	o.probe.npids = 1; /* a filtered events recording sizes its live set with it */
	assert_int_equal(recorder_opts_validate(&o, why, sizeof(why)), 0);
	o.probe.npids = 0;
	o.probe.max_outstanding = 0;
	o.probe.stacks = false;
	o.probe.sample_every = 3;
	expect_bad(&o, "--sample samples stacks");
	o.probe.sample_every = 1;
	o.probe.max_stacks = 64;
	expect_bad(&o, "--stack-buckets sizes the stack map");
	o.probe.stacks = true;
	assert_int_equal(recorder_opts_validate(&o, why, sizeof(why)), 0);
	/* Two ways of thinning stacks do not combine; --sample goes with no budget. */
	o.probe.max_stacks = 0;
	o.probe.sample_every = 3;
	expect_bad(&o, "--sample thins the stacks of every allocation");
	o.probe.stack_rate = 0;
	assert_int_equal(recorder_opts_validate(&o, why, sizeof(why)), 0);
	o.probe.sample_every = 1;
	o.probe.stack_rate = RECORDER_MAX_STACK_RATE + 1;
	expect_bad(&o, "--stack-rate");
	o.probe.stack_rate = RECORDER_DEFAULT_STACK_RATE;
	o.probe.max_stacks = 64;

	/* Each value's bounds hold for any caller, not only record's getopt. */
	o.probe.max_stacks = RECORDER_MAX_STACKS + 1;
	expect_bad(&o, "--stack-buckets");
	o.probe.max_stacks = 0;
	o.max_size = RECORDER_MIN_MAX_SIZE - 1;
	expect_bad(&o, "--max-size");
	o.max_size = 0;
	o.interval_ns = 1000000;
	expect_bad(&o, "--interval");
	o.interval_ns = 0;
	o.probe.ringbuf_bytes = 1024;
	expect_bad(&o, "--buffer");
	o.probe.ringbuf_bytes = 0;
	o.probe.comm = "0123456789abcdefgh";
	expect_bad(&o, "--comm");
	o.probe.comm = NULL;
	o.probe.size_min = 10;
	o.probe.size_max = 5;
	expect_bad(&o, "--size");
}

static void test_parse_kinds(void **state)
{
	uint32_t k = 0;

	(void)state;
	assert_int_equal(recorder_parse_kinds("slab,page", &k), 0);
	assert_int_equal(k, RK_MASK(RK_SLAB) | RK_MASK(RK_PAGE));
	assert_int_equal(recorder_parse_kinds("vmalloc", &k), 0);
	assert_int_equal(k, RK_MASK(RK_VMALLOC));
	assert_int_equal(recorder_parse_kinds("bogus", &k), -EINVAL);
	assert_int_equal(recorder_parse_kinds("", &k), -EINVAL);
	assert_int_equal(recorder_parse_kinds(",", &k), -EINVAL);
	assert_int_equal(k, RK_MASK(RK_VMALLOC)); /* untouched on error */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_rules),
		cmocka_unit_test(test_parse_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
