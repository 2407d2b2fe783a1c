#include "util/timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/parse.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

uint64_t process_cpu_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

const char *format_iso8601(uint64_t ns, char *buf, unsigned int len)
{
	time_t secs = (time_t)(ns / 1000000000ULL);
	unsigned int ms = (unsigned int)(ns % 1000000000ULL / 1000000ULL);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return buf;
}

int parse_iso8601(const char *s, uint64_t *realtime_ns)
{
	struct tm tm = { 0 };
	double frac = 0;
	int consumed = 0;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
		return -EINVAL;
	s += consumed;
	if (*s == '.') {
		char *end;

		frac = strtod(s, &end);
		s = end;
	}
	if (*s == 'Z')
		s++;
	if (*s || tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*realtime_ns = (uint64_t)t * 1000000000ULL + (uint64_t)(frac * 1e9);
	return 0;
}

int parse_recording_time(const char *s, uint64_t start_ns, uint64_t start_realtime_ns,
			 uint64_t *abs_ns)
{
	uint64_t v;

	if (strchr(s, 'T') && strchr(s, ':')) {
		if (parse_iso8601(s, &v) || v < start_realtime_ns)
			return -EINVAL;
		*abs_ns = start_ns + (v - start_realtime_ns);
		return 0;
	}
	if (s[0] == '@') {
		if (parse_u64(s + 1, &v))
			return -EINVAL;
		*abs_ns = v;
		return 0;
	}
	if (parse_duration_ns(s, &v))
		return -EINVAL;
	*abs_ns = start_ns + v;
	return 0;
}

void sleep_ns_interruptible(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL),
			       .tv_nsec = (long)(ns % 1000000000ULL) };

	/* A signal ends the sleep early (EINTR): the caller checks its flags. */
	nanosleep(&ts, NULL);
}

const char *format_span(double s, char *buf, size_t len)
{
	uint64_t v = s < 0 ? 0 : (uint64_t)(s + 0.5);

	if (!isfinite(s))
		snprintf(buf, len, "never");
	else if (v < 60)
		snprintf(buf, len, "%" PRIu64 " s", v);
	else if (v < 3600)
		snprintf(buf, len, "%" PRIu64 " min %" PRIu64 " s", v / 60, v % 60);
	else if (v < 86400)
		snprintf(buf, len, "%" PRIu64 " h %" PRIu64 " min", v / 3600, v / 60 % 60);
	else
		snprintf(buf, len, "%" PRIu64 " d %" PRIu64 " h", v / 86400, v / 3600 % 24);
	return buf;
}
