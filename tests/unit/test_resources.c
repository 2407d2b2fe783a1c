/* Kernel-wide handle resources: usage folded from a snapshot and an IPC list,
 * limits and key users parsed from fixtures captured on a Debian 12 box (so
 * nothing here depends on this host's sysctls or CONFIG_KEYS). */
#include "test_util.h"

#include "model/handle_resources.h"

#define FX FIXTURES_DIR "/handles/"

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

/* The limits as the fixtures say, plus sysctls set by hand. */
static void fixture_limits(struct sys_limits *lim, struct sysvipc_limits *ipc)
{
	char *file_nr = test_slurp(FX "file-nr.txt"), *loadavg = test_slurp(FX "loadavg.txt");
	char *sem = test_slurp(FX "sem-limits.txt");

	assert_non_null(file_nr);
	assert_non_null(loadavg);
	assert_non_null(sem);
	memset(lim, 0, sizeof(*lim));
	memset(ipc, 0, sizeof(*ipc));
	assert_int_equal(file_nr_parse(file_nr, &lim->file_nr, &lim->file_max), 0);
	assert_int_equal(loadavg_threads_parse(loadavg, &lim->threads), 0);
	assert_int_equal(sem_limits_parse(sem, &ipc->semmns, &ipc->semmni), 0);
	lim->threads_max = 31000;
	lim->pid_max = 4194304;
	lim->inotify_max_user_instances = 128;
	lim->inotify_max_user_watches = 29000;
	lim->mq_queues_max = 256;
	ipc->shmmni = 4096;
	ipc->shmall_pages = 18446744073692774399ull; /* the default: no limit */
	ipc->msgmni = 32000;
	free(file_nr);
	free(loadavg);
	free(sem);
}

static void test_build(void **state)
{
	struct proc_handles procs[3] = { 0 };
	struct handles_snapshot snap = { .procs = procs, .count = 3 };
	struct ipc_object objs[5] = {
		{ .kind = IPC_KIND_SHM, .bytes = 65536 },
		{ .kind = IPC_KIND_SHM, .bytes = 4096 },
		{ .kind = IPC_KIND_SEM, .count = 3 },
		{ .kind = IPC_KIND_MSG, .bytes = 150, .count = 2 },
		{ .kind = IPC_KIND_MQUEUE, .bytes = 13, .count = 1 },
	};
	struct ipc_list ipc = { .objects = objs, .count = 5 };
	struct sys_limits lim;
	struct sysvipc_limits ipc_lim;
	struct key_users keys = { 0 };
	char *key_text = test_slurp(FX "key-users.txt");
	struct handle_resource_sources src;
	struct handle_resources res;
	const struct handle_resource *r;

	(void)state;
	fixture_limits(&lim, &ipc_lim);
	assert_non_null(key_text);
	assert_int_equal(key_users_parse(key_text, &keys, NULL), 0);
	/* Two root processes with 2 + 1 inotify instances and 5 + 7 watches,
	 * one of uid 1000 with 1 and 4; and a process without inotify. */
	procs[0] = (struct proc_handles){ .pid = 10, .uid = 0, .inotify_watches = 5 };
	procs[0].kinds[FD_KIND_INOTIFY] = 2;
	procs[1] = (struct proc_handles){ .pid = 11, .uid = 1000, .inotify_watches = 4 };
	procs[1].kinds[FD_KIND_INOTIFY] = 1;
	procs[2] = (struct proc_handles){ .pid = 12, .uid = 0, .inotify_watches = 7 };
	procs[2].kinds[FD_KIND_INOTIFY] = 1;
	src = (struct handle_resource_sources){ .snap = &snap, .limits = &lim,
						.ipc_limits = &ipc_lim, .keys = &keys,
						.ipc = &ipc, .have_mqueue = true,
						.page_size = 4096 };
	assert_int_equal(handle_resources_build(&src, &res), 0);

	r = find(&res, "inotify instances", 0);
	assert_non_null(r);
	assert_int_equal(r->used, 3);
	assert_int_equal(r->limit, 128);
	assert_int_equal(find(&res, "inotify watches", 0)->used, 12);
	assert_int_equal(find(&res, "inotify watches", 0)->limit, 29000);
	assert_int_equal(find(&res, "inotify instances", 1000)->used, 1);
	assert_int_equal(find(&res, "inotify watches", 1000)->used, 4);
	assert_null(find(&res, "inotify watches", 12));

	assert_int_equal(find(&res, "sysv shm segments (kernel.shmmni)", -1)->used, 2);
	assert_int_equal(find(&res, "sysv shm segments (kernel.shmmni)", -1)->limit, 4096);
	assert_int_equal(find(&res, "sysv shm bytes (kernel.shmall)", -1)->used, 69632);
	/* shmall's default times the page size would overflow: no limit. */
	assert_int_equal(find(&res, "sysv shm bytes (kernel.shmall)", -1)->limit, 0);
	assert_int_equal(find(&res, "sysv semaphore sets (kernel.sem SEMMNI)", -1)->used, 1);
	assert_int_equal(find(&res, "sysv semaphore sets (kernel.sem SEMMNI)", -1)->limit, 32000);
	assert_int_equal(find(&res, "sysv semaphores (kernel.sem SEMMNS)", -1)->used, 3);
	assert_int_equal(find(&res, "sysv semaphores (kernel.sem SEMMNS)", -1)->limit,
			 1024000000);
	assert_int_equal(find(&res, "sysv msg bytes", -1)->used, 150);
	assert_int_equal(find(&res, "sysv msg bytes", -1)->limit, 0);
	r = find(&res, "posix mqueues (fs.mqueue.queues_max)", -1);
	assert_int_equal(r->used, 1);
	assert_int_equal(r->limit, 256);
	r = find(&res, "file handles (fs.file-nr)", -1);
	assert_int_equal(r->used, 627);
	assert_int_equal(r->limit, 2466170);
	assert_int_equal(find(&res, "threads (kernel.threads-max)", -1)->used, 100);
	assert_int_equal(find(&res, "pids (kernel.pid_max)", -1)->used, 100);
	assert_int_equal(find(&res, "pids (kernel.pid_max)", -1)->limit, 4194304);
	/* key-users.txt: root charged 6 of 1000000 keys, 109 of 25000000 bytes. */
	assert_false(res.keys_unavailable);
	assert_int_equal(find(&res, "keys", 0)->used, 6);
	assert_int_equal(find(&res, "keys", 0)->limit, 1000000);
	assert_int_equal(find(&res, "key bytes", 0)->used, 109);
	handle_resources_free(&res);

	/* Without an mqueue view there is no mqueue row (not a zero); without
	 * /proc/key-users no key rows, and the result says why. */
	src.have_mqueue = false;
	src.keys = NULL;
	assert_int_equal(handle_resources_build(&src, &res), 0);
	assert_null(find(&res, "posix mqueues (fs.mqueue.queues_max)", -1));
	assert_null(find(&res, "keys", 0));
	assert_true(res.keys_unavailable);
	handle_resources_free(&res);
	handle_resources_free(NULL);

	/* Nothing known: every row is there, with no limit. */
	memset(&src, 0, sizeof(src));
	assert_int_equal(handle_resources_build(&src, &res), 0);
	assert_int_equal(find(&res, "file handles (fs.file-nr)", -1)->limit, 0);
	handle_resources_free(&res);
	key_users_free(&keys);
	free(key_text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
