/* Kernel objects that outlive every process: System V shared memory,
 * semaphore sets and message queues (/proc/sysvipc/shm, sem, msg), and POSIX message
 * queues (listed through an mqueue mount, /dev/mqueue, when there is one). */
#ifndef POOLSCOPE_KERNEL_IPC_H
#define POOLSCOPE_KERNEL_IPC_H

#include <stdint.h>

enum ipc_kind {
	IPC_KIND_SHM,
	IPC_KIND_SEM,
	IPC_KIND_MSG,
	IPC_KIND_MQUEUE,
};

const char *ipc_kind_name(enum ipc_kind kind); /* "shm", "sem", "msg", "mqueue" */

struct ipc_object {
	enum ipc_kind kind;
	int64_t key;	/* SysV key (0 = IPC_PRIVATE); -1 for mqueues */
	int64_t id;	/* shmid/semid/msqid; -1 for mqueues */
	uint32_t uid;	/* owner */
	uint32_t cuid;	/* creator */
	int32_t cpid;	/* creator pid (shm) or last sender (msg); 0 when unknown */
	uint64_t bytes; /* shm size, msg queued bytes, mqueue queued bytes */
	uint64_t count; /* sem: semaphores in the set; msg/mqueue: messages; shm: attaches */
	char name[264]; /* mqueue name; "" for SysV */
};

struct ipc_list {
	struct ipc_object *objects;
	int count;
	int cap;
};

void ipc_list_free(struct ipc_list *list); /* frees the array; accepts NULL */

/* Parse /proc/sysvipc/{shm,sem,msg} text (modified in place) and append to
 * list. Lines that do not parse are skipped and counted in *bad (may be
 * NULL). 0 or -ENOMEM/-EINVAL (no header line). */
int sysvipc_parse(char *text, enum ipc_kind kind, struct ipc_list *list, int *bad);
/* Read all three /proc/sysvipc files. 0 or the first -errno. */
int sysvipc_read(struct ipc_list *list);

/* Append the POSIX queues listed in an mqueue filesystem directory (open
 * as dirfd; not closed), with their queued bytes and messages (the count is
 * 0 for a queue this process may not open). 0 or -errno. */
int mqueue_read_dir(int dirfd, struct ipc_list *list);
/* Parse the text of one queue file ("QSIZE:12 NOTIFY:0 …"). 0 or -EINVAL. */
int mqueue_parse(const char *text, uint64_t *qsize);
/* A directory fd onto this IPC namespace's queues: an existing mqueue mount
 * (from /proc/self/mounts) or else a detached one made with fsopen/fsmount,
 * which no mount table ever shows and which vanishes with the fd (needs
 * CAP_SYS_ADMIN). The fd, or -errno. */
int mqueue_open(void);

/* System V limits (kernel/shmmni, shmall, sem, msgmni). */
struct sysvipc_limits {
	uint64_t shmmni, shmall_pages, semmni, semmns, msgmni, msgmnb;
};

/* "32000\t1024000000\t500\t32000" → SEMMSL SEMMNS SEMOPM SEMMNI. */
int sem_limits_parse(const char *text, uint64_t *semmns, uint64_t *semmni);
int sysvipc_limits_read(struct sysvipc_limits *out);

#endif
