#include "kernel/ipc.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <mqueue.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/parse.h"
#include "util/procfs.h"

const char *ipc_kind_name(enum ipc_kind kind)
{
	switch (kind) {
	case IPC_KIND_SHM: return "shm";
	case IPC_KIND_SEM: return "sem";
	case IPC_KIND_MSG: return "msg";
	default: return "mqueue";
	}
}

void ipc_list_free(struct ipc_list *list)
{
	if (!list)
		return;
	free(list->objects);
	list->objects = NULL;
	list->count = list->cap = 0;
}

static struct ipc_object *ipc_list_add(struct ipc_list *list)
{
	if (list->count == list->cap) {
		int cap = list->cap ? list->cap * 2 : 16;
		struct ipc_object *grown = realloc(list->objects, (size_t)cap * sizeof(*grown));

		if (!grown)
			return NULL;
		list->objects = grown;
		list->cap = cap;
	}
	memset(&list->objects[list->count], 0, sizeof(list->objects[0]));
	return &list->objects[list->count++];
}

/* Column positions by header name, so a kernel that adds columns (shm gained
 * rss and swap) still parses. */
struct sysvipc_columns {
	int key, id, size, cpid, uid, cuid, count;
};

static int header_index(char **names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static int parse_header(char *line, enum ipc_kind kind, struct sysvipc_columns *c)
{
	char *names[32];
	int n = split_fields(line, names, 32);

	c->key = header_index(names, n, "key");
	c->uid = header_index(names, n, "uid");
	c->cuid = header_index(names, n, "cuid");
	switch (kind) {
	case IPC_KIND_SHM:
		c->id = header_index(names, n, "shmid");
		c->size = header_index(names, n, "size");
		c->cpid = header_index(names, n, "cpid");
		c->count = header_index(names, n, "nattch");
		break;
	case IPC_KIND_SEM:
		c->id = header_index(names, n, "semid");
		c->size = -1;
		c->cpid = -1;
		c->count = header_index(names, n, "nsems");
		break;
	default:
		c->id = header_index(names, n, "msqid");
		c->size = header_index(names, n, "cbytes");
		c->cpid = header_index(names, n, "lspid");
		c->count = header_index(names, n, "qnum");
		break;
	}
	if (c->key < 0 || c->id < 0 || c->uid < 0 || c->cuid < 0 || c->count < 0)
		return -EINVAL;
	return 0;
}

static bool field_u64(char **fields, int n, int col, uint64_t *out)
{
	if (col < 0) {
		*out = 0;
		return true;
	}
	return col < n && parse_u64(fields[col], out) == 0;
}

int sysvipc_parse(char *text, enum ipc_kind kind, struct ipc_list *list, int *bad)
{
	struct sysvipc_columns cols;
	struct line_iter it;
	char *line;

	if (bad)
		*bad = 0;
	line_iter_init(&it, text);
	line = line_next(&it);
	if (!line || parse_header(line, kind, &cols))
		return -EINVAL;
	while ((line = line_next(&it))) {
		char *fields[32];
		int n = split_fields(line, fields, 32);
		uint64_t id, uid, cuid, size, cpid, count;
		long long key;
		char *end;
		struct ipc_object *obj;

		if (n == 0)
			continue;
		if (cols.key >= n)
			goto bad;
		key = strtoll(fields[cols.key], &end, 10);
		if (*end || !field_u64(fields, n, cols.id, &id) ||
		    !field_u64(fields, n, cols.uid, &uid) ||
		    !field_u64(fields, n, cols.cuid, &cuid) ||
		    !field_u64(fields, n, cols.size, &size) ||
		    !field_u64(fields, n, cols.cpid, &cpid) ||
		    !field_u64(fields, n, cols.count, &count))
			goto bad;
		obj = ipc_list_add(list);
		if (!obj)
			return -ENOMEM;
		obj->kind = kind;
		obj->key = key;
		obj->id = (int64_t)id;
		obj->uid = (uint32_t)uid;
		obj->cuid = (uint32_t)cuid;
		obj->cpid = (int32_t)cpid;
		obj->bytes = size;
		obj->count = count;
		continue;
bad:
		if (bad)
			(*bad)++;
	}
	return 0;
}

int sysvipc_read(struct ipc_list *list)
{
	static const struct {
		const char *path;
		enum ipc_kind kind;
	} files[] = {
		{ "/proc/sysvipc/shm", IPC_KIND_SHM },
		{ "/proc/sysvipc/sem", IPC_KIND_SEM },
		{ "/proc/sysvipc/msg", IPC_KIND_MSG },
	};
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]) && !err; i++) {
		err = procfs_read(AT_FDCWD, files[i].path, &sb);
		if (!err)
			err = sb.buf ? sysvipc_parse(sb.buf, files[i].kind, list, NULL) : -EINVAL;
	}
	strbuf_release(&sb);
	return err;
}

