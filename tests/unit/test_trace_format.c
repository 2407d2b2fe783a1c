/* The trace file format: every record type survives a write/read round trip,
 * a file cut at any byte ends cleanly at its last complete chunk, corruption
 * is reported with its offset, and a decoder fed mutated chunks (with valid
 * CRCs) never crashes or reads out of bounds (run under ASan in make check). */
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <zlib.h>

#include "util/symtab.h"
#include "trace/format.h"
#include "trace/trace.h"

static char tmp_path[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmp_path, "/tmp/poolscope-test-trace.XXXXXX");
	int fd = mkstemp(tmp_path);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(tmp_path);
	return 0;
}

static void fill_header(struct trace_header *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	strcpy(hdr->hostname, "testhost");
	strcpy(hdr->kernel_release, "6.18.44-test");
	strcpy(hdr->boot_id, "0123abcd-0000-4000-8000-0123456789ab");
	hdr->start_realtime_ns = 1764092000123456789ull;
	hdr->start_ns = 5000000000ull;
	hdr->aggregate = true;
	hdr->stacks = true;
	hdr->sample_every = 7;
	hdr->options = "--tag filp --pid 42";
}

static uint8_t *slurp_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spew_bytes(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* Field by field: the structs have padding that memcmp would compare. */
static void assert_alloc_equal(const struct trace_alloc *x, const struct trace_alloc *y)
{
	assert_true(x->ts_ns == y->ts_ns && x->ptr == y->ptr && x->call_site == y->call_site);
	assert_true(x->bytes_req == y->bytes_req && x->bytes_alloc == y->bytes_alloc);
	assert_int_equal(x->tag_id, y->tag_id);
	assert_int_equal(x->comm_id, y->comm_id);
	assert_int_equal(x->stack_id, y->stack_id);
	assert_int_equal(x->gfp_flags, y->gfp_flags);
	assert_int_equal(x->tgid, y->tgid);
	assert_int_equal(x->tid, y->tid);
	assert_int_equal(x->cpu, y->cpu);
	assert_int_equal(x->kind, y->kind);
	assert_int_equal(x->order, y->order);
}

static void assert_free_equal(const struct trace_free *x, const struct trace_free *y)
{
	assert_true(x->ts_ns == y->ts_ns && x->ptr == y->ptr && x->call_site == y->call_site);
	assert_int_equal(x->tag_id, y->tag_id);
	assert_int_equal(x->tgid, y->tgid);
	assert_int_equal(x->tid, y->tid);
	assert_int_equal(x->cpu, y->cpu);
	assert_int_equal(x->kind, y->kind);
}

static void assert_entry_equal(const struct trace_snapshot_entry *x,
			       const struct trace_snapshot_entry *y)
{
	assert_int_equal(x->stack_id, y->stack_id);
	assert_int_equal(x->tag_id, y->tag_id);
	assert_int_equal(x->tgid, y->tgid);
	assert_int_equal(x->kind, y->kind);
	assert_true(x->outstanding_count == y->outstanding_count);
	assert_true(x->outstanding_bytes == y->outstanding_bytes);
	assert_true(x->allocs == y->allocs && x->frees == y->frees);
	assert_true(x->oldest_ts_ns == y->oldest_ts_ns);
}

static const uint64_t stack_a[] = { 0xffffffff81234567ull, 0xffffffff81200010ull,
				    0xffffffff8100abcdull, 0xffffffffc0401234ull };

static void test_round_trip(void **state)
{
	(void)state;
	struct trace_header hdr;
	struct trace_writer *w;
	struct trace_reader *r;
	struct trace_record rec;
	char err[256];

	fill_header(&hdr);
	assert_int_equal(trace_writer__open(tmp_path, &hdr, &w), 0);

	uint32_t empty = trace_writer__string(w, "");
	uint32_t filp = trace_writer__string(w, "filp");
	uint32_t comm = trace_writer__string(w, "evleak");
	uint32_t km = trace_writer__string(w, "kmalloc-64");

	assert_int_equal(empty, 0);
	assert_int_equal(trace_writer__string(w, "filp"), filp); /* interned */
	assert_int_equal(trace_writer__stack(w, 77, stack_a, 4), 0);
	assert_int_equal(trace_writer__stack(w, 78, NULL, 0), 0);

	struct symtab *ks = symtab__new();

	assert_non_null(ks);
	assert_int_equal(symtab__add(ks, 0xffffffff81234500ull, "do_eventfd", NULL), 0);
	assert_int_equal(symtab__add(ks, 0xffffffff81200000ull, "__x64_sys_eventfd2", NULL), 0);
	assert_int_equal(symtab__add(ks, 0xffffffffc0401000ull, "mod_fn", "somemod"), 0);
	symtab__finish(ks);
	assert_int_equal(trace_writer__ksyms(w, ks), 0);
	symtab__free(ks);

	struct trace_alloc a1 = { .ts_ns = 5000000100ull, .ptr = 0xffff888012345678ull,
				  .call_site = 0xffffffff81234567ull, .bytes_req = 232,
				  .bytes_alloc = 256, .tag_id = filp, .comm_id = comm,
				  .stack_id = 77, .gfp_flags = 0xcc0, .tgid = 4242, .tid = 4243,
				  .cpu = 1, .kind = TK_SLAB, .order = 0 };
	struct trace_alloc a2 = { .ts_ns = 5000000050ull /* earlier: ring order */,
				  .ptr = 0x1234, .call_site = 1, .bytes_req = 8192,
				  .bytes_alloc = 8192, .tag_id = km, .comm_id = comm,
				  .stack_id = TRACE_NO_STACK, .gfp_flags = 0x400dc0, .tgid = 1,
				  .tid = 1, .cpu = 0, .kind = TK_PAGE, .order = 1 };
	struct trace_alloc a3 = a1;

	a3.ptr = 0xffff888000000040ull; /* lower: negative delta */
	a3.bytes_alloc = 16;		/* smaller than requested: negative difference */
	a3.stack_id = 78;
	a3.kind = TK_KMALLOC;
	a3.tag_id = km;
	struct trace_free f1 = { .ts_ns = 5000000200ull, .ptr = a1.ptr, .call_site = 99,
				 .tag_id = filp, .tgid = 4242, .tid = 4243, .cpu = 1,
				 .kind = TK_SLAB };
	struct trace_lost l1 = { .ts_ns = 5000000300ull, .cpu = 1, .ringbuf_full = 12345,
				 .map_full = 6, .bpf_misses = 7 };
	struct trace_snapshot_entry entries[2] = {
		{ .stack_id = 77, .tag_id = filp, .tgid = 4242, .kind = TK_SLAB,
		  .outstanding_count = 10, .outstanding_bytes = 2560, .allocs = 15, .frees = 5,
		  .oldest_ts_ns = 5000000100ull },
		{ .stack_id = TRACE_NO_STACK, .tag_id = km, .tgid = 0, .kind = TK_KMALLOC,
		  .outstanding_count = 0, .outstanding_bytes = 0, .allocs = UINT64_MAX,
		  .frees = UINT64_MAX, .oldest_ts_ns = 0 },
	};
	struct trace_snapshot snap = { .ts_ns = 5000000400ull, .nentries = 2, .entries = entries };

	assert_int_equal(trace_writer__alloc(w, &a1), 0);
	assert_int_equal(trace_writer__flush(w), 0); /* a chunk boundary between events */
	assert_int_equal(trace_writer__alloc(w, &a2), 0);
	assert_int_equal(trace_writer__alloc(w, &a3), 0);
	assert_int_equal(trace_writer__free(w, &f1), 0);
	assert_int_equal(trace_writer__lost(w, &l1), 0);
	assert_int_equal(trace_writer__snapshot(w, &snap), 0);
	/* Contract checks: unknown string or stack ids are refused. */
	struct trace_alloc bad = a1;

	bad.stack_id = 1000;
	assert_int_equal(trace_writer__alloc(w, &bad), -EINVAL);
	bad = a1;
	bad.tag_id = 1000;
	assert_int_equal(trace_writer__alloc(w, &bad), -EINVAL);
	assert_int_equal(trace_writer__close(w, 5000000999ull), 0);
	assert_int_equal(trace_writer__close(NULL, 0), 0);

	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), 0);
	const struct trace_header *h = trace_reader__header(r);

	assert_int_equal(h->version, TRACE_FORMAT_VERSION);
	assert_string_equal(h->hostname, "testhost");
	assert_string_equal(h->kernel_release, "6.18.44-test");
	assert_string_equal(h->boot_id, hdr.boot_id);
	assert_true(h->start_realtime_ns == hdr.start_realtime_ns);
	assert_true(h->start_ns == hdr.start_ns);
	assert_true(h->stop_ns == 5000000999ull); /* known before reading: from the trailer */
	assert_true(h->aggregate && h->stacks);
	assert_int_equal(h->sample_every, 7);
	assert_string_equal(h->options, hdr.options);

	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.type, TR_ALLOC);
	assert_alloc_equal(&rec.alloc, &a1);
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 1);
	assert_alloc_equal(&rec.alloc, &a2);
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 1);
	assert_alloc_equal(&rec.alloc, &a3);
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.type, TR_FREE);
	assert_free_equal(&rec.free, &f1);
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.type, TR_LOST);
	assert_true(rec.lost.ts_ns == l1.ts_ns && rec.lost.cpu == l1.cpu);
	assert_true(rec.lost.ringbuf_full == 12345 && rec.lost.map_full == 6 &&
		    rec.lost.bpf_misses == 7);
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.type, TR_SNAPSHOT);
	assert_true(rec.snapshot.ts_ns == snap.ts_ns);
	assert_int_equal(rec.snapshot.nentries, 2);
	assert_entry_equal(&rec.snapshot.entries[0], &entries[0]);
	assert_entry_equal(&rec.snapshot.entries[1], &entries[1]);
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 0);
	assert_false(trace_reader__truncated(r));
	assert_true(trace_reader__header(r)->stop_ns == 5000000999ull);

	assert_string_equal(trace_reader__string(r, filp), "filp");
	assert_string_equal(trace_reader__string(r, empty), "");
	assert_null(trace_reader__string(r, 1000));
	const uint64_t *ips;

	assert_int_equal(trace_reader__stack(r, 77, &ips), 4);
	assert_memory_equal(ips, stack_a, sizeof(stack_a));
	assert_int_equal(trace_reader__stack(r, 78, &ips), 0);
	assert_int_equal(trace_reader__stack(r, 5, &ips), 0);

	const struct symtab *rks = trace_reader__ksyms(r);
	char buf[128];

	assert_int_equal(symtab__count(rks), 3);
	assert_string_equal(symtab__format(rks, stack_a[0], buf, sizeof(buf)), "do_eventfd+0x67");
	assert_string_equal(symtab__resolve(rks, stack_a[1])->name, "__x64_sys_eventfd2");
	assert_string_equal(symtab__resolve(rks, stack_a[3])->module, "somemod");
	trace_reader__close(r);
	trace_reader__close(NULL);
}

