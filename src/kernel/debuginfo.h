/* A kernel image with DWARF (`report --vmlinux FILE`): link-time address →
 * source file and line, through elfutils' libdwfl. Also what is needed to
 * line the image up with a trace: its symbol table (for the KASLR offset)
 * and its linux_banner (for "is this the trace's kernel?"). Prints nothing. */
#ifndef POOLSCOPE_KERNEL_DEBUGINFO_H
#define POOLSCOPE_KERNEL_DEBUGINFO_H

#include <stddef.h>
#include <stdint.h>

struct symtab;
struct debuginfo;
struct notes;

/* Open an ELF file and its DWARF. 0, or -errno with a one-line reason in
 * err: -ENOENT/-EACCES (cannot open), -ENOEXEC (not an ELF file),
 * -ENODATA (an ELF without DWARF debug info), -ENOMEM. */
int debuginfo__open(const char *path, struct debuginfo **out, char *err, size_t errlen);
void debuginfo__free(struct debuginfo *d);

/* How the trace's runtime addresses map onto the file's link-time ones:
 * runtime = link + bias (KASLR moves the whole kernel by one offset). */
struct debuginfo_anchor {
	const char *name; /* the symbol the bias comes from (borrowed from ks) */
	uint64_t bias;
	size_t checked;	  /* core-kernel symbols of ks whose name is unique in the file */
	size_t agreeing;  /* of those, how many sit exactly at link + bias */
};

/* Find the bias from a symbol in both the trace's snapshot and the file:
 * _text, else _stext, else the snapshot's first core-kernel symbol whose
 * name is unique in the file. -ENOENT when they share no symbol. */
int debuginfo__anchor(const struct debuginfo *d, const struct symtab *ks,
		      struct debuginfo_anchor *out);

/* The file's linux_banner ("Linux version 6.18.44 ...") into buf, or
 * -ENOENT when it has none (not a kernel, or the symbol's data absent). */
int debuginfo__banner(const struct debuginfo *d, char *buf, size_t len);

/* Source of a link-time address: *file borrowed (valid until
 * debuginfo__free), relative to its compilation directory when it lies
 * below it. 0, or -ENOENT when the line tables do not cover addr. */
int debuginfo__line(const struct debuginfo *d, uint64_t addr, const char **file, int *line);

/* A trace lined up with the file: what a trace's frames need to find their
 * source lines (the `source` callback of struct trace_names). */
struct debuginfo_lines {
	const struct debuginfo *debuginfo; /* borrowed; may serve several traces */
	const struct symtab *ksyms;	   /* borrowed: the trace's symbol snapshot */
	uint64_t bias;			   /* runtime = link-time + bias (KASLR) */
	uint64_t lookups, found;	   /* frames asked for, frames with a line */
};

/* Line the file up with a trace's kernel (KASLR moves it by one offset,
 * found by debuginfo__anchor) and note when it is plainly another kernel:
 * "vmlinux-offset" (most shared symbols sit elsewhere: another build) and
 * "vmlinux-release" (its banner names another release than the trace's
 * kernel_release, which may be ""). file_name and trace_name only word the
 * notes. 0 with *out set, or -ENOENT when file and snapshot share no symbol. */
int debuginfo__align(const struct debuginfo *d, const struct symtab *ks,
		     const char *kernel_release, const char *file_name, const char *trace_name,
		     struct debuginfo_lines *out, struct notes *ns);

/* The source of a runtime frame address (a return address or call site:
 * the line of the byte before it): 0 with *file (borrowed) and *line, or
 * -ENOENT (a module's code, or no line). lines is a struct debuginfo_lines;
 * the signature is trace_names' source callback. Counts lookups/found. */
int debuginfo_lines__source(void *lines, uint64_t ip, const char **file, int *line);

#endif
