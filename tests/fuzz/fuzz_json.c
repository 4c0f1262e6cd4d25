/*
 * fuzz_json.c - the JSON gate (http_json_check) against json-c. What the
 * gate lets through, json-c parses without clamping: every number that
 * comes out is the one that went in (integers in 64 bits, doubles
 * finite), and no string holds a NUL.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "http/http.h"

static void
walk(struct json_object *o, int depth)
{
	struct json_object_iterator	 it, end;
	size_t				 i;

	FUZZ_ASSERT(depth < 64);
	switch (json_object_get_type(o)) {
	case json_type_double:
		FUZZ_ASSERT(isfinite(json_object_get_double(o)));
		break;
	case json_type_int:
		/* Past INT64_MAX json-c would hold a uint64: refused. */
		FUZZ_ASSERT(json_object_get_uint64(o) <= (uint64_t)INT64_MAX ||
		    json_object_get_int64(o) < 0);
		break;
	case json_type_string:
		FUZZ_ASSERT(strlen(json_object_get_string(o)) ==
		    (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++)
			walk(json_object_array_get_idx(o, i), depth + 1);
		break;
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		while (!json_object_iter_equal(&it, &end)) {
			walk(json_object_iter_peek_value(&it), depth + 1);
			json_object_iter_next(&it);
		}
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_json_error	 e;
	struct json_tokener	*tok;
	struct json_object	*o;

	if (size > (1 << 20))
		return 0;
	if (http_json_check((const char *)data, size, &e) != 0) {
		FUZZ_ASSERT(e.offset <= size && e.reason != NULL);
		FUZZ_ASSERT(strlen(e.key) < sizeof(e.key));
		return 0;
	}
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (json_tokener_get_error(tok) == json_tokener_success && o != NULL)
		walk(o, 0);
	json_object_put(o);
	json_tokener_free(tok);
	return 0;
}
