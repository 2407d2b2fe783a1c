#include "kernel/procfd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/procfs.h"
#include "util/strbuf.h"

static const char *const kind_names[FD_KIND_COUNT] = {
	[FD_KIND_FILE] = "file",	 [FD_KIND_DIR] = "dir",
	[FD_KIND_DEV] = "dev",		 [FD_KIND_PIPE] = "pipe",
	[FD_KIND_TCP] = "tcp",		 [FD_KIND_UDP] = "udp",
	[FD_KIND_UNIX] = "unix",	 [FD_KIND_NETLINK] = "netlink",
	[FD_KIND_SOCKET] = "socket",	 [FD_KIND_EVENTFD] = "eventfd",
	[FD_KIND_EPOLL] = "epoll",	 [FD_KIND_TIMERFD] = "timerfd",
	[FD_KIND_SIGNALFD] = "signalfd", [FD_KIND_INOTIFY] = "inotify",
	[FD_KIND_FANOTIFY] = "fanotify", [FD_KIND_PIDFD] = "pidfd",
	[FD_KIND_MEMFD] = "memfd",	 [FD_KIND_IO_URING] = "io_uring",
	[FD_KIND_BPF] = "bpf",		 [FD_KIND_PERF] = "perf",
	[FD_KIND_ANON] = "anon",	 [FD_KIND_OTHER] = "other",
	[FD_KIND_UNKNOWN] = "unknown",
};

const char *fd_kind_name(enum fd_kind kind)
{
	if ((unsigned int)kind >= FD_KIND_COUNT)
		return "other";
	return kind_names[kind];
}

