/* Any byte string as text a terminal only displays: names made by other
 * users (process names, file names) or by the kernel (cache names) may hold
 * control bytes that would drive the terminal, and bytes that are not UTF-8.
 * The text renderers and the curses screen show them escaped. (CSV and JSON
 * have their own quoting and do not use this.) */
#ifndef POOLSCOPE_UTIL_VISIBLE_H
#define POOLSCOPE_UTIL_VISIBLE_H

#include <stddef.h>

/* Render len bytes of in into out as printable text:
 * - valid UTF-8 is kept as it is, printable ASCII included ('\\' too);
 * - each control byte (0x00-0x1f, 0x7f), each byte of a C1 control
 *   (U+0080-U+009F, which some terminals obey) and each byte that is not part
 *   of valid UTF-8 (stray continuation, overlong form, surrogate, beyond
 *   U+10FFFF, cut short) becomes "\xNN", lowercase hex.
 * Because backslashes are kept, escaping is idempotent (escaped text escapes
 * to itself) but not reversible: a literal "\x1b" reads like an escaped ESC.
 * out always ends in NUL when outlen > 0; when it is too small the text is
 * cut before an escape or a character, never inside one. Returns the length
 * the whole rendering needs (without the NUL), like snprintf: the output was
 * cut when the result is >= outlen. in may hold NULs (they are escaped). */
size_t visible_escape(const char *in, size_t len, char *out, size_t outlen);

#endif
