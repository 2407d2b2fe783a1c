#include "model/pool_sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/slabcount.h"
#include "kernel/ksyms.h"
#include "kernel/slabinfo.h"
#include "kernel/slabsys.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

#define SLABSYS_ROOT "/sys/kernel/slab"

struct pool_sampler {
	struct pool_sampler_opts opts; /* strings borrowed from the caller */
	struct strbuf scratch;
	struct slabinfo slabinfo;
	bool slabinfo_ok;
	struct slabsys slabsys;
	bool slabsys_ok;
	uint64_t slabsys_scanned_ns;
	struct meminfo mem;
	struct slab_counters *counters;
	char counters_why[256];
	struct symtab *ksyms;
	struct pool_snapshot snaps[2];
	int cur; /* index of the latest snapshot in snaps */
	uint64_t page_size;
	unsigned int ncpus;
	uint64_t refresh_cpu_ns;
	long samples;
};

static const char *slabsys_root(const struct pool_sampler *s)
{
	return s->opts.slabsys_root ? s->opts.slabsys_root : SLABSYS_ROOT;
}

static const char *slabinfo_path(const struct pool_sampler *s)
{
	return s->opts.slabinfo_path ? s->opts.slabinfo_path : "/proc/slabinfo";
}

static void counters_stop(struct pool_sampler *s, const char *why)
{
	slab_counters__stop(s->counters);
	s->counters = NULL;
	snprintf(s->counters_why, sizeof(s->counters_why), "%s", why);
}

/* The counters and the symbols that name their owners. /proc/kallsyms is
 * loaded once, here, before the counters start: the loader finds the kmalloc
 * entry points in the same table. */
static void counters_start(struct pool_sampler *s, struct notes *ns)
{
	int kerr = 0, err;

	if (s->opts.no_counters) {
		snprintf(s->counters_why, sizeof(s->counters_why), "not loaded (--no-counters)");
		return;
	}
	kerr = ksyms__load(&s->ksyms, NULL);
	if (kerr)
		s->ksyms = NULL;
	err = slab_counters__start(s->ksyms, &s->counters, s->counters_why, sizeof(s->counters_why));
	if (err) {
		s->counters = NULL;
		if (!s->counters_why[0])
			snprintf(s->counters_why, sizeof(s->counters_why),
				 "loading the eBPF counters failed: %s", strerror(-err));
		/* Without counters there are no owners to name. */
		symtab__free(s->ksyms);
		s->ksyms = NULL;
		return;
	}
	if (kerr)
		notes_add(ns, "kallsyms", "cannot load /proc/kallsyms (%s): Owner shows addresses",
			  strerror(-kerr));
}

int pool_sampler_start(struct pool_sampler **out, const struct pool_sampler_opts *opts,
		       struct notes *ns)
{
	struct pool_sampler *s = calloc(1, sizeof(*s));
	long page = sysconf(_SC_PAGESIZE);
	int err;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->opts = *opts;
	if (!s->opts.rescan_ns)
		s->opts.rescan_ns = POOL_SAMPLER_RESCAN_NS;
	s->scratch = (struct strbuf)STRBUF_INIT;
	s->page_size = page > 0 ? (uint64_t)page : 4096;
	page = sysconf(_SC_NPROCESSORS_ONLN);
	s->ncpus = page > 0 ? (unsigned int)page : 1;
	err = slabinfo_read_from(&s->slabinfo, &s->scratch, s->opts.slabinfo_path);
	s->slabinfo_ok = err == 0;
	if (err && err != -EACCES && err != -EPERM)
		notes_add(ns, "slabinfo-unreadable", "cannot read %s: %s; Objs and Bytes show '-'",
			  slabinfo_path(s), strerror(-err));
	err = slabsys_read(&s->slabsys, slabsys_root(s));
	s->slabsys_ok = err == 0;
	s->slabsys_scanned_ns = monotonic_ns();
	if (err)
		notes_add(ns, "slabsys-unreadable",
			  "cannot read %s: %s; merged names and types are unknown", slabsys_root(s),
			  strerror(-err));
	/* The counters' notes come after "not root", as one story: kallsyms
	 * is only worth a word when the counters run. */
	{
		struct notes later = NOTES_INIT;
		size_t i;

		counters_start(s, &later);
		if (geteuid() != 0 && !s->slabinfo_ok) {
			/* Name the counters' privilege only when they were asked for. */
			notes_add(ns, POOL_NOTE_NOT_ROOT,
				  "not root: %s is readable only by root (Objs, Bytes)%s; still "
				  "shown: the memory header and the cache names and merges from %s",
				  slabinfo_path(s),
				  s->opts.no_counters ? ""
						      : " and the counters need CAP_BPF and "
							"CAP_PERFMON (Allocs, Frees, Owner)",
				  slabsys_root(s));
		}
		if (!s->counters)
			notes_add(ns, POOL_NOTE_COUNTERS_OFF,
				  "counters off: %s; Allocs, Frees, Diff and Owner show '-'",
				  s->counters_why);
		for (i = 0; i < later.n; i++)
			notes_add(ns, later.v[i].key, "%s", later.v[i].text);
		notes_release(&later);
	}
	*out = s;
	return 0;
}

