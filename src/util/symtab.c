/* A symbol table: an address-sorted array resolved by binary search. Names
 * live in a chunked string arena so a table of ~120k symbols costs one
 * allocation per 64 KiB of names, not one per name. */
#include "util/symtab.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/notes.h"
#include "util/procfs.h"

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char bytes[];
};

/* The insertion order breaks ties between symbols at one address: kallsyms
 * lists the real function before aliases such as _stext, and qsort is not
 * stable. */
struct symbol_entry {
	struct symbol sym;
	size_t order;
};

struct symtab {
	struct symbol_entry *entries;
	size_t count, cap;
	bool sorted;
	struct arena_chunk *chunks;
	/* kallsyms lists a module's symbols together: remembering the last
	 * module name interned makes each module name one arena copy. */
	const char *last_module;
};

static char *arena_strdup(struct symtab *st, const char *s)
{
	size_t n = strlen(s) + 1;
	struct arena_chunk *c = st->chunks;
	char *copy;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = st->chunks;
		st->chunks = c;
	}
	copy = c->bytes + c->used;
	memcpy(copy, s, n);
	c->used += n;
	return copy;
}

struct symtab *symtab__new(void)
{
	struct symtab *st = calloc(1, sizeof(*st));

	if (st)
		st->sorted = true;
	return st;
}

int symtab__add(struct symtab *st, uint64_t addr, const char *name, const char *module)
{
	struct symbol_entry *e;

	if (!name || !*name)
		return -EINVAL;
	if (st->count == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 4096;
		struct symbol_entry *grown = realloc(st->entries, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		st->entries = grown;
		st->cap = cap;
	}
	e = &st->entries[st->count];
	e->sym.addr = addr;
	e->sym.name = arena_strdup(st, name);
	if (!e->sym.name)
		return -ENOMEM;
	e->sym.module = NULL;
	if (module && *module) {
		if (!st->last_module || strcmp(st->last_module, module) != 0) {
			st->last_module = arena_strdup(st, module);
			if (!st->last_module)
				return -ENOMEM;
		}
		e->sym.module = st->last_module;
	}
	e->order = st->count;
	st->count++;
	st->sorted = false;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct symbol_entry *x = a, *y = b;

	if (x->sym.addr != y->sym.addr)
		return x->sym.addr < y->sym.addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void symtab__finish(struct symtab *st)
{
	if (!st || st->sorted)
		return;
	qsort(st->entries, st->count, sizeof(*st->entries), cmp_entry);
	st->sorted = true;
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
static int parse_line(struct symtab *st, char *line, bool *nonzero)
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
	err = symtab__add(st, addr, fields[2], module);
	return err ? err : 1;
}

int symtab__parse(const char *text, size_t len, struct symtab **out, struct notes *notes)
{
	struct symtab *st = symtab__new();
	char *copy = malloc(len + 1);
	struct line_iter it;
	unsigned int bad = 0, first_bad = 0;
	bool nonzero = false;
	char *line;
	int err = 0;

	*out = NULL;
	if (!st || !copy) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	line_iter_init(&it, copy);
	while ((line = line_next(&it))) {
		int rc = parse_line(st, line, &nonzero);

		if (rc == -ENOMEM) {
			err = rc;
			goto out;
		}
		if (rc == -EINVAL && bad++ == 0)
			first_bad = it.lineno;
	}
	if (bad && notes)
		notes_add(notes, "kallsyms-malformed",
			  "kallsyms: skipped %u malformed line%s (first at line %u)", bad,
			  bad == 1 ? "" : "s", first_bad);
	/* Without root (or with kptr_restrict) the kernel prints every
	 * address as 0: the names are there but resolve nothing. */
	if (st->count && !nonzero) {
		err = -EPERM;
		goto out;
	}
	if (!st->count) {
		err = -EINVAL;
		goto out;
	}
	symtab__finish(st);
	*out = st;
	st = NULL;
out:
	free(copy);
	symtab__free(st);
	return err;
}

const struct symbol *symtab__resolve(const struct symtab *st, uint64_t addr)
{
	size_t lo = 0, hi, found;

	if (!st || !st->sorted || !st->count || addr < st->entries[0].sym.addr)
		return NULL;
	/* Invariant: entries[lo].addr <= addr, and everything at or past hi
	 * is above addr. */
	hi = st->count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->entries[mid].sym.addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* Back up to the first symbol listed at that address. */
	found = lo;
	while (found > 0 && st->entries[found - 1].sym.addr == st->entries[lo].sym.addr)
		found--;
	return &st->entries[found].sym;
}

size_t symtab__count(const struct symtab *st)
{
	return st ? st->count : 0;
}

const struct symbol *symtab__at(const struct symtab *st, size_t i)
{
	if (!st || i >= st->count)
		return NULL;
	return &st->entries[i].sym;
}

const char *symtab__format(const struct symtab *st, uint64_t addr, char *buf, size_t len)
{
	const struct symbol *sym = symtab__resolve(st, addr);

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

void symtab__free(struct symtab *st)
{
	struct arena_chunk *c, *next;

	if (!st)
		return;
	for (c = st->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(st->entries);
	free(st);
}
