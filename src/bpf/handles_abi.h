/* Fixed-width layout shared by handles.bpf.c and its loader handles_iter.c.
 * Include vmlinux.h (BPF side) or <linux/types.h> (user side) first. The kind
 * numbers are enum fd_kind's (src/kernel/procfd.h); the loader checks that
 * HK_COUNT matches FD_KIND_COUNT at compile time. */
#ifndef POOLSCOPE_BPF_HANDLES_ABI_H
#define POOLSCOPE_BPF_HANDLES_ABI_H

enum handles_kind {
	HK_FILE,
	HK_DIR,
	HK_DEV,
	HK_PIPE,
	HK_TCP,
	HK_UDP,
	HK_UNIX,
	HK_NETLINK,
	HK_SOCKET,
	HK_EVENTFD,
	HK_EPOLL,
	HK_TIMERFD,
	HK_SIGNALFD,
	HK_INOTIFY,
	HK_FANOTIFY,
	HK_PIDFD,
	HK_MEMFD,
	HK_IO_URING,
	HK_BPF,
	HK_PERF,
	HK_ANON,
	HK_OTHER,
	HK_UNKNOWN, /* never counted in BPF: the iterator sees every file */
	HK_COUNT,
};

/* Room for the anon inode kinds told by their release function. */
#define HANDLES_ANON_FOPS_MAX 16

/* Value of the per-process map, keyed by tgid. */
struct handles_counts {
	__u32 total;
	__u32 kinds[HK_COUNT];
	/* The process's memory mappings (mm->map_count) when first seen: what
	 * /proc/PID/maps would list, without formatting every line. */
	__u32 map_count;
	/* Its soft RLIMIT_NOFILE (~0: unlimited), re-read every pass. */
	__u64 nofile_soft;
};

#endif
