/* Every input in tests/fixtures/fuzz-regressions/ (crashes the fuzzer found
 * and hand-made malformed files) and fuzz/corpus/ goes through the reader:
 * it must end cleanly or fail with a one-line reason, never crash. Files
 * named *.fuzz and the corpus are fuzzer inputs: they become trace files
 * exactly as the harness makes them (fuzz/fuzz_input.h). */
#include "test_util.h"

#include <dirent.h>
#include <limits.h>

#include "../../fuzz/fuzz_input.h"
#include "trace/trace.h"

/* The trace file a fuzzer input stands for, written to a temp file. */
static void materialize(const char *input, char *path, size_t pathlen)
{
	FILE *f = fopen(input, "rb");
	uint8_t *bytes = malloc(1 << 20), *file;
	size_t len, flen;
	int fd;

	assert_non_null(f);
	assert_non_null(bytes);
	len = fread(bytes, 1, 1 << 20, f);
	fclose(f);
	file = fuzz_build_file(bytes, len, &flen);
	snprintf(path, pathlen, "/tmp/poolscope-fuzzreg.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, flen), (ssize_t)flen);
	close(fd);
	free(file);
	free(bytes);
}

static int read_all(const char *path, char *err, size_t errlen, long *records)
{
	struct trace_reader *r = NULL;
	struct trace_record rec;
	int rc;

	*records = 0;
	err[0] = '\0';
	rc = trace_reader__open(path, &r, err, errlen);
	if (rc)
		return rc;
	while ((rc = trace_reader__next(r, &rec, err, errlen)) == 1)
		(*records)++;
	trace_reader__close(r);
	return rc;
}

static int replay_dir(const char *dirpath, bool all_fuzz_inputs, int *failed_reads)
{
	DIR *d = opendir(dirpath);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[PATH_MAX], err[256];
		long records;
		int rc;

		if (e->d_name[0] == '.')
			continue;
		{
		size_t nl = strlen(e->d_name);
		bool fuzz_input = all_fuzz_inputs || (nl > 5 && strcmp(e->d_name + nl - 5, ".fuzz") == 0);

		snprintf(path, sizeof(path), "%s/%s", dirpath, e->d_name);
		if (fuzz_input) {
			char tmp[64];

			materialize(path, tmp, sizeof(tmp));
			rc = read_all(tmp, err, sizeof(err), &records);
			unlink(tmp);
		} else {
			rc = read_all(path, err, sizeof(err), &records);
		}
		if (rc < 0) {
			/* A reason, on one line. */
			assert_true(err[0] != '\0');
			assert_null(strchr(err, '\n'));
			(*failed_reads)++;
		}
		}
		n++;
	}
	closedir(d);
	return n;
}

static void test_regressions(void **state)
{
	int failed = 0, n;

	(void)state;
	n = replay_dir(FIXTURES_DIR "/fuzz-regressions", false, &failed);
	assert_true(n >= 4);
	/* Every regression file is malformed on purpose: each must be refused
	 * or end early, and at least the malformed ones refused. */
	assert_true(failed >= 3);
}

static void test_corpus(void **state)
{
	int failed = 0, n;

	(void)state;
	n = replay_dir("fuzz/corpus", true, &failed);
	assert_true(n >= 3);
	/* the corpus holds the real traces: most read to their end */
	assert_true(failed < n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regressions),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
