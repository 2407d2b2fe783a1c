/* Pressure stall information (/proc/pressure/memory, Documentation/
 * accounting/psi.rst): the share of time some (or all non-idle) tasks
 * stalled waiting for memory — reclaim, refaults, compaction. It is how a
 * machine short of memory feels before it runs out: MemAvailable says how
 * much is left, pressure says what getting it back costs. */
#ifndef POOLSCOPE_KERNEL_PSI_H
#define POOLSCOPE_KERNEL_PSI_H

#include <stdbool.h>
#include <stdint.h>

struct psi_line {
	bool have;
	double avg10, avg60, avg300; /* percent of wall time, over 10 s / 60 s / 300 s */
	uint64_t total_us;	     /* stalled time since boot, microseconds */
};

struct psi {
	struct psi_line some; /* at least one task stalled */
	struct psi_line full; /* every non-idle task stalled at once */
};

/* Parse "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and the "full"
 * line (modified in place). Unknown lines and fields are ignored (the
 * kernel may add some). 0, or -EINVAL when no "some" line parsed. */
int psi_parse(char *text, struct psi *out);
/* /proc/pressure/memory. 0, -ENOENT where the kernel has no PSI, or
 * -EOPNOTSUPP where it is built in but off (psi=0 on the command line). */
int psi_read_memory(struct psi *out);

#endif
