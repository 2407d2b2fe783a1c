/* The symbol subset a trace carries (recorder_int.h): every address its
 * stacks and call sites meet is resolved once against the run's kallsyms,
 * and each symbol it lands in is stored once, at the end of a period. */
#include <string.h>

#include "util/symtab.h"
#include "trace/recorder_int.h"
#include "trace/trace.h"
#include "util/hashmap.h"

static void store_sym(struct recorder *rc, const struct symbol *sym)
{
	if (!rc->pending_syms)
		rc->pending_syms = symtab__new();
	if (rc->pending_syms &&
	    symtab__add(rc->pending_syms, sym->addr, sym->name, sym->module) == 0)
		rc->npending++;
}

void recorder_note_addr(struct recorder *rc, uint64_t addr)
{
	const struct symbol *sym;

	if (!rc->kallsyms || !addr || u64map_find(rc->addrs_seen, addr))
		return;
	u64map_set(rc->addrs_seen, addr, 1);
	sym = symtab__resolve(rc->kallsyms, addr);
	if (!sym || u64map_find(rc->syms_stored, sym->addr))
		return;
	u64map_set(rc->syms_stored, sym->addr, 1);
	store_sym(rc, sym);
}

/* `report --vmlinux` anchors KASLR on _text (or _stext): store them even
 * though no stack lands in them. Every symbol sharing their address goes
 * along, in kallsyms order, so that an address there resolves in the trace
 * as it does live (to the first one listed), and each is stored once. */
void recorder_note_kaslr_anchors(struct recorder *rc)
{
	size_t n = symtab__count(rc->kallsyms);

	for (size_t i = 0; i < n; i++) {
		const struct symbol *sym = symtab__at(rc->kallsyms, i);
		size_t first = i, last = i;

		if (sym->module || (strcmp(sym->name, "_text") && strcmp(sym->name, "_stext")) ||
		    u64map_find(rc->syms_stored, sym->addr))
			continue;
		while (first > 0 && symtab__at(rc->kallsyms, first - 1)->addr == sym->addr)
			first--;
		while (last + 1 < n && symtab__at(rc->kallsyms, last + 1)->addr == sym->addr)
			last++;
		u64map_set(rc->syms_stored, sym->addr, 1);
		for (size_t j = first; j <= last; j++)
			store_sym(rc, symtab__at(rc->kallsyms, j));
	}
}

int recorder_write_pending_syms(struct recorder *rc)
{
	int err = 0;

	if (!rc->npending)
		return 0;
	symtab__finish(rc->pending_syms);
	err = trace_writer__ksyms(rc->w, rc->pending_syms);
	symtab__free(rc->pending_syms);
	rc->pending_syms = NULL;
	rc->npending = 0;
	return err;
}
