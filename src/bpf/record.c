/* Loader for the flight recorder's BPF side (record.bpf.c): probes which
 * tracepoints this kernel has through vmlinux BTF (btf_trace_<name>), turns
 * off the programs it lacks or the user did not ask for, sizes the maps from
 * the options, loads, fills the filter maps and attaches. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/kmalloc_sites.h"
#include "bpf/libbpf_log.h"
#include "bpf/record.h"
#include "bpf/record_order.h"
#include "bpf/record_stage.h"
#include "record.skel.h"
#include "util/notes.h"
#include "util/globlist.h"

struct record_probe {
	struct record_bpf *skel;
	struct ring_buffer *ring;
	const struct globlist *tags; /* borrowed from the options */
	record_event_fn fn;
	void *fn_ctx;
	int ncpus;
	/* Events mode's batched path (record_abi.h's rec_stage): ring records
	 * are batches, merged by ts before fn sees them. */
	bool batched;
	struct record_stage stage;
	struct record_order *order;
	int cb_err;
	char note[512];
};

struct prog_spec {
	const char *tracepoint;
	unsigned int kind;
	unsigned int nparams;	  /* the layout our program reads, context pointer included */
	int cache_param;	  /* index of the struct kmem_cache * argument, or -1 */
};

/* In skeleton order of appearance; the kmem_cache iterator is separate. */
static void prog_table(struct record_bpf *skel, struct bpf_program **progs, struct prog_spec *spec)
{
	struct bpf_program *p[] = {
		skel->progs.rec_cache_alloc,	   skel->progs.rec_cache_free,
		skel->progs.rec_kmalloc,	   skel->progs.rec_kfree,
		skel->progs.rec_page_alloc,	   skel->progs.rec_page_free,
		skel->progs.rec_page_free_batched, skel->progs.rec_percpu_alloc,
		skel->progs.rec_percpu_free,	   skel->progs.rec_vmap_alloc,
		skel->progs.rec_vmap_free,
	};
	/* Layouts as of 6.1+ (kmem_cache_alloc/free carry their cache since 6.1/6.2;
	 * percpu_alloc_percpu gained bytes_alloc and gfp_flags in 6.2). */
	static const struct prog_spec s[] = {
		{ "kmem_cache_alloc", RK_SLAB, 6, 3 },	   { "kmem_cache_free", RK_SLAB, 4, 3 },
		{ "kmalloc", RK_KMALLOC, 7, -1 },	   { "kfree", RK_KMALLOC, 3, -1 },
		{ "mm_page_alloc", RK_PAGE, 5, -1 },	   { "mm_page_free", RK_PAGE, 3, -1 },
		{ "mm_page_free_batched", RK_PAGE, 2, -1 }, { "percpu_alloc_percpu", RK_PERCPU, 11, -1 },
		{ "percpu_free_percpu", RK_PERCPU, 4, -1 }, { "alloc_vmap_area", RK_VMALLOC, 7, -1 },
		{ "free_vmap_area_noflush", RK_VMALLOC, 4, -1 },
	};

	memcpy(progs, p, sizeof(p));
	memcpy(spec, s, sizeof(s));
}

#define NPROGS 11

