/* Clocks and timestamps. */
#ifndef POOLSCOPE_UTIL_TIMEUTIL_H
#define POOLSCOPE_UTIL_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

uint64_t monotonic_ns(void);
uint64_t realtime_ns(void);
/* CPU time (user+system) used by this process so far. */
uint64_t process_cpu_ns(void);
/* "2026-11-25T17:43:32.123Z" (UTC, millisecond precision). */
const char *format_iso8601(uint64_t realtime_ns, char *buf, unsigned int len);
/* "2026-11-25T18:05:51.5Z" (UTC; the trailing Z optional) → wall-clock ns.
 * 0 or -EINVAL. */
int parse_iso8601(const char *s, uint64_t *realtime_ns);
/* A time inside a recording that started at start_ns (CLOCK_MONOTONIC) and
 * start_realtime_ns (wall clock): "2.5" / "250ms" from the start, "@NS"
 * absolute CLOCK_MONOTONIC, or an ISO-8601 UTC time mapped through the two
 * clocks. *abs_ns is CLOCK_MONOTONIC. 0, or -EINVAL (not a time, or a wall
 * time before the start). */
int parse_recording_time(const char *s, uint64_t start_ns, uint64_t start_realtime_ns,
			 uint64_t *abs_ns);
/* Sleep until `ns` from now or until a signal; returns early on a signal. */
void sleep_ns_interruptible(uint64_t ns);

/* A span for a person: "42 s", "5 min 12 s", "3 h 20 min", "4 d 2 h",
 * "never" when not finite (negative reads as 0). Into buf; returns buf. */
const char *format_span(double s, char *buf, size_t len);

#endif
