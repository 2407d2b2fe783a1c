/* /proc/PID/maps: a process's executable mappings, for naming user-space
 * frames later (record --user-stacks stores them in the trace). Prints
 * nothing. */
#ifndef POOLSCOPE_KERNEL_PROCMAPS_H
#define POOLSCOPE_KERNEL_PROCMAPS_H

#include <stddef.h>
#include <stdint.h>

struct procmap {
	uint64_t start, end, offset;
	char *path; /* owned: "/usr/lib/...", "[vdso]"; " (deleted)" kept as the kernel says it */
};

struct procmaps {
	struct procmap *maps; /* in the file's order (by address) */
	size_t n;
};

/* The mappings with execute permission of process tgid that are backed by
 * a file or name one ([vdso]): anonymous executable memory (JIT) names no
 * file to read symbols from. 0, or -errno (-ENOENT: the process is gone,
 * -EACCES: not ours to read). */
int procmaps_read_exec(uint32_t tgid, struct procmaps *out);
/* Parse maps-format text (tests feed fixtures); text is modified. */
int procmaps_parse_exec(char *text, struct procmaps *out);
void procmaps_release(struct procmaps *pm);

#endif
