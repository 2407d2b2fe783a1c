/* output/prom: the Prometheus text format 0.0.4 writer — families grouped with
 * # HELP and # TYPE, label values escaped and made valid UTF-8, names checked,
 * duplicate label sets merged by the family's rule, never written twice. */
#include "test_util.h"

#include <errno.h>
#include <math.h>

#include "output/prom.h"
#include "output/prom_families.h"

static char *render(const struct prom_exposition *e)
{
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(prom_render(e, &out), 0);
	if (!out.buf)
		return strdup("");
	return strbuf_detach(&out);
}

static void assert_renders(const struct prom_exposition *e, const char *expected)
{
	char *text = render(e);

	assert_string_equal(text, expected);
	free(text);
}

static void test_render_grouped(void **state)
{
	struct prom_exposition *e = prom_exposition_new();
	struct prom_label cache_a[] = {{"cache", "filp"}, {"type", "unrecl"}};
	struct prom_label cache_b[] = {{"type", "recl"}, {"cache", "dentry"}};
	struct prom_label objs[] = {{"cache", "filp"}};

	(void)state;
	assert_non_null(e);
	assert_int_equal(prom_family(e, "poolscope_slab_bytes", PROM_GAUGE, PROM_MERGE_SUM,
				     "Bytes of a slab cache."),
			 0);
	assert_int_equal(
	    prom_family(e, "poolscope_slab_objects", PROM_GAUGE, PROM_MERGE_SUM, "Objects."), 0);
	assert_int_equal(prom_family(e, "poolscope_unused", PROM_COUNTER, PROM_MERGE_SUM, "x"), 0);
	assert_int_equal(prom_family(e, "poolscope_up", PROM_UNTYPED, PROM_MERGE_MAX, "Up."), 0);
	/* Interleaved samples still come out grouped, each family once, in
	 * the order declared; series in the order first added; labels sorted. */
	assert_int_equal(prom_sample(e, "poolscope_slab_bytes", cache_a, 2, 4096), 0);
	assert_int_equal(prom_sample(e, "poolscope_slab_objects", objs, 1, 16), 0);
	assert_int_equal(prom_sample(e, "poolscope_up", NULL, 0, 1), 0);
	assert_int_equal(prom_sample(e, "poolscope_slab_bytes", cache_b, 2, 8192), 0);
	assert_int_equal(prom_sample(e, "poolscope_missing", NULL, 0, 1), -ENOENT);
	/* The family without samples is left out. */
	assert_renders(e, "# HELP poolscope_slab_bytes Bytes of a slab cache.\n"
			  "# TYPE poolscope_slab_bytes gauge\n"
			  "poolscope_slab_bytes{cache=\"filp\",type=\"unrecl\"} 4096\n"
			  "poolscope_slab_bytes{cache=\"dentry\",type=\"recl\"} 8192\n"
			  "# HELP poolscope_slab_objects Objects.\n"
			  "# TYPE poolscope_slab_objects gauge\n"
			  "poolscope_slab_objects{cache=\"filp\"} 16\n"
			  "# HELP poolscope_up Up.\n"
			  "# TYPE poolscope_up untyped\n"
			  "poolscope_up 1\n");
	/* Declaring again: the same is a no-op, another type or rule refused. */
	assert_int_equal(prom_family(e, "poolscope_up", PROM_UNTYPED, PROM_MERGE_MAX, "Up."), 0);
	assert_int_equal(prom_family(e, "poolscope_up", PROM_GAUGE, PROM_MERGE_MAX, "Up."),
			 -EEXIST);
	assert_int_equal(prom_family(e, "poolscope_up", PROM_UNTYPED, PROM_MERGE_SUM, "Up."),
			 -EEXIST);
	assert_int_equal(prom_family(e, "9lives", PROM_GAUGE, PROM_MERGE_SUM, "x"), -EINVAL);
	prom_exposition_free(e);
	prom_exposition_free(NULL);
}

