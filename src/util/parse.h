/* Parsing of user-supplied numbers: sizes, durations, counts. All return 0 or
 * -EINVAL/-ERANGE and never print; the caller names the option in its error. */
#ifndef POOLSCOPE_UTIL_PARSE_H
#define POOLSCOPE_UTIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Decimal unsigned integer, whole string, no sign. */
int parse_u64(const char *s, uint64_t *out);
/* Like parse_u64, bounded to [min, max]. */
int parse_u64_range(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "4096", "64K", "100M", "1.5G", "2GiB", "10MB" (powers of 1024). */
int parse_size(const char *s, uint64_t *bytes);
/* "5" (seconds), "0.5", "250ms", "10s", "2m", "1h", "1d" → nanoseconds. */
int parse_duration_ns(const char *s, uint64_t *ns);

/* The one --size grammar (record, report): "N" (exactly N), "MIN-MAX",
 * "MIN-" (no upper bound) or "-MAX", each side a parse_size. *max is
 * UINT64_MAX when there is no upper bound. -EINVAL for a malformed range,
 * for "-" and for a zero size or upper bound (it would match nothing),
 * -ERANGE when MAX < MIN. */
int parse_size_range(const char *s, uint64_t *min, uint64_t *max);
/* The one pid-list grammar: "PID[,PID...]", decimal pids (0 is the idle
 * task: interrupts taken while idle). Appends to pids[*n..] (so a repeated
 * option adds up); *n is left as it was on error. -EINVAL for an empty list,
 * an empty item or a bad number, -E2BIG when more than max in all. */
int parse_pid_list(const char *s, uint32_t *pids, size_t max, size_t *n);

/* "1.5 MiB"-style rendering into buf (always terminated). */
const char *format_bytes(uint64_t bytes, char *buf, unsigned int len);

#endif
