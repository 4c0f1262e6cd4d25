/*
 * utf8.c - strict UTF-8 validation (RFC 3629): no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing past U+10FFFF. json-c's own check
 * lets encoded surrogates through, so request bodies are checked here.
 */
#include "config.h"

#include "util/util.h"

int
utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, need, k;
	unsigned int		 cp, min;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			need = 1; cp = p[i] & 0x1f; min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			need = 2; cp = p[i] & 0x0f; min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			need = 3; cp = p[i] & 0x07; min = 0x10000;
		} else
			goto fail;
		if (n - i <= need)
			goto fail;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto fail;
		i += need + 1;
	}
	return 1;
fail:
	if (bad != NULL)
		*bad = i;
	return 0;
}
