/* visible_escape: control bytes and bytes that are not UTF-8 become \xNN,
 * valid UTF-8 stays, output is cut only between pieces. */
#include "test_util.h"

#include <string.h>

#include "util/visible.h"

static const char *esc(const char *in, size_t len, char *out, size_t outlen)
{
	visible_escape(in, len, out, outlen);
	return out;
}

static void test_kept(void **state)
{
	char out[128];

	(void)state;
	assert_string_equal(esc("kmalloc-64", 10, out, sizeof(out)), "kmalloc-64");
	/* UTF-8 of 2, 3 and 4 bytes, a backslash: kept. */
	assert_string_equal(
	    esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7 a\\b", 18, out, sizeof(out)),
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7 a\\b");
	assert_int_equal(visible_escape("", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void test_escaped(void **state)
{
	char out[128];

	(void)state;
	/* A colour sequence, a newline, a tab, DEL, a NUL. */
	assert_string_equal(esc("\x1b[31mred\n\t\x7f", 11, out, sizeof(out)),
			    "\\x1b[31mred\\x0a\\x09\\x7f");
	assert_string_equal(esc("a\0b", 3, out, sizeof(out)), "a\\x00b");
	/* C1 CSI (U+009B), invalid bytes, an overlong '/', a surrogate, a cut
	 * sequence, beyond U+10FFFF. */
	assert_string_equal(esc("\xc2\x9b", 2, out, sizeof(out)), "\\xc2\\x9b");
	assert_string_equal(esc("\xff\xfe\x80", 3, out, sizeof(out)), "\\xff\\xfe\\x80");
	assert_string_equal(esc("\xc0\xaf", 2, out, sizeof(out)), "\\xc0\\xaf");
	assert_string_equal(esc("\xe0\x80\xaf", 3, out, sizeof(out)), "\\xe0\\x80\\xaf");
	assert_string_equal(esc("\xed\xa0\x80", 3, out, sizeof(out)), "\\xed\\xa0\\x80");
	assert_string_equal(esc("x\xe2\x82", 3, out, sizeof(out)), "x\\xe2\\x82");
	assert_string_equal(esc("\xf4\x90\x80\x80", 4, out, sizeof(out)), "\\xf4\\x90\\x80\\x80");
}

static void test_idempotent_and_cut(void **state)
{
	char once[64], twice[64], small[8];
	size_t need;

	(void)state;
	esc("\x1b]0;pwned\x07", 10, once, sizeof(once));
	esc(once, strlen(once), twice, sizeof(twice));
	assert_string_equal(once, twice);
	/* Too small: cut between pieces, NUL-terminated, the full length returned. */
	need = visible_escape("ab\x1b"
			      "cd",
			      5, small, 6);
	assert_int_equal(need, 8);
	assert_string_equal(small, "ab");
	need = visible_escape("\xe2\x82\xac\xe2\x82\xac", 6, small, 6);
	assert_int_equal(need, 6);
	assert_string_equal(small, "\xe2\x82\xac");
	assert_int_equal(visible_escape("abc", 3, small, 0), 3);
	assert_int_equal(visible_escape("abc", 3, small, 4), 3);
	assert_string_equal(small, "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kept),
	    cmocka_unit_test(test_escaped),
	    cmocka_unit_test(test_idempotent_and_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