static const struct btf_type *skip_typedefs(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

enum tp_state { TP_MISSING, TP_OTHER_LAYOUT, TP_OK };

/* POOLSCOPE_RECORD_OFF=tp1,tp2 makes this kernel look as if it lacked those
 * tracepoints: the tests drive the probe-and-skip path with it. */
static bool pretend_missing(const char *tp)
{
	const char *list = getenv("POOLSCOPE_RECORD_OFF");
	size_t n = strlen(tp);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, tp, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* Whether this kernel has the raw tracepoint (typedef btf_trace_<name>)
 * with the argument layout our program reads: an older layout (the *_node
 * era, kmem_cache_alloc without its cache) would be misread, so it is not
 * attached and the note says so. */
static enum tp_state tracepoint_state(const struct btf *btf, const struct prog_spec *spec)
{
	const struct btf_type *t;
	char name[128];
	int id;

	if (pretend_missing(spec->tracepoint))
		return TP_MISSING;
	snprintf(name, sizeof(name), "btf_trace_%s", spec->tracepoint);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return TP_MISSING;
	t = skip_typedefs(btf, (__u32)id);
	if (t && btf_is_ptr(t))
		t = skip_typedefs(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) != spec->nparams)
		return TP_OTHER_LAYOUT;
	if (spec->cache_param >= 0) {
		const struct btf_type *p = skip_typedefs(btf, btf_params(t)[spec->cache_param].type);

		if (!p || !btf_is_ptr(p))
			return TP_OTHER_LAYOUT;
		p = skip_typedefs(btf, p->type);
		if (!p || !btf_is_struct(p) || strcmp(btf__name_by_offset(btf, p->name_off), "kmem_cache"))
			return TP_OTHER_LAYOUT;
	}
	return TP_OK;
}

static uint64_t round_ringbuf(uint64_t bytes)
{
	uint64_t size = 4096;

	while (size < bytes && size < (1ULL << 31))
		size <<= 1;
	return size;
}

/* The kmalloc entry points' ranges into the rodata: see inner_large_kmalloc
 * in record.bpf.c. Without kallsyms none are known (a large kmalloc through
 * __kmalloc may then be recorded twice). */
static void set_kmalloc_entries(struct record_bpf *skel, const struct symtab *ks)
{
	enum { MAX_RANGES = sizeof(skel->rodata->large_lo) / sizeof(skel->rodata->large_lo[0]) };
	uint64_t lo[MAX_RANGES], hi[MAX_RANGES];
	int n = kmalloc_entry_ranges(ks, lo, hi, MAX_RANGES);

	for (int i = 0; i < n; i++) {
		skel->rodata->large_lo[i] = lo[i];
		skel->rodata->large_hi[i] = hi[i];
	}
	skel->rodata->large_n = n > 0 ? (__u32)n : 0;
}

static int ring_cb(void *ctx, void *rec, size_t size)
{
	struct record_probe *rp = ctx;

	if (!rp->batched)
		return rp->fn(rp->fn_ctx, rec, size);
	/* A batch of one CPU's records (or one record an interrupt's program
	 * put in the ring itself), each sized by its type. */
	for (size_t off = 0; off + sizeof(struct rec_event) <= size;) {
		const struct rec_event *ev = (const void *)((const char *)rec + off);
		size_t n = ev->type == RT_ALLOC ? sizeof(struct rec_alloc_event)
			   : ev->type == RT_FREE ? sizeof(*ev) : size - off;
		int err;

		if (n > size - off)
			break;
		err = record_order__add(rp->order, ev, n);
		if (err) {
			rp->cb_err = err;
			return err;
		}
		off += n;
	}
	return 0;
}

int record_probe__cache_names(struct record_probe *rp, struct rec_cache_name **names, size_t *n)
{
	struct bpf_link *link = bpf_program__attach_iter(rp->skel->progs.rec_cache_names, NULL);
	struct rec_cache_name *all = NULL;
	size_t count = 0, cap = 0;
	int fd = -1, err = 0;

	*names = NULL;
	*n = 0;
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		if (count == cap) {
			cap = cap ? cap * 2 : 512;
			struct rec_cache_name *grown = realloc(all, cap * sizeof(*all));

			if (!grown) {
				err = -ENOMEM;
				goto out;
			}
			all = grown;
		}
		ssize_t got = read(fd, &all[count], sizeof(*all));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = -errno;
			goto out;
		}
		if (got == 0)
			break;
		if ((size_t)got != sizeof(*all)) {
			err = -EIO;
			goto out;
		}
		all[count].name[REC_NAME_LEN - 1] = '\0';
		count++;
	}
	if (rp->tags && !globlist_empty(rp->tags)) {
		int map = bpf_map__fd(rp->skel->maps.allowed_caches);
		__u8 one = 1;

		__u64 large = 0; /* a page-backed kmalloc has no cache */

		for (size_t i = 0; i < count; i++)
			if (globlist_match(rp->tags, all[i].name))
				bpf_map_update_elem(map, &all[i].cache, &one, BPF_ANY);
		if (globlist_match(rp->tags, "kmalloc-large"))
			bpf_map_update_elem(map, &large, &one, BPF_ANY);
	}
	*names = all;
	*n = count;
	all = NULL;
out:
	free(all);
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	return err;
}

/* Fault in a few pages, read their pfns from /proc/self/pagemap, and match
 * them with the struct page addresses the page program saw for this thread:
 * base = page - pfn * sizeof(struct page) is the same for every pair. */
