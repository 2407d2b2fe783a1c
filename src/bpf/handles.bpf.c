// SPDX-License-Identifier: GPL-2.0
/* Fds by kind for every process in one pass: a task_file iterator visits
 * every open file of every files table inside the kernel, classifies it the
 * way readlink of /proc/PID/fd/N would (anon inode name, pidfs, nsfs, socket
 * family/protocol, inode type) and counts it under its process. Nothing is
 * written to the seq_file, so an overflowing read can never repeat (and
 * double-count) an object; user space reads the map afterwards. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "bpf/handles_abi.h"
#include "bpf/task_file_once.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000

#define RLIMIT_NOFILE 7

#define ANON_INODE_FS_MAGIC 0x09041934
#define NSFS_MAGIC 0x6e736673
#define PID_FS_MAGIC 0x50494446

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_UDPLITE 136
#define IPPROTO_MPTCP 262

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536); /* the loader sizes it from the process count */
	__type(key, __u32);
	__type(value, struct handles_counts);
} counts SEC(".maps");

/* Anon inode kinds by their file_operations' release function, whose
 * addresses the loader finds in kallsyms: f_op is in the file's first cache
 * line and the fops table is shared, where the dentry (and its name) is a
 * fresh cache miss for every eventfd — a quarter of a whole scan. Unset
 * entries (0: not found, ambiguous, addresses hidden) leave those kinds to
 * the name. */
const volatile __u64 anon_release[HANDLES_ANON_FOPS_MAX] = {};
const volatile __u32 anon_release_kind[HANDLES_ANON_FOPS_MAX] = {};

/* Files told by their release function (the test's proof the path runs). */
__u64 by_fops = 0;

/* Files whose process had no room left in the map: reported, not dropped. */
__u64 missed = 0;

#define NAME_LEN 16

/* Exact match of a NUL-terminated name against a literal (len without NUL). */
static __always_inline bool name_is(const char *name, const char *lit, int len)
{
	int i;

	for (i = 0; i <= len && i < NAME_LEN; i++)
		if (name[i] != lit[i])
			return false;
	return true;
}

#define NAME_IS(name, lit) name_is(name, lit, sizeof(lit) - 1)

static __always_inline bool name_starts(const char *name, const char *lit, int len)
{
	int i;

	for (i = 0; i < len && i < NAME_LEN; i++)
		if (name[i] != lit[i])
			return false;
	return true;
}

#define NAME_STARTS(name, lit) name_starts(name, lit, sizeof(lit) - 1)

/* anon_inode:NAME — the same table as fd_kind_from_target(). */
static __always_inline __u32 classify_anon(const char *name)
{
	if (NAME_IS(name, "[eventfd]"))
		return HK_EVENTFD;
	if (NAME_IS(name, "[eventpoll]"))
		return HK_EPOLL;
	if (NAME_IS(name, "[timerfd]"))
		return HK_TIMERFD;
	if (NAME_IS(name, "[signalfd]"))
		return HK_SIGNALFD;
	if (NAME_IS(name, "inotify"))
		return HK_INOTIFY;
	if (NAME_IS(name, "[fanotify]"))
		return HK_FANOTIFY;
	if (NAME_IS(name, "[pidfd]"))
		return HK_PIDFD;
	if (NAME_IS(name, "[io_uring]"))
		return HK_IO_URING;
	if (NAME_IS(name, "[perf_event]"))
		return HK_PERF;
	if (NAME_IS(name, "btf") || NAME_STARTS(name, "bpf"))
		return HK_BPF;
	return HK_ANON;
}

static __always_inline __u32 classify_socket(struct file *file)
{
	/* private_data is a void *: read through the helper, not a BTF load. */
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk;
	__u16 family, protocol, type;

	if (!sock)
		return HK_SOCKET;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return HK_SOCKET;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	protocol = BPF_CORE_READ(sk, sk_protocol);
	type = BPF_CORE_READ(sk, sk_type);
	if (family == AF_UNIX)
		return HK_UNIX;
	if (family == AF_NETLINK)
		return HK_NETLINK;
	if (family != AF_INET && family != AF_INET6)
		return HK_SOCKET;
	/* sockprotoname says "TCP"/"MPTCP" and "UDP"/"UDPLITE" for exactly these. */
	if (type == SOCK_STREAM && (protocol == IPPROTO_TCP || protocol == IPPROTO_MPTCP))
		return HK_TCP;
	if (type == SOCK_DGRAM && (protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE))
		return HK_UDP;
	return HK_SOCKET;
}

