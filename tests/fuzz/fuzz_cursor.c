/*
 * fuzz_cursor.c - the list cursor (model/): a cursor taken opens to a
 * sort key and an id, both text, and is made again from them; any key
 * and id a list could make (split from the input at its first NUL:
 * UTF-8, the id not empty) go through a cursor and come back as they
 * were.
 */
#include "config.h"

#include <string.h>

#include "model/model.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	 a;
	const char	*key, *id, *key2, *id2, *s;
	char		*k, *c;
	size_t		 n;

	if (size > 4096)
		return 0;
	arena_init(&a, 16 * 1024);
	s = arena_strndup(&a, (const char *)data, size);
	if (model_cursor_decode(&a, s, &key, &id) == 0) {
		FUZZ_ASSERT(key != NULL && id != NULL);
		c = model_cursor_encode(&a, key, id);
		FUZZ_ASSERT(model_cursor_decode(&a, c, &key2, &id2) == 0 &&
		    strcmp(key, key2) == 0 && strcmp(id, id2) == 0);
	}
	/* key NUL id (the id up to a second NUL, or empty). */
	k = arena_strndup(&a, (const char *)data, size);
	n = strlen(k);
	id = n < size ? arena_strndup(&a, (const char *)data + n + 1,
	    size - n - 1) : "";
	/* Keys and ids as lists make them: text, an id never empty. */
	if (*id != '\0' && strlen(k) + strlen(id) <= 512 &&
	    utf8_valid(k, strlen(k), NULL) && utf8_valid(id, strlen(id),
	    NULL)) {
		c = model_cursor_encode(&a, k, id);
		/* Within the size a cursor may have (1 024: a list's own
		 * are far shorter). */
		if (strlen(c) <= 1024)
			FUZZ_ASSERT(model_cursor_decode(&a, c, &key2,
			    &id2) == 0 && strcmp(k, key2) == 0 &&
			    strcmp(id, id2) == 0);
	}
	arena_cleanup(&a);
	return 0;
}
