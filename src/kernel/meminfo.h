/* The header figures of `top`: /proc/meminfo, /proc/sys/fs/file-nr and
 * /proc/uptime. All three are world-readable. Parsing is kept apart from
 * reading so unit tests feed captured fixtures to the parsers. */
#ifndef POOLSCOPE_KERNEL_MEMINFO_H
#define POOLSCOPE_KERNEL_MEMINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "util/strbuf.h"

/* Byte values (meminfo's kB converted); a field the kernel did not report
 * stays 0 and its bit in ->present stays clear. */
enum meminfo_field {
	MI_MEM_TOTAL,
	MI_MEM_AVAILABLE,
	MI_SLAB,
	MI_SRECLAIMABLE,
	MI_SUNRECLAIM,
	MI_KERNEL_STACK,
	MI_PAGE_TABLES,
	MI_VMALLOC_USED,
	MI_PERCPU,
	MI_NR_FIELDS,
};

struct meminfo {
	uint64_t bytes[MI_NR_FIELDS];
	unsigned int present; /* bit per enum meminfo_field */
	unsigned int skipped; /* malformed lines skipped by the last parse */
	unsigned int first_skipped_line; /* line number of the first of them; 0: none */
	/* /proc/sys/fs/file-nr */
	uint64_t files_in_use;
	uint64_t files_max;
	bool have_files;
	/* /proc/uptime */
	double uptime_s;
	bool have_uptime;
};

/* The /proc/meminfo key of a field ("MemTotal"). */
const char *meminfo_field_name(enum meminfo_field f);
/* The JSON key of a field ("mem_total"): the names of `top --format json`'s
 * header (poolscope-top(8)); every exporter uses these. */
const char *meminfo_json_key(enum meminfo_field f);
static inline bool meminfo_has(const struct meminfo *mi, enum meminfo_field f)
{
	return (mi->present & (1u << f)) != 0;
}

/* Parse /proc/meminfo text (modified in place) into mi's meminfo fields.
 * Malformed lines are skipped and counted (nothing is printed). 0 or -errno
 * (-ENODATA when none of the fields was found). */
int meminfo_parse(char *text, struct meminfo *mi);
/* "allocated free max" → files_in_use (allocated - free), files_max. */
int filenr_parse(const char *text, struct meminfo *mi);
/* "seconds idle" → uptime_s. */
int uptime_parse(const char *text, struct meminfo *mi);
/* Where the three files are; a NULL member is the /proc file (tests point
 * them at fixtures). Borrowed. */
struct meminfo_paths {
	const char *meminfo, *file_nr, *uptime;
};
/* Read all three files; sb is a reusable scratch buffer. A missing or
 * unreadable file leaves its part absent; -errno only for /proc/meminfo.
 * paths may be NULL: the /proc files. */
int meminfo_read_from(struct meminfo *mi, struct strbuf *sb, const struct meminfo_paths *paths);
int meminfo_read(struct meminfo *mi, struct strbuf *sb);

#endif
