/*
 * fuzz_b64url.c - base64url without padding: decoding never overruns,
 * and encode then decode gives the bytes back.
 */
#include "config.h"

#include <string.h>

#include "auth/auth.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	 a;
	char		*s, *enc;
	unsigned char	*dec;
	size_t		 n = 0;

	if (size > 4096)
		return 0;
	arena_init(&a, 4096);
	s = arena_strndup(&a, (const char *)data, size);
	dec = b64url_decode(&a, s, &n);
	if (dec != NULL)
		FUZZ_ASSERT(n <= strlen(s) * 3 / 4 + 1);
	enc = b64url_encode(&a, data, size);
	FUZZ_ASSERT(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	    "rstuvwxyz0123456789-_") == strlen(enc));
	dec = b64url_decode(&a, enc, &n);
	FUZZ_ASSERT(dec != NULL && n == size && memcmp(dec, data, size) == 0);
	arena_cleanup(&a);
	return 0;
}
