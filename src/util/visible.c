#include "util/visible.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when the
 * byte at s does not start one: overlong forms, surrogates and code points
 * past U+10FFFF are invalid (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* Append piece (n bytes) unless it would not fit whole; the total grows
 * either way. full stays set once a piece did not fit, so nothing later
 * is appended out of order. */
static void put(char *out, size_t outlen, size_t *total, bool *full, const char *piece,
		size_t n)
{
	if (!*full && outlen && *total + n < outlen)
		memcpy(out + *total, piece, n);
	else
		*full = true;
	*total += n;
}

size_t visible_escape(const char *in, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, total = 0, kept = 0;
	bool full = false;

	while (i < len) {
		size_t n = utf8_len(s + i, len - i);
		char esc[4];

		/* C1 controls are U+0080-U+009F: 0xc2 0x80-0x9f in UTF-8. */
		bool c1 = n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0;

		if (n == 1 && s[i] >= 0x20 && s[i] != 0x7f) {
			put(out, outlen, &total, &full, in + i, 1);
		} else if (n > 1 && !c1) {
			put(out, outlen, &total, &full, in + i, n);
		} else {
			size_t j, count = n ? n : 1;

			for (j = 0; j < count; j++) {
				unsigned char b = s[i + j];

				if (b == '\n' || b == '\r' || b == '\t') {
					esc[0] = '\\';
					esc[1] = b == '\n' ? 'n' : b == '\r' ? 'r' : 't';
					put(out, outlen, &total, &full, esc, 2);
				} else {
					esc[0] = '\\';
					esc[1] = 'x';
					esc[2] = hex[b >> 4];
					esc[3] = hex[b & 15];
					put(out, outlen, &total, &full, esc, 4);
				}
			}
			n = count;
		}
		if (!full)
			kept = total;
		i += n;
	}
	if (outlen)
		out[kept < outlen ? kept : outlen - 1] = '\0';
	return total;
}
