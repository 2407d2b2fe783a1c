#include "kernel/debuginfo.h"

#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/symtab.h"
#include "util/notes.h"

struct elf_symbol {
	const char *name; /* borrowed from libelf's string table */
	uint64_t addr;
};

struct debuginfo {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct elf_symbol *syms; /* sorted by name, then address */
	size_t nsyms;
	/* libdwfl's addresses minus the file's own: 0 for a kernel (ET_EXEC),
	 * where libdwfl lays an offline shared object or PIE (ET_DYN). */
	Dwarf_Addr bias;
};

/* Offline: the file is read as it lies on disk (link-time addresses);
 * a separate debug file next to it or under /usr/lib/debug is found too. */
static char *debuginfo_path;
static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static int symbol_cmp(const void *pa, const void *pb)
{
	const struct elf_symbol *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* Named functions and objects of the symbol table, for lookups by name. */
static int load_symbols(struct debuginfo *d)
{
	int n = dwfl_module_getsymtab(d->mod), i;

	if (n <= 0)
		return 0; /* no symbol table: only _text-less anchoring fails later */
	d->syms = calloc((size_t)n, sizeof(*d->syms));
	if (!d->syms)
		return -ENOMEM;
	for (i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(d->mod, i, &sym, &addr, &shndx, NULL,
							   NULL);
		int type;

		if (!name || !*name || sym.st_shndx == SHN_UNDEF)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type == STT_SECTION || type == STT_FILE)
			continue;
		d->syms[d->nsyms++] = (struct elf_symbol){ name, addr };
	}
	qsort(d->syms, d->nsyms, sizeof(*d->syms), symbol_cmp);
	return 0;
}

/* The file's address of a name that occurs once in its symbol table. */
static const struct elf_symbol *unique_symbol(const struct debuginfo *d, const char *name)
{
	size_t lo = 0, hi = d->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(d->syms[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == d->nsyms || strcmp(d->syms[lo].name, name))
		return NULL;
	/* Aliases at one address are the same place; two addresses are not. */
	if (lo + 1 < d->nsyms && strcmp(d->syms[lo + 1].name, name) == 0 &&
	    d->syms[lo + 1].addr != d->syms[lo].addr)
		return NULL;
	return &d->syms[lo];
}

static int check_elf_magic(const char *path, char *err, size_t errlen)
{
	unsigned char magic[SELFMAG];
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	ssize_t n;

	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	n = read(fd, magic, sizeof(magic));
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, ELFMAG, SELFMAG)) {
		snprintf(err, errlen, "%s: not an ELF file (a vmlinux with debug info is needed)",
			 path);
		rc = -ENOEXEC;
	}
	close(fd);
	return rc;
}

int debuginfo__open(const char *path, struct debuginfo **out, char *err, size_t errlen)
{
	struct debuginfo *d;
	int rc;

	*out = NULL;
	rc = check_elf_magic(path, err, errlen);
	if (rc)
		return rc;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto nomem;
	d->dwfl = dwfl_begin(&offline_callbacks);
	if (!d->dwfl)
		goto nomem;
	dwfl_report_begin(d->dwfl);
	d->mod = dwfl_report_offline(d->dwfl, "vmlinux", path, -1);
	if (!d->mod || dwfl_report_end(d->dwfl, NULL, NULL)) {
		snprintf(err, errlen, "%s: cannot read the ELF file: %s", path, dwfl_errmsg(-1));
		rc = -ENOEXEC;
		goto out;
	}
	if (!dwfl_module_getdwarf(d->mod, &d->bias)) {
		snprintf(err, errlen, "%s: no DWARF debug info (stripped? file:line needs the "
			 "unstripped vmlinux of a CONFIG_DEBUG_INFO build)", path);
		rc = -ENODATA;
		goto out;
	}
	rc = load_symbols(d);
	if (rc)
		goto nomem;
	*out = d;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
	rc = -ENOMEM;
out:
	debuginfo__free(d);
	return rc;
}

void debuginfo__free(struct debuginfo *d)
{
	if (!d)
		return;
	free(d->syms);
	if (d->dwfl)
		dwfl_end(d->dwfl);
	free(d);
}

/* The first core-kernel symbol of ks (in address order) called `name`. */
static const struct symbol *ksyms_find(const struct symtab *ks, const char *name)
{
	size_t i, n = symtab__count(ks);

	for (i = 0; i < n; i++) {
		const struct symbol *k = symtab__at(ks, i);

		if (!k->module && strcmp(k->name, name) == 0)
			return k;
	}
	return NULL;
}

