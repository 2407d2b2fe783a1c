/* Trace reader: decodes the chunked format of src/trace/format.h into the
 * records of trace.h. Built for hostile input (traces are copied between
 * machines and fuzzed): every length is checked against the bytes that are
 * really there before anything is allocated or copied, allocations are
 * bounded by the format's limits, and every error names its file offset. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/symtab.h"
#include "trace/format.h"
#include "trace/trace.h"
#include "util/hashmap.h"

struct reader_site {
	uint64_t call_site;
	uint32_t tag_id, gfp_flags;
	uint8_t kind, order;
};

struct reader_actor {
	uint32_t tgid, tid, comm_id;
	uint16_t cpu;
};

struct reader_stack {
	uint64_t *ips;
	int depth;
	unsigned int flags; /* user stacks: TRACE_USTACK_* */
};

/* One MAPS record: the mappings and the bytes their strings point into. */
struct reader_maps {
	struct trace_process_maps pm;
	struct trace_mapping *maps;
	uint8_t *bytes;
};

struct trace_reader {
	int fd;
	char *path;
	struct trace_header hdr;
	char *options;
	uint64_t off; /* file offset of the next chunk */
	bool truncated, done;

	uint8_t *chunk; /* payload of the current chunk */
	size_t chunk_cap;
	uint64_t chunk_off; /* file offset of the payload */
	const uint8_t *pos, *end;

	char **strings;
	uint32_t nstrings, strings_cap;
	struct u64map *stack_index; /* stack_id → index into stacks */
	struct u64map *stacks_estimated; /* stack_id → 1 (annotation strings, revision 2) */
	struct reader_stack *stacks;
	size_t nstacks, stacks_cap;
	struct symtab *ks;
	/* Version 2: user stacks (ustack_id → index into ustacks) and the
	 * processes' mappings (tgid → index into maps, the last record wins). */
	struct u64map *ustack_index, *maps_index;
	struct reader_stack *ustacks;
	size_t nustacks, ustacks_cap;
	struct reader_maps *maps;
	size_t nmaps, maps_cap;

	struct reader_site *sites;
	struct reader_actor *actors;
	uint32_t nsites, nactors, sites_cap, actors_cap;
	uint64_t prev_ts, prev_ptr[8];

	struct trace_snapshot_entry *snapshot; /* lent to the caller until the next call */
	uint32_t snapshot_cap;
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Read up to n bytes at off; returns the count read (short at EOF) or -errno. */
static ssize_t read_at(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t done = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -errno;
		if (done == 0)
			break;
		got += (size_t)done;
	}
	return (ssize_t)got;
}

/* A bounds-checked cursor over one record: any overrun sets bad. */
struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t cur_varint(struct cursor *c)
{
	uint64_t v = 0;

	if (!c->bad && fmt_get_varint(&c->p, c->end, &v))
		c->bad = true;
	return c->bad ? 0 : v;
}

static uint64_t cur_varint_max(struct cursor *c, uint64_t max)
{
	uint64_t v = cur_varint(c);

	if (v > max)
		c->bad = true;
	return c->bad ? 0 : v;
}

static uint8_t cur_byte(struct cursor *c)
{
	if (c->bad || c->p >= c->end) {
		c->bad = true;
		return 0;
	}
	return *c->p++;
}

/* A length-prefixed string, borrowed from the buffer; NULL when bad. */
static const uint8_t *cur_bytes(struct cursor *c, size_t max, size_t *len)
{
	size_t n = (size_t)cur_varint_max(c, max);
	const uint8_t *s = c->p;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return NULL;
	}
	c->p += n;
	*len = n;
	return s;
}

static char *dup_bytes(const uint8_t *s, size_t n)
{
	char *copy = malloc(n + 1);

	if (copy) {
		memcpy(copy, s, n);
		copy[n] = '\0';
	}
	return copy;
}

static uint64_t cur_ts(struct trace_reader *r, struct cursor *c)
{
	r->prev_ts += (uint64_t)fmt_unzigzag(cur_varint(c));
	return r->prev_ts;
}

static uint64_t cur_ptr(struct trace_reader *r, struct cursor *c, uint8_t kind)
{
	uint64_t *prev = &r->prev_ptr[kind & 7];

	*prev += (uint64_t)fmt_unzigzag(cur_varint(c));
	return *prev;
}

