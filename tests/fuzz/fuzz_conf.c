/*
 * fuzz_conf.c - the config parser: any text either loads and validates,
 * or fails with a message; nothing leaks and nothing is read past. Keys
 * that read files (…_file) are skipped: the fuzzer must not open
 * /dev/stdin.
 */
#include "config.h"

#include <string.h>

#include "conf/conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 c;
	char		*text, err[512];

	if (size > 16384 || memmem(data, size, "_file", 5) != NULL)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	conf_defaults(&c);
	err[0] = '\0';
	if (conf_parse_text(&c, text, "fuzz.conf", err, sizeof(err)) != 0 ||
	    conf_validate(&c, err, sizeof(err)) != 0)
		FUZZ_ASSERT(err[0] != '\0');
	conf_free(&c);
	free(text);
	return 0;
}