int debuginfo__anchor(const struct debuginfo *d, const struct symtab *ks,
		      struct debuginfo_anchor *out)
{
	static const char *const preferred[] = { "_text", "_stext" };
	const struct elf_symbol *es = NULL;
	const struct symbol *k = NULL;
	size_t i, n = symtab__count(ks);

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(preferred) / sizeof(preferred[0]) && !es; i++) {
		k = ksyms_find(ks, preferred[i]);
		es = k ? unique_symbol(d, k->name) : NULL;
	}
	for (i = 0; i < n && !es; i++) {
		k = symtab__at(ks, i);
		es = k->module ? NULL : unique_symbol(d, k->name);
	}
	if (!es)
		return -ENOENT;
	out->name = k->name;
	out->bias = k->addr - es->addr;
	/* A file of another build shares names but not the layout. */
	for (i = 0; i < n; i++) {
		const struct symbol *other = symtab__at(ks, i);
		const struct elf_symbol *match = other->module ? NULL :
						 unique_symbol(d, other->name);

		if (!match)
			continue;
		out->checked++;
		if (match->addr + out->bias == other->addr)
			out->agreeing++;
	}
	return 0;
}

int debuginfo__banner(const struct debuginfo *d, char *buf, size_t len)
{
	const struct elf_symbol *es = unique_symbol(d, "linux_banner");
	Dwarf_Addr offset, bias;
	Elf_Scn *scn;
	Elf_Data *sdata;
	size_t n;

	if (!es || len == 0)
		return -ENOENT;
	offset = es->addr;
	scn = dwfl_module_address_section(d->mod, &offset, &bias);
	sdata = scn ? elf_getdata(scn, NULL) : NULL;
	if (!sdata || !sdata->d_buf || offset >= sdata->d_size)
		return -ENOENT; /* .bss-like, or a debug-only file without the data */
	n = strnlen((const char *)sdata->d_buf + offset, sdata->d_size - offset);
	if (n >= len)
		n = len - 1;
	memcpy(buf, (const char *)sdata->d_buf + offset, n);
	buf[n] = '\0';
	/* The banner ends with a newline: one line is what callers print. */
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int debuginfo__line(const struct debuginfo *d, uint64_t addr, const char **file, int *line)
{
	Dwfl_Line *l = dwfl_module_getsrc(d->mod, addr + d->bias);
	Dwarf_Addr at;
	Dwarf_Attribute attr;
	Dwarf_Die *cu;
	const char *name, *dir;
	int lineno = 0;
	size_t dlen;

	if (!l)
		return -ENOENT;
	name = dwfl_lineinfo(l, &at, &lineno, NULL, NULL, NULL);
	if (!name || lineno <= 0)
		return -ENOENT;
	/* "fs/eventfd.c", not "/build/linux-6.18/fs/eventfd.c". */
	cu = dwfl_linecu(l);
	dir = cu ? dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr)) : NULL;
	dlen = dir ? strlen(dir) : 0;
	if (dlen && strncmp(name, dir, dlen) == 0 && name[dlen] == '/')
		name += dlen + 1;
	*file = name;
	*line = lineno;
	return 0;
}

int debuginfo__align(const struct debuginfo *d, const struct symtab *ks,
		     const char *kernel_release, const char *file_name, const char *trace_name,
		     struct debuginfo_lines *out, struct notes *ns)
{
	struct debuginfo_anchor anchor;
	char banner[256], expect[96];

	if (debuginfo__anchor(d, ks, &anchor))
		return -ENOENT;
	*out = (struct debuginfo_lines){ .debuginfo = d, .ksyms = ks, .bias = anchor.bias };
	/* Names that exist in both but sit elsewhere: another build. */
	if (anchor.agreeing * 2 < anchor.checked)
		notes_add(ns, "vmlinux-offset", "%s: only %zu of %zu symbols shared with %s sit at "
			  "the offset of %s: another build of the kernel? lines may be wrong",
			  file_name, anchor.agreeing, anchor.checked, trace_name, anchor.name);
	snprintf(expect, sizeof(expect), "Linux version %s ", kernel_release);
	if (kernel_release[0] && debuginfo__banner(d, banner, sizeof(banner)) == 0 &&
	    strncmp(banner, expect, strlen(expect)))
		notes_add(ns, "vmlinux-release", "%s is \"%.120s\" but %s was recorded on kernel "
			  "%s: lines may be wrong", file_name, banner, trace_name, kernel_release);
	return 0;
}

int debuginfo_lines__source(void *lines, uint64_t ip, const char **file, int *line)
{
	struct debuginfo_lines *dl = lines;
	const struct symbol *sym = symtab__resolve(dl->ksyms, ip);
	uint64_t at = ip;

	if (sym && sym->module)
		return -ENOENT; /* a module's code is not in vmlinux */
	/* Stack entries and call sites are return addresses: the call
	 * instruction (and its line) ends on the byte before. */
	if (sym && ip > sym->addr)
		at = ip - 1;
	dl->lookups++;
	if (debuginfo__line(dl->debuginfo, at - dl->bias, file, line))
		return -ENOENT;
	dl->found++;
	return 0;
}
