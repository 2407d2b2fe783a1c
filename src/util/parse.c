#include "util/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_u64_range(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int err = parse_u64(s, &v);

	if (err)
		return err;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Number with optional fraction followed by a unit looked up in a table. */
struct unit {
	const char *name;
	double scale;
};

static int parse_scaled(const char *s, const struct unit *units, double *out)
{
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	for (; units->name; units++) {
		if (strcasecmp(end, units->name) == 0) {
			*out = v * units->scale;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t *bytes)
{
	static const struct unit units[] = {
		{ "", 1 },	       { "b", 1 },
		{ "k", 1024.0 },       { "kb", 1024.0 },	{ "kib", 1024.0 },
		{ "m", 1048576.0 },    { "mb", 1048576.0 },	{ "mib", 1048576.0 },
		{ "g", 1073741824.0 }, { "gb", 1073741824.0 }, { "gib", 1073741824.0 },
		{ "t", 1099511627776.0 }, { "tb", 1099511627776.0 }, { "tib", 1099511627776.0 },
		{ NULL, 0 },
	};
	double v;
	int err = parse_scaled(s, units, &v);

	if (err)
		return err;
	if (v >= 18446744073709551615.0)
		return -ERANGE;
	*bytes = (uint64_t)v;
	return 0;
}

int parse_duration_ns(const char *s, uint64_t *ns)
{
	static const struct unit units[] = {
		{ "", 1e9 },	  { "s", 1e9 },	    { "ms", 1e6 },     { "us", 1e3 },
		{ "ns", 1 },	  { "m", 60e9 },    { "min", 60e9 },   { "h", 3600e9 },
		{ "d", 86400e9 }, { NULL, 0 },
	};
	double v;
	int err = parse_scaled(s, units, &v);

	if (err)
		return err;
	if (v >= 1.8e19)
		return -ERANGE;
	*ns = (uint64_t)v;
	return 0;
}

int parse_size_range(const char *s, uint64_t *min, uint64_t *max)
{
	const char *dash = strchr(s, '-');
	char lo[64];
	uint64_t a = 0, b = UINT64_MAX;

	if (!dash) {
		if (parse_size(s, &a) || !a)
			return -EINVAL;
		*min = *max = a;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(lo) || (dash == s && !dash[1]))
		return -EINVAL;
	memcpy(lo, s, (size_t)(dash - s));
	lo[dash - s] = '\0';
	if (lo[0] && parse_size(lo, &a))
		return -EINVAL;
	/* An upper bound of 0 would match nothing ("0-0", "-0"). */
	if (dash[1] && (parse_size(dash + 1, &b) || !b))
		return -EINVAL;
	if (b < a)
		return -ERANGE;
	*min = a;
	*max = b;
	return 0;
}

int parse_pid_list(const char *s, uint32_t *pids, size_t max, size_t *n)
{
	size_t count = *n;
	const char *p = s;

	if (!*s)
		return -EINVAL;
	for (;;) {
		size_t len = strcspn(p, ",");
		char num[24];
		uint64_t v;

		if (!len || len >= sizeof(num))
			return -EINVAL;
		memcpy(num, p, len);
		num[len] = '\0';
		if (parse_u64_range(num, 0, UINT32_MAX, &v))
			return -EINVAL;
		if (count >= max)
			return -E2BIG;
		pids[count++] = (uint32_t)v;
		p += len;
		if (!*p)
			break;
		p++; /* the comma: an item must follow */
	}
	*n = count;
	return 0;
}

const char *format_bytes(uint64_t bytes, char *buf, unsigned int len)
{
	static const char *const suffix[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int i = 0;

	while (v >= 1024.0 && i < 5) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, suffix[i]);
	return buf;
}
