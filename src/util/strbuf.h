/* Growable byte string; always NUL-terminated. */
#ifndef POOLSCOPE_UTIL_STRBUF_H
#define POOLSCOPE_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf; /* owned; never NULL after a successful append */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

int strbuf_grow(struct strbuf *sb, size_t extra);
int strbuf_append(struct strbuf *sb, const void *bytes, size_t n);
int strbuf_puts(struct strbuf *sb, const char *s);
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(struct strbuf *sb);
/* Hand the buffer to the caller (who frees it); sb is left empty. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* The contents, or "" when nothing was ever appended. */
const char *strbuf_str(const struct strbuf *sb);

#endif
