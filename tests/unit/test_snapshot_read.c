/* The snapshot reader (model/snapshot_read.c) on the fixtures: every field
 * of a good snapshot lands in the struct; every malformed, truncated,
 * wrong-version or hostile file is refused with one line naming the file
 * and the problem, never a crash; names with escaped control bytes are
 * kept as they are (the renderers escape them). */
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>

#include "analysis/fleet.h"
#include "model/snapshot_read.h"

#define SNAPS FIXTURES_DIR "/snapshots"

static const struct snapshot_cache *cache(const struct host_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->ncaches; i++)
		if (strcmp(s->caches[i].name, name) == 0)
			return &s->caches[i];
	return NULL;
}

static void test_good(void **state)
{
	struct host_snapshot s;
	const struct snapshot_cache *filp;
	char why[256];
	size_t i;
	bool eventd = false;

	(void)state;
	assert_int_equal(snapshot_read_file(SNAPS "/web-3.json", &s, why, sizeof(why)), 0);
	assert_string_equal(s.host, "web-3");
	assert_string_equal(s.kernel, "6.18.44");
	assert_non_null(s.boot_id);
	assert_true(s.has_caches && s.has_resources && s.has_meminfo && s.has_processes);
	assert_int_equal(s.ncaches, 6);
	filp = cache(&s, "filp");
	assert_non_null(filp);
	assert_true(filp->bytes > 5000 * 256);
	assert_int_equal(filp->reclaimable, 0);
	assert_int_equal(cache(&s, "dentry")->reclaimable, 1);
	assert_int_equal(s.nresources, 2);
	assert_int_equal(s.nmeminfo, 5);
	for (i = 0; i < s.nresources; i++)
		if (strstr(s.resources[i].name, "file-nr")) {
			assert_true(s.resources[i].used > 5000);
			assert_true(s.resources[i].limit > 2000000);
		} else {
			assert_true(isnan(s.resources[i].exhaustion_s)); /* null */
		}
	for (i = 0; i < s.nprocesses; i++)
		if (strcmp(s.processes[i].comm, "eventd") == 0) {
			eventd = true;
			assert_int_equal(s.processes[i].ntypes, 2);
			assert_true(s.processes[i].fds == 5005);
		}
	assert_true(eventd);
	host_snapshot_release(&s);
	host_snapshot_release(&s); /* released twice: harmless */
	host_snapshot_release(NULL);
}

static void test_sections_optional(void **state)
{
	static const char j[] = "{\"poolscope_snapshot\":1,\"host\":\"tiny\",\"caches\":{},"
				"\"future_field\":{\"deep\":[[[[1]]]]}}";
	struct host_snapshot s;
	char why[256];

	(void)state;
	assert_int_equal(snapshot_read_buf(j, sizeof(j) - 1, "tiny.json", &s, why, sizeof(why)), 0);
	assert_true(s.has_caches);
	assert_false(s.has_resources);
	assert_false(s.has_processes);
	assert_int_equal(s.ncaches, 0);
	assert_null(s.kernel);
	assert_true(isnan(s.uptime_s));
	host_snapshot_release(&s);
}

static void test_escaped_control_bytes_kept(void **state)
{
	static const char j[] = "{\"poolscope_snapshot\":1,\"host\":\"h\\u001b[31m\","
				"\"caches\":{\"fi\\u0007lp\":{\"bytes\":4096}},"
				"\"processes\":[{\"pid\":1,\"comm\":\"a\\nb\",\"fds\":3,"
				"\"types\":{\"event\\u0001fd\":3}}]}";
	struct host_snapshot s;
	char why[256];

	(void)state;
	assert_int_equal(snapshot_read_buf(j, sizeof(j) - 1, "esc.json", &s, why, sizeof(why)), 0);
	assert_string_equal(s.host, "h\033[31m");
	assert_string_equal(s.caches[0].name, "fi\alp");
	assert_string_equal(s.processes[0].comm, "a\nb");
	assert_string_equal(s.processes[0].types[0].name, "event\001fd");
	host_snapshot_release(&s);
}

