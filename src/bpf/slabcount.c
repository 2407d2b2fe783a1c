/* Loader of the slab counters (slabcount.bpf.c): probes the kernel, loads,
 * attaches, and folds the per-CPU maps into one row per cache on read.
 * Links are plain fds, never pinned: whatever way the process ends, the
 * kernel drops the programs with its last fd. */
#include "bpf/slabcount.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/kmalloc_sites.h"
#include "bpf/libbpf_log.h"
#include "bpf/slabcount_abi.h"
#include "slabcount.skel.h"
#include "util/hashmap.h"

/* Map sizes: ~250 caches on a typical machine; owners are (cache, call
 * site) pairs, a few thousand after hours of uptime. When full, allocs are
 * still counted (without owner) and the shortfall is reported. */
#define MAX_CACHES 2048
#define MAX_OWNERS 16384

enum tp_index { TP_CACHE_ALLOC, TP_CACHE_FREE, TP_KMALLOC, TP_KFREE, TP_NR };

static const char *const tp_names[TP_NR] = {
	[TP_CACHE_ALLOC] = "kmem_cache_alloc",
	[TP_CACHE_FREE] = "kmem_cache_free",
	[TP_KMALLOC] = "kmalloc",
	[TP_KFREE] = "kfree",
};

struct slab_counters {
	struct slabcount_bpf *skel;
	int ncpus;
	bool tp_on[TP_NR];
	char note[512];
	/* Batch-lookup buffers, sized once for the whole map. */
	struct slabcount_owner_key *owner_keys;
	__u64 *owner_vals;
	__u64 *cache_keys;
	struct slabcount_cache_val *cache_vals;
	__u32 *bucket_keys;
	struct slabcount_owner_bucket *owner_buckets;
	struct slabcount_free_bucket *free_buckets;
	/* As of the last read. */
	uint64_t unattributed, missed;
};

static void set_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static const struct btf_type *skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/* The prototype behind the raw tracepoint tp (typedef btf_trace_<tp>), or
 * NULL when this kernel has no such tracepoint. Its first parameter is the
 * hidden context pointer; the tracepoint's own arguments follow. */
static const struct btf_type *tp_proto(const struct btf *btf, const char *tp)
{
	const struct btf_type *t;
	char name[128];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return NULL;
	t = skip_mods(btf, id);
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = skip_mods(btf, t->type);
	return t && btf_is_func_proto(t) ? t : NULL;
}

/* Whether parameter idx of proto points to struct sname (NULL: any pointer). */
static bool param_points_to(const struct btf *btf, const struct btf_type *proto,
			    unsigned int idx, const char *sname)
{
	const struct btf_type *t;

	if (idx >= btf_vlen(proto))
		return false;
	t = skip_mods(btf, btf_params(proto)[idx].type);
	if (!t || !btf_is_ptr(t))
		return false;
	if (!sname)
		return true;
	t = skip_mods(btf, t->type);
	return t && btf_is_struct(t) && strcmp(btf__name_by_offset(btf, t->name_off), sname) == 0;
}

/* POOLSCOPE_SLABCOUNT_OFF (comma-separated tracepoint names and/or
 * bpf_get_kmem_cache) makes this kernel look older than it is: the tests
 * drive the fallbacks of kernels we cannot boot here with it. "fast-tables"
 * sends every event down the hash-map path that full buckets take. */
static bool pretend_missing(const char *what)
{
	const char *list = getenv("POOLSCOPE_SLABCOUNT_OFF");
	size_t len = strlen(what);

	while (list && *list) {
		size_t n = strcspn(list, ",");

		if (n == len && strncmp(list, what, n) == 0)
			return true;
		list += n;
		list += *list == ',';
	}
	return false;
}

static void append(char *buf, size_t size, const char *sep, const char *s)
{
	size_t used = strlen(buf);

	snprintf(buf + used, size - used, "%s%s", used ? sep : "", s);
}

/* Decide which programs this kernel can run, and write the note saying how
 * attribution works here. Our programs read (call_site, ptr[, cache]). */
