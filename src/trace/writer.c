/* Trace writer: encodes trace.h records into chunks (src/trace/format.h).
 * Records accumulate in one in-memory chunk; a chunk reaches the file whole,
 * with its length and CRC32, so a recording cut off at any instant is
 * readable up to its last complete chunk. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/symtab.h"
#include "trace/format.h"
#include "trace/trace.h"
#include "util/hashmap.h"

struct chunk_site {
	uint64_t call_site;
	uint32_t tag_id, gfp_flags;
	uint8_t kind, order;
};

struct chunk_actor {
	uint32_t tgid, tid, comm_id;
	uint16_t cpu;
};

struct trace_writer {
	int fd;
	char *path;
	int error;		/* sticky: the first I/O error */
	uint64_t bytes_written;

	char **strings; /* by id */
	uint32_t nstrings, strings_cap;
	struct u64map *string_ids;  /* hash (probed) → id */
	struct u64map *stacks_seen; /* stack_id → 1 */
	struct u64map *ustacks_seen; /* version 2: ustack_id → 1 */
	bool user_stacks;	     /* version 2 */

	/* The chunk being built; payload starts after room for its header. */
	uint8_t *chunk;
	size_t len, cap;
	struct u64map *site_ids, *actor_ids; /* hash (probed) → index */
	struct chunk_site *sites;
	struct chunk_actor *actors;
	uint32_t nsites, nactors, sites_cap, actors_cap;
	uint64_t prev_ts;
	uint64_t prev_ptr[8]; /* per kind: pointers are deltas within their key space */
};

static int write_all(struct trace_writer *w, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	if (w->error)
		return w->error;
	while (n > 0) {
		ssize_t done = write(w->fd, p, n);

		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0) {
			w->error = done < 0 ? -errno : -EIO;
			return w->error;
		}
		p += done;
		n -= (size_t)done;
		w->bytes_written += (uint64_t)done;
	}
	return 0;
}

static int chunk_reserve(struct trace_writer *w, size_t extra)
{
	if (w->len + extra <= w->cap)
		return 0;
	size_t cap = w->cap ? w->cap : 64 << 10;

	while (cap < w->len + extra)
		cap *= 2;
	uint8_t *grown = realloc(w->chunk, cap);

	if (!grown)
		return -ENOMEM;
	w->chunk = grown;
	w->cap = cap;
	return 0;
}

/* Callers reserve room first; these never fail. */
static void put_varint(struct trace_writer *w, uint64_t v)
{
	w->len += (size_t)fmt_put_varint(w->chunk + w->len, v);
}

static void put_byte(struct trace_writer *w, uint8_t b)
{
	w->chunk[w->len++] = b;
}

static void put_bytes(struct trace_writer *w, const void *p, size_t n)
{
	if (n == 0)
		return; /* p may be NULL then */
	memcpy(w->chunk + w->len, p, n);
	w->len += n;
}

static void put_ts(struct trace_writer *w, uint64_t ts)
{
	put_varint(w, fmt_zigzag((int64_t)(ts - w->prev_ts)));
	w->prev_ts = ts;
}

static void put_ptr(struct trace_writer *w, uint8_t kind, uint64_t ptr)
{
	uint64_t *prev = &w->prev_ptr[kind & 7];

	put_varint(w, fmt_zigzag((int64_t)(ptr - *prev)));
	*prev = ptr;
}

static void chunk_tables_reset(struct trace_writer *w)
{
	u64map_free(w->site_ids);
	u64map_free(w->actor_ids);
	w->site_ids = u64map_new(256);
	w->actor_ids = u64map_new(64);
	w->nsites = w->nactors = 0;
	w->prev_ts = 0;
	memset(w->prev_ptr, 0, sizeof(w->prev_ptr));
}