struct refusal {
	const char *file, *says;
	int err;
};

static void test_bad_files(void **state)
{
	static const struct refusal cases[] = {
	    {"truncated.json", "premature end of input", -EINVAL},
	    {"not-json.json", "line 1", -EINVAL},
	    {"empty.json", "expected", -EINVAL},
	    {"trailing-garbage.json", "end of file expected", -EINVAL},
	    {"version-2.json", "version 2 is not supported", -EPROTONOSUPPORT},
	    {"no-version.json", "not a poolscope snapshot", -EINVAL},
	    {"version-string.json", "poolscope_snapshot: expected a version number", -EINVAL},
	    {"top-array.json", "top level is an array", -EINVAL},
	    {"empty-host.json", "host: missing or empty", -EINVAL},
	    {"bytes-string.json", "caches.filp.bytes: expected a number, not a string", -EINVAL},
	    {"bytes-negative.json", "caches.filp.bytes: -4096 is negative", -EINVAL},
	    {"bytes-1e300.json", "caches.filp.bytes: 1e+300 is out of range", -EINVAL},
	    {"caches-array.json", "caches: expected an object, not an array", -EINVAL},
	    {"processes-object.json", "processes: expected an array", -EINVAL},
	    {"huge-integer.json", "window_s", -EINVAL},
	    {"huge-real.json", "overflow", -EINVAL},
	    {"control-raw.json", "control character", -EINVAL},
	    {"nul-escaped.json", "NUL", -EINVAL},
	    {"deep-nesting.json", "depth", -EINVAL},
	    {"invalid-utf8.json", "unable to decode byte", -EINVAL},
	    {"duplicate-key.json", "duplicate object key", -EINVAL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct host_snapshot s;
		char path[PATH_MAX], why[512];
		int err;

		snprintf(path, sizeof(path), SNAPS "/bad/%s", cases[i].file);
		err = snapshot_read_file(path, &s, why, sizeof(why));
		if (err != cases[i].err || !strstr(why, cases[i].says) ||
		    strncmp(why, path, strlen(path)) != 0)
			fail_msg("%s: err %d, why '%s'", cases[i].file, err, why);
		/* one line of plain text */
		for (const char *p = why; *p; p++)
			assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
		assert_null(s.host);
		assert_int_equal(s.ncaches, 0);
	}
}

/* Every file in bad/ is one of the cases above: a new one needs a line. */
static void test_every_bad_file_refused(void **state)
{
	DIR *d = opendir(SNAPS "/bad");
	struct dirent *e;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		struct host_snapshot s;
		char path[PATH_MAX], why[512];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SNAPS "/bad/%s", e->d_name);
		if (snapshot_read_file(path, &s, why, sizeof(why)) == 0)
			fail_msg("%s was read", path);
		assert_non_null(strchr(why, ':'));
		n++;
	}
	closedir(d);
	assert_int_equal(n, 21);
}