static void probe_kernel(struct slab_counters *sc, const struct btf *btf, bool *have_kfunc)
{
	struct bpf_program *progs[TP_NR] = {
		sc->skel->progs.psc_cache_alloc,
		sc->skel->progs.psc_cache_free,
		sc->skel->progs.psc_kmalloc,
		sc->skel->progs.psc_kfree,
	};
	char off[192] = "";
	int i;

	for (i = 0; i < TP_NR; i++) {
		const struct btf_type *proto = tp_proto(btf, tp_names[i]);
		bool cache_arg = i == TP_CACHE_ALLOC || i == TP_CACHE_FREE;

		sc->tp_on[i] = proto && param_points_to(btf, proto, 2, NULL) &&
			       (!cache_arg || param_points_to(btf, proto, 3, "kmem_cache")) &&
			       !pretend_missing(tp_names[i]);
		if (!sc->tp_on[i]) {
			bpf_program__set_autoload(progs[i], false);
			append(off, sizeof(off), ", ", tp_names[i]);
		}
	}
	/* Kernels before 6.1 trace node-specific allocations separately and
	 * without the cache: nothing exact can be made of them. */
	if (tp_proto(btf, "kmem_cache_alloc_node"))
		append(off, sizeof(off), ", ", "kmem_cache_alloc_node");
	if (tp_proto(btf, "kmalloc_node"))
		append(off, sizeof(off), ", ", "kmalloc_node");
	*have_kfunc = btf__find_by_name_kind(btf, "bpf_get_kmem_cache", BTF_KIND_FUNC) >= 0 &&
		      !pretend_missing("bpf_get_kmem_cache");

	if (*have_kfunc)
		snprintf(sc->note, sizeof(sc->note),
			 "exact per cache: kmem_cache_alloc/free carry their cache, kmalloc/kfree "
			 "are attributed from the object's slab (kmalloc > 8 KiB counts as "
			 "kmalloc-large); bulk and kfree_rcu batch frees have no tracepoint%s%s",
			 off[0] ? "; not counted on this kernel: " : "", off);
	else
		snprintf(sc->note, sizeof(sc->note),
			 "kmem_cache_alloc/free exact per cache; kmalloc/kfree counted as "
			 "unattributed (this kernel lacks bpf_get_kmem_cache, 6.13+)%s%s",
			 off[0] ? "; not counted on this kernel: " : "", off);
}

/* The kmalloc entry points' address ranges into the BPF rodata: see
 * entry_lo in slabcount.bpf.c for why. Returns how many, or -errno. */
static int set_kmalloc_entries(struct slab_counters *sc, const struct symtab *ks)
{
	struct slabcount_bpf__rodata *ro = sc->skel->rodata;
	uint64_t lo[SLABCOUNT_MAX_ENTRY_RANGES], hi[SLABCOUNT_MAX_ENTRY_RANGES];
	int n = kmalloc_entry_ranges(ks, lo, hi, SLABCOUNT_MAX_ENTRY_RANGES);

	for (int i = 0; i < n; i++) {
		ro->entry_lo[i] = lo[i];
		ro->entry_hi[i] = hi[i];
	}
	ro->entry_n = n > 0 ? (__u32)n : 0;
	return n;
}

static int alloc_buffers(struct slab_counters *sc)
{
	sc->owner_keys = calloc(MAX_OWNERS, sizeof(*sc->owner_keys));
	sc->owner_vals = calloc((size_t)MAX_OWNERS * sc->ncpus, sizeof(*sc->owner_vals));
	sc->cache_keys = calloc(MAX_CACHES, sizeof(*sc->cache_keys));
	sc->cache_vals = calloc((size_t)MAX_CACHES * sc->ncpus, sizeof(*sc->cache_vals));
	sc->bucket_keys = calloc(SLABCOUNT_OWNER_BUCKETS, sizeof(*sc->bucket_keys));
	sc->owner_buckets = calloc((size_t)SLABCOUNT_OWNER_BUCKETS * sc->ncpus,
				   sizeof(*sc->owner_buckets));
	sc->free_buckets = calloc((size_t)SLABCOUNT_FREE_BUCKETS * sc->ncpus,
				  sizeof(*sc->free_buckets));
	if (!sc->owner_keys || !sc->owner_vals || !sc->cache_keys || !sc->cache_vals ||
	    !sc->bucket_keys || !sc->owner_buckets || !sc->free_buckets)
		return -ENOMEM;
	return 0;
}