/* A dentry's name, at most NAME_LEN - 1 bytes of it. Names that short live
 * inside the dentry (d_iname, 40 bytes on 64-bit), so a fixed-size copy
 * stays in bounds and costs less than the string helper's byte loop (a
 * quarter of the scan went there); the string copy is the fallback. */
static __always_inline void dentry_name(struct dentry *dentry, char *name)
{
	const unsigned char *p = dentry->d_name.name;

	if (bpf_probe_read_kernel(name, NAME_LEN, p))
		bpf_probe_read_kernel_str(name, NAME_LEN, p);
	name[NAME_LEN - 1] = '\0';
}

/* The struct pointers here are BTF pointers of the iterator's context:
 * each field is one guarded load, not a helper call (the helper's copy was
 * the largest cost of a scan of 100,000 files). */
static __always_inline __u32 classify(struct file *file)
{
	struct inode *inode = file->f_inode;
	unsigned long magic = inode->i_sb->s_magic;
	__u32 mode = inode->i_mode;
	struct dentry *dentry;
	char name[NAME_LEN] = {};

	/* By filesystem first: anon inodes became S_IFREG in 6.16. */
	if (magic == ANON_INODE_FS_MAGIC || magic == PID_FS_MAGIC) {
		__u64 release;
		int i;

		if (magic == PID_FS_MAGIC)
			return HK_PIDFD;
		release = (__u64)file->f_op->release;
		for (i = 0; i < HANDLES_ANON_FOPS_MAX; i++)
			if (anon_release[i] && release == anon_release[i]) {
				by_fops++;
				return anon_release_kind[i];
			}
		dentry_name(file->f_path.dentry, name);
		return classify_anon(name);
	}
	if (magic == NSFS_MAGIC)
		return HK_OTHER; /* "net:[4026531840]" */
	switch (mode & S_IFMT) {
	case S_IFSOCK:
		return classify_socket(file);
	case S_IFIFO:
		return HK_PIPE;
	case S_IFDIR:
		return HK_DIR;
	case S_IFCHR:
	case S_IFBLK:
		return HK_DEV;
	case S_IFREG:
		/* memfd: a pseudo dentry (its own parent) named "memfd:…",
		 * readlink's "/memfd:x (deleted)". */
		dentry = file->f_path.dentry;
		if (dentry->d_parent == dentry) {
			dentry_name(dentry, name);
			if (NAME_STARTS(name, "memfd:"))
				return HK_MEMFD;
		}
		return HK_FILE;
	default:
		return HK_FILE;
	}
}

/* The process being counted. Its files come one after another (tasks in
 * tid order, each task's fds in order), so they are summed here and added
 * to the map once per process: a hash lookup for every file was a fifth of
 * the program's time. Flushed when the next process starts and at the end
 * of the pass (the call without a file); one pass runs at a time per
 * loaded program, and the loader resets both before each. */
struct handles_counts cur_counts = {};
__u32 cur_tgid = 0;

static __always_inline void flush_current(void)
{
	__u32 tgid = cur_tgid;
	struct handles_counts *c;
	int i;

	if (!tgid)
		return;
	cur_tgid = 0;
	if (bpf_map_update_elem(&counts, &tgid, &cur_counts, BPF_NOEXIST) == 0)
		return;
	/* Already there (never expected: a process's files are not split). */
	c = bpf_map_lookup_elem(&counts, &tgid);
	if (!c) {
		__sync_fetch_and_add(&missed, cur_counts.total);
		return;
	}
	c->total += cur_counts.total;
	for (i = 0; i < HK_COUNT; i++)
		c->kinds[i] += cur_counts.kinds[i];
}

SEC("iter/task_file")
int count_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	__u32 kind;

	if (!file) {
		flush_current(); /* the end of the pass */
		return 0;
	}
	if (!task)
		return 0;
	/* A thread reaches here only when its files table is not its
	 * leader's (CLONE_FILES unset): /proc/PID/fd shows the leader's. */
	if (task->pid != task->tgid)
		return 0;
	if (task_file_seen_again(task, ctx->fd))
		return 0;
	if ((__u32)task->tgid != cur_tgid) {
		flush_current();
		__builtin_memset(&cur_counts, 0, sizeof(cur_counts));
		cur_tgid = task->tgid;
		/* Per process, read once per pass: what /proc/PID/maps and
		 * /proc/PID/limits would say, without formatting either. */
		cur_counts.map_count = task->mm ? task->mm->map_count : 0;
		cur_counts.nofile_soft = task->signal->rlim[RLIMIT_NOFILE].rlim_cur;
	}
	kind = classify(file);
	cur_counts.total++;
	if (kind < HK_COUNT)
		cur_counts.kinds[kind]++;
	return 0;
}
