/* `poolscope report --vmlinux FILE`: file:line of kernel frames from DWARF.
 * No debug vmlinux exists on this machine, so the test builds a real ELF
 * with DWARF (gcc -g -O0 -no-pie) whose functions sit at known source lines,
 * writes a trace whose symbol snapshot holds that ELF's symbols moved by a
 * simulated KASLR offset, and whose stack holds the return addresses of
 * calls at known lines; the report must name exactly those lines. */
#include "test_util.h"

#include <errno.h>
#include <inttypes.h>
#include <sys/wait.h>

#include "util/symtab.h"
#include "trace/trace.h"

#define KASLR_BIAS 0x2a000000ULL

/* Line numbers below are asserted: keep the layout. A global label right
 * after each call marks its return address (what a kernel stack holds);
 * the label is on the next line, so only the "return address - 1" rule
 * finds the call's own line. */
static const char image_source[] =
	"/* poolscope --vmlinux test image */\n"				/* 1 */
	"volatile int sink;\n"							/* 2 */
	"__asm__(\".text\\n.globl _text\\n.type _text,@function\\n_text:\\n\\tnop\\n\");\n" /* 3 */
	"const char linux_banner[] = \"Linux version 6.18.44-test (t) #1\\n\";\n" /* 4 */
	"__attribute__((noinline)) void bottom(void)\n"			/* 5 */
	"{\n"									/* 6 */
	"\tsink++;\n"								/* 7 */
	"}\n"									/* 8 */
	"__attribute__((noinline)) void leaf(void)\n"				/* 9 */
	"{\n"									/* 10 */
	"\tbottom();\n"								/* 11 */
	"\t__asm__ volatile(\".globl ret_leaf\\nret_leaf:\");\n"		/* 12 */
	"\tsink += 2;\n"							/* 13 */
	"}\n"									/* 14 */
	"__attribute__((noinline)) void middle(void)\n"				/* 15 */
	"{\n"									/* 16 */
	"\tsink = 5;\n"								/* 17 */
	"\tleaf();\n"								/* 18 */
	"\t__asm__ volatile(\".globl ret_middle\\nret_middle:\");\n"		/* 19 */
	"\tsink += 3;\n"							/* 20 */
	"}\n"									/* 21 */
	"int main(void)\n"							/* 22 */
	"{\n"									/* 23 */
	"\tmiddle();\n"								/* 24 */
	"\t__asm__ volatile(\".globl ret_main\\nret_main:\");\n"		/* 25 */
	"\treturn sink == 11 ? 0 : 1;\n"					/* 26 */
	"}\n";
#define LINE_LEAF 11
#define LINE_MIDDLE 18
#define LINE_MAIN 24

static char dir[64];
static char image[128], stripped[128], notelf[128], trace[128], trace_fallback[128];
static char trace_other[128], trace_nosym[128], trace_stray[128], trace_moved[128];

/* How a test trace differs from the image it is read with. */
enum variant {
	V_SAME,	   /* the image's kernel, moved by KASLR_BIAS */
	V_NO_TEXT, /* no _text in the snapshot */
	V_FOREIGN, /* no symbol name in common with the image */
	V_STRAY,   /* stack addresses outside everything the image's DWARF covers */
	V_MOVED,   /* _text agrees, every function sits 0x40 further: another build */
};

/* Link-time addresses read with nm (not with the code under test). */
static struct {
	const char *name;
	uint64_t addr;
} syms[] = { { "_text", 0 }, { "bottom", 0 }, { "leaf", 0 }, { "middle", 0 }, { "main", 0 },
	     { "ret_leaf", 0 }, { "ret_middle", 0 }, { "ret_main", 0 } };

static uint64_t sym_addr(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (strcmp(syms[i].name, name) == 0)
			return syms[i].addr;
	fail_msg("no symbol %s", name);
	return 0;
}

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A trace of one process keeping 3 objects allocated from one stack:
 * ret_leaf (innermost), ret_middle, ret_main, all moved by the bias. */
