/* /proc/key-users parsing on a capture from this machine (two user keys added
 * first), plus an edited broken copy. */
#include "test_util.h"

#include <errno.h>

#include "kernel/keys.h"

#define FX FIXTURES_DIR "/handles/"

static void test_key_users(void **state)
{
	struct key_users list = { 0 };
	char *text = test_slurp(FX "key-users.txt");
	int bad = -1;

	(void)state;
	assert_non_null(text);
	assert_int_equal(key_users_parse(text, &list, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(list.count, 1);
	assert_int_equal(list.users[0].uid, 0);
	assert_int_equal(list.users[0].nkeys, 11);
	assert_int_equal(list.users[0].qnkeys, 6);
	assert_int_equal(list.users[0].maxkeys, 1000000);
	assert_int_equal(list.users[0].qnbytes, 109);
	assert_int_equal(list.users[0].maxbytes, 25000000);
	key_users_free(&list);
	free(text);
}

static void test_key_users_broken(void **state)
{
	struct key_users list = { 0 };
	char *text = test_slurp(FX "key-users-broken.txt");
	int bad = 0;

	(void)state;
	assert_non_null(text);
	assert_int_equal(key_users_parse(text, &list, &bad), 0);
	assert_int_equal(bad, 1);
	assert_int_equal(list.count, 1);
	key_users_free(&list);
	key_users_free(NULL);
	free(text);
}

static void test_key_users_live(void **state)
{
	struct key_users list = { 0 };
	int err;

	(void)state;
	/* Every kernel with CONFIG_KEYS lists at least root's keyrings; a
	 * kernel without it has no /proc/key-users, which is no failure. */
	err = key_users_read(&list);
	if (err == -ENOENT) {
		print_message("skipped: no /proc/key-users (kernel without CONFIG_KEYS)\n");
		skip();
	}
	assert_int_equal(err, 0);
	assert_true(list.count >= 1);
	assert_true(list.users[0].maxkeys > 0);
	key_users_free(&list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_users),
		cmocka_unit_test(test_key_users_broken),
		cmocka_unit_test(test_key_users_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
