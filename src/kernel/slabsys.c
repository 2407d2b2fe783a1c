#include "kernel/slabsys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/parse.h"
#include "util/procfs.h"

/* One /sys/kernel/slab entry as collected: name → dir (a real directory is
 * its own dir), with the attributes when the entry is the directory itself. */
struct slabsys_entry {
	char *name;
	char *dir;
	bool is_dir;
	bool have_attrs;
	bool reclaimable;
	uint32_t object_size;
	uint32_t slab_size;
};

struct slabsys_name {
	const char *name; /* borrowed from a group */
	size_t group;
};

static int entry_add(struct slabsys *ss, const char *name, const char *dir,
		     struct slabsys_entry **out)
{
	struct slabsys_entry *e;

	if (!*name || !*dir || strchr(name, '/') || strchr(dir, '/'))
		return -EINVAL;
	if (ss->nentries == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 512;
		struct slabsys_entry *entries = realloc(ss->entries, cap * sizeof(*entries));

		if (!entries)
			return -ENOMEM;
		ss->entries = entries;
		ss->cap = cap;
	}
	e = &ss->entries[ss->nentries];
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	e->dir = strdup(dir);
	if (!e->name || !e->dir) {
		free(e->name);
		free(e->dir);
		return -ENOMEM;
	}
	ss->nentries++;
	*out = e;
	return 0;
}

int slabsys_add_dir(struct slabsys *ss, const char *dir, bool have_attrs, bool reclaimable,
		    uint32_t object_size, uint32_t slab_size)
{
	struct slabsys_entry *e;
	int err = entry_add(ss, dir, dir, &e);

	if (err)
		return err;
	e->is_dir = true;
	e->have_attrs = have_attrs;
	e->reclaimable = reclaimable;
	e->object_size = object_size;
	e->slab_size = slab_size;
	return 0;
}

int slabsys_add_link(struct slabsys *ss, const char *name, const char *target)
{
	const char *base = strrchr(target, '/');
	struct slabsys_entry *e;

	/* readlink gives a relative target; keep only the directory's name. */
	return entry_add(ss, name, base ? base + 1 : target, &e);
}

static int entry_cmp_dir(const void *a, const void *b)
{
	const struct slabsys_entry *x = a, *y = b;
	int c = strcmp(x->dir, y->dir);

	if (c)
		return c;
	return strcmp(x->name, y->name);
}

