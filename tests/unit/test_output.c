/* The output model: one table rendered as text, CSV and JSON; the JSON writer. */
#include "test_util.h"

#include "output/handle_tables.h"
#include "output/json.h"
#include "output/table.h"
#include "util/user_names.h"

static char *render(const struct table *t, enum output_format fmt,
		    const struct table_render_opts *opts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(table_render(t, fmt, f, opts), 0);
	fclose(f);
	return buf;
}

static struct table *sample(void)
{
	struct table *t = table_new();
	const char *aliases[] = { "a\"b", "c" };
	int r;

	assert_int_equal(table_add_col(t, "Tag", "tag", COL_STR, 0), 0);
	assert_int_equal(table_add_col(t, "Diff", "diff", COL_INT, COL_SIGNED), 1);
	assert_int_equal(table_add_col(t, "Bytes", "bytes", COL_UINT, COL_HUMAN_BYTES), 2);
	assert_int_equal(table_add_col(t, "Aliases", "aliases", COL_STRLIST, 0), 3);
	r = table_add_row(t);
	table_set_str(t, r, 0, "filp");
	table_set_int(t, r, 1, 12);
	table_set_uint(t, r, 2, 3 * 1024 * 1024);
	table_set_list(t, r, 3, aliases, 2);
	r = table_add_row(t);
	table_set_str(t, r, 0, "kmalloc-64");
	table_set_int(t, r, 1, -3);
	table_set_uint(t, r, 2, 640);
	return t;
}

static void test_text_aligned(void **state)
{
	struct table *t = sample();
	char *out = render(t, FMT_TEXT, NULL);

	(void)state;
	assert_string_equal(out, "Tag         Diff  Bytes  Aliases\n"
				 "filp         +12   3.0M  a\"b,c\n"
				 "kmalloc-64    -3    640  -\n");
	free(out);
	table_free(t);
}

static void test_csv_quotes_and_raw_numbers(void **state)
{
	struct table *t = sample();
	char *out = render(t, FMT_CSV, NULL);

	(void)state;
	assert_string_equal(out, "tag,diff,bytes,aliases\n"
				 "filp,12,3145728,\"a\"\"b,c\"\n"
				 "kmalloc-64,-3,640,\n");
	free(out);
	table_free(t);
}

static void test_json_rows(void **state)
{
	struct table *t = sample();
	char *out = render(t, FMT_JSON, NULL);

	(void)state;
	assert_string_equal(out, "[{\"tag\":\"filp\",\"diff\":12,\"bytes\":3145728,\"aliases\":[\"a\\\"b\",\"c\"]},"
				 "{\"tag\":\"kmalloc-64\",\"diff\":-3,\"bytes\":640,\"aliases\":null}]\n");
	free(out);
	table_free(t);
}

static void test_sort_stable_nulls_last(void **state)
{
	struct table *t = table_new();
	int c = table_add_col(t, "N", "n", COL_UINT, 0);
	int k = table_add_col(t, "K", "k", COL_STR, 0);
	const uint64_t vals[] = { 5, 9, 5, 1 };
	int i, r;

	(void)state;
	for (i = 0; i < 4; i++) {
		char name[8];

		r = table_add_row(t);
		table_set_uint(t, r, c, vals[i]);
		snprintf(name, sizeof(name), "r%d", i);
		table_set_str(t, r, k, name);
	}
	r = table_add_row(t); /* null value */
	table_set_str(t, r, k, "null");
	table_sort(t, c, true);
	assert_string_equal(table_get_str(t, 0, k), "r1");
	assert_string_equal(table_get_str(t, 1, k), "r0"); /* stable among equals */
	assert_string_equal(table_get_str(t, 2, k), "r2");
	assert_string_equal(table_get_str(t, 3, k), "r3");
	assert_string_equal(table_get_str(t, 4, k), "null");
	table_sort(t, c, false);
	assert_string_equal(table_get_str(t, 0, k), "r3");
	assert_string_equal(table_get_str(t, 4, k), "null");
	table_truncate(t, 2);
	assert_int_equal(table_rows(t), 2);
	table_free(t);
}

static void test_squeeze_to_width(void **state)
{
	struct table *t = table_new();
	struct table_render_opts opts = { .max_width = 20 };
	char *out;
	int r;

	(void)state;
	table_add_col(t, "Name", "name", COL_STR, COL_SQUEEZE);
	table_add_col(t, "N", "n", COL_UINT, 0);
	r = table_add_row(t);
	table_set_str(t, r, 0, "a-very-long-cache-name-indeed");
	table_set_uint(t, r, 1, 7);
	out = render(t, FMT_TEXT, &opts);
	/* 17 + 2 + 1 = 20 columns: the name gives up what does not fit. */
	assert_string_equal(out, "Name               N\na-very-long-cache  7\n");
	free(out);
	table_free(t);
}

