/* Untrusted text made safe and visible for a terminal: process names, file
 * names and cache names can hold any byte, and a raw ESC, CR or C1 control
 * would break a table or drive the terminal. */
#ifndef POOLSCOPE_UTIL_VISIBLE_H
#define POOLSCOPE_UTIL_VISIBLE_H

#include <stddef.h>

/* Copy len bytes of in to out with every control byte (0x00-0x1f, 0x7f),
 * every C1 control (U+0080-U+009F) and every byte that is not part of valid
 * UTF-8 written as a visible escape: \n, \r, \t, else \xNN per byte (ESC is
 * \x1b). Valid UTF-8 and a backslash are kept as they are. out (outlen
 * bytes, may be NULL when outlen is 0) is always NUL-terminated when outlen
 * > 0, cut only between whole characters or escapes. Returns the length
 * of the whole escaped form (excluding the NUL), like snprintf: out is
 * complete when the return is < outlen. The escaped form is at most
 * 4 * len bytes. */
size_t visible_escape(const char *in, size_t len, char *out, size_t outlen);

#endif
