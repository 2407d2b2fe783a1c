/* Kernel-wide handle resources: usage folded from a snapshot and an IPC list,
 * limits from this kernel. */
#include "test_util.h"

#include "model/handle_resources.h"

static const struct handle_resource *find(const struct handle_resources *res, const char *name,
					  int uid)
{
	int i;

	for (i = 0; i < res->count; i++)
		if (strcmp(res->items[i].name, name) == 0 &&
		    (uid < 0 || (res->items[i].per_user && res->items[i].uid == (uint32_t)uid)))
			return &res->items[i];
	return NULL;
}

static void test_collect(void **state)
{
	struct proc_handles procs[3] = { 0 };
	struct handles_snapshot snap = { .procs = procs, .count = 3 };
	struct ipc_object objs[5] = {
		{ .kind = IPC_KIND_SHM, .bytes = 65536 },
		{ .kind = IPC_KIND_SHM, .bytes = 4096 },
		{ .kind = IPC_KIND_SEM, .count = 3 },
		{ .kind = IPC_KIND_MSG, .bytes = 150, .count = 2 },
		{ .kind = IPC_KIND_MQUEUE, .bytes = 13 },
	};
	struct ipc_list ipc = { .objects = objs, .count = 5 };
	struct handle_resources res;
	const struct handle_resource *r;

	(void)state;
	/* Two root processes with 2 + 1 inotify instances and 5 + 7 watches,
	 * one of uid 1000 with 1 and 4; and a process without inotify. */
	procs[0] = (struct proc_handles){ .pid = 10, .uid = 0, .inotify_watches = 5 };
	procs[0].kinds[FD_KIND_INOTIFY] = 2;
	procs[1] = (struct proc_handles){ .pid = 11, .uid = 1000, .inotify_watches = 4 };
	procs[1].kinds[FD_KIND_INOTIFY] = 1;
	procs[2] = (struct proc_handles){ .pid = 12, .uid = 0, .inotify_watches = 7 };
	procs[2].kinds[FD_KIND_INOTIFY] = 1;
	assert_int_equal(handle_resources_collect(&snap, &ipc, true, &res), 0);

	r = find(&res, "inotify instances", 0);
	assert_non_null(r);
	assert_int_equal(r->used, 3);
	assert_true(r->limit > 0); /* fs.inotify.max_user_instances */
	assert_int_equal(find(&res, "inotify watches", 0)->used, 12);
	assert_int_equal(find(&res, "inotify instances", 1000)->used, 1);
	assert_int_equal(find(&res, "inotify watches", 1000)->used, 4);
	assert_null(find(&res, "inotify watches", 12));

	assert_int_equal(find(&res, "sysv shm segments (kernel.shmmni)", -1)->used, 2);
	assert_int_equal(find(&res, "sysv shm bytes (kernel.shmall)", -1)->used, 69632);
	assert_int_equal(find(&res, "sysv semaphore sets (kernel.sem SEMMNI)", -1)->used, 1);
	assert_int_equal(find(&res, "sysv semaphores (kernel.sem SEMMNS)", -1)->used, 3);
	assert_int_equal(find(&res, "sysv msg bytes", -1)->used, 150);
	assert_int_equal(find(&res, "sysv msg bytes", -1)->limit, 0);
	r = find(&res, "posix mqueues (fs.mqueue.queues_max)", -1);
	assert_int_equal(r->used, 1);
	assert_true(r->limit > 0);
	r = find(&res, "file handles (fs.file-nr)", -1);
	assert_true(r->used > 0 && r->limit > r->used);
	assert_true(find(&res, "pids (kernel.pid_max)", -1)->limit >= 301);
	/* CONFIG_KEYS is on here: /proc/key-users was read. */
	assert_false(res.keys_unavailable);
	handle_resources_free(&res);

	/* Without an mqueue view there is no mqueue row (not a zero). */
	assert_int_equal(handle_resources_collect(&snap, &ipc, false, &res), 0);
	assert_null(find(&res, "posix mqueues (fs.mqueue.queues_max)", -1));
	handle_resources_free(&res);
	handle_resources_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
