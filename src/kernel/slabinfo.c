#include "kernel/slabinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "util/parse.h"
#include "util/procfs.h"

/* name, 5 numbers, ':', "tunables", 3 numbers, ':', "slabdata", 3 numbers */
#define SLABINFO_FIELDS 16

static int row_append(struct slabinfo *si, struct slabinfo_row **row)
{
	if (si->count == si->cap) {
		size_t cap = si->cap ? si->cap * 2 : 256;
		struct slabinfo_row *rows = realloc(si->rows, cap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		si->rows = rows;
		si->cap = cap;
	}
	*row = &si->rows[si->count++];
	return 0;
}

static int parse_u32_field(const char *s, uint32_t *out)
{
	uint64_t v;
	int err = parse_u64_range(s, 0, UINT32_MAX, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

/* One cache line into row; -EINVAL when it does not have the 2.x shape. */
static int parse_row(char *line, struct slabinfo_row *row)
{
	char *f[SLABINFO_FIELDS + 1];
	int n = split_fields(line, f, SLABINFO_FIELDS + 1);

	if (n != SLABINFO_FIELDS || strcmp(f[6], ":") || strcmp(f[7], "tunables") ||
	    strcmp(f[11], ":") || strcmp(f[12], "slabdata"))
		return -EINVAL;
	if (strlen(f[0]) >= sizeof(row->name))
		return -EINVAL;
	strcpy(row->name, f[0]);
	if (parse_u64(f[1], &row->active_objs) || parse_u64(f[2], &row->num_objs) ||
	    parse_u32_field(f[3], &row->objsize) || parse_u32_field(f[4], &row->objperslab) ||
	    parse_u32_field(f[5], &row->pagesperslab) || parse_u64(f[13], &row->active_slabs) ||
	    parse_u64(f[14], &row->num_slabs))
		return -EINVAL;
	if (row->active_objs > row->num_objs || row->pagesperslab == 0)
		return -EINVAL;
	return 0;
}

int slabinfo_parse(char *text, struct slabinfo *si)
{
	struct line_iter it;
	char *line;
	int err;

	si->count = 0;
	si->skipped = 0;
	si->first_skipped_line = 0;
	line_iter_init(&it, text);
	line = line_next(&it);
	/* The layout below is that of version 2.x; anything else is not guessed at. */
	if (!line || strncmp(line, "slabinfo - version: 2.", 22) != 0)
		return -EPROTO;
	while ((line = line_next(&it))) {
		struct slabinfo_row *row;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		err = row_append(si, &row);
		if (err)
			return err;
		if (parse_row(line, row)) {
			si->count--;
			if (!si->skipped++)
				si->first_skipped_line = it.lineno;
		}
	}
	return 0;
}

int slabinfo_read(struct slabinfo *si, struct strbuf *sb)
{
	return slabinfo_read_from(si, sb, NULL);
}

int slabinfo_read_from(struct slabinfo *si, struct strbuf *sb, const char *path)
{
	int err = procfs_read(AT_FDCWD, path ? path : "/proc/slabinfo", sb);

	if (err)
		return err;
	if (sb->len == 0)
		return -ENODATA;
	return slabinfo_parse(sb->buf, si);
}

uint64_t slabinfo_row_bytes(const struct slabinfo_row *row, uint64_t page_size)
{
	return row->num_slabs * row->pagesperslab * page_size;
}

const struct slabinfo_row *slabinfo_find(const struct slabinfo *si, const char *name)
{
	size_t i;

	for (i = 0; i < si->count; i++)
		if (strcmp(si->rows[i].name, name) == 0)
			return &si->rows[i];
	return NULL;
}

void slabinfo_release(struct slabinfo *si)
{
	if (!si)
		return;
	free(si->rows);
	si->rows = NULL;
	si->count = si->cap = 0;
}