static int parse_header(struct trace_reader *r, char *err, size_t errlen)
{
	uint8_t pre[TRACE_MAGIC_LEN + 8];
	uint8_t *body = NULL;
	ssize_t got = read_at(r->fd, pre, sizeof(pre), 0);
	int ret;

	if (got < 0)
		return fail(err, errlen, "%s: read failed: %s", r->path, strerror((int)-got)), (int)got;
	/* "bad magic at offset 0" would send one looking for bytes that are not there. */
	if (got == 0)
		return fail(err, errlen, "%s: empty file, not a poolscope trace", r->path);
	if (memcmp(pre, TRACE_MAGIC, (size_t)got < TRACE_MAGIC_LEN ? (size_t)got : TRACE_MAGIC_LEN) ||
	    got == 0)
		return fail(err, errlen, "%s: not a poolscope trace (bad magic at offset 0)", r->path);
	if ((size_t)got < sizeof(pre))
		return fail(err, errlen, "%s: truncated header: file ends at offset %zd", r->path, got);
	r->hdr.version = fmt_get_u32(pre + TRACE_MAGIC_LEN);
	if (r->hdr.version != TRACE_FORMAT_VERSION &&
	    r->hdr.version != TRACE_FORMAT_VERSION_USER_STACKS)
		return fail(err, errlen,
			    "%s: unsupported trace format version %u at offset %d (this poolscope reads versions %d and %d)",
			    r->path, r->hdr.version, TRACE_MAGIC_LEN, TRACE_FORMAT_VERSION,
			    TRACE_FORMAT_VERSION_USER_STACKS);
	uint32_t body_len = fmt_get_u32(pre + TRACE_MAGIC_LEN + 4);

	if (body_len > TRACE_MAX_HEADER_BODY)
		return fail(err, errlen, "%s: header length %u at offset %d exceeds %u", r->path,
			    body_len, TRACE_MAGIC_LEN + 4, TRACE_MAX_HEADER_BODY);
	body = malloc(body_len + 4u);
	if (!body)
		return -ENOMEM;
	got = read_at(r->fd, body, body_len + 4u, sizeof(pre));
	if (got < 0) {
		ret = fail(err, errlen, "%s: read failed: %s", r->path, strerror((int)-got));
		ret = (int)got;
		goto out;
	}
	if ((size_t)got < body_len + 4u) {
		ret = fail(err, errlen, "%s: truncated header: file ends at offset %zu", r->path,
			   sizeof(pre) + (size_t)got);
		goto out;
	}
	uint32_t stored = fmt_get_u32(body + body_len);
	uint32_t computed = (uint32_t)crc32(0L, body, body_len);

	if (stored != computed) {
		ret = fail(err, errlen, "%s: header CRC mismatch at offset %zu (stored %08x, computed %08x)",
			   r->path, sizeof(pre), stored, computed);
		goto out;
	}
	struct cursor c = { body, body + body_len, false };
	const uint8_t *s;
	size_t n;

	s = cur_bytes(&c, sizeof(r->hdr.hostname) - 1, &n);
	if (s)
		memcpy(r->hdr.hostname, s, n);
	s = cur_bytes(&c, sizeof(r->hdr.kernel_release) - 1, &n);
	if (s)
		memcpy(r->hdr.kernel_release, s, n);
	s = cur_bytes(&c, sizeof(r->hdr.boot_id) - 1, &n);
	if (s)
		memcpy(r->hdr.boot_id, s, n);
	s = cur_bytes(&c, 64, &n);
	if (s && (n != strlen(TRACE_CLOCK_NAME) || memcmp(s, TRACE_CLOCK_NAME, n))) {
		ret = fail(err, errlen, "%s: header at offset %zu: unknown clock \"%.*s\"", r->path,
			   sizeof(pre), (int)n, (const char *)s);
		goto out;
	}
	r->hdr.start_realtime_ns = cur_varint(&c);
	r->hdr.start_ns = cur_varint(&c);
	uint64_t flags = cur_varint(&c);

	r->hdr.aggregate = flags & TRACE_HF_AGGREGATE;
	r->hdr.stacks = flags & TRACE_HF_STACKS;
	r->hdr.user_stacks = r->hdr.version >= TRACE_FORMAT_VERSION_USER_STACKS &&
			     (flags & TRACE_HF_USER_STACKS);
	r->hdr.sample_every = (uint32_t)cur_varint_max(&c, UINT32_MAX);
	s = cur_bytes(&c, TRACE_MAX_STRING, &n);
	if (c.bad) {
		ret = fail(err, errlen, "%s: malformed header at offset %zu", r->path, sizeof(pre));
		goto out;
	}
	r->options = dup_bytes(s, n);
	if (!r->options) {
		ret = -ENOMEM;
		goto out;
	}
	r->hdr.options = r->options;
	/* Revision 2 appends the stack budget; earlier bodies end here. */
	if (c.p < c.end) {
		r->hdr.stack_rate = (uint32_t)cur_varint_max(&c, UINT32_MAX);
		if (c.bad) {
			ret = fail(err, errlen, "%s: malformed header at offset %zu", r->path,
				   sizeof(pre));
			goto out;
		}
	}
	/* Fields a later minor revision appends to the body are skipped. */
	r->off = sizeof(pre) + body_len + 4u;
	ret = 0;
out:
	free(body);
	return ret;
}

