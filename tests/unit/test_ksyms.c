/* ksyms: parsing real /proc/kallsyms captures from this machine, edited
 * captures (malformed lines), a capture read without root (all addresses 0),
 * the builder API, and the live file. */
#include "test_util.h"

#include <errno.h>

#include "kernel/ksyms.h"

static struct symtab *parse_fixture(const char *name, int *err)
{
	char path[256];
	char *text;
	struct symtab *ks = NULL;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, name);
	text = test_slurp(path);
	assert_non_null(text);
	*err = symtab__parse(text, strlen(text), &ks, NULL);
	free(text);
	return ks;
}

static void test_sample_sorted_and_counted(void **state)
{
	struct symtab *ks;
	size_t i;
	int err;

	(void)state;
	ks = parse_fixture("kallsyms.sample", &err);
	assert_int_equal(err, 0);
	/* Every line of the capture is text or data: all 2555 are kept. */
	assert_int_equal(symtab__count(ks), 2555);
	for (i = 1; i < symtab__count(ks); i++)
		assert_true(symtab__at(ks, i - 1)->addr <= symtab__at(ks, i)->addr);
	/* kallsyms lists the ftrace trampoline last though it has the
	 * highest address only by accident; it must sort to the end. */
	assert_string_equal(symtab__at(ks, symtab__count(ks) - 1)->name, "ftrace_trampoline");
	assert_null(symtab__at(ks, symtab__count(ks)));
	symtab__free(ks);
}

static void test_sample_resolve(void **state)
{
	const struct symbol *sym;
	struct symtab *ks;
	char buf[128];
	int err;

	(void)state;
	ks = parse_fixture("kallsyms.sample", &err);
	assert_int_equal(err, 0);

	sym = symtab__resolve(ks, 0xffffffff816307d0ULL);
	assert_non_null(sym);
	assert_string_equal(sym->name, "kfree");
	assert_null(sym->module);
	/* Inside kfree, not past the next symbol (__pfx___free_slab). */
	assert_string_equal(symtab__format(ks, 0xffffffff816307d0ULL + 0x1a, buf, sizeof(buf)),
			    "kfree+0x1a");
	assert_string_equal(symtab__format(ks, 0xffffffff81630c1fULL, buf, sizeof(buf)),
			    "kfree+0x44f");
	assert_string_equal(symtab__format(ks, 0xffffffff81630c20ULL, buf, sizeof(buf)),
			    "__pfx___free_slab+0x0");
	/* Three names at _stext: the first listed wins, not an alias. */
	assert_string_equal(symtab__resolve(ks, 0xffffffff81000000ULL)->name,
			    "srso_alias_untrain_ret");
	/* Module symbols carry their module. */
	assert_string_equal(symtab__format(ks, 0xffffffffc0201005ULL, buf, sizeof(buf)),
			    "ftrace_trampoline+0x5 [__builtin__ftrace]");
	/* Below the first symbol: unknown, printed as an address. */
	assert_null(symtab__resolve(ks, 0xffff888000000000ULL));
	assert_string_equal(symtab__format(ks, 0xffff888000000000ULL, buf, sizeof(buf)),
			    "0xffff888000000000");
	/* A small buffer truncates, never overflows. */
	assert_string_equal(symtab__format(ks, 0xffffffff816307d0ULL, buf, 5), "kfre");
	symtab__free(ks);
}

static void test_broken_lines_skipped(void **state)
{
	struct symtab *ks;
	char buf[128];
	int err;

	(void)state;
	/* 120 real lines + 2 module lines; 6 edited to be malformed, one
	 * emptied: 115 remain. */
	ks = parse_fixture("kallsyms.broken", &err);
	assert_int_equal(err, 0);
	assert_int_equal(symtab__count(ks), 115);
	assert_string_equal(symtab__format(ks, 0xffffffffc0300044ULL, buf, sizeof(buf)),
			    "dummy_fn2+0x4 [dummy]");
	/* The line whose address was corrupted is gone: its address now
	 * resolves into the symbol before it. */
	assert_string_equal(symtab__resolve(ks, 0xffffffff81605430ULL)->name,
			    "__traceiter_purge_vmap_area_lazy");
	symtab__free(ks);
}

static void test_noroot_is_eperm(void **state)
{
	struct symtab *ks;
	int err;

	(void)state;
	ks = parse_fixture("kallsyms.noroot", &err);
	assert_int_equal(err, -EPERM);
	assert_null(ks);
}

static void test_empty_and_garbage(void **state)
{
	const char garbage[] = "not kallsyms\nat all\n";
	struct symtab *ks = (struct symtab *)1;

	(void)state;
	assert_int_equal(symtab__parse("", 0, &ks, NULL), -EINVAL);
	assert_null(ks);
	assert_int_equal(symtab__parse(garbage, sizeof(garbage) - 1, &ks, NULL), -EINVAL);
	assert_null(ks);
	symtab__free(NULL);
	assert_null(symtab__resolve(NULL, 1));
}

static void test_builder(void **state)
{
	struct symtab *ks = symtab__new();
	char buf[64];

	(void)state;
	assert_non_null(ks);
	assert_int_equal(symtab__add(ks, 0x3000, "c", "modc"), 0);
	assert_int_equal(symtab__add(ks, 0x1000, "a", NULL), 0);
	assert_int_equal(symtab__add(ks, 0x2000, "b", NULL), 0);
	assert_int_equal(symtab__add(ks, 0x2000, "", NULL), -EINVAL);
	/* Not resolvable until finished (unsorted). */
	assert_null(symtab__resolve(ks, 0x1000));
	symtab__finish(ks);
	assert_int_equal(symtab__count(ks), 3);
	assert_string_equal(symtab__resolve(ks, 0x1fff)->name, "a");
	assert_string_equal(symtab__resolve(ks, 0x2000)->name, "b");
	assert_string_equal(symtab__format(ks, 0x3010, buf, sizeof(buf)), "c+0x10 [modc]");
	assert_null(symtab__resolve(ks, 0xfff));
	symtab__free(ks);
}

/* The live file: as root every address is real; one found by name must
 * resolve back to that name. */
static void test_live_load(void **state)
{
	const struct symbol *sym = NULL;
	struct symtab *ks = NULL;
	size_t i;
	int err;

	(void)state;
	REQUIRE_ROOT();
	err = ksyms__load(&ks, NULL);
	assert_int_equal(err, 0);
	assert_true(symtab__count(ks) > 10000);
	for (i = 0; i < symtab__count(ks); i++) {
		if (strcmp(symtab__at(ks, i)->name, "kmem_cache_free") == 0) {
			sym = symtab__at(ks, i);
			break;
		}
	}
	assert_non_null(sym);
	assert_string_equal(symtab__resolve(ks, sym->addr + 1)->name, "kmem_cache_free");
	symtab__free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_sorted_and_counted),
		cmocka_unit_test(test_sample_resolve),
		cmocka_unit_test(test_broken_lines_skipped),
		cmocka_unit_test(test_noroot_is_eperm),
		cmocka_unit_test(test_empty_and_garbage),
		cmocka_unit_test(test_builder),
		cmocka_unit_test(test_live_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
