#include "util/elfsym.h"

#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/symtab.h"

struct load_seg {
	uint64_t offset, filesz, vaddr, memsz;
	uint32_t flags;
};

struct elfsym {
	struct symtab *syms;
	struct load_seg *segs;
	size_t nsegs;
	uint8_t *build_id;
	size_t build_id_len;
};

static int open_elf(const char *path, int *fd, Elf **elf)
{
	elf_version(EV_CURRENT);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
		elf_end(*elf);
		close(*fd);
		return -ENOEXEC;
	}
	return 0;
}

static int read_segments(Elf *elf, struct elfsym *e)
{
	size_t n = 0;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	e->segs = calloc(n ? n : 1, sizeof(*e->segs));
	if (!e->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			e->segs[e->nsegs++] = (struct load_seg){ ph.p_offset, ph.p_filesz, ph.p_vaddr,
								 ph.p_memsz, ph.p_flags };
	}
	return 0;
}

/* Function symbols of one symbol table section into e->syms. */
static int read_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct elfsym *e)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; data && i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int type;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (name && *name && symtab__add(e->syms, sym.st_value, name, NULL))
			return -ENOMEM;
	}
	return 0;
}

static int copy_build_id(Elf *elf, uint8_t **out, size_t *len)
{
	const void *bid = NULL;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &bid);

	*len = 0;
	if (n <= 0 || !bid)
		return 0;
	*out = malloc((size_t)n);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, bid, (size_t)n);
	*len = (size_t)n;
	return 0;
}

int elfsym__open(const char *path, struct elfsym **out)
{
	struct elfsym *e = calloc(1, sizeof(*e));
	Elf_Scn *scn = NULL;
	Elf *elf = NULL;
	int fd = -1, err;

	*out = NULL;
	if (!e)
		return -ENOMEM;
	err = open_elf(path, &fd, &elf);
	if (err) {
		free(e);
		return err;
	}
	e->syms = symtab__new();
	err = e->syms ? read_segments(elf, e) : -ENOMEM;
	/* .symtab and .dynsym both: a duplicate address resolves to either name. */
	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
			err = read_symbols(elf, scn, &sh, e);
	}
	if (!err)
		err = copy_build_id(elf, &e->build_id, &e->build_id_len);
	elf_end(elf);
	close(fd);
	if (err) {
		elfsym__free(e);
		return err;
	}
	symtab__finish(e->syms);
	*out = e;
	return 0;
}

void elfsym__free(struct elfsym *e)
{
	if (!e)
		return;
	symtab__free(e->syms);
	free(e->segs);
	free(e->build_id);
	free(e);
}

int elfsym__resolve(const struct elfsym *e, uint64_t off, const struct symbol **sym,
		    uint64_t *addr)
{
	for (size_t i = 0; e && i < e->nsegs; i++) {
		const struct load_seg *s = &e->segs[i];

		if (off < s->offset || off - s->offset >= s->filesz)
			continue;
		*addr = off - s->offset + s->vaddr;
		*sym = symtab__resolve(e->syms, *addr);
		return *sym ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/* The page a segment is mapped from starts at its address rounded down
 * (4 KiB pages: x86_64's). */
#define SEG_PAGE 4096ull

int elfsym__resolve_exec(const struct elfsym *e, uint64_t delta, const struct symbol **sym,
			 uint64_t *addr)
{
	const struct load_seg *x = NULL;

	for (size_t i = 0; e && i < e->nsegs; i++) {
		if (!(e->segs[i].flags & PF_X))
			continue;
		if (x)
			return -ENOENT; /* two: which one the mapping is of is unknown */
		x = &e->segs[i];
	}
	if (!x || delta >= (x->vaddr & (SEG_PAGE - 1)) + x->memsz)
		return -ENOENT;
	*addr = (x->vaddr & ~(SEG_PAGE - 1)) + delta;
	*sym = symtab__resolve(e->syms, *addr);
	return *sym ? 0 : -ENOENT;
}

const uint8_t *elfsym__build_id(const struct elfsym *e, size_t *len)
{
	*len = e ? e->build_id_len : 0;
	return e && e->build_id_len ? e->build_id : NULL;
}

int elfsym_read_build_id(const char *path, uint8_t *buf, size_t max)
{
	const void *bid = NULL;
	Elf *elf = NULL;
	ssize_t n;
	int fd, err = open_elf(path, &fd, &elf);

	if (err)
		return err;
	n = dwelf_elf_gnu_build_id(elf, &bid);
	if (n > 0 && bid) {
		if ((size_t)n > max)
			n = (ssize_t)max;
		memcpy(buf, bid, (size_t)n);
	} else {
		n = 0;
	}
	elf_end(elf);
	close(fd);
	return (int)n;
}