static char *json_of(void (*fill)(struct json_writer *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer *w = json_writer_new(f);

	fill(w);
	json_writer_free(w);
	fclose(f);
	return buf;
}

static void fill_controls(struct json_writer *w)
{
	/* Control bytes, DEL, an invalid byte and valid UTF-8 (é). */
	json_begin_object(w);
	json_kv_string(w, "comm", "a\x01\x1f\x7f\n\t\"\\\xff\xc3\xa9");
	json_key(w, "list");
	json_begin_array(w);
	json_uint(w, 18446744073709551615ULL);
	json_int(w, -5);
	json_double(w, 0.0 / 0.0);
	json_double(w, 1464.87);
	json_double(w, 0.1 + 0.2);
	json_bool(w, true);
	json_null(w);
	json_end_array(w);
	json_end_object(w);
}

static void test_json_escapes_every_control_byte(void **state)
{
	char *out = json_of(fill_controls);

	(void)state;
	assert_string_equal(out, "{\"comm\":\"a\\u0001\\u001f\\u007f\\n\\t\\\"\\\\\\u00ff\xc3\xa9\","
				 "\"list\":[18446744073709551615,-5,null,1464.87,0.30000000000000004,true,null]}");
	free(out);
}

/* A process or file name can hold any byte: the text renderer shows control
 * bytes and invalid UTF-8 escaped, aligned by the escaped width; CSV and
 * JSON keep escaping their own way. */
static void test_text_escapes_control_bytes(void **state)
{
	struct table *t = table_new();
	char *text, *csv, *json;
	int r;

	(void)state;
	assert_int_equal(table_add_col(t, "Command", "comm", COL_STR, 0), 0);
	assert_int_equal(table_add_col(t, "Name", "name", COL_STR, 0), 1);
	assert_int_equal(table_add_col(t, "N", "n", COL_INT, 0), 2);
	r = table_add_row(t);
	table_set_str(t, r, 0, "\033[31mEVIL\n");
	table_set_str(t, r, 1, "/tmp/a\rb\x9b\xff\xc2\x9b" "c");
	table_set_int(t, r, 2, 1);
	r = table_add_row(t);
	table_set_str(t, r, 0, "caf\xc3\xa9");
	table_set_str(t, r, 1, "x");
	table_set_int(t, r, 2, 22);
	text = render(t, FMT_TEXT, NULL);
	assert_null(strchr(text, '\033'));
	assert_null(strchr(text, '\r'));
	assert_string_equal(text,
			    "Command         Name                         N\n"
			    "\\x1b[31mEVIL\\n  /tmp/a\\rb\\x9b\\xff\\xc2\\x9bc   1\n"
			    "caf\xc3\xa9            x                           22\n");
	csv = render(t, FMT_CSV, NULL);
	assert_non_null(strstr(csv, "\"\033[31mEVIL\n\""));
	json = render(t, FMT_JSON, NULL);
	assert_non_null(strstr(json, "\"comm\":\"\\u001b[31mEVIL\\n\""));
	free(text);
	free(csv);
	free(json);
	table_free(t);
}

/* The handles process table: fd_pct and maps_pct both carry the digits the
 * text shows (maps_pct was the unrounded 0.10071722875019075 beside them). */
static void test_handles_json_percentages_rounded(void **state)
{
	struct proc_handles p = { .pid = 1, .uid = 0, .fds = 294, .threads = 13, .maps = 66,
				  .fd_soft_limit = 32768 };
	struct handles_snapshot snap = { .procs = &p, .count = 1 };
	struct user_names users = USER_NAMES_INIT;
	struct table *t;
	char *json, *text;

	(void)state;
	strcpy(p.comm, "init");
	p.kinds[FD_KIND_PIPE] = 294;
	assert_int_equal(handle_process_table(&snap, NULL, &users, 65530, &t), 0);
	json = render(t, FMT_JSON, NULL);
	assert_non_null(strstr(json, "\"fd_limit\":32768,\"fd_pct\":0.9,\"maps_pct\":0.1}"));
	text = render(t, FMT_TEXT, NULL);
	assert_non_null(strstr(text, "32768  0.90   0.10\n"));
	free(json);
	free(text);
	table_free(t);
	user_names_release(&users);
}

static void test_format_parse(void **state)
{
	enum output_format f;

	(void)state;
	assert_int_equal(output_format_parse("json", &f), 0);
	assert_int_equal(f, FMT_JSON);
	assert_int_equal(output_format_parse("csv", &f), 0);
	assert_int_equal(f, FMT_CSV);
	assert_int_not_equal(output_format_parse("xml", &f), 0);
	assert_int_not_equal(output_format_parse(NULL, &f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_aligned),
		cmocka_unit_test(test_csv_quotes_and_raw_numbers),
		cmocka_unit_test(test_json_rows),
		cmocka_unit_test(test_sort_stable_nulls_last),
		cmocka_unit_test(test_squeeze_to_width),
		cmocka_unit_test(test_json_escapes_every_control_byte),
		cmocka_unit_test(test_text_escapes_control_bytes),
		cmocka_unit_test(test_handles_json_percentages_rounded),
		cmocka_unit_test(test_format_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
