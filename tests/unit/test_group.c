/* Grouping: dimension parsing, merge by an ordered column list, class
 * filters, tag/pid/size filters, sorting and the diff of two groupings. */
#include "test_util.h"

#include <errno.h>

#include "analysis/group.h"
#include "output/group_table.h"
#include "output/table.h"

static const char *const strings[] = { "kmalloc-64", "eventfd_ctx", "bash", "sshd" };

static const char *str_of(const void *ctx, uint32_t id)
{
	(void)ctx;
	return id < 4 ? strings[id] : NULL;
}

static const struct trace_names names = { .string = str_of };

static void push_alloc(struct outstanding *o, uint64_t ts, uint64_t ptr, uint32_t tag,
		       uint32_t comm, uint32_t tgid, uint64_t size)
{
	struct trace_record r = { .type = TR_ALLOC };

	r.alloc = (struct trace_alloc){ .ts_ns = ts, .ptr = ptr, .bytes_alloc = size, .tag_id = tag,
					.comm_id = comm, .stack_id = TRACE_NO_STACK, .tgid = tgid,
					.kind = TK_SLAB };
	assert_int_equal(outstanding__add_record(o, &r), 0);
}

static void push_free(struct outstanding *o, uint64_t ts, uint64_t ptr)
{
	struct trace_record r = { .type = TR_FREE };

	r.free = (struct trace_free){ .ts_ns = ts, .ptr = ptr, .kind = TK_SLAB };
	assert_int_equal(outstanding__add_record(o, &r), 0);
}

/* bash (10): 3 eventfd kept, 2 eventfd freed, 4 kmalloc-64 kept (size 64);
 * sshd (20): 1 eventfd kept, 5 kmalloc-64 of size 96 kept. */
static struct outstanding *workload(void)
{
	struct outstanding *o;
	uint64_t p = 0x1000, i;

	assert_int_equal(outstanding__new(NULL, &o), 0);
	for (i = 0; i < 3; i++)
		push_alloc(o, 10 + i, p++, 1, 2, 10, 64);
	push_alloc(o, 20, 0x9000, 1, 2, 10, 64);
	push_alloc(o, 21, 0x9001, 1, 2, 10, 64);
	push_free(o, 22, 0x9000);
	push_free(o, 23, 0x9001);
	for (i = 0; i < 4; i++)
		push_alloc(o, 30 + i, p++, 0, 2, 10, 64);
	push_alloc(o, 40, p++, 1, 3, 20, 64);
	for (i = 0; i < 5; i++)
		push_alloc(o, 50 + i, p++, 0, 3, 20, 96);
	assert_int_equal(outstanding__finish(o, 100), 0);
	return o;
}

