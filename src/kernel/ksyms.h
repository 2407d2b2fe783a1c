/* Kernel symbols: /proc/kallsyms parsed once, addresses resolved by binary
 * search. Used by `top` (Owner column), `record` (the symbol snapshot stored
 * in a trace) and `report` (resolving stacks from that snapshot).
 * CONTRACT shared by several modules: change only additively. */
#ifndef POOLSCOPE_KERNEL_KSYMS_H
#define POOLSCOPE_KERNEL_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;   /* borrowed from the ksyms */
	const char *module; /* borrowed; NULL for the core kernel */
};

struct ksyms;

/* Load /proc/kallsyms. Without root the addresses read as 0: returns
 * -EPERM then (the caller says "kernel symbols need root"). */
int ksyms__load(struct ksyms **out);
/* Parse kallsyms-format text (fixtures, trace snapshots). */
int ksyms__parse(const char *text, size_t len, struct ksyms **out);
/* Build an empty table and add symbols one by one (trace reader), then
 * call ksyms__finish before resolving. */
struct ksyms *ksyms__new(void);
int ksyms__add(struct ksyms *ks, uint64_t addr, const char *name, const char *module);
void ksyms__finish(struct ksyms *ks);
/* The symbol containing addr (the last one at or below it), or NULL. */
const struct ksym *ksyms__resolve(const struct ksyms *ks, uint64_t addr);
size_t ksyms__count(const struct ksyms *ks);
const struct ksym *ksyms__at(const struct ksyms *ks, size_t i);
/* "func+0x1a" or "func+0x1a [module]" into buf; the hex address if unknown. */
const char *ksyms__format(const struct ksyms *ks, uint64_t addr, char *buf, size_t len);
void ksyms__free(struct ksyms *ks);

#endif
