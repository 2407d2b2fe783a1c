/* Limits that bound the handles a process or the whole system can hold:
 * /proc/PID/limits and the fs/, kernel/ and vm/ sysctls. */
#ifndef POOLSCOPE_KERNEL_LIMITS_H
#define POOLSCOPE_KERNEL_LIMITS_H

#include <stdint.h>

#define LIMIT_UNLIMITED UINT64_MAX

struct rlimit_pair {
	uint64_t soft; /* LIMIT_UNLIMITED for "unlimited" */
	uint64_t hard;
};

/* Find the row whose name starts with `name` ("Max open files") in the text
 * of /proc/PID/limits (modified in place). 0 or -ENOENT/-EINVAL. */
int proc_limits_parse(char *text, const char *name, struct rlimit_pair *out);
/* Read the "Max open files" row through an open /proc/PID directory fd. */
int proc_limits_read_nofile(int pid_dirfd, struct rlimit_pair *out);

/* System-wide counters and their limits; a field the kernel did not give
 * stays 0 (the reader says which failed by its return value only). */
struct sys_limits {
	uint64_t file_nr;	/* allocated file handles (fs/file-nr, first field) */
	uint64_t file_max;	/* fs/file-max */
	uint64_t nr_open;	/* fs/nr_open: the ceiling of any RLIMIT_NOFILE */
	uint64_t threads;	/* scheduling entities (/proc/loadavg, 4th field) */
	uint64_t threads_max;	/* kernel/threads-max */
	uint64_t pid_max;	/* kernel/pid_max */
	uint64_t max_map_count; /* vm/max_map_count */
	uint64_t inotify_max_user_watches;
	uint64_t inotify_max_user_instances;
	uint64_t mq_queues_max; /* fs/mqueue/queues_max */
};

/* The one parser of /proc/sys/fs/file-nr ("485\t0\t2466170": allocated,
 * unused, max) → in use (allocated − unused), max. 0 or -EINVAL. */
int file_nr_parse(const char *text, uint64_t *in_use, uint64_t *max);
/* "0.21 0.12 0.03 1/88 8886" → 88. 0 or -EINVAL. */
int loadavg_threads_parse(const char *text, uint64_t *threads);
/* Read everything; 0 when every file was read, else the first -errno (the
 * fields that were read are still set). */
int sys_limits_read(struct sys_limits *out);

#endif
