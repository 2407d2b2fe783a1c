/* /proc/allocinfo (CONFIG_MEM_ALLOC_PROFILING): bytes and calls live per
 * allocation site, as documented in Documentation/mm/allocation-profiling.rst
 * and Documentation/filesystems/proc.rst:
 *     allocinfo - version: 2.0
 *     #     <size>  <calls> <tag info>
 *        13377536      234 block/blk-mq.c:3421 func:blk_mq_alloc_rqs
 *         4194304     1010 drivers/x/y.c:20 [mod] func:f accurate:no
 * Version 1.x lines carry no key:value pairs after func:. */
#ifndef POOLSCOPE_KERNEL_ALLOCINFO_H
#define POOLSCOPE_KERNEL_ALLOCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

struct alloc_site {
	uint64_t bytes;
	uint64_t calls;
	const char *file; /* borrowed from the parsed text */
	unsigned int line;
	const char *module;   /* borrowed; NULL for the core kernel */
	const char *function; /* borrowed */
	bool inaccurate;      /* "accurate:no": absolute values are off, deltas are exact */
};

struct allocinfo {
	struct alloc_site *sites; /* owned */
	size_t count;
	size_t cap;
	unsigned int version_major;
	unsigned int skipped; /* malformed lines skipped */
	unsigned int first_skipped_line; /* line number of the first of them; 0: none */
};

/* Parse allocinfo text, modified in place and borrowed by the sites (keep it
 * alive as long as the result). Malformed lines are skipped and counted
 * (nothing is printed); a missing header is -EPROTO. 0 or -errno. */
int allocinfo_parse(char *text, struct allocinfo *ai);
/* Read /proc/allocinfo into sb (which the result then borrows) and parse.
 * -ENOENT when the kernel lacks CONFIG_MEM_ALLOC_PROFILING. */
int allocinfo_read(struct allocinfo *ai, struct strbuf *sb);
void allocinfo_release(struct allocinfo *ai);

#endif