static void test_escaping(void **state)
{
	struct prom_exposition *e = prom_exposition_new();
	/* Quote, backslash, newline; a valid multi-byte name kept; an invalid
	 * byte (0xff), a truncated sequence and an overlong '/' replaced. */
	struct prom_label odd[] = {{"comm", "a\"b\\c\nd"}};
	struct prom_label utf[] = {{"comm", "caf\xc3\xa9"}};
	struct prom_label bad[] = {{"comm", "x\xffy\xe2\x82"}};
	struct prom_label overlong[] = {{"comm", "\xc0\xaf"}};
	struct prom_label tab[] = {{"comm", "t\tr\r"}};
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(prom_family(e, "m", PROM_GAUGE, PROM_MERGE_SUM,
				     "Help with \\ and\nnewline and \"quotes\"."),
			 0);
	assert_int_equal(prom_sample(e, "m", odd, 1, 1), 0);
	assert_int_equal(prom_sample(e, "m", utf, 1, 2), 0);
	assert_int_equal(prom_sample(e, "m", bad, 1, 3), 0);
	assert_int_equal(prom_sample(e, "m", overlong, 1, 4), 0);
	assert_int_equal(prom_sample(e, "m", tab, 1, 5), 0);
	/* HELP escapes backslash and newline only; quotes stay. */
	assert_renders(e, "# HELP m Help with \\\\ and\\nnewline and \"quotes\".\n"
			  "# TYPE m gauge\n"
			  "m{comm=\"a\\\"b\\\\c\\nd\"} 1\n"
			  "m{comm=\"caf\xc3\xa9\"} 2\n"
			  "m{comm=\"x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\"} 3\n"
			  "m{comm=\"\xef\xbf\xbd\xef\xbf\xbd\"} 4\n"
			  "m{comm=\"t\tr\r\"} 5\n");
	assert_int_equal(prom_escape_label_value(&sb, "\\\"\n"), 0);
	assert_string_equal(strbuf_str(&sb), "\\\\\\\"\\n");
	strbuf_release(&sb);
	prom_exposition_free(e);
}

static void test_names(void **state)
{
	struct prom_exposition *e = prom_exposition_new();
	struct prom_label l[PROM_MAX_LABELS + 1];
	char names[PROM_MAX_LABELS + 1][8];
	int i;

	(void)state;
	assert_true(prom_metric_name_valid("poolscope_slab_bytes"));
	assert_true(prom_metric_name_valid("job:rate5m"));
	assert_true(prom_metric_name_valid("_x9"));
	assert_false(prom_metric_name_valid(""));
	assert_false(prom_metric_name_valid(NULL));
	assert_false(prom_metric_name_valid("9x"));
	assert_false(prom_metric_name_valid("slab-bytes"));
	assert_false(prom_metric_name_valid("slab bytes"));
	assert_false(prom_metric_name_valid("caf\xc3\xa9"));
	assert_true(prom_label_name_valid("cache"));
	assert_true(prom_label_name_valid("_type2"));
	assert_false(prom_label_name_valid("__name__"));
	assert_false(prom_label_name_valid("a:b"));
	assert_false(prom_label_name_valid("2a"));
	assert_false(prom_label_name_valid(""));

	assert_int_equal(prom_family(e, "m", PROM_GAUGE, PROM_MERGE_SUM, "h"), 0);
	l[0] = (struct prom_label){"bad-name", "v"};
	assert_int_equal(prom_sample(e, "m", l, 1, 1), -EINVAL);
	l[0] = (struct prom_label){"__reserved", "v"};
	assert_int_equal(prom_sample(e, "m", l, 1, 1), -EINVAL);
	l[0] = (struct prom_label){"a", NULL};
	assert_int_equal(prom_sample(e, "m", l, 1, 1), -EINVAL);
	/* A label name given twice is refused, wherever it stands. */
	l[0] = (struct prom_label){"b", "1"};
	l[1] = (struct prom_label){"a", "2"};
	l[2] = (struct prom_label){"b", "3"};
	assert_int_equal(prom_sample(e, "m", l, 3, 1), -EINVAL);
	for (i = 0; i <= PROM_MAX_LABELS; i++) {
		snprintf(names[i], sizeof(names[i]), "l%d", i);
		l[i] = (struct prom_label){names[i], "v"};
	}
	assert_int_equal(prom_sample(e, "m", l, PROM_MAX_LABELS + 1, 1), -EINVAL);
	assert_int_equal(prom_sample(e, "m", l, PROM_MAX_LABELS, 1), 0);
	/* Nothing refused was kept. */
	assert_int_equal(prom_series_count(e, "m"), 1);
	prom_exposition_free(e);
}

