/* The names of series (model/series.h): one grammar, composed by the feeds
 * that sample and parsed by the analysis that reads them, so a name is never
 * taken apart by string guessing in two places.
 *
 *   slab/CACHE/objs|bytes         a slab cache (CACHE may hold '/')
 *   proc/PID:START/fds            a process's open fds (START: its start
 *   proc/PID:START/fds/KIND       time in clock ticks, so a reused pid is
 *   proc/PID:START/threads|maps|inotify   another series)
 *   sys/RESOURCE                  a kernel-wide resource ("file handles")
 *   keys/UID/keys|bytes           one user's keys (/proc/key-users)
 *   sysv/msg/ID/bytes|messages    one SysV message queue
 *   sysv/sender/PID/bytes         unread bytes in the queues whose last
 *                                 sender is PID (/proc/sysvipc/msg lspid)
 *   mem/FIELD                     a /proc/meminfo field, bytes; and
 *   mem/pressure_some|full_avg10  memory pressure (PSI), percent of 10 s
 *   memcg/PATH/usage|kernel|slab  a memory cgroup's bytes (PATH below the
 *                                 hierarchy's root; may hold '/') */
#ifndef POOLSCOPE_MODEL_SERIES_NAME_H
#define POOLSCOPE_MODEL_SERIES_NAME_H

#include <stddef.h>
#include <stdint.h>

enum series_subject {
	SERIES_SLAB,
	SERIES_PROC,
	SERIES_SYS,
	SERIES_KEYS,
	SERIES_SYSV_MSG,
	SERIES_SYSV_SENDER,
	SERIES_MEM,
	SERIES_MEMCG,
};

struct series_name_parts {
	enum series_subject subject;
	char id[192];	/* CACHE, RESOURCE, FIELD, PATH; "" for proc, keys, sysv */
	int pid;	/* proc */
	uint64_t start; /* proc */
	uint32_t uid;	/* keys */
	int msqid;	/* sysv/msg */
	/* sysv/sender: the sender in pid */
	char what[64];	/* "objs", "fds/eventfd", "threads", "bytes", ...; "" for sys, mem */
};

/* Compose into buf (always terminated); returns buf. */
const char *series_name_slab(char *buf, size_t len, const char *cache, const char *what);
const char *series_name_proc(char *buf, size_t len, int pid, uint64_t start, const char *what);
const char *series_name_sys(char *buf, size_t len, const char *resource);
const char *series_name_keys(char *buf, size_t len, uint32_t uid, const char *what);
const char *series_name_sysv_msg(char *buf, size_t len, int msqid, const char *what);
const char *series_name_sysv_sender(char *buf, size_t len, int pid, const char *what);
const char *series_name_mem(char *buf, size_t len, const char *field);
const char *series_name_memcg(char *buf, size_t len, const char *path, const char *stat);

/* Take a name apart. 0, or -EINVAL when it is not of the grammar above. */
int series_name_parse(const char *name, struct series_name_parts *out);

#endif
