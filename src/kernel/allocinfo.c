#include "kernel/allocinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/parse.h"
#include "util/procfs.h"

#define ALLOCINFO_MAX_FIELDS 16

static int site_append(struct allocinfo *ai, struct alloc_site **site)
{
	if (ai->count == ai->cap) {
		size_t cap = ai->cap ? ai->cap * 2 : 1024;
		struct alloc_site *sites = realloc(ai->sites, cap * sizeof(*sites));

		if (!sites)
			return -ENOMEM;
		ai->sites = sites;
		ai->cap = cap;
	}
	*site = &ai->sites[ai->count++];
	memset(*site, 0, sizeof(**site));
	return 0;
}

/* "SIZE CALLS FILE:LINE [MODULE] func:NAME [key:value...]" */
static int parse_site(char *line, struct alloc_site *site)
{
	char *f[ALLOCINFO_MAX_FIELDS];
	int n = split_fields(line, f, ALLOCINFO_MAX_FIELDS);
	char *colon;
	uint64_t lineno;
	int i = 3;

	if (n < 4 || parse_u64(f[0], &site->bytes) || parse_u64(f[1], &site->calls))
		return -EINVAL;
	colon = strrchr(f[2], ':');
	if (!colon || colon == f[2] || parse_u64_range(colon + 1, 0, UINT32_MAX, &lineno))
		return -EINVAL;
	*colon = '\0';
	site->file = f[2];
	site->line = (unsigned int)lineno;
	if (f[i][0] == '[') {
		size_t len = strlen(f[i]);

		if (len < 3 || f[i][len - 1] != ']')
			return -EINVAL;
		f[i][len - 1] = '\0';
		site->module = f[i] + 1;
		i++;
	}
	if (i >= n || strncmp(f[i], "func:", 5) != 0 || f[i][5] == '\0')
		return -EINVAL;
	site->function = f[i] + 5;
	/* Version 2.0 key:value pairs; unknown keys are future additions. */
	for (i++; i < n; i++) {
		if (!strchr(f[i], ':'))
			return -EINVAL;
		if (strcmp(f[i], "accurate:no") == 0)
			site->inaccurate = true;
	}
	return 0;
}

int allocinfo_parse(char *text, struct allocinfo *ai)
{
	struct line_iter it;
	char *line;
	int err;

	ai->count = 0;
	ai->skipped = 0;
	ai->first_skipped_line = 0;
	line_iter_init(&it, text);
	line = line_next(&it);
	if (!line || sscanf(line, "allocinfo - version: %u.", &ai->version_major) != 1)
		return -EPROTO;
	while ((line = line_next(&it))) {
		struct alloc_site *site;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		err = site_append(ai, &site);
		if (err)
			return err;
		if (parse_site(line, site)) {
			ai->count--;
			if (!ai->skipped++)
				ai->first_skipped_line = it.lineno;
		}
	}
	return 0;
}

int allocinfo_read(struct allocinfo *ai, struct strbuf *sb)
{
	int err = procfs_read(AT_FDCWD, "/proc/allocinfo", sb);

	if (err)
		return err;
	if (sb->len == 0)
		return -ENODATA;
	return allocinfo_parse(sb->buf, ai);
}

void allocinfo_release(struct allocinfo *ai)
{
	if (!ai)
		return;
	free(ai->sites);
	ai->sites = NULL;
	ai->count = ai->cap = 0;
}