/* A cache created since the last scan has no merge group yet. */
static void slabsys_rescan(struct pool_sampler *s)
{
	uint64_t now = monotonic_ns();
	size_t i;

	if (!s->slabinfo_ok || now - s->slabsys_scanned_ns <= s->opts.rescan_ns)
		return;
	for (i = 0; i < s->slabinfo.count; i++)
		if (!slabsys_find(&s->slabsys, s->slabinfo.rows[i].name))
			break;
	if (i == s->slabinfo.count)
		return;
	slabsys_release(&s->slabsys);
	s->slabsys_ok = slabsys_read(&s->slabsys, slabsys_root(s)) == 0;
	s->slabsys_scanned_ns = now;
}

static void read_mem(struct pool_sampler *s, struct notes *ns)
{
	const char *path = s->opts.mem.meminfo ? s->opts.mem.meminfo : "/proc/meminfo";

	if (meminfo_read_from(&s->mem, &s->scratch, &s->opts.mem))
		notes_add(ns, "meminfo-unreadable", "cannot read %s: the header stays empty", path);
	if (s->mem.skipped)
		notes_add(ns, "meminfo-malformed", "%s line %u is malformed; skipping such lines",
			  path, s->mem.first_skipped_line);
}

static void read_slabinfo(struct pool_sampler *s, struct notes *ns)
{
	int err;

	if (!s->slabinfo_ok)
		return;
	err = slabinfo_read_from(&s->slabinfo, &s->scratch, s->opts.slabinfo_path);
	if (err) {
		notes_add(ns, "slabinfo-read", "cannot read %s: %s", slabinfo_path(s),
			  strerror(-err));
		s->slabinfo.count = 0;
	}
	if (s->slabinfo.skipped)
		notes_add(ns, "slabinfo-malformed", "%s line %u is malformed; skipping such lines",
			  slabinfo_path(s), s->slabinfo.first_skipped_line);
}

int pool_sampler_sample(struct pool_sampler *s, struct notes *ns, const struct pool_snapshot **snap)
{
	struct pool_snapshot *next = &s->snaps[s->cur ^ 1];
	struct pool_sources src = {0};
	struct slab_count *counts = NULL;
	size_t ncounts = 0;
	uint64_t cpu0 = process_cpu_ns();
	int err;

	read_mem(s, ns);
	read_slabinfo(s, ns);
	if (s->counters) {
		err = slab_counters__read(s->counters, &counts, &ncounts);
		if (err) {
			char why[256];

			snprintf(why, sizeof(why), "reading the counters failed: %s",
				 strerror(-err));
			notes_add(ns, "counters-read", "%s; counters off", why);
			counters_stop(s, why);
		}
	}
	slabsys_rescan(s);
	src.slabinfo = s->slabinfo_ok ? &s->slabinfo : NULL;
	src.slabsys = s->slabsys_ok ? &s->slabsys : NULL;
	src.counters_on = s->counters != NULL;
	src.counts = counts;
	src.ncounts = s->counters ? ncounts : 0;
	src.unattributed_frees = s->counters ? slab_counters__unattributed(s->counters) : 0;
	src.missed_events = s->counters ? slab_counters__missed(s->counters) : 0;
	src.ksyms = s->ksyms;
	src.mem = &s->mem;
	src.page_size = s->page_size;
	src.realtime_ns = realtime_ns();
	src.ncpus = s->ncpus;
	err = pool_snapshot_build(next, &src, &s->snaps[s->cur]);
	free(counts);
	if (err)
		return err;
	s->cur ^= 1;
	s->samples++;
	s->refresh_cpu_ns = process_cpu_ns() - cpu0;
	if (snap)
		*snap = &s->snaps[s->cur];
	return 0;
}

const struct pool_snapshot *pool_sampler_latest(const struct pool_sampler *s)
{
	return &s->snaps[s->cur];
}

void pool_sampler_status(const struct pool_sampler *s, struct pool_sampler_status *out)
{
	out->slabinfo = s->slabinfo_ok;
	out->counters = s->counters != NULL;
	out->counters_note = s->counters ? slab_counters__note(s->counters) : s->counters_why;
	out->refresh_cpu_ns = s->refresh_cpu_ns;
	out->samples = s->samples;
}

const struct symtab *pool_sampler_ksyms(const struct pool_sampler *s)
{
	return s ? s->ksyms : NULL;
}

void pool_sampler_stop_counters(struct pool_sampler *s, const char *why)
{
	if (s->counters)
		counters_stop(s, why);
}

void pool_sampler_stop(struct pool_sampler *s)
{
	if (!s)
		return;
	slab_counters__stop(s->counters);
	symtab__free(s->ksyms);
	slabinfo_release(&s->slabinfo);
	slabsys_release(&s->slabsys);
	pool_snapshot_release(&s->snaps[0]);
	pool_snapshot_release(&s->snaps[1]);
	strbuf_release(&s->scratch);
	free(s);
}
