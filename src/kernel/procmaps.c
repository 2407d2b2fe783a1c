#include "kernel/procmaps.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/procfs.h"
#include "util/strbuf.h"

/* "55d0c0a00000-55d0c0a01000 r-xp 00001000 fd:01 1234   /usr/bin/x" */
static int parse_line(char *line, struct procmap *m)
{
	char perms[8];
	int path_at = -1;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &m->start, &m->end,
		   perms, &m->offset, &path_at) < 4 || path_at < 0)
		return -EINVAL;
	if (perms[2] != 'x' || !line[path_at])
		return -ENOENT; /* not executable, or anonymous */
	m->path = strdup(line + path_at);
	return m->path ? 0 : -ENOMEM;
}

int procmaps_parse_exec(char *text, struct procmaps *out)
{
	struct line_iter it;
	size_t cap = 0;
	char *line;

	memset(out, 0, sizeof(*out));
	line_iter_init(&it, text);
	while ((line = line_next(&it))) {
		struct procmap m = { 0 };
		int err = parse_line(line, &m);

		if (err == -ENOMEM) {
			procmaps_release(out);
			return err;
		}
		if (err)
			continue;
		if (out->n == cap) {
			size_t grown_cap = cap ? cap * 2 : 32;
			struct procmap *grown = realloc(out->maps, grown_cap * sizeof(*grown));

			if (!grown) {
				free(m.path);
				procmaps_release(out);
				return -ENOMEM;
			}
			out->maps = grown;
			cap = grown_cap;
		}
		out->maps[out->n++] = m;
	}
	return 0;
}

int procmaps_read_exec(uint32_t tgid, struct procmaps *out)
{
	struct strbuf sb = STRBUF_INIT;
	char path[64];
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/maps", tgid);
	err = procfs_read(AT_FDCWD, path, &sb);
	if (!err)
		err = sb.len ? procmaps_parse_exec(sb.buf, out) : -ENOENT; /* a zombie: no mm */
	strbuf_release(&sb);
	return err;
}

void procmaps_release(struct procmaps *pm)
{
	if (!pm)
		return;
	for (size_t i = 0; i < pm->n; i++)
		free(pm->maps[i].path);
	free(pm->maps);
	pm->maps = NULL;
	pm->n = 0;
}
