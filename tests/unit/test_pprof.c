/* The hand-written protobuf encoder against the wire format's published
 * examples, and the Profile message's required shape (string 0 is "",
 * four sample types, one sample per group, gzip wrapper). */
#include "test_util.h"

#include <zlib.h>

#include "analysis/group.h"
#include "output/pprof.h"

static void test_varint(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	pb_varint(&sb, 1);
	pb_varint(&sb, 150); /* the protobuf docs' example: 96 01 */
	pb_varint(&sb, 300); /* ac 02 */
	pb_varint(&sb, UINT64_MAX);
	assert_int_equal(sb.len, 1 + 2 + 2 + 10);
	assert_memory_equal(sb.buf, "\x01\x96\x01\xac\x02", 5);
	assert_int_equal((unsigned char)sb.buf[14], 0x01);
	strbuf_reset(&sb);
	pb_uint(&sb, 1, 150); /* field 1 varint: 08 96 01 */
	pb_bytes(&sb, 2, "testing", 7); /* 12 07 74 65 73 74 69 6e 67 */
	assert_int_equal(sb.len, 3 + 9);
	assert_memory_equal(sb.buf, "\x08\x96\x01\x12\x07testing", 12);
	strbuf_reset(&sb);
	{
		uint64_t v[] = { 3, 270, 86942 }; /* packed example: 22 06 03 8e 02 9e a7 05 */

		pb_packed(&sb, 4, v, 3);
		assert_memory_equal(sb.buf, "\x22\x06\x03\x8e\x02\x9e\xa7\x05", 8);
	}
	strbuf_release(&sb);
}

static const char *str_of(const void *ctx, uint32_t id)
{
	(void)ctx;
	return id == 0 ? "eventfd_ctx" : NULL;
}

static int stack_of(const void *ctx, uint32_t id, const uint64_t **ips)
{
	static const uint64_t frames[] = { 0xffffffff81000010ULL, 0xffffffff81000020ULL };

	(void)ctx;
	*ips = frames;
	return id == 5 ? 2 : 0;
}

/* Count top-level fields of one number in an encoded message. */
static int count_fields(const unsigned char *p, size_t n, int field)
{
	size_t i = 0;
	int count = 0;

	while (i < n) {
		uint64_t key = 0, len = 0;
		int shift = 0;

		do {
			key |= (uint64_t)(p[i] & 0x7f) << shift;
			shift += 7;
		} while (p[i++] & 0x80);
		if ((int)(key >> 3) == field)
			count++;
		if ((key & 7) == 0) {
			while (p[i++] & 0x80)
				;
		} else if ((key & 7) == 2) {
			shift = 0;
			do {
				len |= (uint64_t)(p[i] & 0x7f) << shift;
				shift += 7;
			} while (p[i++] & 0x80);
			i += len;
		} else {
			fail();
		}
	}
	assert_int_equal(i, n);
	return count;
}

static void test_profile_shape(void **state)
{
	const struct trace_names names = { .string = str_of, .stack = stack_of };
	struct outstanding *o;
	struct trace_record r = { .type = TR_ALLOC };
	struct group_opts g;
	struct grouping *gr;
	struct strbuf pb = STRBUF_INIT;
	char path[] = "/tmp/poolscope-pprof.XXXXXX";
	unsigned char inflated[8192];
	FILE *f;
	gzFile gz;
	int fd, n;

	(void)state;
	assert_int_equal(outstanding__new(NULL, &o), 0);
	r.alloc = (struct trace_alloc){ .ts_ns = 5, .ptr = 1, .bytes_alloc = 64, .stack_id = 5,
					.kind = TK_SLAB };
	assert_int_equal(outstanding__add_record(o, &r), 0);
	r.alloc.ptr = 2;
	r.alloc.stack_id = TRACE_NO_STACK;
	assert_int_equal(outstanding__add_record(o, &r), 0);
	assert_int_equal(outstanding__finish(o, 10), 0);
	group_opts_init(&g);
	g.dims[0] = GD_TAG;
	g.dims[1] = GD_STACK;
	g.ndims = 2;
	g.names = &names;
	assert_int_equal(group__build(o, &g, &gr), 0);
	assert_int_equal(pprof_encode(gr, &g, 1, 2, &pb), 0);
	/* string_table: field 6; its first entry is "" (06<<3|2 = 0x32, len 0) */
	assert_int_equal(count_fields((unsigned char *)pb.buf, pb.len, 1), 4); /* sample types */
	assert_int_equal(count_fields((unsigned char *)pb.buf, pb.len, 2), 2); /* samples */
	assert_int_equal(count_fields((unsigned char *)pb.buf, pb.len, 4), 3); /* 2 frames + [no stack] */
	assert_non_null(memmem(pb.buf, pb.len, "\x32\x00\x32\x13outstanding_objects", 23));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_int_equal(pprof_write(f, gr, &g, 1, 2), 0);
	fclose(f);
	gz = gzopen(path, "rb");
	n = gzread(gz, inflated, sizeof(inflated));
	gzclose(gz);
	unlink(path);
	assert_int_equal(n, (int)pb.len);
	assert_memory_equal(inflated, pb.buf, pb.len);
	strbuf_release(&pb);
	grouping__free(gr);
	outstanding__free(o);
}

