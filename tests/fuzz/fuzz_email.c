/*
 * fuzz_email.c - email normalisation and delivery form: a normalised
 * address is valid UTF-8, at most 254 bytes, has one '@', and normalising
 * it again changes nothing; its delivery form is ASCII past the '@'.
 */
#include "config.h"

#include <string.h>

#include "auth/auth.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	 a;
	const char	*why = NULL, *at;
	char		*in, *e, *again, *to;
	size_t		 i;

	if (size > 2048)
		return 0;
	arena_init(&a, 4096);
	in = arena_strndup(&a, (const char *)data, size);
	e = auth_email_normalize(&a, in);
	if (e != NULL) {
		FUZZ_ASSERT(strlen(e) <= 254);
		FUZZ_ASSERT(utf8_valid(e, strlen(e), NULL));
		FUZZ_ASSERT(strchr(e, '@') == strrchr(e, '@'));
		again = auth_email_normalize(&a, e);
		FUZZ_ASSERT(again != NULL && strcmp(again, e) == 0);
		to = auth_email_deliverable(&a, e, (int)(size & 1), &why);
		if (to != NULL) {
			at = strrchr(to, '@');
			FUZZ_ASSERT(at != NULL);
			for (i = 1; at[i] != '\0'; i++)
				FUZZ_ASSERT((unsigned char)at[i] < 0x80);
		} else
			FUZZ_ASSERT(why != NULL);
	}
	arena_cleanup(&a);
	return 0;
}