int fd_kind_parse(const char *name, enum fd_kind *kind)
{
	int i;

	for (i = 0; i < FD_KIND_COUNT; i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*kind = (enum fd_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool fd_kind_is_socket(enum fd_kind kind)
{
	return kind == FD_KIND_TCP || kind == FD_KIND_UDP || kind == FD_KIND_UNIX ||
	       kind == FD_KIND_NETLINK || kind == FD_KIND_SOCKET;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* anon_inode names as the kernel spells them: most in brackets, inotify not. */
static const struct {
	const char *name;
	enum fd_kind kind;
} anon_kinds[] = {
	{ "[eventfd]", FD_KIND_EVENTFD },     { "[eventpoll]", FD_KIND_EPOLL },
	{ "[timerfd]", FD_KIND_TIMERFD },     { "[signalfd]", FD_KIND_SIGNALFD },
	{ "inotify", FD_KIND_INOTIFY },	      { "[fanotify]", FD_KIND_FANOTIFY },
	{ "[pidfd]", FD_KIND_PIDFD },	      { "[io_uring]", FD_KIND_IO_URING },
	{ "bpf-map", FD_KIND_BPF },	      { "bpf-prog", FD_KIND_BPF },
	{ "bpf_link", FD_KIND_BPF },	      { "btf", FD_KIND_BPF },
	{ "[perf_event]", FD_KIND_PERF },     { "[userfaultfd]", FD_KIND_ANON },
};

enum fd_kind fd_kind_from_target(const char *target, mode_t mode)
{
	size_t i;

	if (has_prefix(target, "socket:["))
		return FD_KIND_SOCKET;
	if (has_prefix(target, "pipe:["))
		return FD_KIND_PIPE;
	if (has_prefix(target, "anon_inode:")) {
		const char *name = target + strlen("anon_inode:");

		for (i = 0; i < sizeof(anon_kinds) / sizeof(anon_kinds[0]); i++)
			if (strcmp(name, anon_kinds[i].name) == 0)
				return anon_kinds[i].kind;
		if (has_prefix(name, "bpf"))
			return FD_KIND_BPF;
		return FD_KIND_ANON;
	}
	/* Since pidfs (6.9) a pidfd reads "pidfd:[ino]" on some configs. */
	if (has_prefix(target, "pidfd:"))
		return FD_KIND_PIDFD;
	if (has_prefix(target, "/memfd:"))
		return FD_KIND_MEMFD;
	if (target[0] != '/')
		return FD_KIND_OTHER;
	switch (mode & S_IFMT) {
	case S_IFDIR: return FD_KIND_DIR;
	case S_IFCHR:
	case S_IFBLK: return FD_KIND_DEV;
	case S_IFIFO: return FD_KIND_PIPE;
	case S_IFSOCK: return FD_KIND_SOCKET;
	default: return FD_KIND_FILE;
	}
}

enum fd_kind fd_kind_from_sockproto(const char *proto)
{
	if (has_prefix(proto, "TCP") || has_prefix(proto, "MPTCP"))
		return FD_KIND_TCP;
	if (has_prefix(proto, "UDP"))
		return FD_KIND_UDP;
	if (has_prefix(proto, "UNIX"))
		return FD_KIND_UNIX;
	if (has_prefix(proto, "NETLINK"))
		return FD_KIND_NETLINK;
	return FD_KIND_SOCKET;
}

uint64_t fd_target_inode(const char *target)
{
	const char *open = strchr(target, '[');
	uint64_t ino = 0;

	if (!open || (!has_prefix(target, "socket:") && !has_prefix(target, "pipe:") &&
		      !has_prefix(target, "pidfd:")))
		return 0;
	for (open++; *open >= '0' && *open <= '9'; open++)
		ino = ino * 10 + (uint64_t)(*open - '0');
	return *open == ']' ? ino : 0;
}

static bool fd_name_number(const char *name, int *fd)
{
	int n = 0;

	if (!*name)
		return false;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || n > 100000000)
			return false;
		n = n * 10 + (*name - '0');
	}
	*fd = n;
	return true;
}

/* Kernel linux_dirent64, read straight from getdents64: no DIR allocation
 * per process, and the buffer lives on the stack so a scan's memory does not
 * grow with the fds it visits. */
struct kernel_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static enum fd_kind classify_socket(int pid, const char *name)
{
	char path[64], proto[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, name);
	n = getxattr(path, "system.sockprotoname", proto, sizeof(proto) - 1);
	if (n <= 0)
		return FD_KIND_SOCKET;
	proto[n] = '\0';
	return fd_kind_from_sockproto(proto);
}

int proc_access_error(int pid_dirfd)
{
	char c;
	ssize_t n;
	int fd = openat(pid_dirfd, "stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -EACCES;
	n = read(fd, &c, 1);
	if (n < 0 && (errno == ENOENT || errno == ESRCH)) {
		close(fd);
		return -ESRCH;
	}
	close(fd);
	return -EACCES;
}

/* Kind and inode of one fd whose readlink text (len bytes) is in entry. */
static void classify_entry(int dirfd, int pid, unsigned int flags, const char *name, size_t len,
			   struct procfd_entry *entry)
{
	const char *target = entry->target;
	struct stat st;
	mode_t mode = 0;

	if (target[0] != '/') {
		entry->kind = fd_kind_from_target(target, 0);
		entry->ino = fd_target_inode(target);
		if (entry->kind == FD_KIND_SOCKET && (flags & PROCFD_SOCKPROTO))
			entry->kind = classify_socket(pid, name);
		return;
	}
	if ((flags & PROCFD_STAT) && fstatat(dirfd, name, &st, 0) == 0) {
		mode = st.st_mode;
		entry->ino = st.st_ino;
	}
	entry->kind = fd_kind_from_target(target, mode);
	entry->deleted = len > 10 && strcmp(target + len - 10, " (deleted)") == 0;
}

typedef int (*fd_name_fn)(void *ctx, int dirfd, const char *name, int fd);

/* Call fn for every numbered entry of /proc/PID/fd (pid_dirfd: /proc/PID)
 * with the fd directory open as dirfd; a non-zero return stops the listing
 * with that value. 0 or -errno (-EACCES: the listing is refused). */
static int fd_dir_each(int pid_dirfd, fd_name_fn fn, void *ctx)
{
	char dents[16384] __attribute__((aligned(8)));
	int dirfd, fd, err = 0;

	dirfd = openat(pid_dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == EACCES || errno == EPERM ? proc_access_error(pid_dirfd) : -errno;
	while (!err) {
		long nread = syscall(SYS_getdents64, dirfd, dents, sizeof(dents));
		long off;

		if (nread < 0) {
			/* The process exited while we were listing it. */
			err = -errno;
			break;
		}
		if (nread == 0)
			break;
		for (off = 0; off < nread && !err;) {
			struct kernel_dirent64 *d = (struct kernel_dirent64 *)(dents + off);

			off += d->d_reclen;
			if (fd_name_number(d->d_name, &fd))
				err = fn(ctx, dirfd, d->d_name, fd);
		}
	}
	close(dirfd);
	return err;
}

struct walk_state {
	int pid_dirfd;
	int pid;
	unsigned int flags;
	struct procfd_counts *counts; /* may be NULL */
	procfd_visit_fn visit;	      /* may be NULL */
	void *ctx;
	char target[4096 + 16];
};

static int walk_one(void *ctx, int dirfd, const char *name, int fd)
{
	struct walk_state *w = ctx;
	struct procfd_entry entry = { .fd = fd };
	ssize_t len = readlinkat(dirfd, name, w->target, sizeof(w->target) - 1);

	if (len < 0) {
		/* Listing may be allowed where reading links is not (ptrace
		 * access checks): a partial count would be a wrong count, so
		 * the whole process is denied. */
		if (errno == EACCES || errno == EPERM)
			return proc_access_error(w->pid_dirfd);
		return 0; /* closed since readdir: not an error */
	}
	w->target[len] = '\0';
	entry.target = w->target;
	classify_entry(dirfd, w->pid, w->flags, name, (size_t)len, &entry);
	if (w->counts) {
		w->counts->total++;
		w->counts->kinds[entry.kind]++;
	}
	return w->visit ? w->visit(w->ctx, &entry) : 0;
}

int procfd_walk(int pid_dirfd, int pid, unsigned int flags, struct procfd_counts *counts,
		procfd_visit_fn visit, void *ctx)
{
	struct walk_state w = { .pid_dirfd = pid_dirfd, .pid = pid, .flags = flags,
				.counts = counts, .visit = visit, .ctx = ctx };

	if (counts)
		memset(counts, 0, sizeof(*counts));
	return fd_dir_each(pid_dirfd, walk_one, &w);
}

static int count_one(void *ctx, int dirfd, const char *name, int fd)
{
	(void)dirfd;
	(void)name;
	(void)fd;
	(*(uint64_t *)ctx)++;
	return 0;
}

int procfd_count_listed(int pid_dirfd, uint64_t *count)
{
	uint64_t n = 0;
	int err = fd_dir_each(pid_dirfd, count_one, &n);

	if (!err)
		*count = n;
	return err;
}

int procfd_count(int pid_dirfd, uint64_t *count)
{
	struct stat st;

	if (fstatat(pid_dirfd, "fd", &st, 0) < 0)
		return -errno;
	*count = (uint64_t)st.st_size;
	return 0;
}

/* "(1, 999681778)" → ns */
static uint64_t parse_timespec_pair(const char *s)
{
	unsigned long long sec = 0, nsec = 0;

	if (sscanf(s, " (%llu, %llu)", &sec, &nsec) != 2)
		return 0;
	return (uint64_t)sec * 1000000000ull + nsec;
}

int fdinfo_parse(char *text, struct fdinfo *out)
{
	struct line_iter it;
	char *line;

	memset(out, 0, sizeof(*out));
	line_iter_init(&it, text);
	while ((line = line_next(&it))) {
		char *colon = strchr(line, ':');
		const char *value;

		if (!colon)
			continue;
		value = colon + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		*colon = '\0';
		if (strcmp(line, "flags") == 0) {
			out->flags = (unsigned int)strtoul(value, NULL, 8);
			out->has_flags = true;
		} else if (strcmp(line, "pos") == 0) {
			out->pos = strtoull(value, NULL, 10);
		} else if (strcmp(line, "eventfd-count") == 0) {
			out->eventfd_count = strtoull(value, NULL, 16);
			out->has_eventfd_count = true;
		} else if (strcmp(line, "tfd") == 0) {
			out->epoll_targets++;
		} else if (strcmp(line, "inotify wd") == 0) {
			out->inotify_watches++;
		} else if (strcmp(line, "fanotify ino") == 0 ||
			   strcmp(line, "fanotify mnt_id") == 0 ||
			   strcmp(line, "fanotify sdev") == 0) {
			out->fanotify_marks++;
		} else if (strcmp(line, "clockid") == 0) {
			out->timer_clockid = atoi(value);
			out->has_timer = true;
		} else if (strcmp(line, "it_value") == 0) {
			out->timer_value_ns = parse_timespec_pair(value);
		} else if (strcmp(line, "it_interval") == 0) {
			out->timer_interval_ns = parse_timespec_pair(value);
		} else if (strcmp(line, "sigmask") == 0) {
			out->sigmask = strtoull(value, NULL, 16);
			out->has_sigmask = true;
		} else if (strcmp(line, "Pid") == 0) {
			out->pidfd_pid = atoi(value);
		}
	}
	return out->has_flags ? 0 : -EINVAL;
}

int fdinfo_read(int pid_dirfd, int fd, struct fdinfo *out)
{
	struct strbuf sb = STRBUF_INIT;
	char path[32];
	int err;

	snprintf(path, sizeof(path), "fdinfo/%d", fd);
	err = procfs_read(pid_dirfd, path, &sb);
	if (!err)
		err = fdinfo_parse(sb.buf ? sb.buf : (char[]){ "" }, out);
	strbuf_release(&sb);
	return err;
}

static void append(char *buf, unsigned int len, const char *word)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? "," : "", word);
}

const char *fd_flags_format(unsigned int flags, char *buf, unsigned int len)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ O_APPEND, "append" }, { O_NONBLOCK, "nonblock" }, { O_CLOEXEC, "cloexec" },
		{ O_SYNC, "sync" },	{ O_DIRECT, "direct" },	    { O_PATH, "path" },
		{ O_NOATIME, "noatime" }, { O_TMPFILE & ~O_DIRECTORY, "tmpfile" },
	};
	size_t i;

	buf[0] = '\0';
	switch (flags & O_ACCMODE) {
	case O_RDONLY: append(buf, len, "r"); break;
	case O_WRONLY: append(buf, len, "w"); break;
	default: append(buf, len, "rw"); break;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((flags & names[i].bit) == names[i].bit)
			append(buf, len, names[i].name);
	return buf;
}

