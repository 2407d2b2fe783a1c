/* pprof's profile.proto, gzip'd (what `go tool pprof`, Pyroscope and
 * Grafana read), written by a small protobuf encoder: no protobuf library.
 * One sample per (tag, stack) group, values: outstanding objects,
 * outstanding bytes, allocations, frees (inside the window); labels "tag",
 * and "pid" (numeric) and "comm" when the grouping is by process and comm.
 * Kernel frames are in one Mapping, "[kernel]"; user frames (record
 * --user-stacks) below them in a Mapping per file a process had mapped, with
 * its range, file offset and build-id as the trace stored them. */
#ifndef POOLSCOPE_OUTPUT_PPROF_H
#define POOLSCOPE_OUTPUT_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/strbuf.h"

struct grouping;
struct group_opts;

/* Protobuf wire encoding, exposed for tests. */
void pb_varint(struct strbuf *sb, uint64_t v);
void pb_uint(struct strbuf *sb, int field, uint64_t v);			/* varint field */
void pb_bytes(struct strbuf *sb, int field, const void *p, size_t n);	/* length-delimited */
/* Packed repeated varints. */
void pb_packed(struct strbuf *sb, int field, const uint64_t *v, size_t n);

/* The uncompressed Profile message for a grouping by (tag, stack) [the
 * grouping may have other dimensions; each row is one sample]. */
int pprof_encode(const struct grouping *g, const struct group_opts *opts, uint64_t time_ns,
		 uint64_t duration_ns, struct strbuf *out);
/* Encode and gzip onto out. 0, -ENOMEM or -EIO. */
int pprof_write(FILE *out, const struct grouping *g, const struct group_opts *opts,
		uint64_t time_ns, uint64_t duration_ns);

#endif
