/* Clocks and timestamps. */
#ifndef POOLSCOPE_UTIL_TIMEUTIL_H
#define POOLSCOPE_UTIL_TIMEUTIL_H

#include <stdint.h>

uint64_t monotonic_ns(void);
uint64_t realtime_ns(void);
/* CPU time (user+system) used by this process so far. */
uint64_t process_cpu_ns(void);
/* "2026-11-25T17:43:32.123Z" (UTC, millisecond precision). */
const char *format_iso8601(uint64_t realtime_ns, char *buf, unsigned int len);
/* Sleep until `ns` from now or until a signal; returns early on a signal. */
void sleep_ns_interruptible(uint64_t ns);

#endif