/* The trailer, if the recording ended cleanly, sits in the last bytes: read
 * it up front so the header's stop time is known before the events. */
static void peek_trailer(struct trace_reader *r)
{
	struct stat st;
	uint8_t trailer[TRACE_TRAILER_LEN];

	if (fstat(r->fd, &st) || (uint64_t)st.st_size < r->off + TRACE_TRAILER_LEN)
		return;
	if (read_at(r->fd, trailer, sizeof(trailer), (uint64_t)st.st_size - TRACE_TRAILER_LEN) !=
	    (ssize_t)sizeof(trailer))
		return;
	if (fmt_get_u32(trailer) == TRACE_TRAILER_MAGIC &&
	    fmt_get_u32(trailer + 12) == (uint32_t)crc32(0L, trailer + 4, 8))
		r->hdr.stop_ns = fmt_get_u64(trailer + 4);
}

int trace_reader__open(const char *path, struct trace_reader **out, char *err, size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	struct stat st;
	int ret = -ENOMEM;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!r)
		return fail(err, errlen, "out of memory"), -ENOMEM;
	r->fd = -1;
	r->path = strdup(path);
	r->stack_index = u64map_new(256);
	r->stacks_estimated = u64map_new(64);
	r->ustack_index = u64map_new(64);
	r->maps_index = u64map_new(16);
	r->ks = symtab__new();
	if (!r->path || !r->stack_index || !r->stacks_estimated || !r->ks || !r->ustack_index ||
	    !r->maps_index) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (a trace is
	 * read with seeks, so only a regular file can be one). */
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (r->fd < 0) {
		ret = -errno;
		fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(r->fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		fail(err, errlen, "%s: not a regular file (a trace is a file written by poolscope record)",
		     path);
		goto out;
	}
	ret = parse_header(r, err, errlen);
	if (ret) {
		if (ret == -ENOMEM)
			fail(err, errlen, "out of memory");
		goto out;
	}
	peek_trailer(r);
	*out = r;
	return 0;
out:
	trace_reader__close(r);
	return ret;
}

const struct trace_header *trace_reader__header(const struct trace_reader *r)
{
	return &r->hdr;
}

bool trace_reader__truncated(const struct trace_reader *r)
{
	return r->truncated;
}

/* End of the readable part: a file that stops without a trailer is a
 * recording cut off (SIGKILL, power loss), not an error. */
static int end_truncated(struct trace_reader *r)
{
	r->truncated = true;
	r->done = true;
	r->hdr.stop_ns = 0;
	return 0;
}

/* Load the next chunk. 1: loaded; 0: end of trace; <0: error. */
static int load_chunk(struct trace_reader *r, char *err, size_t errlen)
{
	uint8_t head[TRACE_TRAILER_LEN];
	ssize_t got = read_at(r->fd, head, sizeof(head), r->off);

	if (got < 0)
		return fail(err, errlen, "%s: read failed at offset %" PRIu64 ": %s", r->path, r->off,
			    strerror((int)-got)),
		       (int)got;
	if (got < 4)
		return end_truncated(r);
	uint32_t magic = fmt_get_u32(head);

	if (magic == TRACE_TRAILER_MAGIC) {
		uint8_t extra;

		if (got < TRACE_TRAILER_LEN)
			return end_truncated(r);
		if (fmt_get_u32(head + 12) != (uint32_t)crc32(0L, head + 4, 8))
			return fail(err, errlen, "%s: trailer CRC mismatch at offset %" PRIu64, r->path,
				    r->off);
		if (read_at(r->fd, &extra, 1, r->off + TRACE_TRAILER_LEN) != 0)
			return fail(err, errlen, "%s: unexpected data after the trailer at offset %" PRIu64,
				    r->path, r->off + TRACE_TRAILER_LEN);
		r->hdr.stop_ns = fmt_get_u64(head + 4);
		r->done = true;
		return 0;
	}
	if (magic != TRACE_CHUNK_MAGIC)
		return fail(err, errlen, "%s: bad chunk magic %08x at offset %" PRIu64, r->path, magic,
			    r->off);
	if (got < TRACE_CHUNK_HDR_LEN)
		return end_truncated(r);
	uint32_t len = fmt_get_u32(head + 4), stored = fmt_get_u32(head + 8);

	if (len > TRACE_MAX_CHUNK)
		return fail(err, errlen, "%s: chunk length %u at offset %" PRIu64 " exceeds %u",
			    r->path, len, r->off, TRACE_MAX_CHUNK);
	/* Only grow the buffer for bytes the file really holds. */
	struct stat st;

	if (fstat(r->fd, &st) == 0 && (uint64_t)st.st_size < r->off + TRACE_CHUNK_HDR_LEN + len)
		return end_truncated(r);
	if (len > r->chunk_cap) {
		uint8_t *grown = realloc(r->chunk, len);

		if (!grown)
			return fail(err, errlen, "out of memory"), -ENOMEM;
		r->chunk = grown;
		r->chunk_cap = len;
	}
	got = read_at(r->fd, r->chunk, len, r->off + TRACE_CHUNK_HDR_LEN);
	if (got < 0)
		return fail(err, errlen, "%s: read failed at offset %" PRIu64 ": %s", r->path, r->off,
			    strerror((int)-got)),
		       (int)got;
	if ((size_t)got < len)
		return end_truncated(r);
	uint32_t computed = (uint32_t)crc32(0L, r->chunk, len);

	if (computed != stored)
		return fail(err, errlen,
			    "%s: chunk CRC mismatch at offset %" PRIu64 " (stored %08x, computed %08x)",
			    r->path, r->off, stored, computed);
	r->chunk_off = r->off + TRACE_CHUNK_HDR_LEN;
	r->off += TRACE_CHUNK_HDR_LEN + (uint64_t)len;
	r->pos = r->chunk;
	r->end = r->chunk + len;
	r->nsites = r->nactors = 0;
	r->prev_ts = 0;
	memset(r->prev_ptr, 0, sizeof(r->prev_ptr));
	return 1;
}