const char *sigmask_format(uint64_t mask, char *buf, unsigned int len)
{
	int sig;

	buf[0] = '\0';
	for (sig = 1; sig <= 64; sig++) {
		char num[8];
		const char *abbrev;

		if (!(mask & (1ull << (sig - 1))))
			continue;
		abbrev = sig < 32 ? sigabbrev_np(sig) : NULL;
		if (!abbrev) {
			snprintf(num, sizeof(num), "%d", sig);
			abbrev = num;
		}
		append(buf, len, abbrev);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

const char *clockid_name(int clockid, char *buf, unsigned int len)
{
	static const char *const names[] = {
		[0] = "realtime", [1] = "monotonic", [7] = "boottime",
		[8] = "realtime-alarm", [9] = "boottime-alarm",
	};

	if (clockid >= 0 && (size_t)clockid < sizeof(names) / sizeof(names[0]) &&
	    names[clockid])
		snprintf(buf, len, "%s", names[clockid]);
	else
		snprintf(buf, len, "%d", clockid);
	return buf;
}

int proc_stat_parse(const char *text, struct proc_stat *out)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	unsigned long long starttime;
	unsigned int threads, flags;
	size_t len;
	char state;

	if (!open || !close || close < open)
		return -EINVAL;
	/* After ')': state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice num_threads
	 * itrealvalue starttime */
	if (sscanf(close + 1,
		   " %c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %u %*d %llu",
		   &state, &flags, &threads, &starttime) != 4)
		return -EINVAL;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(out->comm))
		len = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, len);
	out->comm[len] = '\0';
	out->state = state;
	out->flags = flags;
	out->threads = threads;
	out->starttime = starttime;
	return 0;
}

int proc_stat_read(int pid_dirfd, struct proc_stat *out)
{
	char buf[1024];
	int fd = openat(pid_dirfd, "stat", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return proc_stat_parse(buf, out);
}

int proc_maps_count(int pid_dirfd, uint64_t *count)
{
	return procfs_count_lines(pid_dirfd, "maps", count);
}
