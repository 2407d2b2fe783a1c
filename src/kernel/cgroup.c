#include "kernel/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/procfs.h"
#include "util/strbuf.h"

int cgroup_parse_path(char *text, char *path, size_t len)
{
	struct line_iter it;
	const char *v2 = NULL, *systemd = NULL;
	char *line;

	line_iter_init(&it, text);
	while ((line = line_next(&it))) {
		if (strncmp(line, "0::", 3) == 0)
			v2 = line + 3;
		else if (strstr(line, ":name=systemd:"))
			systemd = strstr(line, ":name=systemd:") + 14;
	}
	if (v2 && strcmp(v2, "/") == 0 && systemd)
		v2 = systemd;
	if (!v2)
		v2 = systemd;
	if (!v2)
		return -EINVAL;
	snprintf(path, len, "%s", strcmp(v2, "/") == 0 ? "" : v2);
	return 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

const char *cgroup_unit(const char *path, char *buf, size_t len)
{
	const char *best = NULL, *p = path;
	size_t best_len = 0;

	while (*p) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n && (ends_with(p, n, ".service") || ends_with(p, n, ".scope"))) {
			best = p;
			best_len = n;
		}
		p += n;
	}
	if (best)
		snprintf(buf, len, "%.*s", (int)best_len, best);
	else
		snprintf(buf, len, "%s", path);
	return buf;
}

int cgroup_unit_of_pid(int pid, char *buf, size_t len)
{
	struct strbuf text = STRBUF_INIT;
	char file[64], path[512];
	int err;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", pid);
	err = procfs_read(AT_FDCWD, file, &text);
	if (!err)
		err = text.len ? cgroup_parse_path(text.buf, path, sizeof(path)) : -EINVAL;
	if (!err)
		cgroup_unit(path, buf, len);
	strbuf_release(&text);
	return err;
}

static bool controllers_list_memory(const char *path)
{
	char buf[512], *tok, *save = NULL;
	FILE *f = fopen(path, "re");
	bool found = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		for (tok = strtok_r(buf, " \n", &save); tok && !found; tok = strtok_r(NULL, " \n", &save))
			found = strcmp(tok, "memory") == 0;
	fclose(f);
	return found;
}

int cgroup_memory_root(char *buf, size_t len)
{
	static const char *const v2[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	char path[64];
	size_t i;

	for (i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", v2[i]);
		if (controllers_list_memory(path)) {
			snprintf(buf, len, "%s", v2[i]);
			return 2;
		}
	}
	if (access("/sys/fs/cgroup/memory/memory.usage_in_bytes", R_OK) == 0) {
		snprintf(buf, len, "/sys/fs/cgroup/memory");
		return 1;
	}
	return 0;
}