/* A realistic --no-stacks stream (slab objects within a few MB, ~300 ns
 * apart, a handful of call sites and two threads) must stay within the
 * 24 bytes/event budget, across automatic chunk boundaries, and read back
 * identically. */
/* Format 1, revision 1: a tag's frees marked not exact travel as an
 * annotation string, which a revision-0 reader reads as a string like any
 * other (no record refers to it): the file stays version 1 and readable. */
static void test_frees_not_exact_annotation(void **state)
{
	(void)state;
	struct trace_header hdr;
	struct trace_writer *w;
	struct trace_reader *r;
	struct trace_record rec;
	char err[256];
	int ret, n = 0;

	fill_header(&hdr);
	assert_int_equal(trace_writer__open(tmp_path, &hdr, &w), 0);
	uint32_t tag = trace_writer__string(w, "maple_node");
	struct trace_alloc a = { .ts_ns = hdr.start_ns + 1, .ptr = 0x1000, .bytes_req = 256,
				 .bytes_alloc = 256, .tag_id = tag, .comm_id = 0,
				 .stack_id = TRACE_NO_STACK, .kind = TK_SLAB };

	assert_int_equal(trace_writer__alloc(w, &a), 0);
	assert_int_equal(trace_writer__flush(w), 0);
	/* Decided at the end, after the events. */
	assert_int_equal(trace_writer__frees_not_exact(w, "maple_node"), 0);
	assert_int_equal(trace_writer__close(w, hdr.start_ns + 10), 0);

	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), 0);
	assert_int_equal(trace_reader__header(r)->version, 1);
	while ((ret = trace_reader__next(r, &rec, err, sizeof(err))) == 1)
		n++;
	assert_int_equal(ret, 0);
	assert_int_equal(n, 1); /* the alloc: the annotation is no record of its own */
	assert_false(trace_reader__frees_exact(r, "maple_node"));
	assert_true(trace_reader__frees_exact(r, "filp"));
	assert_true(trace_reader__frees_exact(r, "")); /* the bare prefix names no tag */
	assert_string_equal(trace_reader__string(r, tag), "maple_node");
	trace_reader__close(r);

	/* A trace without the annotation: every tag exact. */
	fill_header(&hdr);
	assert_int_equal(trace_writer__open(tmp_path, &hdr, &w), 0);
	a.tag_id = trace_writer__string(w, "maple_node");
	assert_int_equal(trace_writer__alloc(w, &a), 0);
	assert_int_equal(trace_writer__close(w, hdr.start_ns + 10), 0);
	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), 0);
	while (trace_reader__next(r, &rec, err, sizeof(err)) == 1)
		;
	assert_true(trace_reader__frees_exact(r, "maple_node"));
	trace_reader__close(r);
}