static void test_parse_dims(void **state)
{
	enum group_dim dims[GROUP_MAX_DIMS];
	char err[128];
	int n;

	(void)state;
	assert_int_equal(group_parse_dims("type,tag,stack,size", dims, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(dims[0], GD_TYPE);
	assert_int_equal(dims[3], GD_SIZE);
	assert_int_equal(group_parse_dims("pid,comm", dims, &n, err, sizeof(err)), 0);
	assert_int_equal(dims[0], GD_PROCESS);
	assert_int_equal(group_parse_dims("tag,nope", dims, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nope"));
	assert_int_equal(group_parse_dims("tag,tag", dims, &n, err, sizeof(err)), -EINVAL);
}

static void test_group_by_tag_type(void **state)
{
	struct outstanding *o = workload();
	struct group_opts g;
	struct grouping *gr;
	struct table *t;

	(void)state;
	group_opts_init(&g);
	g.dims[0] = GD_TAG;
	g.dims[1] = GD_TYPE;
	g.ndims = 2;
	g.names = &names;
	g.end_ns = 100;
	assert_int_equal(group__build(o, &g, &gr), 0);
	/* eventfd_ctx AIFO, eventfd_ctx AIFI, kmalloc-64 AIFO (tags sorted) */
	assert_int_equal(grouping__nrows(gr), 3);
	assert_int_equal(grouping__row(gr, 0)->cls, AC_AIFO);
	assert_int_equal(grouping__row(gr, 0)->count, 4);
	assert_int_equal(grouping__row(gr, 1)->cls, AC_AIFI);
	assert_int_equal(grouping__row(gr, 1)->count, 2);
	assert_int_equal(grouping__row(gr, 1)->frees, 2);
	assert_int_equal(grouping__row(gr, 2)->count, 9);
	assert_int_equal(grouping__row(gr, 2)->bytes, 4 * 64 + 5 * 96);
	assert_int_equal(group_table__build(gr, &g, &t), 0);
	assert_string_equal(table_get_str(t, 2, table_col_find(t, "tag")), "kmalloc-64");
	assert_string_equal(table_get_str(t, 1, table_col_find(t, "type")), "AIFI");
	assert_int_equal(table_get_uint(t, 0, table_col_find(t, "oldest_age_s")), 0);
	assert_int_equal(group_table__sort(t, "bytes"), 0);
	assert_string_equal(table_get_str(t, 0, 0), "kmalloc-64");
	assert_int_equal(group_table__sort(t, "tag:desc"), 0);
	assert_string_equal(table_get_str(t, 0, 0), "kmalloc-64");
	assert_int_equal(group_table__sort(t, "nosuch"), -EINVAL);
	table_free(t);
	grouping__free(gr);
	outstanding__free(o);
}

static void test_filters(void **state)
{
	struct outstanding *o = workload();
	struct group_opts g;
	struct grouping *gr;

	(void)state;
	group_opts_init(&g);
	g.dims[0] = GD_PROCESS;
	g.dims[1] = GD_SIZE;
	g.ndims = 2;
	g.names = &names;
	g.classes = 1u << AC_AIFO;
	assert_int_equal(globlist_add(&g.tags, "kmalloc-*"), 0);
	assert_int_equal(group__build(o, &g, &gr), 0);
	assert_int_equal(grouping__nrows(gr), 2);
	assert_int_equal(grouping__row(gr, 0)->site->tgid, 10);
	assert_int_equal(grouping__row(gr, 0)->count, 4);
	assert_int_equal(grouping__row(gr, 1)->site->size, 96);
	grouping__free(gr);
	g.size_min = g.size_max = 96;
	assert_int_equal(group__build(o, &g, &gr), 0);
	assert_int_equal(grouping__nrows(gr), 1);
	assert_int_equal(grouping__row(gr, 0)->count, 5);
	grouping__free(gr);
	globlist_clear(&g.tags);
	g.size_min = g.size_max = 0;
	assert_int_equal(globlist_add(&g.comms, "ssh*"), 0);
	g.pids[g.npids++] = 20;
	assert_int_equal(group__build(o, &g, &gr), 0);
	assert_int_equal(grouping__nrows(gr), 2);
	assert_int_equal(grouping__row(gr, 0)->count + grouping__row(gr, 1)->count, 6);
	grouping__free(gr);
	globlist_clear(&g.comms);
	outstanding__free(o);
}

static void test_diff(void **state)
{
	struct outstanding *a, *b = workload();
	struct group_opts g;
	struct grouping *ga, *gb;
	struct table *t;

	(void)state;
	assert_int_equal(outstanding__new(NULL, &a), 0);
	push_alloc(a, 1, 0x1, 0, 2, 10, 64);
	push_alloc(a, 2, 0x2, 1, 2, 10, 64);
	push_alloc(a, 3, 0x3, 1, 2, 10, 64);
	push_alloc(a, 4, 0x4, 1, 2, 10, 64);
	push_alloc(a, 5, 0x5, 1, 2, 10, 64);
	push_alloc(a, 6, 0x6, 1, 2, 10, 64);
	assert_int_equal(outstanding__finish(a, 10), 0);
	group_opts_init(&g);
	g.dims[0] = GD_TAG;
	g.ndims = 1;
	g.names = &names;
	assert_int_equal(group__build(a, &g, &ga), 0);
	assert_int_equal(group__build(b, &g, &gb), 0);
	assert_int_equal(group_diff_table__compare(ga, &g, gb, &g, &t), 0);
	assert_int_equal(table_rows(t), 2);
	/* kmalloc-64 1 → 9 grew most; eventfd_ctx 5 → 4 shrank */
	assert_string_equal(table_get_str(t, 0, 0), "kmalloc-64");
	assert_int_equal(table_get_int(t, 0, table_col_find(t, "change")), 8);
	assert_int_equal(table_get_int(t, 1, table_col_find(t, "change")), -1);
	table_free(t);
	grouping__free(ga);
	grouping__free(gb);
	outstanding__free(a);
	outstanding__free(b);
}

/* Two stacks of one tag that share their four innermost frames: the diff's
 * text column starts where they differ (issue 9: the squeezed Frames read
 * the same for different rows); JSON keeps the whole stack. */
static const uint64_t stack_a[] = { 0x10, 0x20, 0x30, 0x40, 0x50 };
static const uint64_t stack_b[] = { 0x10, 0x20, 0x30, 0x40, 0x60 };

static int stack_of(const void *ctx, uint32_t id, const uint64_t **ips)
{
	(void)ctx;
	*ips = id == 1 ? stack_a : stack_b;
	return id == 1 || id == 2 ? 5 : 0;
}

static const struct trace_names stack_names = { .string = str_of, .stack = stack_of };

static void test_diff_frames(void **state)
{
	struct outstanding *a, *b;
	struct group_opts g;
	struct grouping *ga, *gb;
	struct table *t;
	struct trace_record r = { .type = TR_ALLOC };
	int shown, row;
	uint32_t st;

	(void)state;
	assert_int_equal(outstanding__new(NULL, &a), 0);
	assert_int_equal(outstanding__new(NULL, &b), 0);
	for (st = 1; st <= 2; st++) {
		r.alloc = (struct trace_alloc){ .ts_ns = st, .ptr = st, .bytes_alloc = 64, .tag_id = 1,
						.stack_id = st, .tgid = 10, .kind = TK_SLAB };
		assert_int_equal(outstanding__add_record(b, &r), 0);
	}
	assert_int_equal(outstanding__finish(a, 10), 0);
	assert_int_equal(outstanding__finish(b, 10), 0);
	group_opts_init(&g);
	g.dims[0] = GD_TAG;
	g.dims[1] = GD_STACK;
	g.ndims = 2;
	g.names = &stack_names;
	assert_int_equal(group__build(a, &g, &ga), 0);
	assert_int_equal(group__build(b, &g, &gb), 0);
	assert_int_equal(group_diff_table__compare(ga, &g, gb, &g, &t), 0);
	assert_int_equal(table_rows(t), 2);
	shown = table_col_find(t, "frames_shown");
	assert_true(shown >= 0);
	for (row = 0; row < 2; row++) {
		const char *text = table_get_str(t, row, shown);

		assert_true(strcmp(text, "(+4) 0x50") == 0 || strcmp(text, "(+4) 0x60") == 0);
	}
	assert_string_not_equal(table_get_str(t, 0, shown), table_get_str(t, 1, shown));
	table_free(t);
	grouping__free(ga);
	grouping__free(gb);
	outstanding__free(a);
	outstanding__free(b);
}

/* --user-stacks: stack 1 enters the kernel from eventfd (libc) called by
 * conn_open, stack 2 is a kernel thread's, stack 3 has no user stack. */
static const struct user_frame ustack_one[] = {
	{ .ip = 0x7f00, .frame = "eventfd+0x1b [u:libc.so.6]",
	  .function = "eventfd [u:libc.so.6]", .c_runtime = true },
	{ .ip = 0x5500, .frame = "conn_open+0xe [u:server]", .function = "conn_open [u:server]" },
};

static int ustack_of(const void *ctx, uint32_t id, const struct user_frame **frames,
		     const char **what)
{
	(void)ctx;
	*frames = id == 1 ? ustack_one : NULL;
	*what = id == 1 ? "frame pointers" : id == 2 ? USER_STACK_KERNEL_THREAD : "not recorded";
	return id == 1 ? 2 : 0;
}

static const struct trace_names ustack_names = { .string = str_of, .user_stack = ustack_of };

static void test_group_ufunc(void **state)
{
	struct outstanding *o;
	struct group_opts g;
	struct grouping *gr;
	struct table *t;
	struct trace_record r = { .type = TR_ALLOC };
	enum group_dim dims[GROUP_MAX_DIMS];
	char err[128];
	uint32_t st;
	int n, col;

	(void)state;
	assert_int_equal(group_parse_dims("tag,ufunc", dims, &n, err, sizeof(err)), 0);
	assert_int_equal(dims[1], GD_UFUNC);
	assert_int_equal(outstanding__new(NULL, &o), 0);
	/* 3 allocations on stack 1, 2 on stack 2 (a kthread), 1 on stack 3. */
	for (st = 0; st < 6; st++) {
		r.alloc = (struct trace_alloc){ .ts_ns = st, .ptr = 0x100 + st, .bytes_alloc = 64,
						.tag_id = 1, .stack_id = st < 3 ? 1 : st < 5 ? 2 : 3,
						.tgid = 10, .kind = TK_SLAB };
		assert_int_equal(outstanding__add_record(o, &r), 0);
	}
	assert_int_equal(outstanding__finish(o, 10), 0);
	group_opts_init(&g);
	g.dims[0] = GD_UFUNC;
	g.ndims = 1;
	g.names = &ustack_names;
	assert_int_equal(group__build(o, &g, &gr), 0);
	assert_int_equal(group_table__build(gr, &g, &t), 0);
	assert_int_equal(group_table__sort(t, "ufunc"), 0);
	col = table_col_find(t, "ufunc");
	assert_int_equal(table_rows(t), 3);
	/* The C library's wrapper is passed over: the program's conn_open. */
	assert_string_equal(table_get_str(t, 0, col), "[kernel thread]");
	assert_int_equal(table_get_uint(t, 0, table_col_find(t, "count")), 2);
	assert_string_equal(table_get_str(t, 1, col), "[no user stack]");
	assert_string_equal(table_get_str(t, 2, col), "conn_open [u:server]");
	assert_int_equal(table_get_uint(t, 2, table_col_find(t, "count")), 3);
	table_free(t);
	grouping__free(gr);
	outstanding__free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_dims),
		cmocka_unit_test(test_group_by_tag_type),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_diff_frames),
		cmocka_unit_test(test_group_ufunc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
