/* The function symbols and GNU build-id of an ELF file (an executable or
 * shared library), through elfutils' libelf: what naming a user-space frame
 * needs. File offsets (what /proc/PID/maps gives) are turned into the
 * file's own addresses through its PT_LOAD segments. Prints nothing. */
#ifndef POOLSCOPE_UTIL_ELFSYM_H
#define POOLSCOPE_UTIL_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

struct elfsym;
struct symbol;

/* Open path and read its symbols (.symtab, and .dynsym for what .symtab
 * lacks, e.g. a stripped library). 0, or -errno: -ENOENT/-EACCES (cannot
 * open), -ENOEXEC (not an ELF file), -ENOMEM. */
int elfsym__open(const char *path, struct elfsym **out);
void elfsym__free(struct elfsym *e);
/* The function containing file offset off: *sym (borrowed) and *addr the
 * file address of off; -ENOENT when no segment or symbol covers it. */
int elfsym__resolve(const struct elfsym *e, uint64_t off, const struct symbol **sym,
		    uint64_t *addr);
/* The same for a separate debug file (objcopy --only-keep-debug), which
 * keeps its segments' addresses but not their file offsets: delta is how
 * far into the mapping of the program's one executable segment the address
 * is (the mapping starts at that segment's first page). -ENOENT also when
 * the file has no or several executable segments. */
int elfsym__resolve_exec(const struct elfsym *e, uint64_t delta, const struct symbol **sym,
			 uint64_t *addr);
/* The GNU build-id (borrowed, *len bytes), or NULL when the file has none. */
const uint8_t *elfsym__build_id(const struct elfsym *e, size_t *len);
/* Only the build-id of path, without reading symbols: up to max bytes into
 * buf; returns the length, 0 when none, or -errno. */
int elfsym_read_build_id(const char *path, uint8_t *buf, size_t max);

#endif