static int write_trace(const char *path, const char *release, enum variant v)
{
	struct trace_header hdr = { .version = 1, .start_realtime_ns = 1764000000000000000ULL,
				    .start_ns = 1000000000000ULL, .stacks = true,
				    .sample_every = 1, .options = "--stacks (vmlinux test)" };
	static const char *const funcs[] = { "_text", "bottom", "leaf", "middle", "main" };
	uint64_t stray = v == V_STRAY ? 0x10000000 : 0;
	uint64_t ips[3] = { sym_addr("ret_leaf") + KASLR_BIAS + stray,
			    sym_addr("ret_middle") + KASLR_BIAS + stray,
			    sym_addr("ret_main") + KASLR_BIAS + stray };
	struct trace_writer *w = NULL;
	struct symtab *ks = symtab__new();
	uint32_t tag, comm;
	size_t i;
	int err = ks ? 0 : -ENOMEM, k;

	snprintf(hdr.hostname, sizeof(hdr.hostname), "testhost");
	snprintf(hdr.kernel_release, sizeof(hdr.kernel_release), "%s", release);
	snprintf(hdr.boot_id, sizeof(hdr.boot_id), "00000000-0000-0000-0000-000000000000");
	for (i = v == V_NO_TEXT ? 1 : 0; i < sizeof(funcs) / sizeof(funcs[0]) && !err; i++) {
		uint64_t moved = v == V_MOVED && i > 0 ? 0x40 : 0;
		char name[64];

		snprintf(name, sizeof(name), "%s%s", v == V_FOREIGN ? "other_" : "", funcs[i]);
		err = symtab__add(ks, sym_addr(funcs[i]) + KASLR_BIAS + moved, name, NULL);
	}
	/* Stray addresses still resolve to a symbol of the snapshot. */
	if (!err && v == V_STRAY)
		err = symtab__add(ks, sym_addr("_text") + KASLR_BIAS + stray, "far_away", NULL);
	if (err)
		goto out;
	symtab__finish(ks);
	err = trace_writer__open(path, &hdr, &w);
	if (err)
		goto out;
	tag = trace_writer__string(w, "eventfd_ctx");
	comm = trace_writer__string(w, "fdleak");
	err = trace_writer__ksyms(w, ks);
	err = err ?: trace_writer__stack(w, 1, ips, 3);
	for (k = 0; k < 3 && !err; k++) {
		struct trace_alloc a = { .ts_ns = hdr.start_ns + (uint64_t)(k + 1) * 1000000000ULL,
					 .ptr = 0xffff888004000000ULL + (uint64_t)k * 64,
					 .call_site = ips[0], .bytes_req = 48, .bytes_alloc = 64,
					 .tag_id = tag, .comm_id = comm, .stack_id = 1, .tgid = 4242,
					 .tid = 4242, .cpu = 0, .kind = TK_SLAB };

		err = trace_writer__alloc(w, &a);
	}
	if (!err) {
		err = trace_writer__close(w, hdr.start_ns + 5000000000ULL);
		w = NULL;
	}
out:
	trace_writer__close(w, 0);
	symtab__free(ks);
	return err;
}

