/* The rules of diagnosis.h, applied: every series judged once by the shared
 * growth verdict, then process findings (exact holders), then what grows on
 * its own (slab caches, keys, SysV queues), then near-limit values. */
#include "analysis/diagnosis.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/growth.h"
#include "model/series.h"
#include "model/series_name.h"

/* What a series of each kind must gain over the window before growth is
 * news: a process opening a handful of fds, or a slab cache moving by a
 * slab or two, is the machine's ordinary life. The relative floor keeps a
 * large value that creeps by a few (a busy cache, a big fd table) quiet. */
struct floor {
	double min_gain, min_rel_gain;
};

static const struct floor proc_floor = {20, 0.05};
static const struct floor slab_floor = {256, 0.05};
static const struct floor keys_floor = {10, 0.05};
static const struct floor sysv_floor = {10, 0.05};
static const struct floor sys_floor = {10, 0.05};

/* A leak must be a good straight line, and present for nearly the whole
 * window (a process born or dead halfway is judged on too little). */
#define LEAK_MIN_R2 0.9
#define MIN_COVERAGE 0.75
#define NEAR_LIMIT 0.8

struct judged {
	const struct series *s;
	struct series_name_parts name;
	struct growth_fit fit;
	bool parsed, growing;
	bool explained; /* evidence of another finding: no finding of its own */
};

struct ctx {
	const struct diagnosis_inputs *in;
	struct diagnosis *out;
	struct judged *j;
	size_t n;
	double loss_ratio;
};

/* ---- lookups ---- */

static const struct diag_process *find_proc(const struct diagnosis_inputs *in, int pid,
					    uint64_t start)
{
	size_t i;

	for (i = 0; i < in->nprocs; i++)
		if (in->procs[i].pid == pid && (!start || in->procs[i].start == start))
			return &in->procs[i];
	return NULL;
}

static const struct diag_cache *find_cache(const struct diagnosis_inputs *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->ncaches; i++)
		if (strcmp(in->caches[i].name, name) == 0)
			return &in->caches[i];
	return NULL;
}

/* A cache by its name or by one of the names merged into it (the kernel
 * merges caches of one size and flags: inotify_inode_mark may be counted
 * under another name). NULL when unknown. */
static const struct diag_cache *find_cache_alias(const struct diagnosis_inputs *in,
						 const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < in->ncaches; i++) {
		const char *p = in->caches[i].names;

		if (strcmp(in->caches[i].name, name) == 0)
			return &in->caches[i];
		while ((p = strstr(p, name))) {
			bool starts = p == in->caches[i].names || p[-1] == ',';

			if (starts && (p[n] == ',' || p[n] == '\0'))
				return &in->caches[i];
			p += n;
		}
	}
	return NULL;
}

/* The name the series and the recording know a cache by. */
static const char *cache_name(const struct diagnosis_inputs *in, const char *name)
{
	const struct diag_cache *c = find_cache_alias(in, name);

	return c ? c->name : name;
}

static const struct diag_sysv_queue *find_queue(const struct diagnosis_inputs *in, int msqid)
{
	size_t i;

	for (i = 0; i < in->nqueues; i++)
		if (in->queues[i].msqid == msqid)
			return &in->queues[i];
	return NULL;
}

static struct judged *find_judged(struct ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->j[i].s->name, name) == 0)
			return &c->j[i];
	return NULL;
}

/* The slab cache whose objects a process series counts. */
static const char *object_cache(const char *what)
{
	if (strncmp(what, "fds", 3) == 0)
		return "filp";
	if (strcmp(what, "threads") == 0)
		return "task_struct";
	if (strcmp(what, "maps") == 0)
		return "vm_area_struct";
	if (strcmp(what, "inotify") == 0)
		return "inotify_inode_mark";
	if (strcmp(what, "keys") == 0)
		return "key_jar";
	return NULL;
}

/* ---- judging one series ---- */

static const struct floor *floor_of(const struct series_name_parts *p)
{
	switch (p->subject) {
	case SERIES_PROC: return &proc_floor;
	case SERIES_SLAB: return &slab_floor;
	case SERIES_KEYS: return &keys_floor;
	case SERIES_SYSV_MSG: return &sysv_floor;
	case SERIES_SYSV_SENDER: return &sysv_floor;
	case SERIES_SYS: return &sys_floor;
	default: return NULL;
	}
}

/* Only what the verdict is asked about: object counts of caches (bytes
 * follow them), a process's per-kind fds (its total follows them), threads,
 * mappings and watches; keys and queue sizes. */
static bool judged_for_growth(const struct series_name_parts *p)
{
	switch (p->subject) {
	case SERIES_SLAB: return strcmp(p->what, "objs") == 0;
	case SERIES_PROC:
		return strncmp(p->what, "fds/", 4) == 0 || strcmp(p->what, "threads") == 0 ||
		       strcmp(p->what, "maps") == 0 || strcmp(p->what, "inotify") == 0;
	case SERIES_KEYS: return strcmp(p->what, "keys") == 0;
	case SERIES_SYSV_MSG: return strcmp(p->what, "bytes") == 0;
	case SERIES_SYSV_SENDER: return strcmp(p->what, "bytes") == 0;
	case SERIES_SYS: return true;
	default: return false;
	}
}