static int name_cmp(const void *a, const void *b)
{
	const struct slabsys_name *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void entries_free(struct slabsys *ss)
{
	size_t i;

	for (i = 0; i < ss->nentries; i++) {
		free(ss->entries[i].name);
		free(ss->entries[i].dir);
	}
	free(ss->entries);
	ss->entries = NULL;
	ss->nentries = ss->cap = 0;
}

/* Group the collected entries by directory; a ':'-named directory is not a
 * cache name itself, only the symlinks to it are. */
int slabsys_finish(struct slabsys *ss)
{
	size_t i, j, k;
	int err = 0;

	qsort(ss->entries, ss->nentries, sizeof(*ss->entries), entry_cmp_dir);
	ss->groups = calloc(ss->nentries ? ss->nentries : 1, sizeof(*ss->groups));
	ss->by_name = calloc(ss->nentries ? ss->nentries : 1, sizeof(*ss->by_name));
	if (!ss->groups || !ss->by_name) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ss->nentries; i = j) {
		struct slab_group *g = &ss->groups[ss->count];

		for (j = i; j < ss->nentries && strcmp(ss->entries[j].dir, ss->entries[i].dir) == 0;
		     j++)
			;
		g->dir = strdup(ss->entries[i].dir);
		g->names = calloc(j - i, sizeof(*g->names));
		if (!g->dir || !g->names) {
			free(g->dir);
			free(g->names);
			err = -ENOMEM;
			goto out;
		}
		ss->count++;
		for (k = i; k < j; k++) {
			struct slabsys_entry *e = &ss->entries[k];

			if (e->is_dir) {
				g->have_attrs = e->have_attrs;
				g->reclaimable = e->reclaimable;
				g->object_size = e->object_size;
				g->slab_size = e->slab_size;
				if (e->name[0] == ':')
					continue;
			}
			g->names[g->nnames] = e->name;
			e->name = NULL; /* moved into the group */
			ss->by_name[ss->nby_name].name = g->names[g->nnames];
			ss->by_name[ss->nby_name].group = ss->count - 1;
			ss->nby_name++;
			g->nnames++;
		}
	}
	qsort(ss->by_name, ss->nby_name, sizeof(*ss->by_name), name_cmp);
out:
	entries_free(ss);
	return err;
}

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int err = parse_u64_range(s, 0, UINT32_MAX, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

int slabsys_parse(char *text, struct slabsys *ss)
{
	struct line_iter it;
	char *line;
	int err;

	line_iter_init(&it, text);
	while ((line = line_next(&it))) {
		char *f[6];
		int n = split_fields(line, f, 6);
		uint32_t recl, objsize, slabsize;

		if (n == 0)
			continue;
		err = -EINVAL;
		if (n == 3 && strcmp(f[0], "link") == 0)
			err = slabsys_add_link(ss, f[1], f[2]);
		else if (n == 5 && strcmp(f[0], "dir") == 0 && !parse_u32(f[2], &recl) &&
			 recl <= 1 && !parse_u32(f[3], &objsize) && !parse_u32(f[4], &slabsize))
			err = slabsys_add_dir(ss, f[1], true, recl, objsize, slabsize);
		if (err == -ENOMEM)
			return err;
		if (err) {
			if (!ss->skipped++)
				ss->first_skipped_line = it.lineno;
		}
	}
	return slabsys_finish(ss);
}

static int read_attr(int dirfd, const char *dir, const char *attr, uint32_t *out)
{
	char path[300];
	char line[64];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	err = procfs_read_line(dirfd, path, line, sizeof(line));
	if (err)
		return err;
	return parse_u32(line, out);
}

int slabsys_read(struct slabsys *ss, const char *root)
{
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(root);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char target[256];
		uint32_t recl = 0, objsize = 0, slabsize = 0;
		ssize_t n;
		int aerr;

		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_LNK) {
			n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
			if (n < 0)
				continue; /* vanished meanwhile: a cache went away */
			target[n] = '\0';
			err = slabsys_add_link(ss, de->d_name, target);
		} else if (de->d_type == DT_DIR) {
			aerr = read_attr(dirfd(d), de->d_name, "reclaim_account", &recl);
			if (!aerr)
				aerr = read_attr(dirfd(d), de->d_name, "object_size", &objsize);
			if (!aerr)
				aerr = read_attr(dirfd(d), de->d_name, "slab_size", &slabsize);
			if (aerr == -EACCES || aerr == -EPERM)
				ss->attrs_denied = true;
			err = slabsys_add_dir(ss, de->d_name, aerr == 0, recl != 0, objsize,
					      slabsize);
		}
		if (err == -EINVAL)
			err = 0; /* a name we cannot hold; the rest still counts */
		if (err)
			break;
	}
	closedir(d);
	if (err) {
		entries_free(ss);
		return err;
	}
	return slabsys_finish(ss);
}

const struct slab_group *slabsys_find(const struct slabsys *ss, const char *name)
{
	struct slabsys_name key = {.name = name};
	const struct slabsys_name *hit;

	if (!ss->nby_name)
		return NULL;
	hit = bsearch(&key, ss->by_name, ss->nby_name, sizeof(key), name_cmp);
	return hit ? &ss->groups[hit->group] : NULL;
}

void slabsys_release(struct slabsys *ss)
{
	size_t i;
	int k;

	if (!ss)
		return;
	for (i = 0; i < ss->count; i++) {
		for (k = 0; k < ss->groups[i].nnames; k++)
			free(ss->groups[i].names[k]);
		free(ss->groups[i].names);
		free(ss->groups[i].dir);
	}
	free(ss->groups);
	free(ss->by_name);
	entries_free(ss);
	memset(ss, 0, sizeof(*ss));
}