static void test_many_events_compact(void **state)
{
	(void)state;
	struct trace_header hdr;
	struct trace_writer *w;
	struct trace_reader *r;
	struct trace_record rec;
	char err[256];
	enum { N = 300000 };
	uint64_t ts = 1000000000ull, seed = 12345;
	uint32_t tags[3];

	fill_header(&hdr);
	hdr.aggregate = hdr.stacks = false;
	assert_int_equal(trace_writer__open(tmp_path, &hdr, &w), 0);
	tags[0] = trace_writer__string(w, "filp");
	tags[1] = trace_writer__string(w, "kmalloc-128");
	tags[2] = trace_writer__string(w, "anon_vma");
	uint32_t comm = trace_writer__string(w, "bench");
	uint64_t before = trace_writer__bytes(w);

	for (int i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		ts += 200 + (seed >> 40) % 200;
		uint64_t ptr = 0xffff888100000000ull + ((seed >> 20) % (8u << 20)) * 64;
		int k = (int)(seed >> 60) % 3;

		if (i % 2 == 0) {
			struct trace_alloc a = { .ts_ns = ts, .ptr = ptr,
						 .call_site = 0xffffffff81300000ull + (uint64_t)k * 0x100,
						 .bytes_req = 232, .bytes_alloc = 256, .tag_id = tags[k],
						 .comm_id = comm, .stack_id = TRACE_NO_STACK,
						 .gfp_flags = 0xcc0, .tgid = 999, .tid = 999 + (i & 1),
						 .cpu = 1, .kind = TK_SLAB };
			assert_int_equal(trace_writer__alloc(w, &a), 0);
		} else {
			struct trace_free f = { .ts_ns = ts, .ptr = ptr,
						.call_site = 0xffffffff81400000ull + (uint64_t)k,
						.tag_id = tags[k], .tgid = 999, .tid = 999, .cpu = 1,
						.kind = TK_SLAB };
			assert_int_equal(trace_writer__free(w, &f), 0);
		}
	}
	assert_int_equal(trace_writer__close(w, ts + 1), 0);

	size_t len;
	uint8_t *bytes = slurp_bytes(tmp_path, &len);
	double per_event = (double)(len - before) / N;

	free(bytes);
	print_message("trace format: %.1f bytes/event over %d events\n", per_event, N);
	assert_true(per_event <= 24.0);
	assert_true(len > (size_t)2 * TRACE_CHUNK_TARGET); /* several chunks */

	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), 0);
	int count = 0, ret;
	uint64_t last_ts = 0;

	while ((ret = trace_reader__next(r, &rec, err, sizeof(err))) == 1) {
		uint64_t t = rec.type == TR_ALLOC ? rec.alloc.ts_ns : rec.free.ts_ns;

		assert_true(t > last_ts);
		assert_int_equal(rec.type, count % 2 == 0 ? TR_ALLOC : TR_FREE);
		last_ts = t;
		count++;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(count, N);
	assert_true(last_ts == ts);
	trace_reader__close(r);
}