static int judge(struct ctx *c, struct judged *j)
{
	const struct floor *fl;
	struct growth_params gp;
	double span;
	int err;

	j->parsed = series_name_parse(j->s->name, &j->name) == 0;
	if (!j->parsed || !judged_for_growth(&j->name))
		return 0;
	fl = floor_of(&j->name);
	growth_params_init(&gp);
	gp.min_gain = fl->min_gain;
	gp.min_rel_gain = fl->min_rel_gain;
	gp.min_r2 = LEAK_MIN_R2;
	err = growth_assess(j->s->t, j->s->v, j->s->n, &gp, &j->fit);
	if (err)
		return err;
	span = j->s->n > 1 ? j->s->t[j->s->n - 1] - j->s->t[0] : 0;
	j->growing = j->fit.verdict == GROWTH_STEADY &&
		     span >= MIN_COVERAGE * c->in->duration_s;
	c->out->checked.series++;
	c->out->checked.growing += j->growing;
	return 0;
}

/* ---- building findings ---- */

static double confidence(const struct ctx *c, const struct judged *j, bool corroborated,
			 bool exact_holder)
{
	double conf = 0.55;

	if (j->fit.r2 >= 0.98)
		conf += 0.15;
	else if (j->fit.r2 >= 0.95)
		conf += 0.1;
	if (corroborated)
		conf += 0.15;
	if (exact_holder)
		conf += 0.1;
	/* Lost events make the stack phase's counts a lower bound. */
	if (c->loss_ratio > 0.01)
		conf -= 0.2;
	else if (c->loss_ratio > 0)
		conf -= 0.05;
	return conf < 0.05 ? 0.05 : conf > 0.99 ? 0.99 : conf;
}

static void set_limit(struct finding *f, const struct series *s, const struct growth_fit *fit,
		      double used)
{
	f->used = used;
	if (s->limit < 0)
		return;
	f->limit = s->limit;
	f->exhaustion_s = growth_seconds_to_limit(used, s->limit, fit->slope_per_s);
	if (isinf(f->exhaustion_s))
		f->exhaustion_s = -1;
}

static void growth_evidence(struct finding *f, const char *source, const struct judged *j,
			    double span)
{
	finding_evidence(f, "%s: %.0f -> %.0f in %.0f s (%s, r2 %.2f, %+.1f/s)", source,
			 j->fit.first, j->fit.last, span, growth_verdict_name(j->fit.verdict),
			 j->fit.r2, j->fit.slope_per_s);
}

static double span_of(const struct series *s)
{
	return s->n > 1 ? s->t[s->n - 1] - s->t[0] : 0;
}

