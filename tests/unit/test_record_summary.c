/* record's summary renderer on a made-up recorder_summary: only tags with
 * objects outstanding are listed, and the columns say how they add up. */
#include "test_util.h"

#include "output/record_summary.h"
#include "trace/recorder.h"

static char *render(bool aggregate, struct recorder_tag *tags, size_t n)
{
	struct recorder_summary s = { .allocs = 1000, .frees = 900, .unmatched_frees = 40,
				      .bytes_written = 12345, .elapsed_ns = 2000000000ull,
				      .stop_reason = "duration reached", .tags = tags, .ntags = n };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	snprintf(s.note, sizeof(s.note), "attached: kmem_cache_alloc");
	record_summary_print(out, "t.pst", aggregate, false, &s);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void test_only_outstanding_tags_and_why_frees_exceed(void **state)
{
	/* Sorted as the recorder sorts: by outstanding bytes. */
	struct recorder_tag tags[] = {
		{ .name = "filp", .allocs = 800, .frees = 540, .frees_before = 40,
		  .outstanding = 300, .outstanding_bytes = 300 * 256 },
		{ .name = "kmalloc-64", .allocs = 100, .frees = 120, .frees_before = 20,
		  .outstanding = 0 },
		{ .name = "dentry", .allocs = 10, .frees = 10, .outstanding = 0 },
	};
	char *text;

	(void)state;
	text = render(false, tags, 3);
	print_message("%s", text);
	assert_non_null(strstr(text, "top tags by outstanding bytes"));
	assert_non_null(strstr(text, "filp"));
	/* No padding with tags whose objects were all freed. */
	assert_null(strstr(text, "kmalloc-64"));
	assert_null(strstr(text, "dentry"));
	/* 800 - 540 != 300 on its face: the 40 earlier objects' frees say why. */
	assert_non_null(strstr(text, "BEFORE"));
	assert_non_null(strstr(text, "OUTSTANDING = ALLOCS - FREES + BEFORE"));
	assert_null(strstr(text, "allocated again"));
	free(text);

	/* Frees never seen (an address allocated again while live) are said. */
	tags[0].frees_unseen = 7;
	tags[0].outstanding = 293;
	text = render(false, tags, 3);
	assert_non_null(strstr(text, "7 objects of these tags were allocated again"));
	free(text);

	/* Aggregate: frees = allocs - outstanding per origin, nothing to explain. */
	struct recorder_tag agg[] = {
		{ .name = "filp", .allocs = 800, .frees = 500, .outstanding = 300 },
	};

	text = render(true, agg, 1);
	assert_non_null(strstr(text, "filp"));
	assert_null(strstr(text, "BEFORE"));
	free(text);

	/* Nothing outstanding: one line, not an empty table. */
	text = render(false, tags + 1, 2);
	assert_null(strstr(text, "top tags"));
	assert_non_null(strstr(text, "nothing allocated while recording is still outstanding"));
	free(text);
}

/* The stack budget says how many allocations were walked and how many carry
 * their path's stack; nothing is said without the budget. */
static void test_stack_budget_line(void **state)
{
	struct recorder_summary s = { .allocs = 1000, .frees = 900, .path_stacks = 990,
				      .stack_rate = 4, .stop_reason = "stopped by signal" };
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	out = open_memstream(&text, &len);
	assert_non_null(out);
	record_summary_print(out, "t.pst", false, false, &s);
	s.stack_rate = 0;
	fprintf(out, "--\n");
	record_summary_print(out, "t.pst", false, false, &s);
	assert_int_equal(fclose(out), 0);
	print_message("%s", text);
	const char *line = strstr(text, "stacks on a budget (4 per second per path per CPU): 10 "
					"allocs walked, 990 carry their path's stack");

	assert_non_null(line);
	assert_null(strstr(strstr(text, "--\n"), "budget"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_outstanding_tags_and_why_frees_exceed),
		cmocka_unit_test(test_stack_budget_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