/* A small file with three chunks: returns the file, the offsets where each
 * chunk ends and the number of events in each. */
static uint8_t *small_file(size_t *len, size_t *hdr_end, uint64_t chunk_end[3], int per_chunk[3])
{
	struct trace_header hdr;
	struct trace_writer *w;

	fill_header(&hdr);
	assert_int_equal(trace_writer__open(tmp_path, &hdr, &w), 0);
	*hdr_end = trace_writer__bytes(w);
	uint32_t tag = trace_writer__string(w, "filp");
	uint32_t comm = trace_writer__string(w, "x");

	assert_int_equal(trace_writer__stack(w, 1, stack_a, 4), 0);
	for (int c = 0; c < 3; c++) {
		per_chunk[c] = c + 1;
		for (int i = 0; i <= c; i++) {
			struct trace_alloc a = { .ts_ns = 100u + (uint64_t)c * 10 + (uint64_t)i,
						 .ptr = 0xffff888000001000ull * (uint64_t)(i + 1),
						 .bytes_req = 8, .bytes_alloc = 8, .tag_id = tag,
						 .comm_id = comm, .stack_id = 1, .kind = TK_SLAB };
			assert_int_equal(trace_writer__alloc(w, &a), 0);
		}
		assert_int_equal(trace_writer__flush(w), 0);
		chunk_end[c] = trace_writer__bytes(w);
	}
	assert_int_equal(trace_writer__close(w, 999), 0);
	return slurp_bytes(tmp_path, len);
}