static int setup(void **state)
{
	char cmd[1024], *out;
	FILE *f;
	size_t i;
	int status;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/poolscope-vmlinux.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(image, sizeof(image), "%s/image", dir);
	snprintf(stripped, sizeof(stripped), "%s/image.nodebug", dir);
	snprintf(notelf, sizeof(notelf), "%s/notelf", dir);
	snprintf(trace, sizeof(trace), "%s/t.trace", dir);
	snprintf(trace_fallback, sizeof(trace_fallback), "%s/fallback.trace", dir);
	snprintf(trace_other, sizeof(trace_other), "%s/other.trace", dir);
	snprintf(trace_nosym, sizeof(trace_nosym), "%s/nosym.trace", dir);
	snprintf(trace_stray, sizeof(trace_stray), "%s/stray.trace", dir);
	snprintf(trace_moved, sizeof(trace_moved), "%s/moved.trace", dir);
	snprintf(cmd, sizeof(cmd), "%s/lines.c", dir);
	f = fopen(cmd, "w");
	if (!f)
		return -1;
	fputs(image_source, f);
	fclose(f);
	/* Compiled inside dir: the line tables name "lines.c" under comp_dir. */
	snprintf(cmd, sizeof(cmd), "cd %s && gcc -g -O0 -no-pie -fno-pie -o image lines.c && "
		 "./image && strip --strip-debug -o image.nodebug image && "
		 "echo 'not an ELF, just text' > notelf", dir);
	if (run(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "nm %s", image);
	out = test_capture(cmd, &status);
	if (!out || status != 0) {
		free(out);
		return -1;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		char *line;

		for (line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1
									   : NULL) {
			unsigned long long addr;
			char type, name[64];

			if (sscanf(line, "%llx %c %63s", &addr, &type, name) == 3 &&
			    strcmp(name, syms[i].name) == 0)
				syms[i].addr = addr;
		}
		if (!syms[i].addr) {
			free(out);
			return -1;
		}
	}
	free(out);
	if (write_trace(trace, "6.18.44-test", V_SAME) ||
	    write_trace(trace_fallback, "6.18.44-test", V_NO_TEXT) ||
	    write_trace(trace_other, "9.9.9-other", V_SAME) ||
	    write_trace(trace_nosym, "6.18.44-test", V_FOREIGN) ||
	    write_trace(trace_stray, "6.18.44-test", V_STRAY) ||
	    write_trace(trace_moved, "6.18.44-test", V_MOVED))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return run(cmd);
}

/* Run the report; stdout returned, stderr into *err_text, exit status in *rc. */
static char *report(const char *args, int *rc, char **err_text)
{
	char cmd[1024], errpath[128], *out;
	int status;

	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	snprintf(cmd, sizeof(cmd), "%s report %s 2>%s", test_poolscope(), args, errpath);
	out = test_capture(cmd, &status);
	assert_non_null(out);
	*rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	*err_text = test_slurp(errpath);
	assert_non_null(*err_text);
	return out;
}

static void frame_text(char *buf, size_t len, const char *func, const char *ret, int line)
{
	snprintf(buf, len, "%s+0x%" PRIx64 " (lines.c:%d)", func, sym_addr(ret) - sym_addr(func),
		 line);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_text_frames_have_lines(void **state)
{
	char args[512], want[128], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "--vmlinux %s %s", image, trace);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, ""); /* matching release, every symbol agrees: no warning */
	frame_text(want, sizeof(want), "leaf", "ret_leaf", LINE_LEAF);
	assert_non_null(strstr(out, want));
	frame_text(want, sizeof(want), "middle", "ret_middle", LINE_MIDDLE);
	assert_non_null(strstr(out, want));
	frame_text(want, sizeof(want), "main", "ret_main", LINE_MAIN);
	assert_non_null(strstr(out, want));
	free(out);
	free(err);
}

static void test_without_vmlinux_no_lines(void **state)
{
	char args[512], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "%s", trace);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "lines.c"));
	assert_non_null(strstr(out, "leaf+0x"));
	free(out);
	free(err);
}

/* The file:line rides in each frame string of the JSON "stack" list. */
static void test_json_frames_have_lines(void **state)
{
	char args[512], want[160], frame[128], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "-f json --group stack --vmlinux %s %s", image, trace);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 0);
	frame_text(frame, sizeof(frame), "leaf", "ret_leaf", LINE_LEAF);
	snprintf(want, sizeof(want), "\"stack\":[\"%s\",", frame);
	if (!strstr(out, want))
		snprintf(want, sizeof(want), "\"stack\": [\"%s\",", frame);
	assert_non_null(strstr(out, want));
	frame_text(frame, sizeof(frame), "main", "ret_main", LINE_MAIN);
	snprintf(want, sizeof(want), "\"%s\"]", frame);
	assert_non_null(strstr(out, want));
	free(out);
	free(err);
}

/* No _text in the snapshot: the offset comes from the first shared symbol. */
static void test_anchor_without_text(void **state)
{
	char args[512], want[128], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "--vmlinux %s %s", image, trace_fallback);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 0);
	frame_text(want, sizeof(want), "middle", "ret_middle", LINE_MIDDLE);
	assert_non_null(strstr(out, want));
	free(out);
	free(err);
}

