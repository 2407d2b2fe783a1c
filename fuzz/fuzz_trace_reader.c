/* libFuzzer harness for the trace reader: any byte string, written to a
 * file, must open and read to its end or to one clean error, without a
 * crash, a hang or unbounded memory. `make fuzz` runs it; crashes found go
 * to tests/fixtures/fuzz-regressions/ (replayed by test_fuzz_regressions). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "util/symtab.h"
#include "trace/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t len)
{
	char path[] = "/tmp/poolscope-fuzz.XXXXXX", err[256];
	struct trace_reader *r = NULL;
	struct trace_record rec;
	int fd = mkstemp(path), rc;
	long guard = 0;
	size_t flen;
	uint8_t *file = fuzz_build_file(bytes, len, &flen);

	if (fd < 0)
		abort();
	if (write(fd, file, flen) != (ssize_t)flen)
		abort();
	close(fd);
	free(file);
	if (trace_reader__open(path, &r, err, sizeof(err)) == 0) {
		while ((rc = trace_reader__next(r, &rec, err, sizeof(err))) == 1) {
			const uint64_t *ips;

			/* Touch what a report would touch. */
			if (rec.type == TR_ALLOC) {
				(void)trace_reader__string(r, rec.alloc.tag_id);
				(void)trace_reader__stack(r, rec.alloc.stack_id, &ips);
			}
			if (rec.type == TR_SNAPSHOT && rec.snapshot.nentries)
				(void)rec.snapshot.entries[rec.snapshot.nentries - 1].outstanding_count;
			if (++guard > 100000000)
				abort(); /* a hang */
		}
		(void)trace_reader__ksyms(r);
		(void)trace_reader__frees_exact(r, "maple_node");
		trace_reader__close(r);
	}
	unlink(path);
	return 0;
}
