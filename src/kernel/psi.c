#include "kernel/psi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "util/procfs.h"

static int parse_line(char *line, struct psi_line *out)
{
	char *save = NULL, *tok;
	int seen = 0;

	memset(out, 0, sizeof(*out));
	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '='), *end;

		if (!eq)
			continue;
		*eq++ = '\0';
		errno = 0;
		if (strcmp(tok, "total") == 0) {
			unsigned long long v = strtoull(eq, &end, 10);

			if (errno || end == eq || *end || *eq == '-')
				return -EINVAL;
			out->total_us = v;
			seen |= 8;
			continue;
		}
		double v = strtod(eq, &end);
		double *dst = strcmp(tok, "avg10") == 0	 ? &out->avg10
			      : strcmp(tok, "avg60") == 0  ? &out->avg60
			      : strcmp(tok, "avg300") == 0 ? &out->avg300
							   : NULL;

		if (!dst)
			continue;
		if (errno || end == eq || *end || !(v >= 0 && v <= 100))
			return -EINVAL;
		*dst = v;
		seen |= dst == &out->avg10 ? 1 : dst == &out->avg60 ? 2 : 4;
	}
	if (seen != 15)
		return -EINVAL;
	out->have = true;
	return 0;
}

int psi_parse(char *text, struct psi *out)
{
	struct line_iter it;
	char *line;

	memset(out, 0, sizeof(*out));
	line_iter_init(&it, text);
	while ((line = line_next(&it))) {
		struct psi_line *dst = strncmp(line, "some ", 5) == 0	? &out->some
				       : strncmp(line, "full ", 5) == 0 ? &out->full
									: NULL;

		if (dst && parse_line(line + 5, dst))
			memset(dst, 0, sizeof(*dst));
	}
	return out->some.have ? 0 : -EINVAL;
}

int psi_read_memory(struct psi *out)
{
	struct strbuf sb = STRBUF_INIT;
	int err = procfs_read(AT_FDCWD, "/proc/pressure/memory", &sb);

	memset(out, 0, sizeof(*out));
	if (!err)
		err = sb.buf ? psi_parse(sb.buf, out) : -EINVAL;
	strbuf_release(&sb);
	return err;
}
