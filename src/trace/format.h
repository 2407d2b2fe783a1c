/* The on-disk encoding of a poolscope trace (documented in docs/FORMAT.md).
 * Private to src/trace/writer.c and src/trace/reader.c: everything else sees
 * the decoded structs of trace.h.
 *
 *   file    := header chunk* trailer?
 *   header  := "PSTRACE\0" u32 version u32 body_len body[body_len] u32 crc32(body)
 *   chunk   := u32 CHUNK_MAGIC u32 payload_len u32 crc32(payload) payload
 *   trailer := u32 TRAILER_MAGIC u64 stop_ns u32 crc32(stop_ns bytes)
 *
 * Fixed-width integers are little-endian. Inside a payload every record is
 * one type byte and varint fields (LEB128; signed values zigzag-encoded).
 * Each chunk decodes on its own given the strings and stacks defined before
 * it: timestamps and pointers are deltas against the previous record of the
 * same chunk, and the per-chunk site/actor tables start empty in every chunk. */
#ifndef POOLSCOPE_TRACE_FORMAT_H
#define POOLSCOPE_TRACE_FORMAT_H

#include <stdint.h>
#include <string.h>

#define TRACE_MAGIC "PSTRACE"	     /* 8 bytes with its NUL */
#define TRACE_MAGIC_LEN 8
#define TRACE_FORMAT_VERSION 1
/* Version 2: the trace carries user-space stacks and process mappings
 * (record --user-stacks): records USTACK, MAPS and ALLOC_U, which a version-1
 * reader would reject as unknown. Written only then; every other trace stays
 * version 1, so earlier readers keep reading it. The reader reads both. */
#define TRACE_FORMAT_VERSION_USER_STACKS 2
#define TRACE_CHUNK_MAGIC 0x4b435350u   /* "PSCK" */
#define TRACE_TRAILER_MAGIC 0x4e455350u /* "PSEN" */
#define TRACE_CHUNK_HDR_LEN 12
#define TRACE_TRAILER_LEN 16
#define TRACE_CLOCK_NAME "CLOCK_MONOTONIC"

/* Limits the reader enforces (and the writer stays within) so that a
 * malformed file can never make the reader allocate without bound. */
#define TRACE_MAX_HEADER_BODY (64u << 10)
#define TRACE_MAX_CHUNK (64u << 20)
#define TRACE_MAX_STRING 4096u
#define TRACE_MAX_DEPTH 256u
#define TRACE_MAX_CHUNK_TABLE 65536u /* sites or actors per chunk */
#define TRACE_KSYMS_PER_RECORD 4096u
#define TRACE_MAX_MAPPINGS 65536u /* per MAPS record */
#define TRACE_MAX_BUILD_ID 64u

/* The writer ends a chunk once it holds this much, or its tables are full. */
#define TRACE_CHUNK_TARGET (1u << 20)
#define TRACE_CHUNK_TABLE_TARGET 4096u

enum trace_rec_byte {
	REC_STRING = 1,	   /* varint id (= next id), varint len, bytes */
	REC_STACK = 2,	   /* varint stack_id, varint depth, ip0, zigzag deltas */
	REC_KSYMS = 3,	   /* varint n, n × {zigzag addr delta, str name, str module} */
	REC_SITE = 4,	   /* per chunk: call_site, tag_id, u8 kind, gfp, u8 order */
	REC_ACTOR = 5,	   /* per chunk: tgid, tid, comm_id, cpu */
	REC_USTACK = 6,	   /* v2: varint ustack_id, u8 flags, varint depth, ip0, zigzag deltas */
	REC_MAPS = 7,	   /* v2: tgid, n, n × {start, len, offset, str path, str build_id} */
	REC_ALLOC = 16,	   /* ts_d, site, actor, ptr_d, req, zz(alloc-req), stack+1 */
	REC_FREE = 17,	   /* ts_d, site, actor, ptr_d */
	REC_LOST = 18,	   /* ts_d, cpu, ringbuf_full, map_full, bpf_misses */
	REC_SNAPSHOT = 19, /* ts_d, n, n × entry (docs/FORMAT.md) */
	REC_ALLOC_U = 20,  /* v2: REC_ALLOC's fields, then ustack: 0 lost, 1 kernel thread, id + 2 */
};

/* Annotation strings (format 1, revision 1; docs/FORMAT.md): a STRING no
 * record refers to, whose text is this prefix and a tag name, says that the
 * tag's frees are not exact (the kernel frees some of its objects where no
 * tracepoint fires). Readers of revision 0 intern it as any string and never
 * show it; no comm (15 bytes at most) or kernel cache name can spell it. */
#define TRACE_NOTE_FREES_NOT_EXACT "#poolscope:frees-not-exact:"

/* Annotation strings (format 1, revision 2): this prefix and a decimal
 * stack id says that some allocations carry that stack as their path's
 * (the stack budget), not from a walk of their own: per-stack figures on it
 * are estimates within an exactly counted path. Written before the first
 * such allocation's chunk ends, so a cut-off trace keeps it. */
#define TRACE_NOTE_STACK_ESTIMATED "#poolscope:stack-estimated:"

/* Header body flag bits. */
#define TRACE_HF_AGGREGATE 1u
#define TRACE_HF_STACKS 2u
#define TRACE_HF_USER_STACKS 4u /* version 2 */

static inline void fmt_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void fmt_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t fmt_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t fmt_get_u64(const uint8_t *p)
{
	return (uint64_t)fmt_get_u32(p) | (uint64_t)fmt_get_u32(p + 4) << 32;
}

static inline uint64_t fmt_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t fmt_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Encode v at p (room for 10 bytes); returns the bytes used. */
static inline int fmt_put_varint(uint8_t *p, uint64_t v)
{
	int n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Decode a varint from [*p, end). Returns 0, or -1 when it runs past end or
 * is longer than 10 bytes / overflows 64 bits. */
static inline int fmt_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	const uint8_t *q = *p;

	for (int shift = 0; shift < 70; shift += 7) {
		if (q >= end)
			return -1;
		uint8_t b = *q++;

		if (shift == 63 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*p = q;
			*out = v;
			return 0;
		}
	}
	return -1;
}

#endif