static uint64_t calibrate_vmemmap(struct record_probe *rp, size_t page_size)
{
	enum { NPAGES = 16 };
	uint64_t pfns[NPAGES], base = 0;
	long psz = sysconf(_SC_PAGESIZE);
	int fd, best_votes = 0;
	char *mem;

	if (!page_size)
		return 0;
	mem = mmap(NULL, (size_t)psz * NPAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 0;
	madvise(mem, (size_t)psz * NPAGES, MADV_NOHUGEPAGE);
	rp->skel->bss->calib_n = 0;
	rp->skel->bss->calib_tid = (__u32)syscall(SYS_gettid);
	for (int i = 0; i < NPAGES; i++)
		mem[(size_t)i * (size_t)psz] = 1;
	rp->skel->bss->calib_tid = 0;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	for (int i = 0; i < NPAGES; i++) {
		uint64_t entry = 0;
		off_t off = (off_t)(((uintptr_t)mem / (uintptr_t)psz + (uintptr_t)i) * 8);

		if (pread(fd, &entry, 8, off) != 8 || !(entry & (1ULL << 63)))
			entry = 0;
		pfns[i] = entry & ((1ULL << 55) - 1);
	}
	close(fd);
	__u32 seen = rp->skel->bss->calib_n;

	if (seen > REC_CALIB_PAGES)
		seen = REC_CALIB_PAGES;
	/* Vote: the base shared by most (page, pfn) pairs wins. */
	for (__u32 a = 0; a < seen; a++) {
		for (int i = 0; i < NPAGES; i++) {
			if (!pfns[i])
				continue;
			uint64_t cand = rp->skel->bss->calib_pages[a] - pfns[i] * page_size;
			int votes = 0;

			for (__u32 b = 0; b < seen; b++)
				for (int j = 0; j < NPAGES; j++)
					if (pfns[j] &&
					    rp->skel->bss->calib_pages[b] - pfns[j] * page_size == cand)
						votes++;
			if (votes > best_votes) {
				best_votes = votes;
				base = cand;
			}
		}
	}
	if (best_votes < NPAGES / 2)
		base = 0;
out:
	munmap(mem, (size_t)psz * NPAGES);
	return base;
}

/* allow_batch false: a ring slot per event. *no_flush: batching was on and
 * this kernel cannot run the flush program on a given CPU (before 5.10). */
static int start(const struct record_probe_opts *o, const struct symtab *ks,
		 record_event_fn fn, void *fn_ctx, struct notes *notes, bool allow_batch,
		 bool *no_flush, struct record_probe **out, char *why, size_t whylen)
{
	struct record_probe *rp = calloc(1, sizeof(*rp));
	struct bpf_program *progs[NPROGS];
	struct prog_spec spec[NPROGS];
	struct btf *btf = NULL;
	char missing[256] = "", attached[256] = "";
	unsigned int kinds = o->kinds ? o->kinds : ~0u;
	size_t page_size = 0;
	int err = -ENOMEM, nattach = 0;

	*out = NULL;
	if (!rp) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	/* Tags that name whole kinds: a tag filter that matches none of a
	 * kind's tags leaves that kind's programs unloaded. */
	if (o->tags && !globlist_empty(o->tags)) {
		bool any_order = false;
		char name[32];

		for (int order = 0; order < 32 && !any_order; order++) {
			snprintf(name, sizeof(name), "page-order-%d", order);
			any_order = globlist_match(o->tags, name);
		}
		if (!any_order)
			kinds &= ~RK_MASK(RK_PAGE);
		if (!globlist_match(o->tags, "percpu"))
			kinds &= ~RK_MASK(RK_PERCPU);
		if (!globlist_match(o->tags, "vmalloc"))
			kinds &= ~RK_MASK(RK_VMALLOC);
	}
	libbpf_set_print(libbpf_log_print);
	rp->tags = o->tags;
	rp->ncpus = libbpf_num_possible_cpus();
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		err = -errno;
		snprintf(why, whylen, "kernel BTF (/sys/kernel/btf/vmlinux) is unavailable: "
				      "record needs CONFIG_DEBUG_INFO_BTF");
		goto out;
	}
	rp->skel = record_bpf__open();
	if (!rp->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the BPF object: %s", strerror(errno));
		goto out;
	}
	prog_table(rp->skel, progs, spec);
	for (int i = 0; i < NPROGS; i++) {
		bool want = kinds & RK_MASK(spec[i].kind);
		enum tp_state state = tracepoint_state(btf, &spec[i]);
		bool have = state == TP_OK;

		if (!want || !have)
			bpf_program__set_autoload(progs[i], false);
		if (want && !have)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s%s",
				 missing[0] ? ", " : "", spec[i].tracepoint,
				 state == TP_OTHER_LAYOUT ? " (older argument layout)" : "");
		if (want && have) {
			snprintf(attached + strlen(attached), sizeof(attached) - strlen(attached),
				 "%s%s", attached[0] ? " " : "", spec[i].tracepoint);
			nattach++;
		}
	}
	if (!nattach) {
		err = -EOPNOTSUPP;
		snprintf(why, whylen, "nothing to record: this kernel has none of the requested "
				      "allocation tracepoints, or no requested kind has a matching tag");
		goto out;
	}
	bpf_program__set_autoattach(rp->skel->progs.rec_cache_names, false);
	bool have_kfunc = btf__find_by_name_kind(btf, "bpf_get_kmem_cache", BTF_KIND_FUNC) >= 0;
	int page_id = btf__find_by_name_kind(btf, "page", BTF_KIND_STRUCT);

	if (page_id >= 0)
		page_size = (size_t)btf__resolve_size(btf, page_id);

	struct record_bpf__rodata *ro = rp->skel->rodata;

	ro->aggregate = o->aggregate;
	ro->stacks = o->stacks;
	ro->user_stacks = o->stacks && o->user_stacks && !o->aggregate;
	ro->ustack_raw = ro->user_stacks && o->user_stacks_dwarf;
	ro->sample_every = o->sample_every ? o->sample_every : 1;
	ro->stack_rate = o->stacks ? o->stack_rate : 0;
	ro->filter_pids = o->npids > 0;
	ro->self_tgid = (__u32)getpid();
	if (o->comm) {
		ro->filter_comm = true;
		strncpy((char *)ro->comm_filter, o->comm, REC_COMM_LEN - 1);
	}
	ro->size_min = o->size_min;
	ro->size_max = o->size_max ? o->size_max : ~0ULL;
	ro->have_get_kmem_cache = have_kfunc;
	if (o->tags && !globlist_empty(o->tags)) {
		char name[32];

		ro->filter_tags = true;
		ro->page_orders = 0;
		for (int order = 0; order < 32; order++) {
			snprintf(name, sizeof(name), "page-order-%d", order);
			if (globlist_match(o->tags, name))
				ro->page_orders |= 1u << order;
		}
	}
	uint64_t ring = round_ringbuf(o->ringbuf_bytes ? o->ringbuf_bytes : 32u << 20);

	ro->wakeup_bytes = ring / 8;
	set_kmalloc_entries(rp->skel, ks);
	bpf_map__set_max_entries(rp->skel->maps.events, o->aggregate ? 4096 : (__u32)ring);
	bpf_map__set_max_entries(rp->skel->maps.stack_traces,
				 o->stacks ? (o->max_stacks ? o->max_stacks : REC_DEFAULT_STACKS) : 1);
	bpf_map__set_max_entries(rp->skel->maps.ustack_traces,
				 ro->user_stacks ? (o->max_stacks ? o->max_stacks : REC_DEFAULT_STACKS) : 1);
	bpf_map__set_max_entries(rp->skel->maps.outstanding,
				 o->aggregate ? (o->max_outstanding ? o->max_outstanding
								    : REC_DEFAULT_OUTSTANDING)
					      : 1);
	bpf_map__set_max_entries(rp->skel->maps.origins, o->aggregate ? 65536 : 1);
	bpf_map__set_max_entries(rp->skel->maps.paths,
				 ro->stack_rate ? (o->max_paths ? o->max_paths : REC_DEFAULT_PATHS) : 1);
	ro->live_set = record_probe_opts_live_set(o);
	/* Raw user stacks (8 KiB each) keep the ring, and their order per CPU
	 * with the events that refer to them. POOLSCOPE_RECORD_UNBATCHED=1: a
	 * ring slot per event, as before the batched path (the benchmark's A/B). */
	rp->batched = allow_batch && !o->aggregate && !ro->ustack_raw &&
		      !getenv("POOLSCOPE_RECORD_UNBATCHED");
	ro->batched = rp->batched;
	ro->stage_limit = ring / 4 < REC_STAGE_BYTES ? (__u32)(ring / 4) : REC_STAGE_BYTES;
	if (!rp->batched)
		bpf_program__set_autoload(rp->skel->progs.rec_stage_flush, false);
	bpf_program__set_autoattach(rp->skel->progs.rec_stage_flush, false);
	bpf_map__set_max_entries(rp->skel->maps.live_objs,
				 ro->live_set ? (o->max_outstanding ? o->max_outstanding
								    : REC_DEFAULT_OUTSTANDING)
					      : 1);

	err = record_bpf__load(rp->skel);
	if (err) {
		snprintf(why, whylen, "loading the BPF programs failed: %s%s", strerror(-err),
			 err == -EPERM ? " (record needs root, or CAP_BPF and CAP_PERFMON)" : "");
		if (err != -EPERM && libbpf_log_last_warning()[0])
			snprintf(why + strlen(why), whylen - strlen(why), " (libbpf: %s)",
				 libbpf_log_last_warning());
		goto out;
	}
	for (size_t i = 0; i < o->npids; i++) {
		__u8 one = 1;

		bpf_map_update_elem(bpf_map__fd(rp->skel->maps.pids), &o->pids[i], &one, BPF_ANY);
	}
	if (ro->filter_tags) {
		struct rec_cache_name *names;
		size_t n;

		bool any_cache = globlist_match(o->tags, "kmalloc-large");

		err = record_probe__cache_names(rp, &names, &n);
		for (size_t i = 0; !err && i < n && !any_cache; i++)
			any_cache = globlist_match(o->tags, names[i].name);
		free(names);
		if (err) {
			snprintf(why, whylen, "cannot list slab caches (kmem_cache iterator): %s",
				 strerror(-err));
			goto out;
		}
		/* A typo or a merged cache's alias would record nothing for hours
		 * without a word. Not an error: a cache created later (a module
		 * loading) is still picked up, as documented. */
		if (!(any_cache && (kinds & (RK_MASK(RK_SLAB) | RK_MASK(RK_KMALLOC)))) &&
		    !(kinds & (RK_MASK(RK_PAGE) | RK_MASK(RK_PERCPU) | RK_MASK(RK_VMALLOC))) &&
		    notes)
			notes_add(notes, "record-tag-matches-nothing",
				  "--tag matches nothing this kernel allocates yet: no slab "
				  "cache (names as in /proc/slabinfo; a merged cache's alias is not "
				  "one), kmalloc-large, page-order-N, percpu or vmalloc%s; only a "
				  "matching cache created later will be recorded",
				  o->kinds ? " among --kinds" : "");
	}
	if (rp->batched && !record_stage__can_flush(bpf_program__fd(rp->skel->progs.rec_stage_flush))) {
		*no_flush = true;
		err = -EOPNOTSUPP;
		snprintf(why, whylen, "cannot run the staging flush on a given CPU");
		goto out;
	}
	err = record_bpf__attach(rp->skel);
	if (err) {
		snprintf(why, whylen, "attaching to the allocation tracepoints failed: %s",
			 strerror(-err));
		goto out;
	}
	if (!o->aggregate) {
		rp->fn = fn;
		rp->fn_ctx = fn_ctx;
		rp->ring = ring_buffer__new(bpf_map__fd(rp->skel->maps.events), ring_cb, rp, NULL);
		if (!rp->ring) {
			err = -errno;
			snprintf(why, whylen, "cannot open the BPF ring buffer: %s", strerror(errno));
			goto out;
		}
	}
	if (rp->batched &&
	    ((err = record_stage__init(&rp->stage, bpf_map__fd(rp->skel->maps.stage),
				       bpf_program__fd(rp->skel->progs.rec_stage_flush), rp->ncpus)) ||
	     !(rp->order = record_order__new()))) {
		err = err ? err : -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	/* The tests' POOLSCOPE_RECORD_STAGE_HOLD=1: see record_stage.hold. */
	rp->stage.hold = rp->batched && getenv("POOLSCOPE_RECORD_STAGE_HOLD");
	uint64_t base = 0;

	if (kinds & RK_MASK(RK_PAGE))
		base = calibrate_vmemmap(rp, page_size);
	rp->skel->bss->vmemmap_start = base;
	snprintf(rp->note, sizeof(rp->note), "attached: %s%s%s%s%s", attached,
		 missing[0] ? "; not on this kernel: " : "", missing,
		 have_kfunc ? "" : "; kmalloc tags unknown (no bpf_get_kmem_cache)",
		 (kinds & RK_MASK(RK_PAGE)) && !base ? "; pages keyed by struct page address (pfn base unknown)" : "");
	btf__free(btf);
	*out = rp;
	return 0;
out:
	btf__free(btf);
	record_probe__stop(rp);
	return err;
}