static void test_duplicates_merge(void **state)
{
	struct prom_exposition *e = prom_exposition_new();
	struct prom_label k64[] = {{"cache", "kmalloc-64"}, {"type", "unrecl"}};
	struct prom_label k64_swapped[] = {{"type", "unrecl"}, {"cache", "kmalloc-64"}};
	struct prom_label k64_recl[] = {{"cache", "kmalloc-64"}, {"type", "recl"}};
	/* Two different raw names that render the same (both invalid bytes
	 * become U+FFFD) are one series too: the rendered form is the key. */
	struct prom_label raw1[] = {{"cache", "x\xfe"}};
	struct prom_label raw2[] = {{"cache", "x\xff"}};
	struct prom_label fds[] = {{"resource", "fds"}, {"pid", "42"}, {"comm", "leaky"}};
	struct prom_label files[] = {{"resource", "file-nr"}};
	char *text;

	(void)state;
	assert_int_equal(prom_family(e, "poolscope_slab_bytes", PROM_GAUGE, PROM_MERGE_SUM, "b"),
			 0);
	assert_int_equal(
	    prom_family(e, "poolscope_exhaustion_seconds", PROM_GAUGE, PROM_MERGE_MIN, "s"), 0);
	assert_int_equal(prom_family(e, "poolscope_resource_used", PROM_GAUGE, PROM_MERGE_MAX, "u"),
			 0);
	assert_int_equal(prom_sample(e, "poolscope_slab_bytes", k64, 2, 1000), 0);
	assert_int_equal(prom_sample(e, "poolscope_slab_bytes", k64_recl, 2, 7), 0);
	assert_int_equal(prom_sample(e, "poolscope_slab_bytes", k64_swapped, 2, 24), 0);
	assert_int_equal(prom_sample(e, "poolscope_slab_bytes", k64, 2, 0.5), 0);
	assert_int_equal(prom_sample(e, "poolscope_slab_bytes", raw1, 1, 1), 0);
	assert_int_equal(prom_sample(e, "poolscope_slab_bytes", raw2, 1, 2), 0);
	assert_int_equal(prom_sample(e, "poolscope_exhaustion_seconds", fds, 3, 7200), 0);
	assert_int_equal(prom_sample(e, "poolscope_exhaustion_seconds", fds, 3, 3600), 0);
	assert_int_equal(prom_sample(e, "poolscope_exhaustion_seconds", fds, 3, 86400), 0);
	assert_int_equal(prom_sample(e, "poolscope_resource_used", files, 1, 10), 0);
	assert_int_equal(prom_sample(e, "poolscope_resource_used", files, 1, 30), 0);
	assert_int_equal(prom_sample(e, "poolscope_resource_used", files, 1, 20), 0);
	assert_int_equal(prom_series_count(e, "poolscope_slab_bytes"), 3);
	assert_int_equal(prom_series_count(e, "poolscope_exhaustion_seconds"), 1);
	assert_int_equal(prom_series_count(e, "nope"), 0);
	text = render(e);
	assert_string_equal(
	    text, "# HELP poolscope_slab_bytes b\n"
		  "# TYPE poolscope_slab_bytes gauge\n"
		  "poolscope_slab_bytes{cache=\"kmalloc-64\",type=\"unrecl\"} 1024.5\n"
		  "poolscope_slab_bytes{cache=\"kmalloc-64\",type=\"recl\"} 7\n"
		  "poolscope_slab_bytes{cache=\"x\xef\xbf\xbd\"} 3\n"
		  "# HELP poolscope_exhaustion_seconds s\n"
		  "# TYPE poolscope_exhaustion_seconds gauge\n"
		  "poolscope_exhaustion_seconds{comm=\"leaky\",pid=\"42\",resource=\"fds\"} 3600\n"
		  "# HELP poolscope_resource_used u\n"
		  "# TYPE poolscope_resource_used gauge\n"
		  "poolscope_resource_used{resource=\"file-nr\"} 30\n");
	free(text);
	prom_exposition_free(e);
}