static void test_file_errors(void **state)
{
	struct host_snapshot s;
	char why[256];

	(void)state;
	assert_int_equal(snapshot_read_file(SNAPS "/no-such.json", &s, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "no-such.json: No such file"));
	assert_int_equal(snapshot_read_file(SNAPS, &s, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a regular file"));
	/* a zero-length why buffer is fine */
	assert_int_equal(snapshot_read_file(SNAPS "/no-such.json", &s, why, 0), -ENOENT);
}

static void test_paths(void **state)
{
	struct snapshot_paths p = {0};
	FILE *in = fmemopen((char *)"b.json\n\na.json\r\n", 16, "r");

	(void)state;
	assert_int_equal(snapshot_paths_add_dir(&p, SNAPS "/"), 0);
	assert_int_equal(p.n, 5); /* web-1..5; bad/ and the script are not *.json here */
	assert_non_null(in);
	assert_int_equal(snapshot_paths_add_lines(&p, in), 0);
	fclose(in);
	assert_int_equal(p.n, 7);
	snapshot_paths_sort(&p);
	assert_string_equal(p.v[0], "a.json");
	assert_string_equal(p.v[1], "b.json");
	assert_string_equal(p.v[2], SNAPS "/web-1.json");
	assert_int_equal(snapshot_paths_add_dir(&p, SNAPS "/none"), -ENOENT);
	snapshot_paths_release(&p);
	snapshot_paths_release(&p);
}

/* Many files over threads: the same results as one by one. */
static void test_read_files_threads(void **state)
{
	struct snapshot_paths p = {0};
	struct snapshot_result *one, *many;
	size_t i;

	(void)state;
	assert_int_equal(snapshot_paths_add_dir(&p, SNAPS), 0);
	assert_int_equal(snapshot_paths_add_dir(&p, SNAPS "/bad"), 0);
	assert_int_equal(snapshot_paths_add(&p, SNAPS "/missing.json"), 0);
	snapshot_paths_sort(&p);
	one = calloc(p.n, sizeof(*one));
	many = calloc(p.n, sizeof(*many));
	assert_int_equal(snapshot_read_files(p.v, p.n, one, 1), 0);
	assert_int_equal(snapshot_read_files(p.v, p.n, many, 4), 0);
	for (i = 0; i < p.n; i++) {
		assert_int_equal(one[i].err, many[i].err);
		assert_string_equal(one[i].why, many[i].why);
		assert_int_equal(one[i].snap.ncaches, many[i].snap.ncaches);
		if (!one[i].err)
			assert_string_equal(one[i].snap.host, many[i].snap.host);
		host_snapshot_release(&one[i].snap);
		host_snapshot_release(&many[i].snap);
	}
	assert_int_equal(p.n, 5 + 21 + 1);
	free(one);
	free(many);
	snapshot_paths_release(&p);
}

/* The fuzzer's corpus (fuzz/corpus-snapshot, `make fuzz`) replayed as the
 * harness does: each input reads or fails with one line; what reads folds
 * into a fleet of three equal copies with no deviation. */
static void test_fuzz_corpus(void **state)
{
	DIR *d = opendir("fuzz/corpus-snapshot");
	struct dirent *e;
	int n = 0, read_ok = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		struct host_snapshot s;
		struct fleet_verdict v;
		struct fleet_opts o;
		struct fleet *f;
		char path[PATH_MAX], why[512], *bytes;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "fuzz/corpus-snapshot/%s", e->d_name);
		{
			FILE *in = fopen(path, "rb");

			assert_non_null(in);
			bytes = malloc(1 << 20);
			assert_non_null(bytes);
			len = fread(bytes, 1, 1 << 20, in); /* all of it, NUL bytes included */
			fclose(in);
		}
		n++;
		if (snapshot_read_buf(bytes, len, path, &s, why, sizeof(why))) {
			assert_true(why[0] != '\0');
			assert_null(strchr(why, '\n'));
			free(bytes);
			continue;
		}
		read_ok++;
		f = fleet_new();
		assert_non_null(f);
		fleet_opts_init(&o);
		for (int i = 0; i < 3; i++)
			assert_int_equal(fleet_add(f, &s, path), 0);
		assert_int_equal(fleet_analyze(f, &o, &v, NULL), 0);
		assert_int_equal(v.ndeviations, 0);
		fleet_verdict_release(&v);
		fleet_free(f);
		host_snapshot_release(&s);
		free(bytes);
	}
	closedir(d);
	assert_true(n >= 20);
	assert_true(read_ok >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_sections_optional),
	    cmocka_unit_test(test_escaped_control_bytes_kept),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_every_bad_file_refused),
	    cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_read_files_threads),
	    cmocka_unit_test(test_fuzz_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
