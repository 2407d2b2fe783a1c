/* SysV IPC and POSIX mqueue parsing on captures from this machine (objects
 * created first so the captures are not empty), plus edited broken copies. */
#include "test_util.h"

#include <errno.h>

#include "kernel/ipc.h"

#define FX FIXTURES_DIR "/handles/"

static struct ipc_list parse(const char *name, enum ipc_kind kind, int expect_rc, int *bad)
{
	struct ipc_list list = { 0 };
	char *text = test_slurp(name);

	assert_non_null(text);
	assert_int_equal(sysvipc_parse(text, kind, &list, bad), expect_rc);
	free(text);
	return list;
}

static void test_shm(void **state)
{
	int bad = -1;
	struct ipc_list l = parse(FX "sysvipc-shm.txt", IPC_KIND_SHM, 0, &bad);

	(void)state;
	assert_int_equal(bad, 0);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.objects[0].key, 0x50534331);
	assert_int_equal(l.objects[0].bytes, 65536);
	assert_int_equal(l.objects[0].cpid, 14429);
	assert_int_equal(l.objects[0].count, 1); /* attached once */
	assert_int_equal(l.objects[1].key, 0);	 /* IPC_PRIVATE */
	assert_int_equal(l.objects[1].id, 1);
	assert_int_equal(l.objects[1].bytes, 4096);
	assert_string_equal(ipc_kind_name(l.objects[1].kind), "shm");
	ipc_list_free(&l);
}

static void test_sem_and_msg(void **state)
{
	int bad = -1;
	struct ipc_list l = parse(FX "sysvipc-sem.txt", IPC_KIND_SEM, 0, &bad);

	(void)state;
	assert_int_equal(l.count, 1);
	assert_int_equal(l.objects[0].count, 3); /* semaphores in the set */
	assert_int_equal(l.objects[0].key, 0x50534332);
	ipc_list_free(&l);
	l = parse(FX "sysvipc-msg.txt", IPC_KIND_MSG, 0, &bad);
	assert_int_equal(l.count, 1);
	assert_int_equal(l.objects[0].bytes, 150); /* 100 + 50 queued */
	assert_int_equal(l.objects[0].count, 2);
	assert_int_equal(l.objects[0].cpid, 14429);
	ipc_list_free(&l);
}

static void test_broken(void **state)
{
	int bad = 0;
	struct ipc_list l = parse(FX "sysvipc-shm-broken.txt", IPC_KIND_SHM, 0, &bad);

	(void)state;
	assert_int_equal(bad, 1);
	assert_int_equal(l.count, 2);
	ipc_list_free(&l);
	/* A sem file read as shm has the wrong header: refused. */
	l = parse(FX "sysvipc-sem.txt", IPC_KIND_SHM, -EINVAL, NULL);
	assert_int_equal(l.count, 0);
	ipc_list_free(&l);
	ipc_list_free(NULL);
}

static void test_mqueue_and_limits(void **state)
{
	char *text = test_slurp(FX "mqueue-file.txt");
	uint64_t q = 0, mns = 0, mni = 0;

	(void)state;
	assert_non_null(text);
	assert_int_equal(mqueue_parse(text, &q), 0);
	assert_int_equal(q, 13); /* "0123456789" + "abc" */
	assert_int_equal(mqueue_parse("NOTIFY:0", &q), -EINVAL);
	free(text);
	text = test_slurp(FX "sem-limits.txt");
	assert_non_null(text);
	assert_int_equal(sem_limits_parse(text, &mns, &mni), 0);
	assert_int_equal(mns, 1024000000);
	assert_int_equal(mni, 32000);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shm),
		cmocka_unit_test(test_sem_and_msg),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_mqueue_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