static bool is_allocator_frame(const char *f)
{
	static const char *const prefixes[] = {
	    "kmem_cache_alloc", "__kmem_cache_alloc", "kmalloc", "__kmalloc", "krealloc",
	    "kzalloc", "__kzalloc", "kvmalloc", "__kvmalloc", "slab_alloc", "__slab_alloc",
	    "___slab_alloc", "alloc_pages", "__alloc_pages", "kmalloc_trace", "kmem_cache_zalloc",
	    "alloc_empty_file", "alloc_file", "__alloc_file", "init_file", "alloc_file_pseudo",
	    "anon_inode_", "__anon_inode_", "bpf_", "trace_",
	    "perf_", "0x",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(f, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* The module ("[name]" on a frame) or else the first function past the
 * allocator's own frames: where the path belongs. */
static void subsystem_of(const struct diag_stack *st, char *out, size_t len)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < st->nframes; i++) {
		const char *open = strchr(st->frames[i], '[');
		const char *close = open ? strchr(open, ']') : NULL;

		if (open && close && close > open + 1) {
			snprintf(out, len, "module %.*s", (int)(close - open - 1), open + 1);
			return;
		}
	}
	for (i = 0; i < st->nframes; i++) {
		if (!is_allocator_frame(st->frames[i])) {
			size_t n = strcspn(st->frames[i], "+ ");

			snprintf(out, len, "kernel: %.*s", (int)n, st->frames[i]);
			return;
		}
	}
}

/* The recorded path for objects of tag allocated by pid (any pid if 0). */
/* The slab caches of the objects a finding counts (a name, or a prefix
 * ending in '*': "msg_msg*" for the msg_msg-N caches) that grow too: their
 * growth is this finding's evidence, not a finding of its own. */
static bool explain_caches(struct ctx *c, struct finding *f, const char *pattern)
{
	size_t i, n = strlen(pattern);
	bool prefix = n && pattern[n - 1] == '*', any = false;

	for (i = 0; i < c->n; i++) {
		struct judged *j = &c->j[i];

		if (j->name.subject != SERIES_SLAB || !j->growing)
			continue;
		if (prefix ? strncmp(j->name.id, pattern, n - 1) != 0
			   : strcmp(j->name.id, cache_name(c->in, pattern)) != 0)
			continue;
		j->explained = true;
		any = true;
		growth_evidence(f, "/proc/slabinfo objects", j, span_of(j->s));
		finding_series(f, j->s->name);
	}
	return any;
}

static const struct diag_stack *best_stack(const struct diagnosis_inputs *in, const char *tag,
					   int pid)
{
	const struct diag_stack *any = NULL;
	size_t i;

	for (i = 0; i < in->nstacks; i++) {
		const struct diag_stack *st = &in->stacks[i];

		if (strcmp(st->tag, tag) != 0 || !st->aifo)
			continue;
		if (!pid || st->alloc_pid == pid)
			return st;
		if (!any)
			any = st;
	}
	return pid ? NULL : any;
}

static void attach_stack(struct finding *f, const struct diag_stack *st)
{
	size_t i;

	for (i = 0; i < st->nframes && i < FINDING_FRAMES; i++)
		snprintf(f->stack[i], sizeof(f->stack[i]), "%s", st->frames[i]);
	f->nstack = i;
	for (i = 0; i < st->nuframes && i < FINDING_UFRAMES; i++)
		snprintf(f->ustack[i], sizeof(f->ustack[i]), "%s", st->uframes[i]);
	f->nustack = i;
	snprintf(f->ustack_kind, sizeof(f->ustack_kind), "%s", st->ustack_kind);
	subsystem_of(st, f->subsystem, sizeof(f->subsystem));
	finding_evidence(f, "recorded: %llu %s objects allocated on this path by pid %d (%s) during "
			    "the recording and still outstanding at its end",
			 (unsigned long long)st->aifo, st->tag, st->alloc_pid, st->alloc_comm);
}

static void fill_process(struct finding_process *fp, const struct diag_process *p)
{
	fp->known = true;
	fp->pid = p->pid;
	snprintf(fp->comm, sizeof(fp->comm), "%s", p->comm);
	snprintf(fp->unit, sizeof(fp->unit), "%s", p->unit);
}

static const char *fd_object(const char *kind)
{
	return strcmp(kind, "file") == 0 ? "struct file (regular file)" : NULL;
}

/* Who allocated the recorded files the holder holds now: exact, from the
 * fd tables at the end of the recording. Returns the files held. */
static uint64_t owners_of(const struct diagnosis_inputs *in, int holder, int *alloc_pid,
			  const char **alloc_comm, uint64_t *by_alloc)
{
	uint64_t held = 0, best = 0;
	size_t i;

	*alloc_pid = 0;
	*alloc_comm = "";
	for (i = 0; i < in->nowners; i++) {
		const struct diag_owner *o = &in->owners[i];

		if (o->holder_pid != holder)
			continue;
		held += o->files;
		if (o->files > best) {
			best = o->files;
			*alloc_pid = o->alloc_pid;
			*alloc_comm = o->alloc_comm;
		}
	}
	*by_alloc = best;
	return held;
}

static int process_finding(struct ctx *c, struct judged *j)
{
	const struct diagnosis_inputs *in = c->in;
	const struct diag_process *p = find_proc(in, j->name.pid, j->name.start);
	const char *what = j->name.what, *cache = object_cache(what);
	const struct diag_stack *st = NULL;
	struct finding *f;
	char src[128], name[256];
	bool corroborated = false, exact = false;
	uint64_t held = 0, by_alloc = 0;
	const char *alloc_comm = "";
	int alloc_pid = 0;
	double used = j->fit.last;

	if (!p || p->pid == in->self_pid)
		return 0;
	f = diagnosis_add(c->out, FINDING_LEAK);
	if (!f)
		return -ENOMEM;
	fill_process(&f->holder, p);
	finding_series(f, j->s->name);
	if (strncmp(what, "fds/", 4) == 0) {
		const char *kind = what + 4;
		const struct series *total;

		snprintf(f->resource, sizeof(f->resource), "fds of %s (pid %d)", p->comm, p->pid);
		snprintf(f->tag, sizeof(f->tag), "%s", kind);
		if (fd_object(kind))
			snprintf(f->object_type, sizeof(f->object_type), "%s", fd_object(kind));
		else
			snprintf(f->object_type, sizeof(f->object_type), "struct file (%s)", kind);
		snprintf(f->unit, sizeof(f->unit), "fds");
		snprintf(f->limit_name, sizeof(f->limit_name), "RLIMIT_NOFILE soft");
		/* The limit counts every fd of the process, not one kind. */
		total = series_set_find(in->series,
					series_name_proc(name, sizeof(name), p->pid, j->name.start, "fds"));
		if (total)
			used = series_last(total);
		set_limit(f, total ? total : j->s, &j->fit, used);
		snprintf(src, sizeof(src), "/proc/%d/fd %s", p->pid, kind);
	} else if (strcmp(what, "threads") == 0) {
		snprintf(f->resource, sizeof(f->resource), "threads of %s (pid %d)", p->comm, p->pid);
		snprintf(f->object_type, sizeof(f->object_type), "thread (task_struct, kernel stack)");
		snprintf(f->unit, sizeof(f->unit), "threads");
		snprintf(f->limit_name, sizeof(f->limit_name), "kernel.threads-max");
		set_limit(f, j->s, &j->fit, used);
		snprintf(src, sizeof(src), "/proc/%d/status Threads", p->pid);
	} else if (strcmp(what, "maps") == 0) {
		snprintf(f->resource, sizeof(f->resource), "mappings of %s (pid %d)", p->comm, p->pid);
		snprintf(f->object_type, sizeof(f->object_type), "memory mapping (vm_area_struct)");
		snprintf(f->unit, sizeof(f->unit), "mappings");
		snprintf(f->limit_name, sizeof(f->limit_name), "vm.max_map_count");
		set_limit(f, j->s, &j->fit, used);
		snprintf(src, sizeof(src), "/proc/%d/maps", p->pid);
	} else {
		snprintf(f->resource, sizeof(f->resource), "inotify watches of %s (pid %d)", p->comm,
			 p->pid);
		snprintf(f->object_type, sizeof(f->object_type), "inotify watch (inotify_inode_mark)");
		snprintf(f->unit, sizeof(f->unit), "watches");
		snprintf(f->limit_name, sizeof(f->limit_name), "fs.inotify.max_user_watches");
		set_limit(f, j->s, &j->fit, used);
		snprintf(src, sizeof(src), "/proc/%d/fdinfo inotify wd", p->pid);
	}
	f->rate_per_s = j->fit.slope_per_s;
	growth_evidence(f, src, j, span_of(j->s));
	/* The cache of the objects, when it grows too, is evidence. */
	if (cache) {
		corroborated = explain_caches(c, f, cache);
		cache = cache_name(in, cache);
	}
	if (cache && strcmp(cache, cache_name(in, "filp")) == 0) {
		held = owners_of(in, p->pid, &alloc_pid, &alloc_comm, &by_alloc);
		if (held) {
			exact = true;
			finding_evidence(f, "fd tables at the end: %llu recorded struct files still "
					    "outstanding are held by pid %d (BPF task_file)",
					 (unsigned long long)held, p->pid);
			if (alloc_pid && alloc_pid != p->pid) {
				const struct diag_process *a = find_proc(in, alloc_pid, 0);

				f->allocator.known = true;
				f->allocator.pid = alloc_pid;
				snprintf(f->allocator.comm, sizeof(f->allocator.comm), "%s",
					 a ? a->comm : alloc_comm);
				finding_evidence(f, "%llu of them were allocated by pid %d (%s), "
						    "not by the holder: passed over a socket or inherited",
						 (unsigned long long)by_alloc, alloc_pid,
						 f->allocator.comm);
			}
		}
	}
	if (cache) {
		st = best_stack(in, cache, f->allocator.known ? f->allocator.pid : p->pid);
		if (st) {
			attach_stack(f, st);
			corroborated = true;
		}
	}
	f->confidence = confidence(c, j, corroborated, exact);
	return 0;
}

static int slab_finding(struct ctx *c, struct judged *j)
{
	const struct diagnosis_inputs *in = c->in;
	const struct diag_cache *cache = find_cache(in, j->name.id);
	const struct diag_stack *st;
	struct judged *bytes;
	struct finding *f;
	char name[256];

	f = diagnosis_add(c->out, cache && cache->reclaimable ? FINDING_CACHE : FINDING_LEAK);
	if (!f)
		return -ENOMEM;
	snprintf(f->tag, sizeof(f->tag), "%.63s", j->name.id);
	snprintf(f->resource, sizeof(f->resource), "%s memory: slab cache %.63s",
		 f->kind == FINDING_CACHE ? "reclaimable" : "unreclaimable kernel", j->name.id);
	if (cache && cache->names[0])
		snprintf(f->object_type, sizeof(f->object_type), "slab objects of %u bytes (%.120s)",
			 cache->objsize, cache->names);
	else
		snprintf(f->object_type, sizeof(f->object_type), "slab objects of %u bytes",
			 cache ? cache->objsize : 0);
	snprintf(f->unit, sizeof(f->unit), "objects");
	f->rate_per_s = j->fit.slope_per_s;
	f->used = j->fit.last;
	finding_series(f, j->s->name);
	growth_evidence(f, "/proc/slabinfo objects", j, span_of(j->s));
	bytes = find_judged(c, series_name_slab(name, sizeof(name), j->name.id, "bytes"));
	if (bytes)
		finding_evidence(f, "/proc/slabinfo bytes: %.0f -> %.0f", bytes->s->v[0],
				 series_last(bytes->s));
	if (f->kind == FINDING_CACHE) {
		finding_evidence(f, "reclaimable (SLAB_RECLAIM_ACCOUNT): the kernel frees it under "
				    "memory pressure; not a leak");
		f->confidence = 0.9;
		return 0;
	}
	if (cache && !cache->frees_exact)
		finding_evidence(f, "frees of this cache are partly untraced: growth taken from "
				    "object counts, not from allocs - frees");
	st = best_stack(in, j->name.id, 0);
	if (st) {
		attach_stack(f, st);
		if (st->alloc_pid) {
			f->allocator.known = true;
			f->allocator.pid = st->alloc_pid;
			snprintf(f->allocator.comm, sizeof(f->allocator.comm), "%s", st->alloc_comm);
		}
	}
	f->confidence = confidence(c, j, st != NULL, false) - 0.1;
	return 0;
}

static int keys_finding(struct ctx *c, struct judged *j)
{
	const struct diag_stack *st;
	struct finding *f = diagnosis_add(c->out, FINDING_LEAK);

	if (!f)
		return -ENOMEM;
	snprintf(f->resource, sizeof(f->resource), "keys of uid %u", j->name.uid);
	snprintf(f->tag, sizeof(f->tag), "key_jar");
	snprintf(f->object_type, sizeof(f->object_type), "key (struct key)");
	snprintf(f->unit, sizeof(f->unit), "keys");
	snprintf(f->limit_name, sizeof(f->limit_name), "kernel.keys.%smaxkeys",
		 j->name.uid == 0 ? "root_" : "");
	f->rate_per_s = j->fit.slope_per_s;
	set_limit(f, j->s, &j->fit, j->fit.last);
	finding_series(f, j->s->name);
	growth_evidence(f, "/proc/key-users", j, span_of(j->s));
	finding_evidence(f, "keys belong to a user, not to a process: no process holds them");
	explain_caches(c, f, "key_jar");
	st = best_stack(c->in, cache_name(c->in, "key_jar"), 0);
	if (st) {
		attach_stack(f, st);
		if (st->alloc_pid) {
			f->allocator.known = true;
			f->allocator.pid = st->alloc_pid;
			snprintf(f->allocator.comm, sizeof(f->allocator.comm), "%s", st->alloc_comm);
		}
	}
	f->confidence = confidence(c, j, st != NULL, false);
	return 0;
}

static void pid_comm(const struct diagnosis_inputs *in, int pid, char *buf, size_t len)
{
	const struct diag_process *p = pid ? find_proc(in, pid, 0) : NULL;

	if (!pid)
		snprintf(buf, len, "none");
	else if (p)
		snprintf(buf, len, "%d (%s)", pid, p->comm);
	else
		snprintf(buf, len, "%d (exited)", pid);
}

/* Unread SysV messages by their last sender: no process holds them, and
 * the sender is who leaves them behind. Its queues' own series are this
 * finding's evidence. */
static int sender_finding(struct ctx *c, struct judged *j)
{
	const struct diag_process *p = find_proc(c->in, j->name.pid, 0);
	struct finding *f = diagnosis_add(c->out, FINDING_LEAK);
	char name[128];
	size_t i, shown = 0;

	if (!f)
		return -ENOMEM;
	snprintf(f->resource, sizeof(f->resource), "SysV messages left by %.63s (pid %d)",
		 p ? p->comm : "(exited)", j->name.pid);
	snprintf(f->object_type, sizeof(f->object_type), "SysV messages (msg_msg), never received");
	snprintf(f->unit, sizeof(f->unit), "bytes");
	f->rate_per_s = j->fit.slope_per_s;
	f->used = j->fit.last;
	f->allocator.known = true;
	f->allocator.pid = j->name.pid;
	snprintf(f->allocator.comm, sizeof(f->allocator.comm), "%s", p ? p->comm : "(exited)");
	finding_series(f, j->s->name);
	growth_evidence(f, "/proc/sysvipc/msg bytes whose last sender is this pid", j,
			span_of(j->s));
	for (i = 0; i < c->in->nqueues; i++) {
		const struct diag_sysv_queue *q = &c->in->queues[i];
		struct judged *qj;

		if (q->lspid != j->name.pid)
			continue;
		qj = find_judged(c, series_name_sysv_msg(name, sizeof(name), q->msqid, "bytes"));
		if (qj)
			qj->explained = true;
		if (shown++ < 4)
			finding_evidence(f, "queue %d: %llu messages, %llu bytes, owner uid %u",
					 q->msqid, (unsigned long long)q->messages,
					 (unsigned long long)q->bytes, q->uid);
	}
	finding_evidence(f, "SysV queues belong to no process: they stay until received or "
			    "removed (ipcrm -q ID)");
	explain_caches(c, f, "msg_msg*");
	f->confidence = confidence(c, j, shown > 0, false);
	return 0;
}

static int sysv_finding(struct ctx *c, struct judged *j)
{
	const struct diag_sysv_queue *q = find_queue(c->in, j->name.msqid);
	struct finding *f = diagnosis_add(c->out, FINDING_LEAK);
	char cp[96], sp[96], rp[96];

	if (!f)
		return -ENOMEM;
	snprintf(f->resource, sizeof(f->resource), "SysV message queue %d", j->name.msqid);
	snprintf(f->object_type, sizeof(f->object_type), "SysV messages (msg_msg), never received");
	snprintf(f->unit, sizeof(f->unit), "bytes");
	snprintf(f->limit_name, sizeof(f->limit_name), "queue size (msg_qbytes)");
	f->rate_per_s = j->fit.slope_per_s;
	set_limit(f, j->s, &j->fit, j->fit.last);
	finding_series(f, j->s->name);
	growth_evidence(f, "/proc/sysvipc/msg bytes", j, span_of(j->s));
	explain_caches(c, f, "msg_msg*");
	finding_evidence(f, "SysV queues belong to no process: they outlive their creator "
			    "until removed (ipcrm -q %d)",
			 j->name.msqid);
	if (q) {
		pid_comm(c->in, q->cpid, cp, sizeof(cp));
		pid_comm(c->in, q->lspid, sp, sizeof(sp));
		pid_comm(c->in, q->lrpid, rp, sizeof(rp));
		finding_evidence(f, "queue %d: owner uid %u, %llu messages, creator pid %s, last "
				    "sender pid %s, last receiver pid %s",
				 q->msqid, q->uid, (unsigned long long)q->messages, cp, sp, rp);
		if (q->lspid) {
			const struct diag_process *p = find_proc(c->in, q->lspid, 0);

			f->allocator.known = true;
			f->allocator.pid = q->lspid;
			snprintf(f->allocator.comm, sizeof(f->allocator.comm), "%s",
				 p ? p->comm : "(exited)");
		}
	}
	f->confidence = confidence(c, j, q != NULL, false);
	return 0;
}

/* Kernel-wide totals grow with every per-process or per-queue leak: they
 * are that leak's evidence when one was found, a finding of their own (held
 * by no process) only when none explains them. */
static bool sys_explained(const struct ctx *c, const char *resource)
{
	static const struct {
		const char *prefix, *finding;
	} by[] = {
	    {"file handles", "fds of "},	    {"threads", "threads of "},
	    {"pids", "threads of "},		    {"inotify", "inotify watches of "},
	    {"keys", "keys of uid"},		    {"key bytes", "keys of uid"},
	    {"sysv msg", "SysV message queue "},   {"sysv msg", "SysV messages left by "},
	};
	size_t i, k;

	for (i = 0; i < sizeof(by) / sizeof(by[0]); i++) {
		if (strncmp(resource, by[i].prefix, strlen(by[i].prefix)) != 0)
			continue;
		for (k = 0; k < c->out->n; k++)
			if (strncmp(c->out->findings[k].resource, by[i].finding,
				    strlen(by[i].finding)) == 0)
				return true;
	}
	return false;
}

static int sys_finding(struct ctx *c, struct judged *j)
{
	struct finding *f;
	size_t i, shown = 0;

	if (sys_explained(c, j->name.id))
		return 0;
	f = diagnosis_add(c->out, FINDING_LEAK);
	if (!f)
		return -ENOMEM;
	snprintf(f->resource, sizeof(f->resource), "%.150s", j->name.id);
	snprintf(f->object_type, sizeof(f->object_type), "%.150s", j->name.id);
	snprintf(f->unit, sizeof(f->unit), "used");
	snprintf(f->limit_name, sizeof(f->limit_name), "its limit");
	f->rate_per_s = j->fit.slope_per_s;
	set_limit(f, j->s, &j->fit, j->fit.last);
	finding_series(f, j->s->name);
	growth_evidence(f, "kernel-wide", j, span_of(j->s));
	finding_evidence(f, "no process's handles grew with it: held by the kernel, not by a "
			    "process");
	if (strncmp(j->name.id, "sysv msg", 8) == 0) {
		snprintf(f->object_type, sizeof(f->object_type),
			 "SysV messages (msg_msg), never received");
		explain_caches(c, f, "msg_msg*");
		/* The queues that hold the most, with their last senders. */
		for (i = c->in->nqueues; i-- > 0 && shown < 4;) {
			const struct diag_sysv_queue *q = &c->in->queues[i];
			char sp[96];

			if (!q->bytes)
				continue;
			pid_comm(c->in, q->lspid, sp, sizeof(sp));
			finding_evidence(f, "queue %d: %llu messages, %llu bytes, owner uid %u, last "
					    "sender pid %s",
					 q->msqid, (unsigned long long)q->messages,
					 (unsigned long long)q->bytes, q->uid, sp);
			if (!f->allocator.known && q->lspid) {
				const struct diag_process *p = find_proc(c->in, q->lspid, 0);

				f->allocator.known = true;
				f->allocator.pid = q->lspid;
				snprintf(f->allocator.comm, sizeof(f->allocator.comm), "%s",
					 p ? p->comm : "(exited)");
			}
			shown++;
		}
		finding_evidence(f, "SysV queues belong to no process: they stay until received or "
				    "removed (ipcrm -q ID)");
	} else if (strncmp(j->name.id, "posix mqueue", 12) == 0) {
		snprintf(f->object_type, sizeof(f->object_type),
			 "POSIX message queues (mqueue inodes), not unlinked");
		explain_caches(c, f, "mqueue_inode_cache");
		explain_caches(c, f, "msg_msg*");
		finding_evidence(f, "POSIX queues belong to no process once closed: ls -l /dev/mqueue "
				    "(mount -t mqueue none /dev/mqueue) shows them; mq_unlink removes");
	}
	f->confidence = confidence(c, j, false, false) - 0.1;
	return 0;
}

/* What a series measures, in words, for a near-limit finding. */
static void describe(const struct ctx *c, const struct series *s, const struct series_name_parts *p,
		     struct finding *f)
{
	const struct diag_process *pr;

	switch (p->subject) {
	case SERIES_PROC:
		pr = find_proc(c->in, p->pid, p->start);
		if (pr)
			fill_process(&f->holder, pr);
		snprintf(f->resource, sizeof(f->resource), "%s of %s (pid %d)",
			 strncmp(p->what, "fds", 3) == 0 ? "fds" : p->what, pr ? pr->comm : "?",
			 p->pid);
		snprintf(f->limit_name, sizeof(f->limit_name), "%s",
			 strncmp(p->what, "fds", 3) == 0 ? "RLIMIT_NOFILE soft"
			 : strcmp(p->what, "maps") == 0	 ? "vm.max_map_count"
			 : strcmp(p->what, "threads") == 0 ? "kernel.threads-max"
							   : "fs.inotify.max_user_watches");
		snprintf(f->unit, sizeof(f->unit), "%.15s", p->what);
		break;
	case SERIES_KEYS:
		snprintf(f->resource, sizeof(f->resource), "key %s of uid %u", p->what, p->uid);
		snprintf(f->limit_name, sizeof(f->limit_name), "kernel.keys quota");
		snprintf(f->unit, sizeof(f->unit), "%.15s", p->what);
		break;
	case SERIES_SYS:
		snprintf(f->resource, sizeof(f->resource), "%.150s", p->id);
		snprintf(f->limit_name, sizeof(f->limit_name), "its limit");
		snprintf(f->unit, sizeof(f->unit), "used");
		break;
	case SERIES_MEMCG:
		snprintf(f->resource, sizeof(f->resource), "memory of cgroup %.120s", p->id);
		snprintf(f->limit_name, sizeof(f->limit_name), "its memory limit");
		snprintf(f->unit, sizeof(f->unit), "bytes");
		break;
	default:
		snprintf(f->resource, sizeof(f->resource), "%s", s->name);
		snprintf(f->limit_name, sizeof(f->limit_name), "its limit");
		snprintf(f->unit, sizeof(f->unit), "used");
		break;
	}
	snprintf(f->object_type, sizeof(f->object_type), "%s", f->resource);
}

/* Full SysV queues, said once: senders block (or fail with IPC_NOWAIT)
 * until someone receives. */
static int full_queues_finding(struct ctx *c, const struct series **full, size_t n)
{
	struct finding *f;
	char ids[256];
	size_t i, len = 0;

	if (!n)
		return 0;
	f = diagnosis_add(c->out, FINDING_NEAR_LIMIT);
	if (!f)
		return -ENOMEM;
	snprintf(f->resource, sizeof(f->resource), "%zu SysV message queue%s full", n,
		 n == 1 ? "" : "s");
	snprintf(f->object_type, sizeof(f->object_type), "SysV messages (msg_msg), never received");
	snprintf(f->unit, sizeof(f->unit), "bytes");
	snprintf(f->limit_name, sizeof(f->limit_name), "queue size (msg_qbytes)");
	f->used = series_last(full[0]);
	f->limit = full[0]->limit;
	ids[0] = '\0';
	for (i = 0; i < n && len + 16 < sizeof(ids); i++) {
		struct series_name_parts p;

		if (series_name_parse(full[i]->name, &p) == 0)
			len += (size_t)snprintf(ids + len, sizeof(ids) - len, "%s%d", i ? " " : "",
						p.msqid);
		if (i < 4)
			finding_series(f, full[i]->name);
	}
	finding_evidence(f, "/proc/sysvipc/msg: queues at their size limit, not growing: %s%s",
			 ids, i < n ? " ..." : "");
	finding_evidence(f, "SysV queues belong to no process: they stay until received or "
			    "removed (ipcrm -q ID)");
	f->confidence = 0.9;
	return 0;
}

/* A value at ≥ 80 % of its limit that does not grow: not a leak, but the
 * next one to run out. */
static int near_limit_findings(struct ctx *c)
{
	size_t i, nfull = 0, count = series_set_count(c->in->series);
	const struct series **full = calloc(count ? count : 1, sizeof(*full));
	int err = 0;

	if (!full)
		return -ENOMEM;
	for (i = 0; i < count && !err; i++) {
		const struct series *s = series_set_at(c->in->series, i);
		struct series_name_parts p;
		struct judged *j;
		struct finding *f;
		double last = series_last(s);

		if (s->limit <= 0 || !(last >= NEAR_LIMIT * s->limit))
			continue;
		if (series_name_parse(s->name, &p))
			continue;
		j = find_judged(c, s->name);
		if ((j && j->growing) || (p.subject == SERIES_PROC && p.pid == c->in->self_pid))
			continue;
		if (p.subject == SERIES_SYSV_MSG) {
			if (strcmp(p.what, "bytes") == 0)
				full[nfull++] = s;
			continue;
		}
		f = diagnosis_add(c->out, FINDING_NEAR_LIMIT);
		if (!f) {
			err = -ENOMEM;
			break;
		}
		describe(c, s, &p, f);
		f->used = last;
		f->limit = s->limit;
		finding_series(f, s->name);
		finding_evidence(f, "%s: %.0f of %.0f (%.0f %%), not growing", s->name, last,
				 s->limit, 100.0 * last / s->limit);
		f->confidence = 0.9;
	}
	if (!err)
		err = full_queues_finding(c, full, nfull);
	free(full);
	return err;
}

static int compare_growth(const void *a, const void *b)
{
	const struct judged *x = a, *y = b;

	/* Process series first (they name holders exactly), then the rest. */
	if ((x->name.subject == SERIES_PROC) != (y->name.subject == SERIES_PROC))
		return x->name.subject == SERIES_PROC ? -1 : 1;
	if (x->fit.slope_per_s != y->fit.slope_per_s)
		return x->fit.slope_per_s > y->fit.slope_per_s ? -1 : 1;
	return strcmp(x->s->name, y->s->name);
}

static int judge_all(struct ctx *c)
{
	size_t i, n = series_set_count(c->in->series);
	int err;

	c->j = calloc(n ? n : 1, sizeof(*c->j));
	if (!c->j)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		c->j[c->n].s = series_set_at(c->in->series, i);
		err = judge(c, &c->j[c->n]);
		if (err)
			return err;
		c->n++;
	}
	qsort(c->j, c->n, sizeof(*c->j), compare_growth);
	return 0;
}

