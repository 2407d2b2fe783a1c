/* The BPF fast path of `handles`: fds by kind for every process in one
 * task_file iterator pass (handles.bpf.c). Needs root (CAP_BPF and
 * CAP_PERFMON) and BTF; callers fall back to walking /proc without it. */
#ifndef POOLSCOPE_BPF_HANDLES_ITER_H
#define POOLSCOPE_BPF_HANDLES_ITER_H

#include <stdint.h>

#include "kernel/procfd.h"

struct u64map;

struct handles_iter_result {
	struct u64map *by_tgid;		 /* tgid → index + 1 into counts */
	struct procfd_counts *counts;	 /* one per process that holds files */
	uint32_t count;
	uint64_t missed;		 /* files not counted: the map was full */
	uint64_t by_fops;		 /* anon files told by their file_operations */
};

/* Run the iterator once. 0, or -errno when BPF is not available here
 * (the reason is not printed: the caller falls back and may say so). */
int handles_iter_scan(uint32_t expected_processes, struct handles_iter_result *out);

/* The same, loaded once for many scans (a sampler scanning every second):
 * loading checks the program against the kernel's BTF, which costs more
 * than a scan. ks (borrowed for the call; may be NULL) is kallsyms: with it
 * anon inode kinds are told by their file_operations instead of their
 * dentry's name, which halves a scan of eventfds. 0, or -errno as above. */
struct handles_iter;
struct symtab;
int handles_iter_open(uint32_t expected_processes, const struct symtab *ks,
		      struct handles_iter **out);
int handles_iter_run(struct handles_iter *it, struct handles_iter_result *out);
void handles_iter_close(struct handles_iter *it); /* accepts NULL */
const struct procfd_counts *handles_iter_find(const struct handles_iter_result *r, int tgid);
void handles_iter_result_free(struct handles_iter_result *r); /* contents; accepts NULL */

#endif
