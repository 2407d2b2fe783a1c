#include "util/visible.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (of at most n bytes) that is not
 * a control character, or 0 when the byte at s must be escaped. */
static size_t printable_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0; /* continuation byte, overlong lead (c0, c1) or beyond f4 */
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0; /* overlong, or beyond Unicode */
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0; /* a surrogate is not a character */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0; /* C1 control */
	return len;
}

size_t visible_escape(const char *in, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, need = 0, written = 0;
	bool cut = false;

	while (i < len) {
		size_t n = printable_seq(s + i, len - i);
		char esc[4] = {'\\', 'x', hex[s[i] >> 4], hex[s[i] & 15]};
		const char *piece = n ? in + i : esc;
		size_t plen = n ? n : sizeof(esc);

		/* Whole pieces only, with room left for the NUL. */
		if (!cut && written + plen < outlen) {
			memcpy(out + written, piece, plen);
			written += plen;
		} else {
			cut = true;
		}
		need += plen;
		i += n ? n : 1;
	}
	if (outlen)
		out[written] = '\0';
	return need;
}
