/* Which process holds each of a set of struct file objects (addresses as a
 * recording saw them allocated in the filp cache), by one task_file iterator
 * pass (file_owners.bpf.c). Root (CAP_BPF, CAP_PERFMON) and BTF; only in the
 * initial pid namespace, whose pids the iterator reports. */
#ifndef POOLSCOPE_BPF_FILE_OWNERS_H
#define POOLSCOPE_BPF_FILE_OWNERS_H

#include <stddef.h>
#include <stdint.h>

struct file_owner {
	uint64_t file;	  /* the address asked about */
	int tgid;	  /* 0: no fd table holds it (closed, in flight, or kernel-held) */
	int fd;		  /* of the first holder seen */
	uint32_t holders; /* fd table entries pointing at it (dup, fork, passing) */
};

/* For files[0..n): fill owners[i] (same order). 0, or -errno when BPF or the
 * iterator is not available here (-EOPNOTSUPP outside the initial pid
 * namespace); nothing stays loaded after the call. */
int file_owners_find(const uint64_t *files, size_t n, struct file_owner *owners);

#endif
