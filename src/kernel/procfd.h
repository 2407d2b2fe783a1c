/* The file descriptors of one process, read from /proc/PID/fd and
 * /proc/PID/fdinfo through an open /proc/PID directory fd (so a process that
 * exits mid-walk makes its reads fail with ENOENT/ESRCH instead of reading a
 * reused pid). Classification is from the readlink target ("socket:[ino]",
 * "pipe:[ino]", "anon_inode:[eventfd]", "/memfd:x (deleted)") plus st_mode for
 * path targets; parsing is kept apart from reading for the unit tests. */
#ifndef POOLSCOPE_KERNEL_PROCFD_H
#define POOLSCOPE_KERNEL_PROCFD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum fd_kind {
	FD_KIND_FILE,
	FD_KIND_DIR,
	FD_KIND_DEV,	 /* character or block device */
	FD_KIND_PIPE,	 /* anonymous pipe or named FIFO */
	FD_KIND_TCP,	 /* TCP and TCPv6 */
	FD_KIND_UDP,	 /* UDP, UDPv6, UDP-Lite */
	FD_KIND_UNIX,
	FD_KIND_NETLINK,
	FD_KIND_SOCKET,	 /* any other socket (raw, packet, vsock, …) */
	FD_KIND_EVENTFD,
	FD_KIND_EPOLL,
	FD_KIND_TIMERFD,
	FD_KIND_SIGNALFD,
	FD_KIND_INOTIFY,
	FD_KIND_FANOTIFY,
	FD_KIND_PIDFD,
	FD_KIND_MEMFD,
	FD_KIND_IO_URING,
	FD_KIND_BPF,	 /* maps, programs, links, BTF */
	FD_KIND_PERF,
	FD_KIND_ANON,	 /* any other anon_inode */
	FD_KIND_OTHER,
	/* Counted in /proc/PID/fd, but the kernel refused to show what it is
	 * (its link, even to root: the ptrace access check). */
	FD_KIND_UNKNOWN,
	FD_KIND_COUNT,
};

/* "file", "tcp", "eventfd", … (stable: JSON keys and -t values). */
const char *fd_kind_name(enum fd_kind kind);
/* Name → kind; -EINVAL when unknown. "socket" is FD_KIND_SOCKET. */
int fd_kind_parse(const char *name, enum fd_kind *kind);
bool fd_kind_is_socket(enum fd_kind kind);

/* Classify a readlink target. mode is the target's st_mode for path
 * targets (0 when not known: then a path counts as a file). */
enum fd_kind fd_kind_from_target(const char *target, mode_t mode);
/* Classify a socket by its system.sockprotoname xattr ("TCP", "UNIX-STREAM"). */
enum fd_kind fd_kind_from_sockproto(const char *proto);
/* The inode in "socket:[123]" / "pipe:[123]"; 0 when the target has none. */
uint64_t fd_target_inode(const char *target);

struct procfd_counts {
	uint32_t total;
	uint32_t kinds[FD_KIND_COUNT];
	uint32_t maps; /* mappings, when the BPF iterator counted them; 0: not counted */
	/* The soft RLIMIT_NOFILE when the BPF iterator read it (UINT64_MAX:
	 * unlimited); 0: not read (a process with files has a limit above 0). */
	uint64_t nofile_soft;
};

enum procfd_flags {
	/* Tell TCP/UDP/UNIX/netlink apart (one getxattr per socket); without it
	 * every socket counts as FD_KIND_SOCKET. */
	PROCFD_SOCKPROTO = 1 << 0,
	/* stat path targets to tell files, directories, devices and FIFOs apart. */
	PROCFD_STAT = 1 << 1,
};

/* One open fd as the walk saw it; the strings are borrowed for the callback. */
struct procfd_entry {
	int fd;
	enum fd_kind kind;
	const char *target; /* readlink text */
	uint64_t ino;	    /* socket/pipe inode, or st_ino of a stat'ed path */
	bool deleted;	    /* path target ending in " (deleted)" */
};

