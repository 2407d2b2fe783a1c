/* The stack budget (issue 12) in the trace and in `report`: the header's
 * stack_rate and the stack-estimated annotations round-trip (format 1,
 * revision 2), a revision-1 header still reads (stack_rate 0), and every
 * report format with a stack says which per-stack figures are estimates
 * (folded stacks excepted: the format has no place for a label).
 *
 * The trace: an eventfd path (stack 1) allocates 100 objects, 5 walked and
 * 95 carrying the path's stack, 60 still outstanding; a pipe path (stack 2)
 * allocates 3, all walked, all outstanding. */
#include "test_util.h"

#include <errno.h>
#include <limits.h>
#include <sys/wait.h>
#include <zlib.h>

#include "trace/format.h"
#include "trace/trace.h"

#define T0 1000000000000ULL

static char dir[PATH_MAX], path[PATH_MAX + 32], bin[PATH_MAX];

static const uint64_t stack_eventfd[] = { 0xffffffff81100021ULL, 0xffffffff81200044ULL };
static const uint64_t stack_pipe[] = { 0xffffffff81100021ULL, 0xffffffff81400099ULL };

static void fill_header(struct trace_header *h, uint32_t stack_rate)
{
	memset(h, 0, sizeof(*h));
	h->version = 1;
	strcpy(h->hostname, "testhost");
	strcpy(h->kernel_release, "6.18.0-test");
	strcpy(h->boot_id, "00000000-0000-0000-0000-000000000000");
	h->start_realtime_ns = 1764000000000000000ULL;
	h->start_ns = T0;
	h->stacks = true;
	h->sample_every = 1;
	h->stack_rate = stack_rate;
	h->options = "--tag filp [stack-buckets=32768] [stack-rate=4]";
}

static int write_budget_trace(const char *file)
{
	struct trace_header hdr;
	struct trace_writer *w;
	int err;

	fill_header(&hdr, 4);
	err = trace_writer__open(file, &hdr, &w);
	if (err)
		return err;
	uint32_t filp = trace_writer__string(w, "filp");
	uint32_t comm = trace_writer__string(w, "leaker");

	err = trace_writer__stack(w, 1, stack_eventfd, 2);
	err = err ?: trace_writer__stack(w, 2, stack_pipe, 2);
	/* A string with the prefix but no id is an ordinary string. */
	if (!err && trace_writer__string(w, TRACE_NOTE_STACK_ESTIMATED "x2") == UINT32_MAX)
		err = -ENOMEM;
	for (int i = 0; !err && i < 103; i++) {
		struct trace_alloc a = { .ts_ns = T0 + (uint64_t)(i + 1) * 1000000ULL,
					 .ptr = 0xffff888004000000ULL + (uint64_t)i * 256,
					 .call_site = stack_eventfd[0], .bytes_req = 192,
					 .bytes_alloc = 256, .tag_id = filp, .comm_id = comm,
					 .stack_id = i < 100 ? 1 : 2, .tgid = 4242, .tid = 4242,
					 .kind = TK_SLAB };

		/* The 6th allocation of the eventfd path is its first unwalked one. */
		if (i == 5) {
			err = trace_writer__stack_estimated(w, 1);
			err = err ?: trace_writer__stack_estimated(w, 1); /* said once */
		}
		err = err ?: trace_writer__alloc(w, &a);
		if (!err && i >= 60 && i < 100) {
			struct trace_free f = { .ts_ns = a.ts_ns + 100, .ptr = a.ptr,
						.call_site = 0xffffffff81500000ULL, .tag_id = filp,
						.tgid = 4242, .tid = 4242, .kind = TK_SLAB };

			err = trace_writer__free(w, &f);
		}
	}
	/* Only a defined stack can be an estimate. */
	if (!err && trace_writer__stack_estimated(w, 9) != -EINVAL)
		err = -EPROTO;
	if (!err)
		return trace_writer__close(w, T0 + 2000000000ULL);
	trace_writer__close(w, T0);
	return err;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/poolscope-stack-budget.XXXXXX");
	if (!mkdtemp(dir) || !realpath(test_poolscope(), bin))
		return -1;
	snprintf(path, sizeof(path), "%s/budget.pstrace", dir);
	return write_budget_trace(path);
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_round_trip(void **state)
{
	struct trace_reader *r;
	struct trace_record rec;
	char err[256];
	int ret, allocs = 0, strings = 0;

	(void)state;
	assert_int_equal(trace_reader__open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(trace_reader__header(r)->version, 1);
	assert_int_equal(trace_reader__header(r)->stack_rate, 4);
	while ((ret = trace_reader__next(r, &rec, err, sizeof(err))) == 1)
		allocs += rec.type == TR_ALLOC;
	assert_int_equal(ret, 0);
	assert_int_equal(allocs, 103); /* the annotation is no record of its own */
	assert_true(trace_reader__stack_estimated(r, 1));
	assert_false(trace_reader__stack_estimated(r, 2));
	assert_false(trace_reader__stack_estimated(r, TRACE_NO_STACK));
	assert_false(trace_reader__stack_estimated(NULL, 1));
	for (uint32_t id = 0; trace_reader__string(r, id); id++)
		strings += !strncmp(trace_reader__string(r, id), TRACE_NOTE_STACK_ESTIMATED,
				    strlen(TRACE_NOTE_STACK_ESTIMATED));
	assert_int_equal(strings, 2); /* "x2" and "1", each once */
	trace_reader__close(r);
}

/* A header of revision 1 ends with the options: no stack_rate field. Cut it
 * from a fresh file's body (the 0 varint is its last byte) and re-seal. */
static void test_revision1_header(void **state)
{
	char old[PATH_MAX + 32], err[256];
	struct trace_header hdr;
	struct trace_writer *w;
	struct trace_reader *r;
	struct trace_record rec;
	size_t len;

	(void)state;
	snprintf(old, sizeof(old), "%s/rev1.pstrace", dir);
	fill_header(&hdr, 0);
	assert_int_equal(trace_writer__open(old, &hdr, &w), 0);
	assert_int_equal(trace_writer__close(w, T0 + 5), 0);

	FILE *f = fopen(old, "rb");
	uint8_t buf[4096];

	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	uint32_t body = fmt_get_u32(buf + TRACE_MAGIC_LEN + 4);
	size_t body_at = TRACE_MAGIC_LEN + 8;

	assert_true(body_at + body + 4 <= len);
	assert_int_equal(buf[body_at + body - 1], 0); /* stack_rate 0 */
	fmt_put_u32(buf + TRACE_MAGIC_LEN + 4, body - 1);
	fmt_put_u32(buf + body_at + body - 1, (uint32_t)crc32(0L, buf + body_at, body - 1));
	memmove(buf + body_at + body + 3, buf + body_at + body + 4, len - (body_at + body + 4));
	f = fopen(old, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len - 1, f), len - 1);
	fclose(f);

	assert_int_equal(trace_reader__open(old, &r, err, sizeof(err)), 0);
	assert_int_equal(trace_reader__header(r)->stack_rate, 0);
	assert_string_equal(trace_reader__header(r)->options, hdr.options);
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 0);
	assert_false(trace_reader__truncated(r));
	trace_reader__close(r);
}

