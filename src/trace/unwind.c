#include "trace/unwind.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/hashmap.h"

/* One process's modules, reported once from /proc/PID/maps. */
struct unwind_proc {
	uint32_t tgid;
	Dwfl *dwfl; /* NULL: could not be reported (gone) */
};

/* The stack being unwound: what the thread callbacks read. */
struct unwind_now {
	uint32_t tid;
	const uint64_t *regs;
	const uint8_t *stack;
	size_t len;
	uint64_t *ips;
	int max, n;
};

struct unwinder {
	struct u64map *by_tgid; /* tgid → index + 1 */
	struct unwind_proc *procs;
	size_t n, cap;
	struct unwind_now now;
};

static char *debuginfo_path;

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* One thread: the one whose stack was copied. */
static pid_t next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
	struct unwinder *u = dwfl_arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = u;
	return (pid_t)u->now.tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **thread_argp)
{
	struct unwinder *u = dwfl_arg;

	(void)dwfl;
	if ((uint32_t)tid != u->now.tid)
		return false;
	*thread_argp = u;
	return true;
}

/* Only the copied stack can be read: what lies beyond it ends the walk
 * (the code and its unwind tables come from the files, not from here). */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *dwfl_arg)
{
	struct unwinder *u = dwfl_arg;
	uint64_t sp = u->now.regs[7];

	(void)dwfl;
	if (addr < sp || addr - sp + sizeof(*result) > u->now.len)
		return false;
	memcpy(result, u->now.stack + (addr - sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct unwinder *u = thread_arg;
	Dwarf_Word r[17];

	for (int i = 0; i < 17; i++)
		r[i] = u->now.regs[i];
	return dwfl_thread_state_registers(thread, 0, 17, r) &&
	       (dwfl_thread_state_register_pc(thread, r[16]), true);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct unwinder *u = arg;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(state, &pc, NULL) || !pc)
		return DWARF_CB_ABORT;
	u->now.ips[u->now.n++] = pc;
	return u->now.n < u->now.max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* Processes kept reported at once: each holds its mapped files open, and a
 * fork-heavy machine meets thousands while recording. Past it, all are
 * dropped and reported again as they come (a pid reused meanwhile is then
 * read afresh too). */
#define UNWIND_MAX_PROCS 128

static void forget_all(struct unwinder *u)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->procs[i].dwfl)
			dwfl_end(u->procs[i].dwfl);
	u->n = 0;
}

struct unwinder *unwinder_new(void)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u || !(u->by_tgid = u64map_new(64))) {
		free(u);
		return NULL;
	}
	return u;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	forget_all(u);
	free(u->procs);
	u64map_free(u->by_tgid);
	free(u);
}

/* tgid's modules, reported and attached the first time; NULL (with *err 0)
 * when the process cannot be read. */
static Dwfl *proc_of(struct unwinder *u, uint32_t tgid, int *err)
{
	uint64_t *i = u64map_find(u->by_tgid, tgid);
	struct unwind_proc *p;

	*err = 0;
	if (i)
		return u->procs[*i - 1].dwfl;
	if (u->n == UNWIND_MAX_PROCS) {
		struct u64map *fresh = u64map_new(64);

		if (!fresh) {
			*err = -ENOMEM;
			return NULL;
		}
		forget_all(u);
		u64map_free(u->by_tgid);
		u->by_tgid = fresh;
	}
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct unwind_proc *grown = realloc(u->procs, cap * sizeof(*grown));

		if (!grown) {
			*err = -ENOMEM;
			return NULL;
		}
		u->procs = grown;
		u->cap = cap;
	}
	if (u64map_set(u->by_tgid, tgid, u->n + 1)) {
		*err = -ENOMEM;
		return NULL;
	}
	p = &u->procs[u->n++];
	p->tgid = tgid;
	p->dwfl = dwfl_begin(&proc_callbacks);
	if (!p->dwfl) {
		*err = -ENOMEM;
		return NULL;
	}
	dwfl_report_begin(p->dwfl);
	if (dwfl_linux_proc_report(p->dwfl, (pid_t)tgid) || dwfl_report_end(p->dwfl, NULL, NULL) ||
	    !dwfl_attach_state(p->dwfl, NULL, (pid_t)tgid, &thread_callbacks, u)) {
		dwfl_end(p->dwfl);
		p->dwfl = NULL;
	}
	return p->dwfl;
}

int unwinder_unwind(struct unwinder *u, uint32_t tgid, uint32_t tid, const uint64_t regs[17],
		    const uint8_t *stack, size_t len, uint64_t *ips, int max)
{
	int err;
	Dwfl *dwfl = proc_of(u, tgid, &err);

	if (err)
		return err;
	if (!dwfl)
		return -ESRCH;
	u->now = (struct unwind_now){ .tid = tid, .regs = regs, .stack = stack, .len = len,
				      .ips = ips, .max = max };
	/* The walk ends where the copy or the unwind tables end: what it
	 * found by then is the stack, an error or not. */
	dwfl_getthread_frames(dwfl, (pid_t)tid, frame_cb, u);
	return u->now.n ? u->now.n : -ENOENT;
}
