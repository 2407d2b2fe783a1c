#include "kernel/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util/parse.h"
#include "util/procfs.h"

static int parse_limit_value(const char *s, uint64_t *out)
{
	if (strcmp(s, "unlimited") == 0) {
		*out = LIMIT_UNLIMITED;
		return 0;
	}
	return parse_u64(s, out);
}

int proc_limits_parse(char *text, const char *name, struct rlimit_pair *out)
{
	size_t name_len = strlen(name);
	struct line_iter it;
	char *line;

	line_iter_init(&it, text);
	while ((line = line_next(&it))) {
		char *fields[4];

		/* Names have spaces; the columns start at fixed offsets, but the
		 * values are the first two words after the name. */
		if (strncmp(line, name, name_len) != 0 || (line[name_len] != ' '))
			continue;
		if (split_fields(line + name_len, fields, 4) < 2)
			return -EINVAL;
		if (parse_limit_value(fields[0], &out->soft) ||
		    parse_limit_value(fields[1], &out->hard))
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

int proc_limits_read_nofile(int pid_dirfd, struct rlimit_pair *out)
{
	struct strbuf sb = STRBUF_INIT;
	int err = procfs_read(pid_dirfd, "limits", &sb);

	if (!err)
		err = sb.buf ? proc_limits_parse(sb.buf, "Max open files", out) : -EINVAL;
	strbuf_release(&sb);
	return err;
}

int file_nr_parse(const char *text, uint64_t *in_use, uint64_t *max)
{
	char copy[128];
	char *f[4];
	uint64_t allocated, unused;

	if (strlen(text) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, text);
	copy[strcspn(copy, "\n")] = '\0';
	if (split_fields(copy, f, 4) != 3 || parse_u64(f[0], &allocated) ||
	    parse_u64(f[1], &unused) || parse_u64(f[2], max) || unused > allocated)
		return -EINVAL;
	/* Since 2.6 the kernel reports 0 unused: allocated is what is in use. */
	*in_use = allocated - unused;
	return 0;
}

int loadavg_threads_parse(const char *text, uint64_t *threads)
{
	unsigned long long running, total;
	double l1, l5, l15;

	if (sscanf(text, "%lf %lf %lf %llu/%llu", &l1, &l5, &l15, &running, &total) != 5)
		return -EINVAL;
	*threads = total;
	return 0;
}

static void keep_first(int *first, int err)
{
	if (err && !*first)
		*first = err;
}

int sys_limits_read(struct sys_limits *out)
{
	static const struct {
		const char *path;
		size_t offset;
	} simple[] = {
		{ "/proc/sys/fs/nr_open", offsetof(struct sys_limits, nr_open) },
		{ "/proc/sys/kernel/threads-max", offsetof(struct sys_limits, threads_max) },
		{ "/proc/sys/kernel/pid_max", offsetof(struct sys_limits, pid_max) },
		{ "/proc/sys/vm/max_map_count", offsetof(struct sys_limits, max_map_count) },
		{ "/proc/sys/fs/inotify/max_user_watches",
		  offsetof(struct sys_limits, inotify_max_user_watches) },
		{ "/proc/sys/fs/inotify/max_user_instances",
		  offsetof(struct sys_limits, inotify_max_user_instances) },
		{ "/proc/sys/fs/mqueue/queues_max", offsetof(struct sys_limits, mq_queues_max) },
	};
	char line[128];
	size_t i;
	int first = 0, err;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		keep_first(&first, procfs_read_u64(AT_FDCWD, simple[i].path,
						   (uint64_t *)((char *)out + simple[i].offset)));
	err = procfs_read_line(AT_FDCWD, "/proc/sys/fs/file-nr", line, sizeof(line));
	if (!err)
		err = file_nr_parse(line, &out->file_nr, &out->file_max);
	keep_first(&first, err);
	err = procfs_read_line(AT_FDCWD, "/proc/loadavg", line, sizeof(line));
	if (!err)
		err = loadavg_threads_parse(line, &out->threads);
	keep_first(&first, err);
	return first;
}