static void test_truncated_every_offset(void **state)
{
	(void)state;
	size_t len, hdr_end;
	uint64_t chunk_end[3];
	int per_chunk[3];
	uint8_t *full = small_file(&len, &hdr_end, chunk_end, per_chunk);
	char err[256];

	assert_true(len == chunk_end[2] + TRACE_TRAILER_LEN);
	for (size_t cut = 0; cut < len; cut++) {
		struct trace_reader *r;
		struct trace_record rec;
		int ret, count = 0, expect = 0;

		spew_bytes(tmp_path, full, cut);
		ret = trace_reader__open(tmp_path, &r, err, sizeof(err));
		if (cut < hdr_end) {
			/* A cut header is a clear error, never a crash or a success. */
			assert_int_equal(ret, -EINVAL);
			assert_true(strstr(err, "truncated header") || strstr(err, "bad magic") ||
				    (cut == 0 && strstr(err, "empty file")));
			continue;
		}
		assert_int_equal(ret, 0);
		assert_true(trace_reader__header(r)->stop_ns == 0);
		while ((ret = trace_reader__next(r, &rec, err, sizeof(err))) == 1)
			count++;
		if (ret != 0)
			fail_msg("cut at %zu: %s", cut, err);
		assert_true(trace_reader__truncated(r));
		for (int c = 0; c < 3; c++)
			if (chunk_end[c] <= cut)
				expect += per_chunk[c];
		if (count != expect)
			fail_msg("cut at %zu: %d events, expected %d", cut, count, expect);
		trace_reader__close(r);
	}
	free(full);
}

static void read_all_expect_error(const char *needle, int *events)
{
	struct trace_reader *r;
	struct trace_record rec;
	char err[256];
	int ret;

	*events = 0;
	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), 0);
	while ((ret = trace_reader__next(r, &rec, err, sizeof(err))) == 1)
		(*events)++;
	assert_true(ret < 0);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
	/* After an error the reader stays at its end. */
	assert_true(trace_reader__next(r, &rec, err, sizeof(err)) <= 0);
	trace_reader__close(r);
}

static void test_crc_corruption(void **state)
{
	(void)state;
	size_t len, hdr_end;
	uint64_t chunk_end[3];
	int per_chunk[3], events;
	uint8_t *full = small_file(&len, &hdr_end, chunk_end, per_chunk);
	char needle[64], err[256];
	struct trace_reader *r;

	/* A flipped bit inside the second chunk's payload. */
	full[chunk_end[0] + TRACE_CHUNK_HDR_LEN + 2] ^= 0x10;
	spew_bytes(tmp_path, full, len);
	snprintf(needle, sizeof(needle), "chunk CRC mismatch at offset %llu",
		 (unsigned long long)chunk_end[0]);
	read_all_expect_error(needle, &events);
	assert_int_equal(events, per_chunk[0]); /* the good chunk before it was delivered */
	full[chunk_end[0] + TRACE_CHUNK_HDR_LEN + 2] ^= 0x10;

	/* A damaged chunk magic. */
	full[chunk_end[1]] ^= 0xff;
	spew_bytes(tmp_path, full, len);
	snprintf(needle, sizeof(needle), "bad chunk magic 4b4353af at offset %llu",
		 (unsigned long long)chunk_end[1]);
	read_all_expect_error(needle, &events);
	full[chunk_end[1]] ^= 0xff;

	/* A damaged header field. */
	full[TRACE_MAGIC_LEN + 8 + 3] ^= 0x01;
	spew_bytes(tmp_path, full, len);
	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "header CRC mismatch at offset 16"));
	full[TRACE_MAGIC_LEN + 8 + 3] ^= 0x01;

	/* A damaged trailer. */
	full[len - 6] ^= 0x01;
	spew_bytes(tmp_path, full, len);
	snprintf(needle, sizeof(needle), "trailer CRC mismatch at offset %llu",
		 (unsigned long long)chunk_end[2]);
	read_all_expect_error(needle, &events);
	assert_int_equal(events, 6);
	full[len - 6] ^= 0x01;
	free(full);
}