int record_probe__start(const struct record_probe_opts *o, const struct symtab *ks,
			record_event_fn fn, void *fn_ctx, struct notes *notes,
			struct record_probe **out, char *why, size_t whylen)
{
	bool no_flush = false;
	int err = start(o, ks, fn, fn_ctx, notes, true, &no_flush, out, why, whylen);

	if (err && no_flush)
		err = start(o, ks, fn, fn_ctx, notes, false, &no_flush, out, why, whylen);
	return err;
}

void record_probe__go(struct record_probe *rp)
{
	__sync_synchronize();
	rp->skel->bss->started = 1;
}

static uint64_t bpf_clock_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t); /* bpf_ktime_get_ns's clock */
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The batched path: flush the CPUs that went quiet, take the ring's
 * batches, hand on in ts order what can no longer be preceded. Returns how
 * many records were handed on, or -errno. */
static int merge(struct record_probe *rp, bool all, bool *pending)
{
	uint64_t wm;
	int n, err = record_stage__sweep(&rp->stage, bpf_clock_ns(), all, &wm, pending);

	if (err)
		return err;
	n = ring_buffer__consume(rp->ring);
	if (rp->cb_err)
		return rp->cb_err;
	if (n < 0)
		return n;
	return record_order__emit(rp->order, wm, rp->fn, rp->fn_ctx);
}

