#include "analysis/userstacks.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/group.h"
#include "kernel/debuginfo.h"
#include "util/elfsym.h"
#include "util/hashmap.h"
#include "util/symtab.h"

struct joined_stack {
	uint32_t kstack, ustack, tgid;
	uint8_t state; /* enum trace_ustack_state */
	struct user_frame *frames; /* owned, with their strings; NULL until named */
	int nframes;
};

/* One mapped file, opened once: NULL elf when it cannot be read; its DWARF
 * (for file:line) opened the first time a frame of it is named, NULL when
 * it has none. */
struct mapped_file {
	char *path;
	struct elfsym *elf;
	struct debuginfo *dwarf;
	bool dwarf_tried;
};

struct userstacks {
	const struct trace_reader *reader;
	struct u64map *by_key; /* hash of the four fields → index + 1 (probed) */
	struct joined_stack *stacks;
	size_t n, cap;
	struct u64map *files_by_hash; /* hash(path) → index + 1 (probed) */
	struct mapped_file *files;
	size_t nfiles, files_cap;
	const char *debug_dir; /* borrowed; NULL: the system's only */
};

/* Where distributions install separate debug files (Debian's -dbgsym,
 * Fedora's -debuginfo): DIR/.build-id/ab/cdef….debug. */
#define SYSTEM_DEBUG_DIR "/usr/lib/debug"

void userstacks__set_debug_dir(struct userstacks *us, const char *dir)
{
	us->debug_dir = dir;
}

struct userstacks *userstacks__new(const struct trace_reader *r)
{
	struct userstacks *us = calloc(1, sizeof(*us));

	if (!us)
		return NULL;
	us->reader = r;
	us->by_key = u64map_new(256);
	us->files_by_hash = u64map_new(32);
	if (!us->by_key || !us->files_by_hash) {
		userstacks__free(us);
		return NULL;
	}
	return us;
}

void userstacks__free(struct userstacks *us)
{
	if (!us)
		return;
	for (size_t i = 0; i < us->n; i++) {
		for (int f = 0; f < us->stacks[i].nframes; f++) {
			free((char *)us->stacks[i].frames[f].frame);
			free((char *)us->stacks[i].frames[f].function);
		}
		free(us->stacks[i].frames);
	}
	free(us->stacks);
	for (size_t i = 0; i < us->nfiles; i++) {
		free(us->files[i].path);
		elfsym__free(us->files[i].elf);
		debuginfo__free(us->files[i].dwarf);
	}
	free(us->files);
	u64map_free(us->by_key);
	u64map_free(us->files_by_hash);
	free(us);
}

int userstacks__join(struct userstacks *us, const struct trace_alloc *a, uint32_t *joined)
{
	struct joined_stack js = { .kstack = a->stack_id, .state = a->ustack_state };
	uint64_t key, *found;

	/* The process matters only where there are user frames to name. */
	if (js.state == TUS_STACK) {
		js.ustack = a->ustack_id;
		js.tgid = a->tgid;
	}
	if (js.kstack == TRACE_NO_STACK && js.state != TUS_STACK) {
		*joined = TRACE_NO_STACK;
		return 0;
	}
	key = hash_u64((uint64_t)js.kstack << 32 | js.ustack) ^ hash_u64((uint64_t)js.tgid << 8 | js.state);
	while ((found = u64map_find(us->by_key, key))) {
		const struct joined_stack *have = &us->stacks[*found - 1];

		if (have->kstack == js.kstack && have->ustack == js.ustack && have->tgid == js.tgid &&
		    have->state == js.state) {
			*joined = (uint32_t)(*found - 1);
			return 0;
		}
		key++;
	}
	if (us->n == us->cap) {
		size_t cap = us->cap ? us->cap * 2 : 256;
		struct joined_stack *grown = realloc(us->stacks, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		us->stacks = grown;
		us->cap = cap;
	}
	if (us->n >= TRACE_NO_STACK - 1 || u64map_set(us->by_key, key, us->n + 1))
		return -ENOMEM;
	us->stacks[us->n] = js;
	*joined = (uint32_t)us->n++;
	return 0;
}

/* The mapped file at path, opened the first time (NULL: unreadable). */
static struct mapped_file *file_of(struct userstacks *us, const char *path, int *err)
{
	uint64_t key = hash_bytes(path, strlen(path)), *found;
	struct mapped_file *mf;

	while ((found = u64map_find(us->files_by_hash, key))) {
		if (!strcmp(us->files[*found - 1].path, path))
			return &us->files[*found - 1];
		key++;
	}
	if (us->nfiles == us->files_cap) {
		size_t cap = us->files_cap ? us->files_cap * 2 : 16;
		struct mapped_file *grown = realloc(us->files, cap * sizeof(*grown));

		if (!grown)
			goto nomem;
		us->files = grown;
		us->files_cap = cap;
	}
	mf = &us->files[us->nfiles];
	memset(mf, 0, sizeof(*mf));
	mf->path = strdup(path);
	if (!mf->path || u64map_set(us->files_by_hash, key, us->nfiles + 1)) {
		free(mf->path);
		goto nomem;
	}
	us->nfiles++;
	if (path[0] == '/' && elfsym__open(path, &mf->elf) == -ENOMEM)
		goto nomem;
	return mf;
nomem:
	*err = -ENOMEM;
	return NULL;
}

/* The stored mapping of pm that holds ip, or NULL. */
static const struct trace_mapping *mapping_of(const struct trace_process_maps *pm, uint64_t ip)
{
	size_t lo = 0, hi = pm ? pm->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->maps[mid].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || ip >= pm->maps[lo - 1].end)
		return NULL;
	return &pm->maps[lo - 1];
}