int slab_counters__start(const struct symtab *ks, struct slab_counters **out, char *why,
			 size_t whylen)
{
	libbpf_print_fn_t old_print = libbpf_set_print(libbpf_log_print);
	struct slab_counters *sc = NULL;
	struct btf *btf = NULL;
	bool have_kfunc = false;
	int err, i;

	*out = NULL;
	set_why(why, whylen, "%s", "");
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		err = -errno;
		set_why(why, whylen, "kernel BTF (/sys/kernel/btf/vmlinux) is missing: "
			"the counters need a kernel built with CONFIG_DEBUG_INFO_BTF");
		goto out;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		err = -ENOMEM;
		set_why(why, whylen, "out of memory");
		goto out;
	}
	sc->ncpus = libbpf_num_possible_cpus();
	if (sc->ncpus <= 0) {
		err = sc->ncpus ? sc->ncpus : -EINVAL;
		set_why(why, whylen, "cannot count possible CPUs: %s", strerror(-err));
		goto out;
	}
	err = alloc_buffers(sc);
	if (err) {
		set_why(why, whylen, "out of memory");
		goto out;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		err = -errno;
		set_why(why, whylen, "cannot read kernel BTF: %s", strerror(-err));
		goto out;
	}
	sc->skel = slabcount_bpf__open();
	if (!sc->skel) {
		err = -errno;
		set_why(why, whylen, "cannot open the slab counter BPF object: %s",
			strerror(-err));
		goto out;
	}
	probe_kernel(sc, btf, &have_kfunc);
	for (i = 0; i < TP_NR && !sc->tp_on[i]; i++)
		;
	if (i == TP_NR) {
		err = -EOPNOTSUPP;
		set_why(why, whylen, "this kernel has none of the kmem tracepoints the "
			"counters use (kmem_cache_alloc/free, kmalloc, kfree) as BTF raw tracepoints");
		goto out;
	}
	sc->skel->rodata->have_get_kmem_cache = have_kfunc;
	sc->skel->rodata->use_fast_tables = !pretend_missing("fast-tables");
	/* Tests only (see only_tgid in slabcount.bpf.c). */
	if (getenv("POOLSCOPE_SLABCOUNT_TGID"))
		sc->skel->rodata->only_tgid = (__u32)strtoul(getenv("POOLSCOPE_SLABCOUNT_TGID"),
							     NULL, 10);
	if (set_kmalloc_entries(sc, ks) <= 0)
		strncat(sc->note, "; kallsyms unreadable: a large kmalloc through __kmalloc "
			"may count twice", sizeof(sc->note) - strlen(sc->note) - 1);
	bpf_map__set_max_entries(sc->skel->maps.owners, MAX_OWNERS);
	bpf_map__set_max_entries(sc->skel->maps.caches, MAX_CACHES);
	bpf_map__set_max_entries(sc->skel->maps.names, MAX_CACHES);

	err = slabcount_bpf__load(sc->skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			set_why(why, whylen, "BPF needs CAP_BPF and CAP_PERFMON (or root)");
		else
			set_why(why, whylen, "loading the slab counter BPF programs failed: %s "
				"(POOLSCOPE_DEBUG_BPF=1 shows why)", strerror(-err));
		goto out;
	}
	err = slabcount_bpf__attach(sc->skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			set_why(why, whylen, "BPF needs CAP_BPF and CAP_PERFMON (or root)");
		else
			set_why(why, whylen, "attaching the slab counters to the kmem "
				"tracepoints failed: %s", strerror(-err));
		goto out;
	}
	*out = sc;
	sc = NULL;
out:
	btf__free(btf);
	slab_counters__stop(sc);
	libbpf_set_print(old_print);
	return err;
}

/* One row per cache while folding the maps; index in the result array. */
struct fold {
	struct u64map *index;	/* cache key -> position in rows */
	struct slab_count *rows;
	uint64_t *keys;		/* cache key of each row */
	size_t n, cap;
};

static struct slab_count *fold_row(struct fold *f, uint64_t cache)
{
	uint64_t *pos = u64map_find(f->index, cache);

	if (pos)
		return &f->rows[*pos];
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		struct slab_count *rows = realloc(f->rows, cap * sizeof(*rows));
		uint64_t *keys;

		if (!rows)
			return NULL;
		f->rows = rows;
		keys = realloc(f->keys, cap * sizeof(*keys));
		if (!keys)
			return NULL;
		f->keys = keys;
		f->cap = cap;
	}
	if (u64map_set(f->index, cache, f->n))
		return NULL;
	memset(&f->rows[f->n], 0, sizeof(f->rows[f->n]));
	f->keys[f->n] = cache;
	return &f->rows[f->n++];
}

/* Whole-map batch lookup into keys/vals; returns the number of entries or
 * -errno. The buffers hold max_entries, so no bucket can overflow them. */
static int lookup_all(int fd, void *keys, void *vals, __u32 max)
{
	__u32 count = max;
	__u64 out_batch = 0;
	int err;

	err = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count, NULL);
	if (err && errno != ENOENT)
		return -errno;
	return (int)count;
}

/* Allocs per (cache, call site) gathered from every table before the owner
 * is chosen: one pair may sit in both fast tables' slots on every CPU and in
 * the hash. */
