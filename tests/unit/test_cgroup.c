/* cgroup: the path of a process from /proc/PID/cgroup, on this machine's
 * hybrid layout (captured: tests/fixtures/cgroup.hybrid) and on a unified
 * (v2) systemd machine, and the unit a path names. */
#include "test_util.h"

#include <errno.h>

#include "kernel/cgroup.h"

static void test_hybrid_capture(void **state)
{
	char *text = test_slurp(FIXTURES_DIR "/cgroup.hybrid");
	char path[256];

	(void)state;
	assert_non_null(text);
	/* 0::/ and name=systemd:/ here: the root cgroup, no unit. */
	assert_int_equal(cgroup_parse_path(text, path, sizeof(path)), 0);
	assert_string_equal(path, "");
	free(text);
}

static void test_unified_and_units(void **state)
{
	char v2[] = "0::/system.slice/nginx.service\n";
	char hybrid[] = "12:memory:/x\n1:name=systemd:/system.slice/cron.service\n0::/\n";
	char none[] = "4:memory:/x\n";
	char path[256], unit[128];

	(void)state;
	assert_int_equal(cgroup_parse_path(v2, path, sizeof(path)), 0);
	assert_string_equal(path, "/system.slice/nginx.service");
	assert_string_equal(cgroup_unit(path, unit, sizeof(unit)), "nginx.service");
	/* A unified root on a hybrid machine: the systemd hierarchy names it. */
	assert_int_equal(cgroup_parse_path(hybrid, path, sizeof(path)), 0);
	assert_string_equal(path, "/system.slice/cron.service");
	assert_int_equal(cgroup_parse_path(none, path, sizeof(path)), -EINVAL);
	/* The innermost unit; a path with none is shown as it is. */
	assert_string_equal(cgroup_unit("/user.slice/user-1000.slice/user@1000.service/app.slice/"
					"app-gnome-x-1.scope",
					unit, sizeof(unit)),
			    "app-gnome-x-1.scope");
	assert_string_equal(cgroup_unit("/process_api/5d36", unit, sizeof(unit)), "/process_api/5d36");
	assert_string_equal(cgroup_unit("", unit, sizeof(unit)), "");
}

static void test_live(void **state)
{
	char unit[128];

	(void)state;
	assert_int_equal(cgroup_unit_of_pid(getpid(), unit, sizeof(unit)), 0);
	assert_int_equal(cgroup_unit_of_pid(0x7ffffff0, unit, sizeof(unit)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hybrid_capture),
		cmocka_unit_test(test_unified_and_units),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