/* A process's per-kind fd series all grow with a leak of one kind only; a
 * process that leaks threads also gains a few fds... each series speaks
 * for itself, but the same process and cache are said once per kind. */
int diagnosis_build(const struct diagnosis_inputs *in, struct diagnosis *out)
{
	struct ctx c = {.in = in, .out = out};
	size_t i;
	int err;

	if (in->recorded_events)
		c.loss_ratio = (double)(out->lost.bpf_misses + out->lost.ringbuf + out->lost.map) /
			       (double)in->recorded_events;
	err = judge_all(&c);
	if (err)
		goto out;
	for (i = 0; i < c.n && !err; i++)
		if (c.j[i].growing && c.j[i].name.subject == SERIES_PROC)
			err = process_finding(&c, &c.j[i]);
	for (i = 0; i < c.n && !err; i++)
		if (c.j[i].growing && c.j[i].name.subject == SERIES_SYSV_SENDER)
			err = sender_finding(&c, &c.j[i]);
	for (i = 0; i < c.n && !err; i++) {
		struct judged *j = &c.j[i];

		if (!j->growing || j->explained)
			continue;
		if (j->name.subject == SERIES_KEYS)
			err = keys_finding(&c, j);
		else if (j->name.subject == SERIES_SYSV_MSG)
			err = sysv_finding(&c, j);
	}
	/* Kernel-wide totals that no finding above explains. */
	for (i = 0; i < c.n && !err; i++)
		if (c.j[i].growing && c.j[i].name.subject == SERIES_SYS)
			err = sys_finding(&c, &c.j[i]);
	/* Last: caches that grow with none of the above. */
	for (i = 0; i < c.n && !err; i++)
		if (c.j[i].growing && !c.j[i].explained && c.j[i].name.subject == SERIES_SLAB)
			err = slab_finding(&c, &c.j[i]);
	if (!err)
		err = near_limit_findings(&c);
	if (!err)
		diagnosis_sort(out);
out:
	free(c.j);
	return err;
}