int mqueue_parse(const char *text, uint64_t *qsize)
{
	unsigned long long n;

	if (sscanf(text, "QSIZE:%llu", &n) != 1)
		return -EINVAL;
	*qsize = n;
	return 0;
}

/* Messages queued in queue `name` of the mqueue directory dirfd. The queue
 * file's text has only their bytes (QSIZE); a file opened in an mqueue
 * filesystem is a queue descriptor, and mq_getattr says how many. 0 when it
 * cannot be opened (no permission, removed meanwhile). */
static uint64_t mqueue_messages(int dirfd, const char *name)
{
	struct mq_attr attr;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	uint64_t n = 0;

	if (fd < 0)
		return 0;
	if (mq_getattr(fd, &attr) == 0 && attr.mq_curmsgs > 0)
		n = (uint64_t)attr.mq_curmsgs;
	close(fd);
	return n;
}

int mqueue_read_dir(int dirfd, struct ipc_list *list)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((de = readdir(d))) {
		char line[256];
		struct stat st;
		struct ipc_object *obj;

		if (de->d_name[0] == '.')
			continue;
		/* A queue removed since readdir is simply not listed. */
		if (fstatat(fd, de->d_name, &st, 0) < 0 ||
		    procfs_read_line(fd, de->d_name, line, sizeof(line)) < 0)
			continue;
		obj = ipc_list_add(list);
		if (!obj) {
			err = -ENOMEM;
			goto out;
		}
		obj->kind = IPC_KIND_MQUEUE;
		obj->key = obj->id = -1;
		obj->uid = obj->cuid = st.st_uid;
		if (mqueue_parse(line, &obj->bytes))
			obj->bytes = 0;
		obj->count = mqueue_messages(fd, de->d_name);
		snprintf(obj->name, sizeof(obj->name), "/%s", de->d_name);
	}
out:
	closedir(d);
	return err;
}

static int mqueue_find_mount(char *dir, unsigned int len)
{
	struct strbuf sb = STRBUF_INIT;
	struct line_iter it;
	char *line;
	int err = procfs_read(AT_FDCWD, "/proc/self/mounts", &sb);

	if (err)
		goto out;
	err = -ENOENT;
	line_iter_init(&it, sb.buf ? sb.buf : (char[]){ "" });
	while ((line = line_next(&it))) {
		char *fields[4];

		if (split_fields(line, fields, 4) >= 3 && strcmp(fields[2], "mqueue") == 0) {
			snprintf(dir, len, "%s", fields[1]);
			err = 0;
			break;
		}
	}
out:
	strbuf_release(&sb);
	return err;
}

int mqueue_open(void)
{
	char dir[PATH_MAX];
	int fs, mnt, err;

	if (mqueue_find_mount(dir, sizeof(dir)) == 0) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0)
			return fd;
	}
	fs = fsopen("mqueue", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		err = -errno;
		close(fs);
		return err;
	}
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	err = mnt < 0 ? -errno : mnt;
	close(fs);
	return err;
}

int sem_limits_parse(const char *text, uint64_t *semmns, uint64_t *semmni)
{
	unsigned long long msl, mns, opm, mni;

	if (sscanf(text, "%llu %llu %llu %llu", &msl, &mns, &opm, &mni) != 4)
		return -EINVAL;
	*semmns = mns;
	*semmni = mni;
	return 0;
}

int sysvipc_limits_read(struct sysvipc_limits *out)
{
	char line[128];
	int err;

	memset(out, 0, sizeof(*out));
	err = procfs_read_u64(AT_FDCWD, "/proc/sys/kernel/shmmni", &out->shmmni);
	if (!err)
		err = procfs_read_u64(AT_FDCWD, "/proc/sys/kernel/shmall", &out->shmall_pages);
	if (!err)
		err = procfs_read_u64(AT_FDCWD, "/proc/sys/kernel/msgmni", &out->msgmni);
	if (!err)
		err = procfs_read_u64(AT_FDCWD, "/proc/sys/kernel/msgmnb", &out->msgmnb);
	if (!err)
		err = procfs_read_line(AT_FDCWD, "/proc/sys/kernel/sem", line, sizeof(line));
	if (!err)
		err = sem_limits_parse(line, &out->semmns, &out->semmni);
	return err;
}