int record_probe__poll(struct record_probe *rp, int timeout_ms)
{
	bool pending;
	int n;

	if (!rp->ring)
		return 0;
	n = ring_buffer__poll(rp->ring, timeout_ms);
	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return n;
	if (rp->batched)
		return rp->cb_err ? rp->cb_err : merge(rp, false, &pending);
	/* Events are submitted without a wakeup until a batch has queued up:
	 * take whatever is there, woken or not. */
	int more = ring_buffer__consume(rp->ring);

	return more < 0 ? more : n + more;
}

int record_probe__flush(struct record_probe *rp)
{
	bool pending;

	if (!rp->ring || !rp->batched)
		return record_probe__poll(rp, 0);
	return merge(rp, true, &pending);
}

int record_probe__finish(struct record_probe *rp)
{
	int n, total = 0;

	rp->skel->bss->started = 0;
	if (!rp->ring)
		return 0;
	if (!rp->batched) {
		for (int i = 0; i < 64 && (n = record_probe__poll(rp, 0)) > 0; i++)
			total += n;
		return n < 0 ? n : total;
	}
	/* Programs that passed the started check before it was cleared may
	 * still stage a record: sweep until every CPU's buffer stays empty
	 * (a few microseconds; bounded in case one keeps interrupting). */
	for (int i = 0; i < 1000; i++) {
		bool pending;

		n = merge(rp, true, &pending);
		if (n < 0)
			return n;
		total += n;
		if (!pending && i > 0)
			break;
		usleep(1000);
	}
	n = record_order__emit(rp->order, UINT64_MAX, rp->fn, rp->fn_ctx);
	return n < 0 ? n : total + n;
}

