/* Which boot this is: the kernel's random boot id and the time it booted, so
 * a history can tell one boot's series from the next. */
#ifndef POOLSCOPE_KERNEL_BOOT_H
#define POOLSCOPE_KERNEL_BOOT_H

#include <stdint.h>

#define BOOT_ID_LEN 36 /* "6f1a…-…", without the NUL */

struct boot_ident {
	char boot_id[BOOT_ID_LEN + 1];
	int64_t start_ms; /* boot time, ms since the Unix epoch (whole seconds) */
};

/* The "btime SECONDS" line of /proc/stat's text → seconds since the epoch.
 * 0 or -ENOENT (no such line) / -EINVAL. */
int proc_stat_btime_parse(const char *stat_text, int64_t *btime_s);
/* Read /proc/sys/kernel/random/boot_id and /proc/stat's btime. 0 or -errno
 * of the first that failed (-EINVAL for a malformed boot id). */
int boot_ident_read(struct boot_ident *out);

#endif
