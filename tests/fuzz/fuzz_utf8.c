/*
 * fuzz_utf8.c - strict UTF-8 validation and its repair: what
 * utf8_copy_valid writes is always valid, never longer than the buffer,
 * and equal to the input when the input was valid and fits.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "util/util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, out[512];
	size_t	 bad = 0, n;
	int	 valid;

	s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	valid = utf8_valid(s, n, &bad);
	FUZZ_ASSERT(valid || bad < n);
	utf8_copy_valid(out, sizeof(out), s);
	FUZZ_ASSERT(strlen(out) < sizeof(out));
	FUZZ_ASSERT(utf8_valid(out, strlen(out), NULL));
	if (valid && n < sizeof(out))
		FUZZ_ASSERT(strcmp(out, s) == 0);
	if (!valid)
		FUZZ_ASSERT(utf8_valid(s, bad, NULL));
	free(s);
	return 0;
}