static void test_values(void **state)
{
	struct prom_exposition *e = prom_exposition_new();
	static const struct {
		double v;
		const char *text;
	} cases[] = {
	    {0, "0"},
	    {42, "42"},
	    {-3, "-3"},
	    {0.1, "0.1"},
	    {1.0 / 3.0, "0.3333333333333333"},
	    {9007199254740993.0, "9007199254740992"}, /* 2^53 + 1 is not a double */
	    {18446744073709551615.0, "1.8446744073709552e+19"},
	    {1e-9, "1e-09"},
	};
	struct prom_label l[1];
	char name[16], line[96], *text;
	size_t i;

	(void)state;
	assert_int_equal(prom_family(e, "v", PROM_GAUGE, PROM_MERGE_SUM, "h"), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "%zu", i);
		l[0] = (struct prom_label){"i", name};
		assert_int_equal(prom_sample(e, "v", l, 1, cases[i].v), 0);
	}
	assert_int_equal(prom_sample(e, "v", (struct prom_label[]){{"i", "nan"}}, 1, NAN), 0);
	assert_int_equal(prom_sample(e, "v", (struct prom_label[]){{"i", "inf"}}, 1, INFINITY), 0);
	assert_int_equal(prom_sample(e, "v", (struct prom_label[]){{"i", "-inf"}}, 1, -INFINITY),
			 0);
	text = render(e);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "\nv{i=\"%zu\"} %s\n", i, cases[i].text);
		if (!strstr(text, line))
			fail_msg("missing %s in:\n%s", line, text);
		/* What is written reads back as the value. */
		assert_true(strtod(cases[i].text, NULL) == cases[i].v);
	}
	assert_non_null(strstr(text, "\nv{i=\"nan\"} NaN\n"));
	assert_non_null(strstr(text, "\nv{i=\"inf\"} +Inf\n"));
	assert_non_null(strstr(text, "\nv{i=\"-inf\"} -Inf\n"));
	free(text);
	prom_exposition_free(e);
}

/* Enough series to collide in the hash and to grow every array; reset keeps
 * the families and drops the series; a refill after reset is as new. */
static void test_many_and_reset(void **state)
{
	struct prom_exposition *e = prom_exposition_new();
	struct prom_label l[2];
	char cache[32], *text;
	int round, i;

	(void)state;
	assert_int_equal(prom_families_declare(e), 0);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 5000; i++) {
			snprintf(cache, sizeof(cache), "cache-%d", i % 2500);
			l[0] = (struct prom_label){"cache", cache};
			l[1] = (struct prom_label){"type", i % 2 ? "recl" : "unrecl"};
			/* i and i + 2500 share cache and type when 2500 is even. */
			assert_int_equal(prom_sample(e, PROM_SLAB_BYTES, l, 2, 1), 0);
			assert_int_equal(prom_sample(e, PROM_SLAB_OBJECTS, l, 1, i), 0);
		}
		assert_int_equal(prom_series_count(e, PROM_SLAB_BYTES), 2500);
		assert_int_equal(prom_series_count(e, PROM_SLAB_OBJECTS), 2500);
		text = render(e);
		assert_non_null(
		    strstr(text, "poolscope_slab_bytes{cache=\"cache-7\",type=\"recl\"} 2\n"));
		/* objects of cache-7: 7 + 2507 */
		assert_non_null(strstr(text, "poolscope_slab_objects{cache=\"cache-7\"} 2514\n"));
		free(text);
		prom_exposition_reset(e);
		assert_int_equal(prom_series_count(e, PROM_SLAB_BYTES), 0);
		assert_renders(e, "");
	}
	/* The families survived the resets. */
	assert_int_equal(prom_sample(e, PROM_BUILD_INFO,
				     (struct prom_label[]){{"version", "1"}, {"kernel", "6"}}, 2,
				     1),
			 0);
	text = render(e);
	assert_non_null(strstr(text, "# TYPE poolscope_build_info gauge\n"
				     "poolscope_build_info{kernel=\"6\",version=\"1\"} 1\n"));
	free(text);
	prom_exposition_free(e);
}

/* Every family of the table has a valid name and labels, and is listed in
 * docs/METRICS.md. */
static void test_families_documented(void **state)
{
	char *doc = test_slurp("docs/METRICS.md");
	const struct prom_family_spec *f;
	size_t n, i;

	(void)state;
	assert_non_null(doc);
	f = prom_families(&n);
	assert_true(n >= 8);
	for (i = 0; i < n; i++) {
		char label[32];
		const char *p, *end;

		assert_true(prom_metric_name_valid(f[i].name));
		assert_true(f[i].help && f[i].help[0]);
		if (!strstr(doc, f[i].name))
			fail_msg("docs/METRICS.md does not list %s", f[i].name);
		for (p = f[i].labels; *p; p = *end ? end + 1 : end) {
			end = strchr(p, ',');
			if (!end)
				end = p + strlen(p);
			assert_true((size_t)(end - p) < sizeof(label));
			memcpy(label, p, (size_t)(end - p));
			label[end - p] = '\0';
			assert_true(prom_label_name_valid(label));
		}
	}
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_grouped),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_duplicates_merge),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_many_and_reset),
		cmocka_unit_test(test_families_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