static int stack_frames(int map_fd, uint32_t stack_id, uint64_t *ips, int max)
{
	__u64 frames[REC_MAX_DEPTH] = { 0 };
	int depth = 0;

	if (bpf_map_lookup_elem(map_fd, &stack_id, frames))
		return -errno;
	while (depth < REC_MAX_DEPTH && depth < max && frames[depth]) {
		ips[depth] = frames[depth];
		depth++;
	}
	return depth;
}

int record_probe__stack(struct record_probe *rp, uint32_t stack_id, uint64_t *ips, int max)
{
	return stack_frames(bpf_map__fd(rp->skel->maps.stack_traces), stack_id, ips, max);
}

int record_probe__ustack(struct record_probe *rp, uint32_t ustack_id, uint64_t *ips, int max)
{
	return stack_frames(bpf_map__fd(rp->skel->maps.ustack_traces), ustack_id, ips, max);
}

int record_probe__ncpus(const struct record_probe *rp)
{
	return rp->ncpus;
}

int record_probe__lost(struct record_probe *rp, uint64_t *counts)
{
	int fd = bpf_map__fd(rp->skel->maps.lost);
	__u64 *percpu = calloc((size_t)rp->ncpus, sizeof(__u64));

	if (!percpu)
		return -ENOMEM;
	for (__u32 slot = 0; slot < LOST_NR; slot++) {
		if (bpf_map_lookup_elem(fd, &slot, percpu)) {
			int err = -errno;

			free(percpu);
			return err;
		}
		for (int cpu = 0; cpu < rp->ncpus; cpu++)
			counts[(size_t)cpu * LOST_NR + slot] = percpu[cpu];
	}
	free(percpu);
	return 0;
}