static void test_not_elf(void **state)
{
	char args[512], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "--vmlinux %s %s", notelf, trace);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 2);
	assert_string_equal(out, "");
	assert_int_equal(count_lines(err), 1);
	assert_non_null(strstr(err, "not an ELF file"));
	free(out);
	free(err);
}

static void test_no_dwarf(void **state)
{
	char args[512], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "--vmlinux %s %s", stripped, trace);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 2);
	assert_string_equal(out, "");
	assert_int_equal(count_lines(err), 1);
	assert_non_null(strstr(err, "no DWARF debug info"));
	free(out);
	free(err);
}

static void test_missing_file(void **state)
{
	char args[512], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "--vmlinux %s/absent %s", dir, trace);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 2);
	assert_int_equal(count_lines(err), 1);
	assert_non_null(strstr(err, "No such file"));
	free(out);
	free(err);
}

static void test_no_shared_symbol(void **state)
{
	char args[512], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "--vmlinux %s %s", image, trace_nosym);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 2);
	assert_string_equal(out, "");
	assert_int_equal(count_lines(err), 1);
	assert_non_null(strstr(err, "shares no symbol"));
	free(out);
	free(err);
}

/* The image's linux_banner names another release than the trace's header:
 * a warning, and the report still runs. */
static void test_release_mismatch_warns(void **state)
{
	char args[512], want[128], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "--vmlinux %s %s", image, trace_other);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(err), 1);
	assert_non_null(strstr(err, "recorded on kernel 9.9.9-other"));
	assert_non_null(strstr(err, "Linux version 6.18.44-test"));
	frame_text(want, sizeof(want), "leaf", "ret_leaf", LINE_LEAF);
	assert_non_null(strstr(out, want));
	free(out);
	free(err);
}

/* No frame of the trace falls in the image's line tables: said once, after
 * the report, which still lists the frames without file:line. */
static void test_no_frame_resolves_warns(void **state)
{
	char args[512], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "--vmlinux %s %s", image, trace_stray);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "lines.c"));
	assert_non_null(strstr(out, "far_away+0x"));
	assert_int_equal(count_lines(err), 1);
	assert_non_null(strstr(err, "has a line in"));
	free(out);
	free(err);
}

/* _text lines up but the functions do not: another build of the kernel. */
static void test_other_build_warns(void **state)
{
	char args[512], *out, *err;
	int rc;

	(void)state;
	snprintf(args, sizeof(args), "--vmlinux %s %s", image, trace_moved);
	out = report(args, &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(count_lines(err), 1);
	assert_non_null(strstr(err, "only 1 of 5 symbols"));
	free(out);
	free(err);
}

/* pprof: Line.line and Function.filename, read back by a real reader. */
static void test_pprof_lines(void **state)
{
	char cmd[1024], want[64], *out;
	int status;

	(void)state;
	if (run("command -v go >/dev/null 2>&1") != 0)
		fail_msg("go missing (golang-go: make deps): pprof needs a real reader");
	snprintf(cmd, sizeof(cmd), "%s report -f pprof -o %s/p.pb.gz --vmlinux %s %s && "
		 "HOME=%s GOCACHE=%s/gocache timeout 120 go tool pprof -traces "
		 "-sample_index=outstanding_objects -lines %s/p.pb.gz 2>&1", test_poolscope(), dir,
		 image, trace, dir, dir, dir);
	out = test_capture(cmd, &status);
	assert_non_null(out);
	assert_int_equal(status, 0);
	snprintf(want, sizeof(want), "leaf lines.c:%d", LINE_LEAF);
	if (!strstr(out, want))
		print_message("pprof output:\n%s\n", out);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "main lines.c:%d", LINE_MAIN);
	assert_non_null(strstr(out, want));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_frames_have_lines),
		cmocka_unit_test(test_without_vmlinux_no_lines),
		cmocka_unit_test(test_json_frames_have_lines),
		cmocka_unit_test(test_anchor_without_text),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_no_dwarf),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_no_shared_symbol),
		cmocka_unit_test(test_release_mismatch_warns),
		cmocka_unit_test(test_no_frame_resolves_warns),
		cmocka_unit_test(test_other_build_warns),
		cmocka_unit_test(test_pprof_lines),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