int trace_writer__flush(struct trace_writer *w)
{
	if (!w)
		return -EINVAL;
	if (w->error)
		return w->error;
	if (w->len > TRACE_CHUNK_HDR_LEN) {
		size_t payload = w->len - TRACE_CHUNK_HDR_LEN;
		uint32_t crc = (uint32_t)crc32(0L, w->chunk + TRACE_CHUNK_HDR_LEN, (uInt)payload);

		fmt_put_u32(w->chunk, TRACE_CHUNK_MAGIC);
		fmt_put_u32(w->chunk + 4, (uint32_t)payload);
		fmt_put_u32(w->chunk + 8, crc);
		int err = write_all(w, w->chunk, w->len);

		if (err)
			return err;
	}
	w->len = TRACE_CHUNK_HDR_LEN;
	chunk_tables_reset(w);
	return w->site_ids && w->actor_ids ? 0 : -ENOMEM;
}

/* Start a new chunk when this one is big enough; then make room for a record. */
static int record_begin(struct trace_writer *w, size_t room)
{
	if (w->error)
		return w->error;
	if (w->len >= TRACE_CHUNK_TARGET || w->nsites >= TRACE_CHUNK_TABLE_TARGET ||
	    w->nactors >= TRACE_CHUNK_TABLE_TARGET) {
		int err = trace_writer__flush(w);

		if (err)
			return err;
	}
	return chunk_reserve(w, room);
}

static uint64_t hash_str(const char *s)
{
	return hash_bytes(s, strlen(s));
}

uint32_t trace_writer__string(struct trace_writer *w, const char *s)
{
	if (!w || !s)
		return UINT32_MAX;
	uint64_t key = hash_str(s);
	uint64_t *found;

	/* Open addressing over the hash: a collision moves to the next key. */
	while ((found = u64map_find(w->string_ids, key))) {
		if (!strcmp(w->strings[*found], s))
			return (uint32_t)*found;
		key++;
	}
	size_t n = strnlen(s, TRACE_MAX_STRING);

	if (w->nstrings == UINT32_MAX - 1 || record_begin(w, n + 32))
		return UINT32_MAX;
	if (w->nstrings == w->strings_cap) {
		uint32_t cap = w->strings_cap ? w->strings_cap * 2 : 256;
		char **grown = realloc(w->strings, cap * sizeof(*grown));

		if (!grown)
			return UINT32_MAX;
		w->strings = grown;
		w->strings_cap = cap;
	}
	char *copy = strdup(s);

	if (!copy || u64map_set(w->string_ids, key, w->nstrings)) {
		free(copy);
		return UINT32_MAX;
	}
	w->strings[w->nstrings] = copy;
	put_byte(w, REC_STRING);
	put_varint(w, w->nstrings);
	put_varint(w, n);
	put_bytes(w, s, n);
	return w->nstrings++;
}

int trace_writer__frees_not_exact(struct trace_writer *w, const char *tag)
{
	char note[TRACE_MAX_STRING];

	if ((size_t)snprintf(note, sizeof(note), "%s%s", TRACE_NOTE_FREES_NOT_EXACT, tag) >=
	    sizeof(note))
		return -ENAMETOOLONG;
	return trace_writer__string(w, note) == UINT32_MAX ? -ENOMEM : 0;
}

int trace_writer__stack_estimated(struct trace_writer *w, uint32_t stack_id)
{
	char note[64];

	if (!w || stack_id == TRACE_NO_STACK || !u64map_find(w->stacks_seen, stack_id))
		return -EINVAL;
	snprintf(note, sizeof(note), "%s%" PRIu32, TRACE_NOTE_STACK_ESTIMATED, stack_id);
	/* Interning says it once: a second call finds the string. */
	return trace_writer__string(w, note) == UINT32_MAX ? -ENOMEM : 0;
}

int trace_writer__stack(struct trace_writer *w, uint32_t stack_id, const uint64_t *ips, int depth)
{
	if (!w || stack_id == TRACE_NO_STACK || depth < 0 || (depth > 0 && !ips))
		return -EINVAL;
	if (u64map_find(w->stacks_seen, stack_id))
		return 0;
	if (depth > (int)TRACE_MAX_DEPTH)
		depth = (int)TRACE_MAX_DEPTH;
	int err = record_begin(w, 32 + (size_t)depth * 10);

	if (err)
		return err;
	if (u64map_set(w->stacks_seen, stack_id, 1))
		return -ENOMEM;
	put_byte(w, REC_STACK);
	put_varint(w, stack_id);
	put_varint(w, (uint64_t)depth);
	uint64_t prev = 0;

	for (int i = 0; i < depth; i++) {
		put_varint(w, fmt_zigzag((int64_t)(ips[i] - prev)));
		prev = ips[i];
	}
	return 0;
}

