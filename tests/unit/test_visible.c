/* visible_escape: control bytes, C1 controls and invalid UTF-8 escaped,
 * valid UTF-8 kept, truncation between whole pieces. */
#include "test_util.h"

#include "util/visible.h"

static void check(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t n = visible_escape(in, len, out, sizeof(out));

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_escapes(void **state)
{
	(void)state;
	check("plain name", 10, "plain name");
	check("\033[31mEVIL\n", 10, "\\x1b[31mEVIL\\n");
	check("a\tb\rc\x7f", 6, "a\\tb\\rc\\x7f");
	check("nul\0x", 5, "nul\\x00x");
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	check("\xc2\x9b" "1m", 4, "\\xc2\\x9b1m");		/* C1 CSI */
	check("\xff\xfe", 2, "\\xff\\xfe");			/* never UTF-8 */
	check("\xc0\xaf", 2, "\\xc0\\xaf");			/* overlong '/' */
	check("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");		/* a surrogate */
	check("\xe2\x82", 2, "\\xe2\\x82");			/* cut short */
	check("back\\slash", 10, "back\\slash");
}

static void test_truncation(void **state)
{
	char out[8];
	size_t n;

	(void)state;
	/* "ab\x1b" needs 6 bytes + NUL: fits. "ab\x1b\x1b" does not: the
	 * second escape is left out whole. */
	n = visible_escape("ab\033\033", 4, out, sizeof(out));
	assert_int_equal(n, 10);
	assert_string_equal(out, "ab\\x1b");
	n = visible_escape("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, out, sizeof(out));
	assert_int_equal(n, 8);
	assert_string_equal(out, "\xc3\xa9\xc3\xa9\xc3\xa9"); /* no half character */
	assert_int_equal(visible_escape("abc", 3, NULL, 0), 3);
	n = visible_escape("abc", 3, out, 1);
	assert_int_equal(n, 3);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
