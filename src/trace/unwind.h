/* User stacks of programs built without frame pointers, unwound the way
 * `perf --call-graph dwarf` does: from the task's saved user registers and
 * a copy of the top of its stack (taken by the BPF recorder with the
 * allocation), by the .eh_frame/.debug_frame of the files the process has
 * mapped, through elfutils' libdwfl. Done in the recorder right after the
 * event arrives, while the process and its files are there; the frames are
 * then stored as any user stack. Prints nothing. */
#ifndef POOLSCOPE_TRACE_UNWIND_H
#define POOLSCOPE_TRACE_UNWIND_H

#include <stddef.h>
#include <stdint.h>

struct unwinder;

/* NULL on ENOMEM. */
struct unwinder *unwinder_new(void);
void unwinder_free(struct unwinder *u); /* accepts NULL */

/* Unwind one stack of tgid (thread tid): regs in DWARF order (x86_64: rax
 * rdx rcx rbx rsi rdi rbp rsp r8..r15 rip), stack the len bytes from rsp.
 * Frames into ips (the interrupted pc first, then return addresses), at
 * most max. Returns the number of frames (>= 1), or -errno: -ESRCH (the
 * process is gone: its mappings cannot be read), -ENOENT (not even the
 * first frame), -ENOMEM. */
int unwinder_unwind(struct unwinder *u, uint32_t tgid, uint32_t tid, const uint64_t regs[17],
		    const uint8_t *stack, size_t len, uint64_t *ips, int max);

#endif