int trace_writer__ustack(struct trace_writer *w, uint32_t ustack_id, const uint64_t *ips,
			 int depth, unsigned int flags)
{
	if (!w || !w->user_stacks || depth < 0 || (depth > 0 && !ips))
		return -EINVAL;
	if (u64map_find(w->ustacks_seen, ustack_id))
		return 0;
	if (depth > (int)TRACE_MAX_DEPTH)
		depth = (int)TRACE_MAX_DEPTH;
	int err = record_begin(w, 32 + (size_t)depth * 10);

	if (err)
		return err;
	if (u64map_set(w->ustacks_seen, ustack_id, 1))
		return -ENOMEM;
	put_byte(w, REC_USTACK);
	put_varint(w, ustack_id);
	put_byte(w, (uint8_t)flags);
	put_varint(w, (uint64_t)depth);
	uint64_t prev = 0;

	for (int i = 0; i < depth; i++) {
		put_varint(w, fmt_zigzag((int64_t)(ips[i] - prev)));
		prev = ips[i];
	}
	return 0;
}

int trace_writer__maps(struct trace_writer *w, const struct trace_process_maps *pm)
{
	if (!w || !pm || !w->user_stacks || pm->n > TRACE_MAX_MAPPINGS || (pm->n && !pm->maps))
		return -EINVAL;
	size_t room = 32;

	for (uint32_t i = 0; i < pm->n; i++)
		room += 40 + strnlen(pm->maps[i].path ? pm->maps[i].path : "", TRACE_MAX_STRING) +
			TRACE_MAX_BUILD_ID;
	int err = record_begin(w, room);

	if (err)
		return err;
	put_byte(w, REC_MAPS);
	put_varint(w, pm->tgid);
	put_varint(w, pm->n);
	for (uint32_t i = 0; i < pm->n; i++) {
		const struct trace_mapping *m = &pm->maps[i];
		const char *path = m->path ? m->path : "";
		size_t plen = strnlen(path, TRACE_MAX_STRING);
		uint32_t blen = m->build_id ? m->build_id_len : 0;

		if (blen > TRACE_MAX_BUILD_ID)
			blen = TRACE_MAX_BUILD_ID;
		put_varint(w, m->start);
		put_varint(w, m->end > m->start ? m->end - m->start : 0);
		put_varint(w, m->offset);
		put_varint(w, plen);
		put_bytes(w, path, plen);
		put_varint(w, blen);
		put_bytes(w, m->build_id, blen);
	}
	return 0;
}

int trace_writer__ksyms(struct trace_writer *w, const struct symtab *ks)
{
	if (!w || !ks)
		return -EINVAL;
	size_t total = symtab__count(ks), i = 0;

	while (i < total) {
		size_t batch = total - i < TRACE_KSYMS_PER_RECORD ? total - i : TRACE_KSYMS_PER_RECORD;
		size_t room = 32;

		for (size_t j = i; j < i + batch; j++) {
			const struct symbol *sym = symtab__at(ks, j);

			room += 30 + strnlen(sym->name, TRACE_MAX_STRING) +
				(sym->module ? strnlen(sym->module, TRACE_MAX_STRING) : 0);
		}
		int err = record_begin(w, room);

		if (err)
			return err;
		put_byte(w, REC_KSYMS);
		put_varint(w, batch);
		uint64_t prev = 0;

		for (size_t j = i; j < i + batch; j++) {
			const struct symbol *sym = symtab__at(ks, j);
			size_t nlen = strnlen(sym->name, TRACE_MAX_STRING);
			size_t mlen = sym->module ? strnlen(sym->module, TRACE_MAX_STRING) : 0;

			put_varint(w, fmt_zigzag((int64_t)(sym->addr - prev)));
			prev = sym->addr;
			put_varint(w, nlen);
			put_bytes(w, sym->name, nlen);
			put_varint(w, mlen);
			put_bytes(w, sym->module, mlen);
		}
		i += batch;
	}
	return 0;
}

