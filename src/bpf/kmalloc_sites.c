#include "bpf/kmalloc_sites.h"

#include <errno.h>
#include <string.h>

#include "util/symtab.h"

int kmalloc_entry_ranges(const struct symtab *ks, uint64_t *lo, uint64_t *hi, size_t max)
{
	size_t count, i, j;
	int n = 0;

	if (!ks)
		return -ENOENT;
	count = symtab__count(ks);
	for (i = 0; i < count && (size_t)n < max; i++) {
		const struct symbol *sym = symtab__at(ks, i);

		if (sym->module || (strncmp(sym->name, "__kmalloc", 9) != 0 &&
				    strncmp(sym->name, "__kvmalloc", 10) != 0))
			continue;
		/* The function ends where the next address starts. */
		for (j = i + 1; j < count && symtab__at(ks, j)->addr == sym->addr; j++)
			;
		if (j == count)
			continue;
		lo[n] = sym->addr;
		hi[n] = symtab__at(ks, j)->addr;
		n++;
	}
	return n;
}
