/* UTF-8 validation, shared by the writers that must emit valid UTF-8 from
 * bytes that need not be (cache names, comm, paths): JSON and Prometheus. */
#ifndef POOLSCOPE_UTIL_UTF8_H
#define POOLSCOPE_UTIL_UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s, reading at most n bytes
 * (n ≥ 1), or 0 when s does not start one: a stray continuation byte, a
 * truncated sequence, an overlong form, a surrogate or a code point past
 * U+10FFFF. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