/* --user-stacks: two user frames in one file, one in another, one with no
 * stored mapping; the same address in a second process is its own
 * location. */
static const uint8_t server_id[] = { 0xab, 0x01 };
static const struct trace_mapping server_map = { .start = 0x555500000000, .end = 0x555500002000,
						 .offset = 0x1000, .path = "/usr/sbin/server",
						 .build_id = server_id, .build_id_len = 2 };
static const struct trace_mapping libc_map = { .start = 0x7f0000000000, .end = 0x7f0000100000,
					       .path = "/usr/lib/libc.so.6" };
static const struct user_frame ustack[] = {
	{ .ip = 0x7f0000000010, .function = "eventfd [u:libc.so.6]", .mapping = &libc_map },
	{ .ip = 0x555500000100, .function = "conn_open [u:server]", .mapping = &server_map },
	{ .ip = 0x555500000200, .function = "accept_loop [u:server]", .mapping = &server_map },
	{ .ip = 0x1234, .function = "0x1234 [u]" },
};
static const struct trace_mapping server_map2 = { .start = 0x555500000000, .end = 0x555500002000,
						  .offset = 0x1000, .path = "/usr/sbin/server" };
static const struct user_frame ustack2[] = {
	{ .ip = 0x555500000100, .function = "conn_open [u:server]", .mapping = &server_map2 },
};

static int ustack_of(const void *ctx, uint32_t id, const struct user_frame **frames,
		     const char **what)
{
	(void)ctx;
	*what = "frame pointers";
	*frames = id == 5 ? ustack : ustack2;
	return id == 5 ? 4 : 1;
}

static void test_user_frames(void **state)
{
	const struct trace_names names = { .string = str_of, .stack = stack_of,
					   .user_stack = ustack_of };
	struct outstanding *o;
	struct trace_record r = { .type = TR_ALLOC };
	struct group_opts g;
	struct grouping *gr;
	struct strbuf pb = STRBUF_INIT;

	(void)state;
	assert_int_equal(outstanding__new(NULL, &o), 0);
	r.alloc = (struct trace_alloc){ .ts_ns = 5, .ptr = 1, .bytes_alloc = 64, .stack_id = 5,
					.kind = TK_SLAB };
	assert_int_equal(outstanding__add_record(o, &r), 0);
	r.alloc.ptr = 2;
	r.alloc.stack_id = 6; /* no kernel frames, ustack2 */
	assert_int_equal(outstanding__add_record(o, &r), 0);
	assert_int_equal(outstanding__finish(o, 10), 0);
	group_opts_init(&g);
	g.dims[0] = GD_TAG;
	g.dims[1] = GD_STACK;
	g.ndims = 2;
	g.names = &names;
	assert_int_equal(group__build(o, &g, &gr), 0);
	assert_int_equal(pprof_encode(gr, &g, 1, 2, &pb), 0);
	/* The kernel, libc, server and server in the second process. */
	assert_int_equal(count_fields((unsigned char *)pb.buf, pb.len, 3), 4);
	/* 2 kernel + 4 user frames, conn_open of the second process. */
	assert_int_equal(count_fields((unsigned char *)pb.buf, pb.len, 4), 7);
	/* 2 kernel functions, 4 user ones (conn_open once). */
	assert_int_equal(count_fields((unsigned char *)pb.buf, pb.len, 5), 6);
	assert_non_null(memmem(pb.buf, pb.len, "/usr/sbin/server", 16));
	assert_non_null(memmem(pb.buf, pb.len, "\x04" "ab01", 5)); /* build-id, hex */
	strbuf_release(&pb);
	grouping__free(gr);
	outstanding__free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint),
		cmocka_unit_test(test_profile_shape),
		cmocka_unit_test(test_user_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