typedef int (*procfd_visit_fn)(void *ctx, const struct procfd_entry *entry);

/* Walk the fds of the process whose /proc/PID directory is open as pid_dirfd
 * (pid is only used to build getxattr paths). Fds closed during the walk are
 * skipped. counts (may be NULL) is filled; visit (may be NULL) is called per
 * fd and a non-zero return stops the walk with that value. 0 or -errno
 * (-ENOENT/-ESRCH: the process is gone; -EACCES: not ours to read). */
int procfd_walk(int pid_dirfd, int pid, unsigned int flags, struct procfd_counts *counts,
		procfd_visit_fn visit, void *ctx);

/* After EACCES from a /proc/PID link: the kernel says EACCES both when the
 * ptrace check refuses and when the task has just been reaped. -ESRCH when
 * the process is gone (a race, not a refusal), else -EACCES. */
int proc_access_error(int pid_dirfd);

/* Number of open fds by listing /proc/PID/fd (getdents, no readlink): for a
 * process whose fd directory may be listed but whose links are refused.
 * 0 or -errno (-EACCES: the listing itself is refused). */
int procfd_count_listed(int pid_dirfd, uint64_t *count);

/* Number of open fds from stat("fd").st_size (kernel ≥ 6.2: one call per
 * process). -EOPNOTSUPP when the kernel reports 0 for a process that has fds. */
int procfd_count(int pid_dirfd, uint64_t *count);

/* What /proc/PID/fdinfo/N says; only what the file holds is set. */
struct fdinfo {
	bool has_flags;
	unsigned int flags; /* open flags, octal in the file */
	uint64_t pos;
	bool has_eventfd_count;
	uint64_t eventfd_count;
	int epoll_targets;   /* "tfd:" lines */
	int inotify_watches; /* "inotify wd:" lines */
	int fanotify_marks;  /* "fanotify ino:" / "fanotify mnt_id:" lines */
	bool has_timer;
	int timer_clockid;
	uint64_t timer_value_ns;    /* it_value: time to the next expiry */
	uint64_t timer_interval_ns; /* it_interval */
	bool has_sigmask;
	uint64_t sigmask; /* signalfd: bit n-1 set for signal n */
	int pidfd_pid;	  /* "Pid:" of a pidfd; 0 when absent, -1 when the process exited */
};

/* Parse fdinfo text (modified in place). 0, or -EINVAL when it has no
 * "flags:" line (not an fdinfo file). */
int fdinfo_parse(char *text, struct fdinfo *out);
/* Read and parse /proc/PID/fdinfo/FD through pid_dirfd. */
int fdinfo_read(int pid_dirfd, int fd, struct fdinfo *out);

/* Open flags as "r", "w", "rw" plus ",append", ",nonblock", ",cloexec", … */
const char *fd_flags_format(unsigned int flags, char *buf, unsigned int len);
/* Signal mask as "USR1,USR2" (numbers for signals without a short name). */
const char *sigmask_format(uint64_t mask, char *buf, unsigned int len);
/* "monotonic", "realtime", "boottime", … or the number. */
const char *clockid_name(int clockid, char *buf, unsigned int len);

/* What a handle listing needs from /proc/PID/stat. */
struct proc_stat {
	char comm[64];
	char state;
	uint32_t flags;	    /* PF_* (PF_KTHREAD = 0x00200000 marks kernel threads) */
	uint32_t threads;
	uint64_t starttime; /* clock ticks after boot: with the pid, a process identity */
};

/* Parse /proc/PID/stat text ("1234 (my comm) S 1 …"); comm may hold spaces
 * and parentheses, so it ends at the last ')'. 0 or -EINVAL. */
int proc_stat_parse(const char *text, struct proc_stat *out);
int proc_stat_read(int pid_dirfd, struct proc_stat *out);
/* Count the lines of /proc/PID/maps without keeping them. 0 or -errno. */
int proc_maps_count(int pid_dirfd, uint64_t *count);

#endif
