/*
 * utf8.c - strict UTF-8 (RFC 3629): no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing past U+10FFFF. json-c's own check lets
 * encoded surrogates through, so request bodies are checked here; and
 * text that goes back out in a JSON body is made valid here first.
 */
#include "config.h"

#include <string.h>

#include "util/util.h"

#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */

/* Length of the valid sequence at p[0..n), or 0 when there is none. */
static size_t
seq_len(const unsigned char *p, size_t n)
{
	size_t		 need, k;
	unsigned int	 cp, min;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		need = 1; cp = p[0] & 0x1f; min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		need = 2; cp = p[0] & 0x0f; min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		need = 3; cp = p[0] & 0x07; min = 0x10000;
	} else
		return 0;
	if (n <= need)
		return 0;
	for (k = 1; k <= need; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

int
utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, len;

	while (i < n) {
		len = seq_len(p + i, n - i);
		if (len == 0) {
			if (bad != NULL)
				*bad = i;
			return 0;
		}
		i += len;
	}
	return 1;
}

char *
utf8_copy_valid(char *dst, size_t dstlen, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), i = 0, o = 0, len;
	const char		*piece;
	size_t			 plen;

	if (dstlen == 0)
		return dst;
	while (i < n) {
		len = seq_len(p + i, n - i);
		piece = len ? s + i : REPLACEMENT;
		plen = len ? len : sizeof(REPLACEMENT) - 1;
		/* Whole characters only: stop rather than cut one. */
		if (o + plen >= dstlen)
			break;
		memcpy(dst + o, piece, plen);
		o += plen;
		i += len ? len : 1;
	}
	dst[o] = '\0';
	return dst;
}

char *
utf8_sanitize(struct arena *a, const char *s)
{
	size_t	 n = strlen(s) * 3 + 1;

	return utf8_copy_valid(arena_alloc(a, n), n, s);
}
