#include "model/series_name.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *series_name_slab(char *buf, size_t len, const char *cache, const char *what)
{
	snprintf(buf, len, "slab/%s/%s", cache, what);
	return buf;
}

const char *series_name_proc(char *buf, size_t len, int pid, uint64_t start, const char *what)
{
	snprintf(buf, len, "proc/%d:%" PRIu64 "/%s", pid, start, what);
	return buf;
}

const char *series_name_sys(char *buf, size_t len, const char *resource)
{
	snprintf(buf, len, "sys/%s", resource);
	return buf;
}

const char *series_name_keys(char *buf, size_t len, uint32_t uid, const char *what)
{
	snprintf(buf, len, "keys/%u/%s", uid, what);
	return buf;
}

const char *series_name_sysv_msg(char *buf, size_t len, int msqid, const char *what)
{
	snprintf(buf, len, "sysv/msg/%d/%s", msqid, what);
	return buf;
}

const char *series_name_sysv_sender(char *buf, size_t len, int pid, const char *what)
{
	snprintf(buf, len, "sysv/sender/%d/%s", pid, what);
	return buf;
}

const char *series_name_mem(char *buf, size_t len, const char *field)
{
	snprintf(buf, len, "mem/%s", field);
	return buf;
}

const char *series_name_memcg(char *buf, size_t len, const char *path, const char *stat)
{
	snprintf(buf, len, "memcg/%s/%s", path, stat);
	return buf;
}

static int copy(char *dst, size_t len, const char *s, size_t n)
{
	if (n >= len)
		return -EINVAL;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* "ID/WHAT" with WHAT the last segment: ID may hold '/'. */
static int split_last(const char *rest, struct series_name_parts *out)
{
	const char *slash = strrchr(rest, '/');

	if (!slash || slash == rest || !slash[1])
		return -EINVAL;
	if (copy(out->id, sizeof(out->id), rest, (size_t)(slash - rest)))
		return -EINVAL;
	return copy(out->what, sizeof(out->what), slash + 1, strlen(slash + 1));
}

static int parse_number(const char *s, char stop, long long min, long long max, long long *v,
			const char **end)
{
	char *e;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoll(s, &e, 10);
	if (errno || *e != stop || *v < min || *v > max)
		return -EINVAL;
	*end = e + 1;
	return 0;
}

int series_name_parse(const char *name, struct series_name_parts *out)
{
	const char *rest;
	long long v;

	memset(out, 0, sizeof(*out));
	if (strncmp(name, "slab/", 5) == 0) {
		out->subject = SERIES_SLAB;
		return split_last(name + 5, out);
	}
	if (strncmp(name, "memcg/", 6) == 0) {
		out->subject = SERIES_MEMCG;
		return split_last(name + 6, out);
	}
	if (strncmp(name, "sys/", 4) == 0 && name[4]) {
		out->subject = SERIES_SYS;
		return copy(out->id, sizeof(out->id), name + 4, strlen(name + 4));
	}
	if (strncmp(name, "mem/", 4) == 0 && name[4]) {
		out->subject = SERIES_MEM;
		return copy(out->id, sizeof(out->id), name + 4, strlen(name + 4));
	}
	if (strncmp(name, "proc/", 5) == 0) {
		out->subject = SERIES_PROC;
		if (parse_number(name + 5, ':', 1, INT32_MAX, &v, &rest))
			return -EINVAL;
		out->pid = (int)v;
		if (parse_number(rest, '/', 0, INT64_MAX, &v, &rest) || !*rest)
			return -EINVAL;
		out->start = (uint64_t)v;
		return copy(out->what, sizeof(out->what), rest, strlen(rest));
	}
	if (strncmp(name, "keys/", 5) == 0) {
		out->subject = SERIES_KEYS;
		if (parse_number(name + 5, '/', 0, UINT32_MAX, &v, &rest) || !*rest)
			return -EINVAL;
		out->uid = (uint32_t)v;
		return copy(out->what, sizeof(out->what), rest, strlen(rest));
	}
	if (strncmp(name, "sysv/sender/", 12) == 0) {
		out->subject = SERIES_SYSV_SENDER;
		if (parse_number(name + 12, '/', 1, INT32_MAX, &v, &rest) || !*rest)
			return -EINVAL;
		out->pid = (int)v;
		return copy(out->what, sizeof(out->what), rest, strlen(rest));
	}
	if (strncmp(name, "sysv/msg/", 9) == 0) {
		out->subject = SERIES_SYSV_MSG;
		if (parse_number(name + 9, '/', 0, INT32_MAX, &v, &rest) || !*rest)
			return -EINVAL;
		out->msqid = (int)v;
		return copy(out->what, sizeof(out->what), rest, strlen(rest));
	}
	return -EINVAL;
}