struct site_sum {
	struct u64map *index; /* hash of (cache, site) -> position */
	struct slabcount_owner_slot *sums;
	size_t n, cap;
};

static int site_add(struct site_sum *ss, __u64 cache, __u64 call_site, __u64 count)
{
	uint64_t h = hash_u64(cache) ^ hash_u64(call_site * 0x9E3779B97F4A7C15ULL), *pos;
	size_t i;

	/* Collisions of the 64-bit hash are resolved by a linear scan of the
	 * equal-hash chain: extremely rare, so kept simple. */
	for (;;) {
		pos = u64map_find(ss->index, h);
		if (!pos)
			break;
		i = *pos;
		if (ss->sums[i].cache == cache && ss->sums[i].call_site == call_site) {
			ss->sums[i].count += count;
			return 0;
		}
		h++;
	}
	if (ss->n == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 1024;
		struct slabcount_owner_slot *sums = realloc(ss->sums, cap * sizeof(*sums));

		if (!sums)
			return -ENOMEM;
		ss->sums = sums;
		ss->cap = cap;
	}
	if (u64map_set(ss->index, h, ss->n))
		return -ENOMEM;
	ss->sums[ss->n++] = (struct slabcount_owner_slot){ cache, call_site, count };
	return 0;
}

static int fold_fast_owners(struct slab_counters *sc, struct bpf_map *map, struct site_sum *ss)
{
	int n = lookup_all(bpf_map__fd(map), sc->bucket_keys, sc->owner_buckets,
			   SLABCOUNT_OWNER_BUCKETS);
	size_t i, total;
	int slot, err;

	if (n < 0)
		return n;
	total = (size_t)n * sc->ncpus;
	for (i = 0; i < total; i++) {
		for (slot = 0; slot < SLABCOUNT_BUCKET_SLOTS; slot++) {
			const struct slabcount_owner_slot *s = &sc->owner_buckets[i].slot[slot];

			if (!s->cache)
				break;
			err = site_add(ss, s->cache, s->call_site, s->count);
			if (err)
				return err;
		}
	}
	return 0;
}

static int fold_owners(struct slab_counters *sc, struct fold *f)
{
	struct site_sum ss = {};
	int n, i, cpu, err;
	size_t k;

	ss.index = u64map_new(4096);
	if (!ss.index)
		return -ENOMEM;
	err = fold_fast_owners(sc, sc->skel->maps.fast_kmalloc, &ss);
	if (!err)
		err = fold_fast_owners(sc, sc->skel->maps.fast_cache_alloc, &ss);
	if (err)
		goto out;
	n = lookup_all(bpf_map__fd(sc->skel->maps.owners), sc->owner_keys, sc->owner_vals,
		       MAX_OWNERS);
	if (n < 0) {
		err = n;
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint64_t sum = 0;

		for (cpu = 0; cpu < sc->ncpus; cpu++)
			sum += sc->owner_vals[(size_t)i * sc->ncpus + cpu];
		err = site_add(&ss, sc->owner_keys[i].cache, sc->owner_keys[i].call_site, sum);
		if (err)
			goto out;
	}
	for (k = 0; k < ss.n; k++) {
		struct slab_count *row = fold_row(f, ss.sums[k].cache);

		if (!row) {
			err = -ENOMEM;
			goto out;
		}
		row->allocs += ss.sums[k].count;
		if (ss.sums[k].count > row->owner_allocs) {
			row->owner_allocs = ss.sums[k].count;
			row->owner_call_site = ss.sums[k].call_site;
		}
	}
out:
	u64map_free(ss.index);
	free(ss.sums);
	return err;
}

static int fold_fast_frees(struct slab_counters *sc, struct bpf_map *map, struct fold *f)
{
	int n = lookup_all(bpf_map__fd(map), sc->bucket_keys, sc->free_buckets,
			   SLABCOUNT_FREE_BUCKETS);
	size_t i, total;
	int slot;

	if (n < 0)
		return n;
	total = (size_t)n * sc->ncpus;
	for (i = 0; i < total; i++) {
		for (slot = 0; slot < SLABCOUNT_BUCKET_SLOTS; slot++) {
			const struct slabcount_free_slot *s = &sc->free_buckets[i].slot[slot];
			struct slab_count *row;

			if (!s->cache)
				break;
			row = fold_row(f, s->cache);
			if (!row)
				return -ENOMEM;
			row->frees += s->count;
		}
	}
	return 0;
}