/* Is this file the one that was mapped? Only a build-id on both sides can
 * say it is not (a rebuilt binary names wrong functions). */
static bool same_build(const struct elfsym *elf, const struct trace_mapping *m)
{
	size_t len;
	const uint8_t *id = elfsym__build_id(elf, &len);

	if (!id || !m->build_id_len)
		return true;
	return len == m->build_id_len && !memcmp(id, m->build_id, len);
}

/* " (file.c:42)" for a file address of a file with DWARF (built with -g,
 * or its separate debug file), into buf; "" without. 0 or -ENOMEM. */
static int line_of(struct mapped_file *mf, uint64_t addr, char *buf, size_t len)
{
	const char *file;
	char why[512];
	int line;

	buf[0] = '\0';
	if (!mf->dwarf_tried) {
		mf->dwarf_tried = true;
		if (debuginfo__open(mf->path, &mf->dwarf, why, sizeof(why)) == -ENOMEM)
			return -ENOMEM;
	}
	if (mf->dwarf && debuginfo__line(mf->dwarf, addr, &file, &line) == 0)
		snprintf(buf, len, " (%s:%d)", file, line);
	return 0;
}

/* The C library and the loader, by file name: libc.so.6, libpthread.so.0,
 * ld-linux-x86-64.so.2, ld-musl-*.so.1, [vdso]. */