static bool string_ok(const struct trace_writer *w, uint32_t id)
{
	return id < w->nstrings;
}

static bool stack_ok(const struct trace_writer *w, uint32_t id)
{
	return id == TRACE_NO_STACK || u64map_find(w->stacks_seen, id);
}

/* The per-chunk index of a site, emitting its definition when new. */
static int chunk_site(struct trace_writer *w, const struct chunk_site *site, uint32_t *idx)
{
	uint64_t key = hash_u64(site->call_site) ^
		       hash_u64((uint64_t)site->tag_id << 32 | site->gfp_flags) ^
		       ((uint64_t)site->kind << 8 | site->order);
	uint64_t *found;

	while ((found = u64map_find(w->site_ids, key))) {
		const struct chunk_site *have = &w->sites[*found];

		if (have->call_site == site->call_site && have->tag_id == site->tag_id &&
		    have->gfp_flags == site->gfp_flags && have->kind == site->kind &&
		    have->order == site->order) {
			*idx = (uint32_t)*found;
			return 0;
		}
		key++;
	}
	if (w->nsites == w->sites_cap) {
		uint32_t cap = w->sites_cap ? w->sites_cap * 2 : 64;
		struct chunk_site *grown = realloc(w->sites, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		w->sites = grown;
		w->sites_cap = cap;
	}
	if (u64map_set(w->site_ids, key, w->nsites))
		return -ENOMEM;
	w->sites[w->nsites] = *site;
	put_byte(w, REC_SITE);
	put_varint(w, site->call_site);
	put_varint(w, site->tag_id);
	put_byte(w, site->kind);
	put_varint(w, site->gfp_flags);
	put_byte(w, site->order);
	*idx = w->nsites++;
	return 0;
}

static int chunk_actor(struct trace_writer *w, const struct chunk_actor *actor, uint32_t *idx)
{
	uint64_t key = hash_u64((uint64_t)actor->tgid << 32 | actor->tid) ^
		       hash_u64((uint64_t)actor->comm_id << 16 | actor->cpu);
	uint64_t *found;

	while ((found = u64map_find(w->actor_ids, key))) {
		const struct chunk_actor *have = &w->actors[*found];

		if (have->tgid == actor->tgid && have->tid == actor->tid &&
		    have->comm_id == actor->comm_id && have->cpu == actor->cpu) {
			*idx = (uint32_t)*found;
			return 0;
		}
		key++;
	}
	if (w->nactors == w->actors_cap) {
		uint32_t cap = w->actors_cap ? w->actors_cap * 2 : 64;
		struct chunk_actor *grown = realloc(w->actors, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		w->actors = grown;
		w->actors_cap = cap;
	}
	if (u64map_set(w->actor_ids, key, w->nactors))
		return -ENOMEM;
	w->actors[w->nactors] = *actor;
	put_byte(w, REC_ACTOR);
	put_varint(w, actor->tgid);
	put_varint(w, actor->tid);
	put_varint(w, actor->comm_id);
	put_varint(w, actor->cpu);
	*idx = w->nactors++;
	return 0;
}

/* Room for one event plus the site and actor definitions it may need. */
#define EVENT_ROOM 192

int trace_writer__alloc(struct trace_writer *w, const struct trace_alloc *a)
{
	if (!w || !a || !string_ok(w, a->tag_id) || !string_ok(w, a->comm_id) ||
	    !stack_ok(w, a->stack_id))
		return -EINVAL;
	int err = record_begin(w, EVENT_ROOM);

	if (err)
		return err;
	struct chunk_site site = { a->call_site, a->tag_id, a->gfp_flags, a->kind, a->order };
	struct chunk_actor actor = { a->tgid, a->tid, a->comm_id, a->cpu };
	uint32_t site_idx, actor_idx;

	err = chunk_site(w, &site, &site_idx);
	if (!err)
		err = chunk_actor(w, &actor, &actor_idx);
	if (err)
		return err;
	bool with_ustack = w->user_stacks && a->ustack_state != TUS_NONE;

	if (with_ustack && a->ustack_state == TUS_STACK && !u64map_find(w->ustacks_seen, a->ustack_id))
		return -EINVAL;
	put_byte(w, with_ustack ? REC_ALLOC_U : REC_ALLOC);
	put_ts(w, a->ts_ns);
	put_varint(w, site_idx);
	put_varint(w, actor_idx);
	put_ptr(w, a->kind, a->ptr);
	put_varint(w, a->bytes_req);
	put_varint(w, fmt_zigzag((int64_t)(a->bytes_alloc - a->bytes_req)));
	put_varint(w, a->stack_id == TRACE_NO_STACK ? 0 : (uint64_t)a->stack_id + 1);
	if (with_ustack)
		put_varint(w, a->ustack_state == TUS_STACK	 ? (uint64_t)a->ustack_id + 2
			      : a->ustack_state == TUS_KTHREAD ? 1
							       : 0);
	return 0;
}

int trace_writer__free(struct trace_writer *w, const struct trace_free *f)
{
	if (!w || !f || !string_ok(w, f->tag_id))
		return -EINVAL;
	int err = record_begin(w, EVENT_ROOM);

	if (err)
		return err;
	struct chunk_site site = { f->call_site, f->tag_id, 0, f->kind, 0 };
	uint32_t site_idx, actor_idx;
	/* A free carries no comm: the actor's comm is the empty string, id 0
	 * when the caller interned "" first; any valid id works the same. */
	struct chunk_actor actor = { f->tgid, f->tid, 0, f->cpu };

	err = chunk_site(w, &site, &site_idx);
	if (!err)
		err = chunk_actor(w, &actor, &actor_idx);
	if (err)
		return err;
	put_byte(w, REC_FREE);
	put_ts(w, f->ts_ns);
	put_varint(w, site_idx);
	put_varint(w, actor_idx);
	put_ptr(w, f->kind, f->ptr);
	return 0;
}

int trace_writer__lost(struct trace_writer *w, const struct trace_lost *l)
{
	if (!w || !l)
		return -EINVAL;
	int err = record_begin(w, 64);

	if (err)
		return err;
	put_byte(w, REC_LOST);
	put_ts(w, l->ts_ns);
	put_varint(w, l->cpu);
	put_varint(w, l->ringbuf_full);
	put_varint(w, l->map_full);
	put_varint(w, l->bpf_misses);
	return 0;
}

#define SNAPSHOT_ENTRY_ROOM 80

int trace_writer__snapshot(struct trace_writer *w, const struct trace_snapshot *s)
{
	if (!w || !s || (s->nentries && !s->entries))
		return -EINVAL;
	if ((uint64_t)s->nentries * SNAPSHOT_ENTRY_ROOM > TRACE_MAX_CHUNK / 2)
		return -E2BIG; /* more than one chunk can hold */
	for (uint32_t i = 0; i < s->nentries; i++)
		if (!string_ok(w, s->entries[i].tag_id) || !stack_ok(w, s->entries[i].stack_id))
			return -EINVAL;
	int err = record_begin(w, 32 + (size_t)s->nentries * SNAPSHOT_ENTRY_ROOM);

	if (err)
		return err;
	put_byte(w, REC_SNAPSHOT);
	put_ts(w, s->ts_ns);
	put_varint(w, s->nentries);
	for (uint32_t i = 0; i < s->nentries; i++) {
		const struct trace_snapshot_entry *e = &s->entries[i];

		put_varint(w, e->stack_id == TRACE_NO_STACK ? 0 : (uint64_t)e->stack_id + 1);
		put_varint(w, e->tag_id);
		put_varint(w, e->tgid);
		put_byte(w, e->kind);
		put_varint(w, e->outstanding_count);
		put_varint(w, e->outstanding_bytes);
		put_varint(w, e->allocs);
		put_varint(w, e->frees);
		put_varint(w, e->oldest_ts_ns);
	}
	return 0;
}

uint64_t trace_writer__bytes(const struct trace_writer *w)
{
	return w ? w->bytes_written + (w->len > TRACE_CHUNK_HDR_LEN ? w->len : 0) : 0;
}

static void put_str_field(struct trace_writer *w, const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;

	put_varint(w, n);
	put_bytes(w, s, n);
}

/* The header is built in the chunk buffer (before any chunk exists). */
static int write_header(struct trace_writer *w, const struct trace_header *hdr)
{
	size_t opt_len = hdr->options ? strnlen(hdr->options, TRACE_MAX_STRING) : 0;
	int err = chunk_reserve(w, 512 + opt_len);

	if (err)
		return err;
	w->len = 0;
	put_str_field(w, hdr->hostname, sizeof(hdr->hostname) - 1);
	put_str_field(w, hdr->kernel_release, sizeof(hdr->kernel_release) - 1);
	put_str_field(w, hdr->boot_id, sizeof(hdr->boot_id) - 1);
	put_str_field(w, TRACE_CLOCK_NAME, 64);
	put_varint(w, hdr->start_realtime_ns);
	put_varint(w, hdr->start_ns);
	put_varint(w, (hdr->aggregate ? TRACE_HF_AGGREGATE : 0) | (hdr->stacks ? TRACE_HF_STACKS : 0) |
			      (hdr->user_stacks ? TRACE_HF_USER_STACKS : 0));
	put_varint(w, hdr->sample_every);
	put_str_field(w, hdr->options, TRACE_MAX_STRING);
	put_varint(w, hdr->stack_rate); /* revision 2 */

	uint8_t pre[TRACE_MAGIC_LEN + 8], crc[4];

	memcpy(pre, TRACE_MAGIC, TRACE_MAGIC_LEN);
	fmt_put_u32(pre + TRACE_MAGIC_LEN,
		    hdr->user_stacks ? TRACE_FORMAT_VERSION_USER_STACKS : TRACE_FORMAT_VERSION);
	fmt_put_u32(pre + TRACE_MAGIC_LEN + 4, (uint32_t)w->len);
	fmt_put_u32(crc, (uint32_t)crc32(0L, w->chunk, (uInt)w->len));
	err = write_all(w, pre, sizeof(pre));
	if (!err)
		err = write_all(w, w->chunk, w->len);
	if (!err)
		err = write_all(w, crc, sizeof(crc));
	w->len = TRACE_CHUNK_HDR_LEN;
	return err;
}

static void writer_free(struct trace_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (uint32_t i = 0; i < w->nstrings; i++)
		free(w->strings[i]);
	free(w->strings);
	u64map_free(w->string_ids);
	u64map_free(w->stacks_seen);
	u64map_free(w->ustacks_seen);
	u64map_free(w->site_ids);
	u64map_free(w->actor_ids);
	free(w->sites);
	free(w->actors);
	free(w->chunk);
	free(w->path);
	free(w);
}

int trace_writer__open(const char *path, const struct trace_header *hdr, struct trace_writer **out)
{
	struct trace_writer *w = calloc(1, sizeof(*w));
	int err = -ENOMEM;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->path = strdup(path);
	w->string_ids = u64map_new(1024);
	w->stacks_seen = u64map_new(1024);
	w->ustacks_seen = u64map_new(64);
	w->user_stacks = hdr->user_stacks;
	if (!w->path || !w->string_ids || !w->stacks_seen || !w->ustacks_seen)
		goto out;
	chunk_tables_reset(w);
	if (!w->site_ids || !w->actor_ids)
		goto out;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_header(w, hdr);
	if (err)
		goto out;
	*out = w;
	return 0;
out:
	writer_free(w);
	return err;
}

int trace_writer__close(struct trace_writer *w, uint64_t stop_ns)
{
	if (!w)
		return 0;
	int err = trace_writer__flush(w);

	if (!err) {
		uint8_t trailer[TRACE_TRAILER_LEN];

		fmt_put_u32(trailer, TRACE_TRAILER_MAGIC);
		fmt_put_u64(trailer + 4, stop_ns);
		fmt_put_u32(trailer + 12, (uint32_t)crc32(0L, trailer + 4, 8));
		err = write_all(w, trailer, sizeof(trailer));
	}
	if (!err && close(w->fd) < 0)
		err = -errno; /* e.g. NFS reporting a failed write at close */
	w->fd = -1;
	writer_free(w);
	return err;
}