static char *report(const char *args)
{
	char cmd[3 * PATH_MAX];
	int status;
	char *out;

	snprintf(cmd, sizeof(cmd), "cd '%s' && timeout 20 '%s' report %s budget.pstrace 2>&1", dir,
		 bin, args);
	out = test_capture(cmd, &status);
	assert_non_null(out);
	assert_int_equal(WEXITSTATUS(status), 0);
	return out;
}

/* Whether the line that starts with start (after a newline) holds c. */
static bool line_has(const char *text, const char *start, char c)
{
	char needle[64];
	const char *l, *end;

	snprintf(needle, sizeof(needle), "\n%s", start);
	l = strstr(text, needle);
	assert_non_null(l);
	l++;
	end = strchr(l, '\n');
	for (; *l && l != end; l++)
		if (*l == c)
			return true;
	return false;
}

static void test_labels_every_format(void **state)
{
	char *out;
	(void)state;
	/* Text: the mode, the Est column, the frames' heading. */
	out = report("");
	print_message("%s", out);
	assert_non_null(strstr(out, "stacks on a budget (4 per second per path per CPU"));
	assert_non_null(strstr(out, "Est"));
	assert_true(line_has(out, "4242  leaker  filp      1", '~'));
	assert_false(line_has(out, "4242  leaker  filp      2", '~'));
	assert_non_null(strstr(out, "Stack 1 (~ also stands for its path's unwalked allocations"));
	assert_non_null(strstr(out, "Stack 2:\n"));
	free(out);

	/* Text, grouped by stack: ~ on stack 1's row only. */
	out = report("--group stack --type AIFO");
	print_message("%s", out);
	assert_true(line_has(out, "    1 ", '~'));
	assert_false(line_has(out, "    2 ", '~'));
	free(out);

	/* CSV and JSON: a stack_estimate column, ~ (true) for stack 1 only. */
	out = report("-f csv --group stack --type AIFO");
	print_message("%s", out);
	assert_non_null(strstr(out, "stack_id,stack_estimate,"));
	assert_non_null(strstr(out, "\n1,~,")); /* CSV takes the text form */
	assert_non_null(strstr(out, "\n2,,"));
	free(out);
	out = report("-f json --group stack --type AIFO");
	assert_non_null(strstr(out, "\"stack_rate\":4"));
	assert_non_null(strstr(out, "\"stack_id\":1,\"stack_estimate\":true"));
	assert_non_null(strstr(out, "\"stack_id\":2,\"stack_estimate\":false"));
	assert_non_null(strstr(out, "\"outstanding\":60"));
	assert_non_null(strstr(out, "\"outstanding\":3"));
	free(out);

	/* HTML: its tables carry the Est column. */
	out = report("-f html");
	assert_non_null(strstr(out, "Est"));
	assert_non_null(strstr(out, "stacks on a budget"));
	free(out);

	/* Folded: stack 1's line ends in the [estimate] pseudo-frame (an
	 * ordinary frame to flamegraph.pl, inferno, speedscope); stack 2's
	 * does not, and every line still reads "frames count". */
	out = report("-f folded");
	print_message("%s", out);
	{
		int lines = 0, estimated = 0;

		for (char *l = out, *nl; *l; l = nl + 1) {
			char *sp;

			nl = strchr(l, '\n');
			assert_non_null(nl);
			*nl = '\0';
			sp = strrchr(l, ' ');
			assert_non_null(sp);
			assert_true(atoi(sp + 1) > 0);
			lines++;
			if (sp - l > 11 && !strncmp(sp - 11, ";[estimate]", 11))
				estimated++;
		}
		assert_true(lines >= 2);
		assert_int_equal(estimated, 1);
	}
	free(out);

	/* pprof: a stack_estimate label (go tool pprof -raw shows it on stack 1). */
	char cmd[3 * PATH_MAX];
	int status;

	out = report("-f pprof -o budget.pb.gz");
	free(out);
	snprintf(cmd, sizeof(cmd), "zcat '%s/budget.pb.gz' | grep -ac stack_estimate", dir);
	out = test_capture(cmd, &status);
	assert_non_null(out);
	assert_int_equal(atoi(out), 1); /* the label's key, interned once */
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_revision1_header),
		cmocka_unit_test(test_labels_every_format),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