static int fold_caches(struct slab_counters *sc, struct fold *f)
{
	int n = lookup_all(bpf_map__fd(sc->skel->maps.caches), sc->cache_keys, sc->cache_vals,
			   MAX_CACHES);
	int i, cpu;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		struct slab_count *row = fold_row(f, sc->cache_keys[i]);

		if (!row)
			return -ENOMEM;
		for (cpu = 0; cpu < sc->ncpus; cpu++) {
			const struct slabcount_cache_val *v =
				&sc->cache_vals[(size_t)i * sc->ncpus + cpu];

			row->frees += v->frees_kfree + v->frees_cache_free;
			row->allocs += v->allocs_unowned_kmalloc + v->allocs_unowned_cache;
		}
	}
	return 0;
}

static void name_rows(struct slab_counters *sc, struct fold *f)
{
	int fd = bpf_map__fd(sc->skel->maps.names);
	size_t i;

	for (i = 0; i < f->n; i++) {
		struct slabcount_name name;
		__u64 key = f->keys[i];

		if (key == SLABCOUNT_KEY_LARGE)
			snprintf(f->rows[i].name, sizeof(f->rows[i].name), "kmalloc-large");
		else if (bpf_map_lookup_elem(fd, &key, &name) == 0)
			snprintf(f->rows[i].name, sizeof(f->rows[i].name), "%.*s",
				 (int)sizeof(name.name), name.name);
		else /* names map full: still a distinct cache, said as such */
			snprintf(f->rows[i].name, sizeof(f->rows[i].name), "cache@0x%llx",
				 (unsigned long long)key);
	}
}

static uint64_t prog_misses(const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(prog);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.recursion_misses;
}

static int read_stats(struct slab_counters *sc)
{
	int fd = bpf_map__fd(sc->skel->maps.stats);
	__u64 stat[STAT_NR] = {};
	__u64 *percpu = calloc(sc->ncpus, sizeof(*percpu));
	__u32 slot;
	int cpu;

	if (!percpu)
		return -ENOMEM;
	for (slot = 0; slot < STAT_NR; slot++) {
		if (bpf_map_lookup_elem(fd, &slot, percpu))
			continue;
		for (cpu = 0; cpu < sc->ncpus; cpu++)
			stat[slot] += percpu[cpu];
	}
	free(percpu);
	/* A free program that could not run (a slab event nested inside its
	 * own run on that CPU, e.g. from an interrupt) lost a free it would
	 * have attributed: those are unattributed too. */
	sc->unattributed = stat[STAT_KFREE_UNATTRIBUTED] + stat[STAT_LOST_KFREE] +
			   stat[STAT_LOST_CACHE_FREE] + prog_misses(sc->skel->progs.psc_kfree) +
			   prog_misses(sc->skel->progs.psc_cache_free);
	sc->missed = sc->unattributed + stat[STAT_KMALLOC_UNATTRIBUTED] +
		     stat[STAT_LOST_KMALLOC] + stat[STAT_LOST_CACHE_ALLOC] +
		     prog_misses(sc->skel->progs.psc_kmalloc) +
		     prog_misses(sc->skel->progs.psc_cache_alloc);
	return 0;
}

int slab_counters__read(struct slab_counters *sc, struct slab_count **counts, size_t *n)
{
	struct fold f = {};
	int err;

	*counts = NULL;
	*n = 0;
	f.index = u64map_new(512);
	if (!f.index) {
		err = -ENOMEM;
		goto out;
	}
	err = fold_owners(sc, &f);
	if (!err)
		err = fold_fast_frees(sc, sc->skel->maps.fast_kfree, &f);
	if (!err)
		err = fold_fast_frees(sc, sc->skel->maps.fast_cache_free, &f);
	if (!err)
		err = fold_caches(sc, &f);
	if (!err)
		err = read_stats(sc);
	if (err)
		goto out;
	name_rows(sc, &f);
	*counts = f.rows;
	*n = f.n;
	f.rows = NULL;
out:
	u64map_free(f.index);
	free(f.rows);
	free(f.keys);
	return err;
}

uint64_t slab_counters__unattributed(const struct slab_counters *sc)
{
	return sc ? sc->unattributed : 0;
}

uint64_t slab_counters__missed(const struct slab_counters *sc)
{
	return sc ? sc->missed : 0;
}

const char *slab_counters__note(const struct slab_counters *sc)
{
	return sc ? sc->note : "";
}

void slab_counters__stop(struct slab_counters *sc)
{
	if (!sc)
		return;
	slabcount_bpf__destroy(sc->skel);
	free(sc->owner_keys);
	free(sc->owner_vals);
	free(sc->cache_keys);
	free(sc->cache_vals);
	free(sc->bucket_keys);
	free(sc->owner_buckets);
	free(sc->free_buckets);
	free(sc);
}
