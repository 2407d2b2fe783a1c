/* How a fuzz input becomes a trace file; shared by the libFuzzer harness
 * and tests/unit/test_fuzz_regressions.c, which replays inputs the same way. */
#ifndef POOLSCOPE_FUZZ_INPUT_H
#define POOLSCOPE_FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "trace/format.h"

/* A valid version-1 header: magic, version, body, CRC. */
static inline size_t fuzz_put_header(uint8_t *out)
{
	static const char body[] = "\004host\0056.18.\044" "00000000-0000-0000-0000-000000000000"
				   "\017CLOCK_MONOTONIC\001\200\001\003\001\001x";
	size_t blen = sizeof(body) - 1;

	memcpy(out, TRACE_MAGIC, TRACE_MAGIC_LEN);
	fmt_put_u32(out + 8, TRACE_FORMAT_VERSION);
	fmt_put_u32(out + 12, (uint32_t)blen);
	memcpy(out + 16, body, blen);
	fmt_put_u32(out + 16 + blen, (uint32_t)crc32(0L, (const uint8_t *)body, (uInt)blen));
	return 16 + blen + 4;
}

/* Mode byte even: the rest is chunk payloads (split at "\xff\xfe\xfd"), wrapped
 * with correct lengths and CRCs after a valid header, so mutations reach the
 * record decoder instead of dying at a CRC check. Odd: the rest, raw. */
static inline uint8_t *fuzz_build_file(const uint8_t *bytes, size_t len, size_t *out_len)
{
	uint8_t *out = malloc(len * 2 + 256);
	size_t n, i, start;

	if (!out)
		abort();
	if (len == 0 || (bytes[0] & 1)) {
		if (len > 1)
			memcpy(out, bytes + 1, len - 1);
		*out_len = len ? len - 1 : 0;
		return out;
	}
	n = fuzz_put_header(out);
	for (start = i = 1; i <= len; i++) {
		if (i == len || (i + 2 < len && bytes[i] == 0xff && bytes[i + 1] == 0xfe &&
				 bytes[i + 2] == 0xfd)) {
			size_t plen = i - start;

			fmt_put_u32(out + n, TRACE_CHUNK_MAGIC);
			fmt_put_u32(out + n + 4, (uint32_t)plen);
			fmt_put_u32(out + n + 8, (uint32_t)crc32(0L, bytes + start, (uInt)plen));
			memcpy(out + n + 12, bytes + start, plen);
			n += 12 + plen;
			start = i + 3;
			i += 2;
		}
	}
	*out_len = n;
	return out;
}

#endif