/* An annotation string naming a stack whose figures are estimates. Anything
 * else with the prefix (not a plain decimal id) is an ordinary string. */
static int note_estimated_stack(struct trace_reader *r, const char *s)
{
	size_t plen = strlen(TRACE_NOTE_STACK_ESTIMATED);
	uint64_t id = 0;
	const char *p;

	if (strncmp(s, TRACE_NOTE_STACK_ESTIMATED, plen) || !s[plen])
		return 0;
	for (p = s + plen; *p; p++) {
		if (*p < '0' || *p > '9' || id > UINT32_MAX)
			return 0;
		id = id * 10 + (uint64_t)(*p - '0');
	}
	if (id >= UINT32_MAX)
		return 0;
	return u64map_set(r->stacks_estimated, id, 1) ? -ENOMEM : 0;
}

static int add_string(struct trace_reader *r, const uint8_t *s, size_t n)
{
	if (r->nstrings == r->strings_cap) {
		uint32_t cap = r->strings_cap ? r->strings_cap * 2 : 256;
		char **grown = realloc(r->strings, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		r->strings = grown;
		r->strings_cap = cap;
	}
	r->strings[r->nstrings] = dup_bytes(s, n);
	if (!r->strings[r->nstrings])
		return -ENOMEM;
	r->nstrings++;
	return note_estimated_stack(r, r->strings[r->nstrings - 1]);
}

/* A STACK (user: a USTACK, with its flags byte) into its table. */
static int decode_stack(struct trace_reader *r, struct cursor *c, bool user)
{
	uint32_t id = (uint32_t)cur_varint_max(c, UINT32_MAX - 1);
	unsigned int flags = user ? cur_byte(c) : 0;
	int depth = (int)cur_varint_max(c, TRACE_MAX_DEPTH);
	struct u64map *index = user ? r->ustack_index : r->stack_index;
	struct reader_stack **stacks = user ? &r->ustacks : &r->stacks;
	size_t *nstacks = user ? &r->nustacks : &r->nstacks;
	size_t *stacks_cap = user ? &r->ustacks_cap : &r->stacks_cap;

	/* Each frame takes at least one byte: check before allocating. */
	if (c->bad || (size_t)(c->end - c->p) < (size_t)depth)
		return -EINVAL;
	uint64_t *ips = malloc(((size_t)depth + 1) * sizeof(*ips));
	uint64_t prev = 0;

	if (!ips)
		return -ENOMEM;
	for (int i = 0; i < depth; i++) {
		prev += (uint64_t)fmt_unzigzag(cur_varint(c));
		ips[i] = prev;
	}
	if (c->bad || u64map_find(index, id)) {
		/* Malformed, or a redefinition (the first definition stands). */
		free(ips);
		return c->bad ? -EINVAL : 0;
	}
	if (*nstacks == *stacks_cap) {
		size_t cap = *stacks_cap ? *stacks_cap * 2 : 256;
		struct reader_stack *grown = realloc(*stacks, cap * sizeof(*grown));

		if (!grown) {
			free(ips);
			return -ENOMEM;
		}
		*stacks = grown;
		*stacks_cap = cap;
	}
	if (u64map_set(index, id, *nstacks)) {
		free(ips);
		return -ENOMEM;
	}
	(*stacks)[*nstacks].ips = ips;
	(*stacks)[*nstacks].depth = depth;
	(*stacks)[*nstacks].flags = flags;
	(*nstacks)++;
	return 0;
}

static int cmp_mapping(const void *a, const void *b)
{
	const struct trace_mapping *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* A MAPS record: the strings are copied into one block per record. */
static int decode_maps(struct trace_reader *r, struct cursor *c)
{
	uint32_t tgid = (uint32_t)cur_varint_max(c, UINT32_MAX);
	/* A mapping takes at least 5 bytes. */
	uint32_t n = (uint32_t)cur_varint_max(c, (uint64_t)(c->end - c->p) / 5);
	struct reader_maps rm = { 0 };
	size_t used = 0;

	if (c->bad || n > TRACE_MAX_MAPPINGS)
		return -EINVAL;
	rm.maps = calloc(n ? n : 1, sizeof(*rm.maps));
	rm.bytes = malloc((size_t)(c->end - c->p) + n + 1);
	if (!rm.maps || !rm.bytes)
		goto nomem;
	for (uint32_t i = 0; i < n && !c->bad; i++) {
		struct trace_mapping *m = &rm.maps[i];
		const uint8_t *path, *bid;
		size_t plen = 0, blen = 0;

		m->start = cur_varint(c);
		m->end = m->start + cur_varint(c);
		m->offset = cur_varint(c);
		path = cur_bytes(c, TRACE_MAX_STRING, &plen);
		bid = cur_bytes(c, TRACE_MAX_BUILD_ID, &blen);
		if (c->bad || m->end < m->start || (plen && memchr(path, 0, plen))) {
			c->bad = true;
			break;
		}
		memcpy(rm.bytes + used, path, plen);
		rm.bytes[used + plen] = '\0';
		m->path = (const char *)rm.bytes + used;
		used += plen + 1;
		if (blen) {
			memcpy(rm.bytes + used, bid, blen);
			m->build_id = rm.bytes + used;
			m->build_id_len = (uint32_t)blen;
			used += blen;
		}
	}
	if (c->bad) {
		free(rm.maps);
		free(rm.bytes);
		return -EINVAL;
	}
	qsort(rm.maps, n, sizeof(*rm.maps), cmp_mapping);
	rm.pm = (struct trace_process_maps){ .tgid = tgid, .n = n, .maps = rm.maps };
	if (r->nmaps == r->maps_cap) {
		size_t cap = r->maps_cap ? r->maps_cap * 2 : 16;
		struct reader_maps *grown = realloc(r->maps, cap * sizeof(*grown));

		if (!grown)
			goto nomem;
		r->maps = grown;
		r->maps_cap = cap;
	}
	if (u64map_set(r->maps_index, tgid, r->nmaps))
		goto nomem;
	r->maps[r->nmaps++] = rm;
	return 0;
nomem:
	free(rm.maps);
	free(rm.bytes);
	return -ENOMEM;
}

static int decode_ksyms(struct trace_reader *r, struct cursor *c)
{
	/* A symbol takes at least 3 bytes (address delta, name, module length). */
	uint64_t n = cur_varint_max(c, (uint64_t)(c->end - c->p) / 3);
	uint64_t addr = 0;

	for (uint64_t i = 0; i < n && !c->bad; i++) {
		size_t nlen = 0, mlen = 0;
		const uint8_t *name, *module;
		char name_buf[TRACE_MAX_STRING + 1], module_buf[TRACE_MAX_STRING + 1];

		addr += (uint64_t)fmt_unzigzag(cur_varint(c));
		name = cur_bytes(c, TRACE_MAX_STRING, &nlen);
		module = cur_bytes(c, TRACE_MAX_STRING, &mlen);
		if (c->bad || nlen == 0 || memchr(name, 0, nlen) || memchr(module, 0, mlen))
			return -EINVAL;
		memcpy(name_buf, name, nlen);
		name_buf[nlen] = '\0';
		memcpy(module_buf, module, mlen);
		module_buf[mlen] = '\0';
		if (symtab__add(r->ks, addr, name_buf, mlen ? module_buf : NULL))
			return -ENOMEM;
	}
	symtab__finish(r->ks);
	return c->bad ? -EINVAL : 0;
}

static int decode_site(struct trace_reader *r, struct cursor *c)
{
	struct reader_site site;

	site.call_site = cur_varint(c);
	site.tag_id = (uint32_t)cur_varint_max(c, UINT32_MAX);
	site.kind = cur_byte(c);
	site.gfp_flags = (uint32_t)cur_varint_max(c, UINT32_MAX);
	site.order = cur_byte(c);
	if (c->bad || site.tag_id >= r->nstrings || r->nsites >= TRACE_MAX_CHUNK_TABLE)
		return -EINVAL;
	if (r->nsites == r->sites_cap) {
		uint32_t cap = r->sites_cap ? r->sites_cap * 2 : 64;
		struct reader_site *grown = realloc(r->sites, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		r->sites = grown;
		r->sites_cap = cap;
	}
	r->sites[r->nsites++] = site;
	return 0;
}

static int decode_actor(struct trace_reader *r, struct cursor *c)
{
	struct reader_actor actor;

	actor.tgid = (uint32_t)cur_varint_max(c, UINT32_MAX);
	actor.tid = (uint32_t)cur_varint_max(c, UINT32_MAX);
	actor.comm_id = (uint32_t)cur_varint_max(c, UINT32_MAX);
	actor.cpu = (uint16_t)cur_varint_max(c, UINT16_MAX);
	if (c->bad || r->nactors >= TRACE_MAX_CHUNK_TABLE)
		return -EINVAL;
	if (r->nactors == r->actors_cap) {
		uint32_t cap = r->actors_cap ? r->actors_cap * 2 : 64;
		struct reader_actor *grown = realloc(r->actors, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		r->actors = grown;
		r->actors_cap = cap;
	}
	r->actors[r->nactors++] = actor;
	return 0;
}

/* stack+1 encoding: 0 is "no stack"; any other id must have been defined. */
static uint32_t cur_stack_ref(struct trace_reader *r, struct cursor *c)
{
	uint64_t v = cur_varint_max(c, UINT32_MAX);

	if (c->bad || v == 0)
		return TRACE_NO_STACK;
	if (!u64map_find(r->stack_index, v - 1))
		c->bad = true;
	return (uint32_t)(v - 1);
}

static int decode_alloc(struct trace_reader *r, struct cursor *c, struct trace_alloc *a)
{
	a->ts_ns = cur_ts(r, c);
	uint32_t site_idx = (uint32_t)cur_varint_max(c, UINT32_MAX);
	uint32_t actor_idx = (uint32_t)cur_varint_max(c, UINT32_MAX);

	if (c->bad || site_idx >= r->nsites || actor_idx >= r->nactors ||
	    r->actors[actor_idx].comm_id >= r->nstrings)
		return -EINVAL;
	const struct reader_site *site = &r->sites[site_idx];
	const struct reader_actor *actor = &r->actors[actor_idx];

	a->call_site = site->call_site;
	a->tag_id = site->tag_id;
	a->kind = site->kind;
	a->gfp_flags = site->gfp_flags;
	a->order = site->order;
	a->tgid = actor->tgid;
	a->tid = actor->tid;
	a->comm_id = actor->comm_id;
	a->cpu = actor->cpu;
	a->ptr = cur_ptr(r, c, site->kind);
	a->bytes_req = cur_varint(c);
	a->bytes_alloc = a->bytes_req + (uint64_t)fmt_unzigzag(cur_varint(c));
	a->stack_id = cur_stack_ref(r, c);
	return c->bad ? -EINVAL : 0;
}

/* ALLOC_U: an ALLOC and its user stack (0 lost, 1 kernel thread, id + 2). */
static int decode_alloc_u(struct trace_reader *r, struct cursor *c, struct trace_alloc *a)
{
	int ret = decode_alloc(r, c, a);
	uint64_t v = cur_varint_max(c, (uint64_t)UINT32_MAX + 1);

	if (ret || c->bad)
		return -EINVAL;
	a->ustack_state = v == 0 ? TUS_LOST : v == 1 ? TUS_KTHREAD : TUS_STACK;
	if (v >= 2) {
		a->ustack_id = (uint32_t)(v - 2);
		if (!u64map_find(r->ustack_index, a->ustack_id))
			return -EINVAL;
	}
	return 0;
}

static int decode_free(struct trace_reader *r, struct cursor *c, struct trace_free *f)
{
	f->ts_ns = cur_ts(r, c);
	uint32_t site_idx = (uint32_t)cur_varint_max(c, UINT32_MAX);
	uint32_t actor_idx = (uint32_t)cur_varint_max(c, UINT32_MAX);

	if (c->bad || site_idx >= r->nsites || actor_idx >= r->nactors)
		return -EINVAL;
	const struct reader_site *site = &r->sites[site_idx];
	const struct reader_actor *actor = &r->actors[actor_idx];

	f->call_site = site->call_site;
	f->tag_id = site->tag_id;
	f->kind = site->kind;
	f->tgid = actor->tgid;
	f->tid = actor->tid;
	f->cpu = actor->cpu;
	f->ptr = cur_ptr(r, c, site->kind);
	return c->bad ? -EINVAL : 0;
}

static int decode_lost(struct trace_reader *r, struct cursor *c, struct trace_lost *l)
{
	l->ts_ns = cur_ts(r, c);
	l->cpu = (uint16_t)cur_varint_max(c, UINT16_MAX);
	l->ringbuf_full = cur_varint(c);
	l->map_full = cur_varint(c);
	l->bpf_misses = cur_varint(c);
	return c->bad ? -EINVAL : 0;
}

/* The smallest encoded snapshot entry: 8 one-byte varints and the kind. */
#define SNAPSHOT_ENTRY_MIN 9

static int decode_snapshot(struct trace_reader *r, struct cursor *c, struct trace_snapshot *s)
{
	s->ts_ns = cur_ts(r, c);
	uint32_t n = (uint32_t)cur_varint_max(c, (uint64_t)(c->end - c->p) / SNAPSHOT_ENTRY_MIN);

	if (c->bad)
		return -EINVAL;
	if (n > r->snapshot_cap) {
		struct trace_snapshot_entry *grown = realloc(r->snapshot, n * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		r->snapshot = grown;
		r->snapshot_cap = n;
	}
	for (uint32_t i = 0; i < n && !c->bad; i++) {
		struct trace_snapshot_entry *e = &r->snapshot[i];

		e->stack_id = cur_stack_ref(r, c);
		e->tag_id = (uint32_t)cur_varint_max(c, r->nstrings ? r->nstrings - 1 : 0);
		if (!r->nstrings)
			c->bad = true;
		e->tgid = (uint32_t)cur_varint_max(c, UINT32_MAX);
		e->kind = cur_byte(c);
		e->outstanding_count = cur_varint(c);
		e->outstanding_bytes = cur_varint(c);
		e->allocs = cur_varint(c);
		e->frees = cur_varint(c);
		e->oldest_ts_ns = cur_varint(c);
	}
	s->nentries = n;
	s->entries = r->snapshot;
	return c->bad ? -EINVAL : 0;
}

static const char *record_name(uint8_t type)
{
	switch (type) {
	case REC_STRING: return "string";
	case REC_STACK: return "stack";
	case REC_KSYMS: return "symbol";
	case REC_SITE: return "site";
	case REC_ACTOR: return "actor";
	case REC_USTACK: return "user stack";
	case REC_MAPS: return "maps";
	case REC_ALLOC_U: return "alloc";
	case REC_ALLOC: return "alloc";
	case REC_FREE: return "free";
	case REC_LOST: return "lost";
	case REC_SNAPSHOT: return "snapshot";
	}
	return "unknown";
}

int trace_reader__next(struct trace_reader *r, struct trace_record *rec, char *err, size_t errlen)
{
	for (;;) {
		if (r->done)
			return 0;
		if (r->pos == r->end) {
			int loaded = load_chunk(r, err, errlen);

			if (loaded <= 0)
				return loaded;
			continue;
		}
		uint64_t rec_off = r->chunk_off + (uint64_t)(r->pos - r->chunk);
		struct cursor c = { r->pos + 1, r->end, false };
		uint8_t type = *r->pos;
		int ret = -EINVAL, emitted = 0;
		const uint8_t *s;
		size_t n = 0;

		memset(rec, 0, sizeof(*rec));
		switch (type) {
		case REC_STRING:
			if (cur_varint_max(&c, UINT32_MAX) != r->nstrings && !c.bad) {
				r->pos = r->end;
				return fail(err, errlen, "%s: string id out of sequence at offset %" PRIu64,
					    r->path, rec_off);
			}
			s = cur_bytes(&c, TRACE_MAX_STRING, &n);
			ret = c.bad ? -EINVAL : add_string(r, s, n);
			break;
		case REC_STACK:
			ret = decode_stack(r, &c, false);
			break;
		/* Version 2 only: a version-1 file holding them is malformed. */
		case REC_USTACK:
			if (r->hdr.version < TRACE_FORMAT_VERSION_USER_STACKS)
				goto unknown;
			ret = decode_stack(r, &c, true);
			break;
		case REC_MAPS:
			if (r->hdr.version < TRACE_FORMAT_VERSION_USER_STACKS)
				goto unknown;
			ret = decode_maps(r, &c);
			break;
		case REC_ALLOC_U:
			if (r->hdr.version < TRACE_FORMAT_VERSION_USER_STACKS)
				goto unknown;
			rec->type = TR_ALLOC;
			ret = decode_alloc_u(r, &c, &rec->alloc);
			emitted = 1;
			break;
		case REC_KSYMS:
			ret = decode_ksyms(r, &c);
			break;
		case REC_SITE:
			ret = decode_site(r, &c);
			break;
		case REC_ACTOR:
			ret = decode_actor(r, &c);
			break;
		case REC_ALLOC:
			rec->type = TR_ALLOC;
			ret = decode_alloc(r, &c, &rec->alloc);
			emitted = 1;
			break;
		case REC_FREE:
			rec->type = TR_FREE;
			ret = decode_free(r, &c, &rec->free);
			emitted = 1;
			break;
		case REC_LOST:
			rec->type = TR_LOST;
			ret = decode_lost(r, &c, &rec->lost);
			emitted = 1;
			break;
		case REC_SNAPSHOT:
			rec->type = TR_SNAPSHOT;
			ret = decode_snapshot(r, &c, &rec->snapshot);
			emitted = 1;
			break;
		default:
unknown:
			r->pos = r->end;
			return fail(err, errlen, "%s: unknown record type 0x%02x at offset %" PRIu64,
				    r->path, type, rec_off);
		}
		if (ret) {
			/* Stop decoding this chunk: nothing after a bad record can be trusted. */
			r->pos = r->end;
			r->done = true;
			if (ret == -ENOMEM)
				return fail(err, errlen, "out of memory reading %s", r->path), -ENOMEM;
			return fail(err, errlen, "%s: malformed %s record at offset %" PRIu64, r->path,
				    record_name(type), rec_off);
		}
		r->pos = c.p;
		if (emitted)
			return 1;
	}
}

const char *trace_reader__string(const struct trace_reader *r, uint32_t id)
{
	return r && id < r->nstrings ? r->strings[id] : NULL;
}

bool trace_reader__stack_estimated(const struct trace_reader *r, uint32_t stack_id)
{
	return r && u64map_find(r->stacks_estimated, stack_id);
}

bool trace_reader__frees_exact(const struct trace_reader *r, const char *tag)
{
	size_t plen = strlen(TRACE_NOTE_FREES_NOT_EXACT);

	/* A linear scan: called once per tag shown, after the file is read. */
	for (uint32_t i = 0; r && tag && i < r->nstrings; i++)
		if (!strncmp(r->strings[i], TRACE_NOTE_FREES_NOT_EXACT, plen) &&
		    !strcmp(r->strings[i] + plen, tag))
			return false;
	return true;
}

int trace_reader__stack(const struct trace_reader *r, uint32_t stack_id, const uint64_t **ips)
{
	uint64_t *idx = r ? u64map_find(r->stack_index, stack_id) : NULL;

	if (!idx) {
		*ips = NULL;
		return 0;
	}
	*ips = r->stacks[*idx].ips;
	return r->stacks[*idx].depth;
}

int trace_reader__ustack(const struct trace_reader *r, uint32_t ustack_id, const uint64_t **ips,
			 unsigned int *flags)
{
	uint64_t *idx = r ? u64map_find(r->ustack_index, ustack_id) : NULL;

	*ips = NULL;
	if (flags)
		*flags = 0;
	if (!idx)
		return 0;
	*ips = r->ustacks[*idx].ips;
	if (flags)
		*flags = r->ustacks[*idx].flags;
	return r->ustacks[*idx].depth;
}

const struct trace_process_maps *trace_reader__maps(const struct trace_reader *r, uint32_t tgid)
{
	uint64_t *idx = r ? u64map_find(r->maps_index, tgid) : NULL;

	return idx ? &r->maps[*idx].pm : NULL;
}

const struct symtab *trace_reader__ksyms(const struct trace_reader *r)
{
	return r->ks;
}

void trace_reader__close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	for (uint32_t i = 0; i < r->nstrings; i++)
		free(r->strings[i]);
	free(r->strings);
	for (size_t i = 0; i < r->nstacks; i++)
		free(r->stacks[i].ips);
	free(r->stacks);
	u64map_free(r->stack_index);
	u64map_free(r->stacks_estimated);
	for (size_t i = 0; i < r->nustacks; i++)
		free(r->ustacks[i].ips);
	free(r->ustacks);
	u64map_free(r->ustack_index);
	for (size_t i = 0; i < r->nmaps; i++) {
		free(r->maps[i].maps);
		free(r->maps[i].bytes);
	}
	free(r->maps);
	u64map_free(r->maps_index);
	symtab__free(r->ks);
	free(r->sites);
	free(r->actors);
	free(r->snapshot);
	free(r->chunk);
	free(r->options);
	free(r->path);
	free(r);
}