uint64_t record_probe__recursion_misses(const struct record_probe *rp)
{
	struct bpf_program *progs[NPROGS];
	struct prog_spec spec[NPROGS];
	uint64_t misses = 0;

	prog_table(rp->skel, progs, spec);
	for (int i = 0; i < NPROGS; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(progs[i]);

		memset(&info, 0, sizeof(info));
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			misses += info.recursion_misses;
	}
	return misses;
}

/* Walk a hash map in batches (one syscall per few thousand entries). */
static int walk_map(int fd, size_t key_size, size_t value_size,
		    int (*visit)(void *ctx, const void *key, const void *value), void *ctx)
{
	enum { BATCH = 4096 };
	char *keys = malloc(BATCH * key_size), *values = malloc(BATCH * value_size);
	__u64 in_batch = 0, out_batch = 0;
	bool first = true;
	int err = 0;

	if (!keys || !values) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = BATCH;
		int ret = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys, values,
					       &count, NULL);
		int saved = errno;

		if (ret && saved != ENOENT) {
			err = -saved;
			goto out;
		}
		for (__u32 i = 0; i < count; i++) {
			err = visit(ctx, keys + i * key_size, values + i * value_size);
			if (err)
				goto out;
		}
		if (ret)
			break; /* ENOENT: that was the last batch */
		in_batch = out_batch;
		first = false;
	}
out:
	free(keys);
	free(values);
	return err;
}

struct walk_ctx {
	void *fn;
	void *ctx;
};

static int visit_obj(void *ctx, const void *key, const void *value)
{
	struct walk_ctx *w = ctx;
	int (*fn)(void *, const struct rec_obj_key *, const struct rec_obj *) = w->fn;

	return fn(w->ctx, key, value);
}

static int visit_origin(void *ctx, const void *key, const void *value)
{
	struct walk_ctx *w = ctx;
	int (*fn)(void *, const struct rec_origin_key *, const struct rec_origin *) = w->fn;

	return fn(w->ctx, key, value);
}

int record_probe__outstanding(struct record_probe *rp,
			      int (*fn)(void *ctx, const struct rec_obj_key *key, const struct rec_obj *obj),
			      void *ctx)
{
	struct walk_ctx w = { (void *)fn, ctx };

	return walk_map(bpf_map__fd(rp->skel->maps.outstanding), sizeof(struct rec_obj_key),
			sizeof(struct rec_obj), visit_obj, &w);
}

int record_probe__origins(struct record_probe *rp,
			  int (*fn)(void *ctx, const struct rec_origin_key *key,
				    const struct rec_origin *val),
			  void *ctx)
{
	struct walk_ctx w = { (void *)fn, ctx };

	return walk_map(bpf_map__fd(rp->skel->maps.origins), sizeof(struct rec_origin_key),
			sizeof(struct rec_origin), visit_origin, &w);
}

const char *record_probe__note(const struct record_probe *rp)
{
	return rp->note;
}

void record_probe__stop(struct record_probe *rp)
{
	if (!rp)
		return;
	ring_buffer__free(rp->ring);
	record_order__free(rp->order);
	record_stage__release(&rp->stage);
	record_bpf__destroy(rp->skel);
	free(rp);
}