size_t diagnosis_stack_targets(const struct diagnosis_inputs *in, char (*tags)[64], size_t max)
{
	struct diagnosis scratch = {0};
	struct ctx c = {.in = in, .out = &scratch};
	size_t i, k, n = 0;

	if (judge_all(&c))
		goto out;
	for (i = 0; i < c.n && n < max; i++) {
		const struct judged *j = &c.j[i];
		const struct diag_cache *cache;
		const char *tag = NULL;

		if (!j->growing)
			continue;
		if (j->name.subject == SERIES_PROC) {
			if (j->name.pid == in->self_pid)
				continue;
			tag = object_cache(j->name.what);
			if (tag)
				tag = cache_name(in, tag);
		} else if (j->name.subject == SERIES_KEYS) {
			tag = cache_name(in, "key_jar");
		} else if (j->name.subject == SERIES_SLAB) {
			cache = find_cache(in, j->name.id);
			if (cache && cache->reclaimable)
				continue;
			tag = j->name.id;
		}
		if (!tag)
			continue;
		for (k = 0; k < n && strcmp(tags[k], tag) != 0; k++)
			;
		if (k == n)
			snprintf(tags[n++], sizeof(tags[0]), "%.63s", tag);
	}
out:
	free(c.j);
	diagnosis_release(&scratch);
	return n;
}