static bool c_runtime_file(const char *base)
{
	static const char *const prefixes[] = { "libc.so", "libc-", "libpthread", "ld-linux",
						"ld64.so", "ld-musl", "[vdso]" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(base, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* The separate debug file of a mapping, by its build-id: in the
 * --debuginfo directory first, then the system's. NULL when there is none
 * (or it cannot be read); *err only for -ENOMEM. */
static struct mapped_file *debug_file_of(struct userstacks *us, const struct trace_mapping *m,
					 int *err)
{
	const char *dirs[2] = { us->debug_dir, SYSTEM_DEBUG_DIR };
	char hex[2 * 64 + 1], path[4096];

	if (!m->build_id || m->build_id_len < 2 || m->build_id_len > 64)
		return NULL;
	for (size_t i = 0; i < m->build_id_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", m->build_id[i]);
	for (size_t d = 0; d < 2; d++) {
		struct mapped_file *mf;

		if (!dirs[d] || (size_t)snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug",
						 dirs[d], hex, hex + 2) >= sizeof(path))
			continue;
		mf = file_of(us, path, err);
		if (*err)
			return NULL;
		if (mf->elf && same_build(mf->elf, m))
			return mf;
	}
	return NULL;
}

static int name_frame(struct userstacks *us, const struct trace_process_maps *pm, uint64_t ip,
		      struct user_frame *f)
{
	const struct trace_mapping *m = mapping_of(pm, ip);
	const struct symbol *sym = NULL;
	struct mapped_file *named_by = NULL, *mf;
	const char *base = "";
	char frame[512], function[512], where[300] = "";
	uint64_t addr = 0;
	int err = 0;

	f->ip = ip;
	f->mapping = m;
	if (m) {
		base = strrchr(m->path, '/') ? strrchr(m->path, '/') + 1 : m->path;
		f->c_runtime = c_runtime_file(base);
		mf = file_of(us, m->path, &err);
		if (err)
			return err;
		/* A return address: the call is the byte before it. */
		if (mf->elf && same_build(mf->elf, m) && ip > m->start &&
		    elfsym__resolve(mf->elf, ip - 1 - m->start + m->offset, &sym, &addr) == 0)
			named_by = mf;
		else
			sym = NULL; /* no segment or symbol there */
		/* A stripped file, or one gone or replaced since: its separate
		 * debug file has the symbols (and the segments' addresses). */
		if (!sym && ip > m->start) {
			mf = debug_file_of(us, m, &err);
			if (err)
				return err;
			/* The trace's mappings are the executable ones. */
			if (mf && elfsym__resolve_exec(mf->elf, ip - 1 - m->start, &sym, &addr) == 0)
				named_by = mf;
			else
				sym = NULL;
		}
	}
	if (named_by) {
		err = line_of(named_by, addr, where, sizeof(where));
		if (err)
			return err;
	}
	if (sym) {
		snprintf(frame, sizeof(frame), "%s+0x%" PRIx64 " [u:%s]%s", sym->name,
			 addr + 1 - sym->addr, base, where);
		snprintf(function, sizeof(function), "%s [u:%s]", sym->name, base);
	} else if (m) {
		snprintf(frame, sizeof(frame), "0x%" PRIx64 " [u:%s]", ip, base);
		snprintf(function, sizeof(function), "%s", frame);
	} else {
		snprintf(frame, sizeof(frame), "0x%" PRIx64 " [u]", ip);
		snprintf(function, sizeof(function), "%s", frame);
	}
	f->frame = strdup(frame);
	f->function = strdup(function);
	return f->frame && f->function ? 0 : -ENOMEM;
}

int userstacks__name(struct userstacks *us)
{
	for (size_t i = 0; i < us->n; i++) {
		struct joined_stack *js = &us->stacks[i];
		const struct trace_process_maps *pm;
		const uint64_t *ips;
		int depth;

		if (js->state != TUS_STACK || js->frames)
			continue;
		depth = trace_reader__ustack(us->reader, js->ustack, &ips, NULL);
		if (depth <= 0)
			continue;
		js->frames = calloc((size_t)depth, sizeof(*js->frames));
		if (!js->frames)
			return -ENOMEM;
		pm = trace_reader__maps(us->reader, js->tgid);
		for (int f = 0; f < depth; f++) {
			int err = name_frame(us, pm, ips[f], &js->frames[f]);

			js->nframes = f + 1; /* freed by userstacks__free, named or not */
			if (err)
				return err;
		}
	}
	return 0;
}

uint32_t userstacks__kernel(const struct userstacks *us, uint32_t joined)
{
	return us && joined < us->n ? us->stacks[joined].kstack : TRACE_NO_STACK;
}

int userstacks__frames(const struct userstacks *us, uint32_t joined,
		       const struct user_frame **frames, const char **what)
{
	const struct joined_stack *js;
	unsigned int flags = 0;
	const uint64_t *ips;

	*frames = NULL;
	*what = "not recorded";
	if (!us || joined >= us->n)
		return 0;
	js = &us->stacks[joined];
	switch (js->state) {
	case TUS_KTHREAD:
		*what = USER_STACK_KERNEL_THREAD;
		return 0;
	case TUS_LOST:
		*what = "not taken (lost)";
		return 0;
	case TUS_STACK:
		trace_reader__ustack(us->reader, js->ustack, &ips, &flags);
		if (flags & TRACE_USTACK_DWARF)
			*what = flags & TRACE_USTACK_TRUNCATED ? "unwound (DWARF), truncated"
							       : "unwound (DWARF)";
		else
			*what = flags & TRACE_USTACK_TRUNCATED ? "frame pointers, truncated"
							       : "frame pointers";
		*frames = js->frames;
		return js->nframes;
	}
	return 0;
}
