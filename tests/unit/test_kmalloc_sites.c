/* kmalloc_entry_ranges: the kernel's kmalloc entry points as half-open
 * address ranges, from a symbol table the caller loaded once. */
#include "test_util.h"

#include <errno.h>

#include "bpf/kmalloc_sites.h"
#include "util/symtab.h"

/* As on this 6.18 machine, with an alias, a module symbol and the last
 * symbol of the table (its end is unknown) among them. */
static const char kallsyms[] = "ffffffff81644600 T __kmalloc_large_noprof\n"
			       "ffffffff816446c0 T __kmalloc_large_node_noprof\n"
			       "ffffffff81648000 T kmalloc_helper\n"
			       "ffffffff81648020 T __kmalloc_noprof\n"
			       "ffffffff81648020 t __kmalloc_alias\n"
			       "ffffffff81648400 T kfree\n"
			       "ffffffffc0001000 t __kmalloc_in_module\t[mod]\n"
			       "ffffffffc0002000 t last_in_module\t[mod]\n"
			       "ffffffffc0003000 T __kvmalloc_last\n";

static void test_ranges(void **state)
{
	struct symtab *ks = NULL;
	uint64_t lo[8], hi[8];
	int n;

	(void)state;
	assert_int_equal(symtab__parse(kallsyms, strlen(kallsyms), &ks, NULL), 0);
	n = kmalloc_entry_ranges(ks, lo, hi, 8);
	/* __kmalloc_large_noprof, _node, and __kmalloc_noprof with its alias:
	 * each ends at the next different address; not the module's, not the
	 * last one. */
	assert_int_equal(n, 4);
	assert_true(lo[0] == 0xffffffff81644600ull && hi[0] == 0xffffffff816446c0ull);
	assert_true(lo[1] == 0xffffffff816446c0ull && hi[1] == 0xffffffff81648000ull);
	assert_true(lo[2] == 0xffffffff81648020ull && hi[2] == 0xffffffff81648400ull);
	assert_true(lo[3] == 0xffffffff81648020ull && hi[3] == 0xffffffff81648400ull);
	/* Bounded by max. */
	assert_int_equal(kmalloc_entry_ranges(ks, lo, hi, 1), 1);
	symtab__free(ks);
	/* kallsyms unreadable: the caller says what that costs. */
	assert_int_equal(kmalloc_entry_ranges(NULL, lo, hi, 8), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