static void test_magic_and_version(void **state)
{
	(void)state;
	size_t len, hdr_end;
	uint64_t chunk_end[3];
	int per_chunk[3];
	uint8_t *full = small_file(&len, &hdr_end, chunk_end, per_chunk);
	char err[256];
	struct trace_reader *r;

	memcpy(full, "GARBAGE!", 8);
	spew_bytes(tmp_path, full, len);
	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), -EINVAL);
	assert_null(r);
	assert_non_null(strstr(err, "not a poolscope trace (bad magic at offset 0)"));

	spew_bytes(tmp_path, full, 0);
	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), -EINVAL);
	assert_null(r);
	assert_non_null(strstr(err, "empty file, not a poolscope trace"));

	memcpy(full, TRACE_MAGIC, TRACE_MAGIC_LEN);
	fmt_put_u32(full + TRACE_MAGIC_LEN, 3);
	spew_bytes(tmp_path, full, len);
	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unsupported trace format version 3 at offset 8 "
				    "(this poolscope reads versions 1 and 2)"));

	assert_int_equal(trace_reader__open("/nonexistent/trace", &r, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
	free(full);
}

/* Version 2 (record --user-stacks): user stacks, a process's mappings and
 * allocations that carry a user stack or say they have none read back; a
 * trace without user stacks stays version 1; a version-1 file holding the
 * version-2 records is refused. */
static void test_user_stacks_round_trip(void **state)
{
	(void)state;
	static const uint64_t ustack[] = { 0x7f0000001007, 0x55550000120e, 0x555500001219 };
	static const uint8_t bid[] = { 0xde, 0xad, 0xbe, 0xef };
	struct trace_mapping maps[] = {
		{ .start = 0x7f0000000000, .end = 0x7f0000100000, .offset = 0x28000,
		  .path = "/usr/lib/libc.so.6" },
		{ .start = 0x555500001000, .end = 0x555500002000, .offset = 0x1000,
		  .path = "/opt/ustack_leak", .build_id = bid, .build_id_len = sizeof(bid) },
	};
	struct trace_process_maps pm = { .tgid = 4242, .n = 2, .maps = maps };
	struct trace_header hdr;
	struct trace_writer *w;
	struct trace_reader *r;
	struct trace_record rec;
	const struct trace_process_maps *got;
	const uint64_t *ips;
	unsigned int flags;
	char err[256];
	size_t len;
	uint8_t *bytes;

	fill_header(&hdr);
	hdr.aggregate = false;
	hdr.user_stacks = true;
	assert_int_equal(trace_writer__open(tmp_path, &hdr, &w), 0);
	uint32_t empty = trace_writer__string(w, "");
	uint32_t filp = trace_writer__string(w, "filp");

	assert_int_equal(trace_writer__stack(w, 5, stack_a, 4), 0);
	assert_int_equal(trace_writer__ustack(w, 9, ustack, 3, TRACE_USTACK_FP), 0);
	assert_int_equal(trace_writer__maps(w, &pm), 0);
	struct trace_alloc a = { .ts_ns = 5000000100ull, .ptr = 0xffff888000001000ull,
				 .call_site = 0xffffffff81234567ull, .bytes_req = 192,
				 .bytes_alloc = 192, .tag_id = filp, .comm_id = empty, .stack_id = 5,
				 .tgid = 4242, .tid = 4242, .kind = TK_SLAB,
				 .ustack_state = TUS_STACK, .ustack_id = 9 };

	assert_int_equal(trace_writer__alloc(w, &a), 0);
	a.ustack_state = TUS_KTHREAD;
	a.tgid = a.tid = 2;
	assert_int_equal(trace_writer__alloc(w, &a), 0);
	a.ustack_state = TUS_STACK;
	a.ustack_id = 10; /* never defined */
	assert_int_equal(trace_writer__alloc(w, &a), -EINVAL);
	assert_int_equal(trace_writer__close(w, 5000000999ull), 0);

	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), 0);
	assert_int_equal(trace_reader__header(r)->version, TRACE_FORMAT_VERSION_USER_STACKS);
	assert_true(trace_reader__header(r)->user_stacks);
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.type, TR_ALLOC);
	assert_int_equal(rec.alloc.ustack_state, TUS_STACK);
	assert_int_equal(rec.alloc.ustack_id, 9);
	assert_int_equal(rec.alloc.stack_id, 5);
	assert_int_equal(trace_reader__ustack(r, 9, &ips, &flags), 3);
	assert_int_equal(flags, TRACE_USTACK_FP);
	assert_memory_equal(ips, ustack, sizeof(ustack));
	got = trace_reader__maps(r, 4242);
	assert_non_null(got);
	assert_int_equal(got->n, 2);
	assert_string_equal(got->maps[1].path, "/usr/lib/libc.so.6"); /* sorted by start */
	assert_true(got->maps[0].start == 0x555500001000 && got->maps[0].end == 0x555500002000 &&
		    got->maps[0].offset == 0x1000);
	assert_int_equal(got->maps[0].build_id_len, 4);
	assert_memory_equal(got->maps[0].build_id, bid, 4);
	assert_null(got->maps[1].build_id);
	assert_null(trace_reader__maps(r, 1));
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.alloc.ustack_state, TUS_KTHREAD);
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), 0);
	trace_reader__close(r);

	/* The same bytes with version 1 in the header: USTACK is unknown there. */
	bytes = slurp_bytes(tmp_path, &len);
	fmt_put_u32(bytes + TRACE_MAGIC_LEN, 1);
	spew_bytes(tmp_path, bytes, len);
	free(bytes);
	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), 0);
	assert_int_equal(trace_reader__next(r, &rec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown record type 0x06"));
	trace_reader__close(r);

	/* Without user stacks: version 1, and the version-2 calls are refused. */
	hdr.user_stacks = false;
	assert_int_equal(trace_writer__open(tmp_path, &hdr, &w), 0);
	assert_int_equal(trace_writer__ustack(w, 9, ustack, 3, TRACE_USTACK_FP), -EINVAL);
	assert_int_equal(trace_writer__maps(w, &pm), -EINVAL);
	assert_int_equal(trace_writer__close(w, 5000000999ull), 0);
	assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), 0);
	assert_int_equal(trace_reader__header(r)->version, TRACE_FORMAT_VERSION);
	assert_false(trace_reader__header(r)->user_stacks);
	trace_reader__close(r);
}

