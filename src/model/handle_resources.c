#include "model/handle_resources.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/keys.h"
#include "kernel/limits.h"
#include "util/hashmap.h"

void handle_resources_free(struct handle_resources *res)
{
	if (!res)
		return;
	free(res->items);
	memset(res, 0, sizeof(*res));
}

static int add(struct handle_resources *res, const char *name, bool per_user, uint32_t uid,
	       uint64_t used, uint64_t limit)
{
	if (res->count == res->cap) {
		int cap = res->cap ? res->cap * 2 : 32;
		struct handle_resource *grown = realloc(res->items, (size_t)cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		res->items = grown;
		res->cap = cap;
	}
	res->items[res->count++] = (struct handle_resource){
		.name = name, .per_user = per_user, .uid = uid, .used = used,
		.limit = limit == LIMIT_UNLIMITED ? 0 : limit,
	};
	return 0;
}

/* inotify instances and watches per uid of the holding processes. */
static int add_inotify(struct handle_resources *res, const struct handles_snapshot *snap,
		       const struct sys_limits *lim)
{
	struct u64map *slots = u64map_new(16);
	uint64_t (*per_uid)[2] = calloc((size_t)snap->count + 1, sizeof(*per_uid));
	uint64_t uid, slot, nuids = 0;
	size_t pos = 0;
	int i, err = -ENOMEM;

	if (!slots || !per_uid)
		goto out;
	for (i = 0; i < snap->count; i++) {
		const struct proc_handles *p = &snap->procs[i];
		uint64_t *s;

		if (!p->kinds[FD_KIND_INOTIFY])
			continue;
		s = u64map_findnew(slots, p->uid, nuids);
		if (!s)
			goto out;
		if (*s == nuids)
			nuids++;
		per_uid[*s][0] += p->kinds[FD_KIND_INOTIFY];
		per_uid[*s][1] += p->inotify_watches;
	}
	err = 0;
	while (!err && u64map_next(slots, &pos, &uid, &slot)) {
		err = add(res, "inotify instances", true, (uint32_t)uid, per_uid[slot][0],
			  lim->inotify_max_user_instances);
		if (!err)
			err = add(res, "inotify watches", true, (uint32_t)uid, per_uid[slot][1],
				  lim->inotify_max_user_watches);
	}
out:
	u64map_free(slots);
	free(per_uid);
	return err;
}

static int add_keys(struct handle_resources *res)
{
	struct key_users keys = { 0 };
	int i, err = 0;

	if (key_users_read(&keys)) {
		res->keys_unavailable = true;
		goto out;
	}
	for (i = 0; i < keys.count && !err; i++) {
		const struct key_user *k = &keys.users[i];

		err = add(res, "keys", true, k->uid, k->qnkeys, k->maxkeys);
		if (!err)
			err = add(res, "key bytes", true, k->uid, k->qnbytes, k->maxbytes);
	}
out:
	key_users_free(&keys);
	return err;
}

static int add_ipc(struct handle_resources *res, const struct ipc_list *ipc, bool have_mqueue,
		   const struct sys_limits *lim)
{
	uint64_t shm_n = 0, shm_bytes = 0, sem_n = 0, sems = 0, msg_n = 0, msg_bytes = 0, mq_n = 0;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), shm_limit = 0;
	struct sysvipc_limits l;
	int i, err;

	for (i = 0; i < ipc->count; i++) {
		const struct ipc_object *obj = &ipc->objects[i];

		switch (obj->kind) {
		case IPC_KIND_SHM: shm_n++; shm_bytes += obj->bytes; break;
		case IPC_KIND_SEM: sem_n++; sems += obj->count; break;
		case IPC_KIND_MSG: msg_n++; msg_bytes += obj->bytes; break;
		case IPC_KIND_MQUEUE: mq_n++; break;
		}
	}
	sysvipc_limits_read(&l); /* a limit not read stays 0: shown as none */
	/* The default shmall is "no limit" in pages: do not overflow it. */
	if (l.shmall_pages && l.shmall_pages < UINT64_MAX / page)
		shm_limit = l.shmall_pages * page;
	err = add(res, "sysv shm segments (kernel.shmmni)", false, 0, shm_n, l.shmmni);
	if (!err)
		err = add(res, "sysv shm bytes (kernel.shmall)", false, 0, shm_bytes, shm_limit);
	if (!err)
		err = add(res, "sysv semaphore sets (kernel.sem SEMMNI)", false, 0, sem_n, l.semmni);
	if (!err)
		err = add(res, "sysv semaphores (kernel.sem SEMMNS)", false, 0, sems, l.semmns);
	if (!err)
		err = add(res, "sysv msg queues (kernel.msgmni)", false, 0, msg_n, l.msgmni);
	if (!err)
		err = add(res, "sysv msg bytes", false, 0, msg_bytes, 0);
	if (!err && have_mqueue)
		err = add(res, "posix mqueues (fs.mqueue.queues_max)", false, 0, mq_n,
			  lim->mq_queues_max);
	return err;
}

int handle_resources_collect(const struct handles_snapshot *snap, const struct ipc_list *ipc,
			     bool have_mqueue, struct handle_resources *out)
{
	struct sys_limits lim;
	int err;

	memset(out, 0, sizeof(*out));
	sys_limits_read(&lim); /* a limit not read stays 0: shown as none */
	err = add(out, "file handles (fs.file-nr)", false, 0, lim.file_nr, lim.file_max);
	if (!err)
		err = add(out, "threads (kernel.threads-max)", false, 0, lim.threads,
			  lim.threads_max);
	/* Every thread holds a pid. */
	if (!err)
		err = add(out, "pids (kernel.pid_max)", false, 0, lim.threads, lim.pid_max);
	if (!err)
		err = add_inotify(out, snap, &lim);
	if (!err)
		err = add_keys(out);
	if (!err)
		err = add_ipc(out, ipc, have_mqueue, &lim);
	if (err)
		handle_resources_free(out);
	return err;
}
