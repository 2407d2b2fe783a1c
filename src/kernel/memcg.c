#include "kernel/memcg.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/cgroup.h"
#include "util/procfs.h"
#include "util/strbuf.h"

#define MAX_DEPTH 16

void memcg_list_free(struct memcg_list *list)
{
	if (!list)
		return;
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static void unknown_kernel(struct memcg *m)
{
	m->kernel = m->slab = m->sock = m->kernel_stack = m->pagetables = m->percpu =
		MEMCG_UNKNOWN;
}

int memcg_parse_stat(char *text, struct memcg *m)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "kernel", offsetof(struct memcg, kernel) },
		{ "slab", offsetof(struct memcg, slab) },
		{ "sock", offsetof(struct memcg, sock) },
		{ "kernel_stack", offsetof(struct memcg, kernel_stack) },
		{ "pagetables", offsetof(struct memcg, pagetables) },
		{ "percpu", offsetof(struct memcg, percpu) },
	};
	struct line_iter it;
	char *line;
	int found = 0;

	unknown_kernel(m);
	line_iter_init(&it, text);
	while ((line = line_next(&it))) {
		char *sp = strchr(line, ' '), *end;
		unsigned long long v;
		size_t i;

		if (!sp)
			continue;
		*sp = '\0';
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (strcmp(line, fields[i].name))
				continue;
			errno = 0;
			v = strtoull(sp + 1, &end, 10);
			if (errno || end == sp + 1 || *end || sp[1] == '-')
				break;
			*(uint64_t *)((char *)m + fields[i].off) = v;
			found++;
			break;
		}
	}
	return found ? 0 : -EINVAL;
}

int memcg_parse_limit(const char *text, uint64_t *limit)
{
	unsigned long long v;
	char *end;

	if (strncmp(text, "max", 3) == 0 && (!text[3] || text[3] == '\n')) {
		*limit = 0;
		return 0;
	}
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || (*end && *end != '\n'))
		return -EINVAL;
	/* v1's "unlimited" is PAGE_COUNTER_MAX pages: LONG_MAX rounded down to
	 * a page (9223372036854771712 with 4 KiB pages). */
	*limit = v >= (1ULL << 62) ? 0 : v;
	return 0;
}

static int read_u64_at(int dirfd, const char *name, uint64_t *v)
{
	char buf[64];
	int err = procfs_read_line(dirfd, name, buf, sizeof(buf));

	if (err)
		return err;
	return memcg_parse_limit(buf, v); /* a plain number parses the same */
}

/* One cgroup's files; -ENOENT when it went away (or is no memory cgroup). */
static int read_one(int dirfd, int version, struct memcg *m)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[64];
	int err;

	unknown_kernel(m);
	if (version == 2) {
		err = read_u64_at(dirfd, "memory.current", &m->usage);
		if (!err)
			err = procfs_read_line(dirfd, "memory.max", buf, sizeof(buf));
		if (!err)
			err = memcg_parse_limit(buf, &m->limit);
		if (!err && procfs_read(dirfd, "memory.stat", &sb) == 0 && sb.buf)
			memcg_parse_stat(sb.buf, m);
		strbuf_release(&sb);
		return err;
	}
	err = read_u64_at(dirfd, "memory.usage_in_bytes", &m->usage);
	if (!err)
		err = read_u64_at(dirfd, "memory.limit_in_bytes", &m->limit);
	if (!err && read_u64_at(dirfd, "memory.kmem.usage_in_bytes", &m->kernel))
		m->kernel = MEMCG_UNKNOWN;
	return err;
}

static int push(struct memcg_list *list, int *cap, const struct memcg *m)
{
	if (list->count == *cap) {
		int ncap = *cap ? *cap * 2 : 16;
		struct memcg *grown = realloc(list->items, (size_t)ncap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		list->items = grown;
		*cap = ncap;
	}
	list->items[list->count++] = *m;
	return 0;
}

/* Depth-first below dirfd (owned: closed here), parents first. */
static int walk(int dirfd, const char *path, int depth, int version, struct memcg_list *list,
		int *cap, int max)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int err = 0;

	if (!d) {
		close(dirfd);
		return 0;
	}
	while (!err && (de = readdir(d))) {
		struct memcg m = { 0 };
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (list->count >= max || depth >= MAX_DEPTH) {
			list->truncated = true;
			break;
		}
		if ((size_t)snprintf(m.path, sizeof(m.path), "%s%s%s", path, *path ? "/" : "",
				     de->d_name) >= sizeof(m.path))
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue;
		if (read_one(sub, version, &m)) {
			close(sub);
			continue;
		}
		err = push(list, cap, &m);
		if (!err) {
			char here[sizeof(m.path)];

			memcpy(here, m.path, sizeof(here));
			err = walk(sub, here, depth + 1, version, list, cap, max);
		} else {
			close(sub);
		}
	}
	closedir(d);
	return err;
}

int memcg_read_tree(const char *root, int version, struct memcg_list *list, int max)
{
	int cap = 0, fd;

	list->version = version;
	list->items = NULL;
	list->count = 0;
	list->truncated = false;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return walk(fd, "", 0, version, list, &cap, max);
}

int memcg_read_all(struct memcg_list *list, int max)
{
	char root[64];
	int version = cgroup_memory_root(root, sizeof(root));

	if (!version) {
		memset(list, 0, sizeof(*list));
		return -ENOENT;
	}
	return memcg_read_tree(root, version, list, max);
}

int memcg_parse_procs(char *text, int *pids, int max, int *n)
{
	struct line_iter it;
	char *line;

	line_iter_init(&it, text);
	while ((line = line_next(&it))) {
		char *end;
		long pid;

		if (!*line)
			continue;
		errno = 0;
		pid = strtol(line, &end, 10);
		if (errno || *end || pid <= 0 || pid > INT32_MAX)
			return -EINVAL;
		if (*n < max)
			pids[(*n)++] = (int)pid;
	}
	return 0;
}

/* cgroup.procs of dirfd (owned: closed here), then of its children. */
static int walk_procs(int dirfd, int depth, int *pids, int max, int *n)
{
	struct strbuf sb = STRBUF_INIT;
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (procfs_read(dirfd, "cgroup.procs", &sb) == 0 && sb.buf)
		err = memcg_parse_procs(sb.buf, pids, max, n);
	strbuf_release(&sb);
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return err;
	}
	while (!err && *n < max && depth < MAX_DEPTH && (de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0)
			err = walk_procs(sub, depth + 1, pids, max, n);
	}
	closedir(d);
	return err;
}

int memcg_procs_tree(const char *root, const char *path, int *pids, int max, int *n)
{
	char dir[512];
	int fd;

	*n = 0;
	/* A path from a series name: below the root, never above it. */
	if (!*path || strstr(path, "..") || path[0] == '/')
		return -EINVAL;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", root, path) >= sizeof(dir))
		return -EINVAL;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return walk_procs(fd, 0, pids, max, n);
}

int memcg_procs(const char *path, int *pids, int max, int *n)
{
	char root[64];

	*n = 0;
	if (!cgroup_memory_root(root, sizeof(root)))
		return -ENOENT;
	return memcg_procs_tree(root, path, pids, max, n);
}
