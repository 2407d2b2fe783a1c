/* /proc/kallsyms: parsed once into an address-sorted array, resolved by
 * binary search. Names live in a chunked string arena so a table of ~120k
 * symbols costs one allocation per 64 KiB of names, not one per name. */
#include "kernel/ksyms.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/procfs.h"
#include "util/strbuf.h"

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char bytes[];
};

/* The insertion order breaks ties between symbols at one address: kallsyms
 * lists the real function before aliases such as _stext, and qsort is not
 * stable. */
struct ksym_entry {
	struct ksym sym;
	size_t order;
};

struct ksyms {
	struct ksym_entry *entries;
	size_t count, cap;
	bool sorted;
	struct arena_chunk *chunks;
	/* kallsyms lists a module's symbols together: remembering the last
	 * module name interned makes each module name one arena copy. */
	const char *last_module;
};

static char *arena_strdup(struct ksyms *ks, const char *s)
{
	size_t n = strlen(s) + 1;
	struct arena_chunk *c = ks->chunks;
	char *copy;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = ks->chunks;
		ks->chunks = c;
	}
	copy = c->bytes + c->used;
	memcpy(copy, s, n);
	c->used += n;
	return copy;
}

struct ksyms *ksyms__new(void)
{
	struct ksyms *ks = calloc(1, sizeof(*ks));

	if (ks)
		ks->sorted = true;
	return ks;
}

int ksyms__add(struct ksyms *ks, uint64_t addr, const char *name, const char *module)
{
	struct ksym_entry *e;

	if (!name || !*name)
		return -EINVAL;
	if (ks->count == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 4096;
		struct ksym_entry *grown = realloc(ks->entries, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		ks->entries = grown;
		ks->cap = cap;
	}
	e = &ks->entries[ks->count];
	e->sym.addr = addr;
	e->sym.name = arena_strdup(ks, name);
	if (!e->sym.name)
		return -ENOMEM;
	e->sym.module = NULL;
	if (module && *module) {
		if (!ks->last_module || strcmp(ks->last_module, module) != 0) {
			ks->last_module = arena_strdup(ks, module);
			if (!ks->last_module)
				return -ENOMEM;
		}
		e->sym.module = ks->last_module;
	}
	e->order = ks->count;
	ks->count++;
	ks->sorted = false;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct ksym_entry *x = a, *y = b;

	if (x->sym.addr != y->sym.addr)
		return x->sym.addr < y->sym.addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void ksyms__finish(struct ksyms *ks)
{
	if (!ks || ks->sorted)
		return;
	qsort(ks->entries, ks->count, sizeof(*ks->entries), cmp_entry);
	ks->sorted = true;
}

/* Symbol types worth resolving to: text (t/T), weak (w/W), and data
 * (d/D, b/B, r/R) so that a data address names its object too. Absolute
 * (a/A), per-CPU offsets and undefined entries would shadow real code at
 * small addresses and are dropped. */
static bool type_kept(char type)
{
	return strchr("tTwWdDbBrR", type) != NULL;
}

/* One line: "ffffffff81000000 T _stext" or "... t name\t[module]".
 * Returns 1 if kept, 0 if skipped on purpose, -EINVAL if malformed. */
static int parse_line(struct ksyms *ks, char *line, bool *nonzero)
{
	char *fields[5];
	char *end, *module = NULL;
	uint64_t addr;
	int n, err;

	n = split_fields(line, fields, 5);
	if (n == 0)
		return 0;
	if (n < 3 || n > 4 || strlen(fields[1]) != 1)
		return -EINVAL;
	errno = 0;
	addr = strtoull(fields[0], &end, 16);
	if (errno || end == fields[0] || *end)
		return -EINVAL;
	if (n == 4) {
		size_t len = strlen(fields[3]);

		if (len < 3 || fields[3][0] != '[' || fields[3][len - 1] != ']')
			return -EINVAL;
		fields[3][len - 1] = '\0';
		module = fields[3] + 1;
	}
	if (addr)
		*nonzero = true;
	if (!type_kept(fields[1][0]))
		return 0;
	err = ksyms__add(ks, addr, fields[2], module);
	return err ? err : 1;
}

int ksyms__parse(const char *text, size_t len, struct ksyms **out)
{
	struct ksyms *ks = ksyms__new();
	char *copy = malloc(len + 1);
	struct line_iter it;
	unsigned int bad = 0, first_bad = 0;
	bool nonzero = false;
	char *line;
	int err = 0;

	*out = NULL;
	if (!ks || !copy) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	line_iter_init(&it, copy);
	while ((line = line_next(&it))) {
		int rc = parse_line(ks, line, &nonzero);

		if (rc == -ENOMEM) {
			err = rc;
			goto out;
		}
		if (rc == -EINVAL && bad++ == 0)
			first_bad = it.lineno;
	}
	if (bad)
		ps_warn("kallsyms: skipped %u malformed line%s (first at line %u)", bad,
			bad == 1 ? "" : "s", first_bad);
	/* Without root (or with kptr_restrict) the kernel prints every
	 * address as 0: the names are there but resolve nothing. */
	if (ks->count && !nonzero) {
		err = -EPERM;
		goto out;
	}
	if (!ks->count) {
		err = -EINVAL;
		goto out;
	}
	ksyms__finish(ks);
	*out = ks;
	ks = NULL;
out:
	free(copy);
	ksyms__free(ks);
	return err;
}

int ksyms__load(struct ksyms **out)
{
	struct strbuf text = STRBUF_INIT;
	int err;

	*out = NULL;
	err = procfs_read(AT_FDCWD, "/proc/kallsyms", &text);
	if (err) {
		ps_error("cannot read /proc/kallsyms: %s", strerror(-err));
		goto out;
	}
	err = ksyms__parse(strbuf_str(&text), text.len, out);
out:
	strbuf_release(&text);
	return err;
}

const struct ksym *ksyms__resolve(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi, found;

	if (!ks || !ks->sorted || !ks->count || addr < ks->entries[0].sym.addr)
		return NULL;
	/* Invariant: entries[lo].addr <= addr, and everything at or past hi
	 * is above addr. */
	hi = ks->count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->entries[mid].sym.addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* Back up to the first symbol listed at that address. */
	found = lo;
	while (found > 0 && ks->entries[found - 1].sym.addr == ks->entries[lo].sym.addr)
		found--;
	return &ks->entries[found].sym;
}

size_t ksyms__count(const struct ksyms *ks)
{
	return ks ? ks->count : 0;
}

const struct ksym *ksyms__at(const struct ksyms *ks, size_t i)
{
	if (!ks || i >= ks->count)
		return NULL;
	return &ks->entries[i].sym;
}

const char *ksyms__format(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	const struct ksym *sym = ksyms__resolve(ks, addr);

	if (!len)
		return buf;
	if (!sym)
		snprintf(buf, len, "0x%" PRIx64, addr);
	else if (sym->module)
		snprintf(buf, len, "%s+0x%" PRIx64 " [%s]", sym->name, addr - sym->addr,
			 sym->module);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, sym->name, addr - sym->addr);
	return buf;
}

void ksyms__free(struct ksyms *ks)
{
	struct arena_chunk *c, *next;

	if (!ks)
		return;
	for (c = ks->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(ks->entries);
	free(ks);
}
