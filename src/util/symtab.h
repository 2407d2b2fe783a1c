/* A kernel symbol table: addresses resolved to "function+offset [module]" by
 * binary search. Pure data: filled from kallsyms-format text (the live file,
 * fixtures, a trace's snapshot) or symbol by symbol (the trace reader); it
 * reads no file itself. src/kernel/ksyms.h loads /proc/kallsyms into one,
 * once per run; `top` (Owner), `record` (the snapshot stored in a trace) and
 * `report` (resolving a trace's stacks) share this one type.
 * CONTRACT shared by several modules: change only additively. */
#ifndef POOLSCOPE_UTIL_SYMTAB_H
#define POOLSCOPE_UTIL_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

struct notes;

struct symbol {
	uint64_t addr;
	const char *name;   /* borrowed from the table */
	const char *module; /* borrowed; NULL for the core kernel */
};

struct symtab;

/* Parse kallsyms-format text ("ffffffff81000000 T _stext", "... t f\t[mod]").
 * Malformed lines are skipped and counted in one note (notes may be NULL).
 * -EPERM when every address is 0 (read without root or with kptr_restrict:
 * the names resolve nothing), -EINVAL when no symbol was kept, -ENOMEM. */
int symtab__parse(const char *text, size_t len, struct symtab **out, struct notes *notes);
/* Build an empty table and add symbols one by one (trace reader), then
 * call symtab__finish before resolving. */
struct symtab *symtab__new(void);
int symtab__add(struct symtab *st, uint64_t addr, const char *name, const char *module);
void symtab__finish(struct symtab *st);
/* The symbol containing addr (the last one at or below it), or NULL. */
const struct symbol *symtab__resolve(const struct symtab *st, uint64_t addr);
size_t symtab__count(const struct symtab *st);
const struct symbol *symtab__at(const struct symtab *st, size_t i);
/* "func+0x1a" or "func+0x1a [module]" into buf; the hex address if unknown. */
const char *symtab__format(const struct symtab *st, uint64_t addr, char *buf, size_t len);
void symtab__free(struct symtab *st);

#endif