/* Mutate bytes inside chunk payloads and fix the CRC so the decoder itself
 * is exercised: it must end with 0 or a clear error, never crash (ASan). */
static void test_mutated_payloads(void **state)
{
	(void)state;
	size_t len, hdr_end;
	uint64_t chunk_end[3];
	int per_chunk[3];
	uint8_t *full = small_file(&len, &hdr_end, chunk_end, per_chunk);
	uint8_t *copy = malloc(len);
	uint64_t seed = 42;
	int errors = 0;

	assert_non_null(copy);
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(copy, full, len);
		int c = iter % 3;
		uint64_t start = c ? chunk_end[c - 1] : hdr_end;
		uint32_t plen = fmt_get_u32(copy + start + 4);

		for (int m = 0; m < 1 + iter % 4; m++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			size_t at = start + TRACE_CHUNK_HDR_LEN + (seed >> 33) % plen;

			copy[at] = (uint8_t)(seed >> 8);
		}
		fmt_put_u32(copy + start + 8,
			    (uint32_t)crc32(0L, copy + start + TRACE_CHUNK_HDR_LEN, plen));
		spew_bytes(tmp_path, copy, len);

		struct trace_reader *r;
		struct trace_record rec;
		char err[256];
		int ret;

		assert_int_equal(trace_reader__open(tmp_path, &r, err, sizeof(err)), 0);
		while ((ret = trace_reader__next(r, &rec, err, sizeof(err))) == 1)
			;
		if (ret < 0) {
			errors++;
			assert_non_null(strstr(err, "at offset"));
		}
		trace_reader__close(r);
	}
	print_message("mutated payloads: %d of 3000 reported as malformed\n", errors);
	assert_true(errors > 0);
	free(copy);
	free(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frees_not_exact_annotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_events_compact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_every_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crc_corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_magic_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutated_payloads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_stacks_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
