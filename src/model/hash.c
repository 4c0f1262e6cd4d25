/*
 * hash.c - contentHash and list cursors. contentHash is the SHA-256 of
 * the canonical JSON of an entity's hashed fields (docs/api.md): keys
 * sorted by byte order at every level, no white space, strings written
 * by json-c (UTF-8 kept, control characters escaped, "/" not escaped),
 * an absent field as null. A cursor is base64url of the JSON array
 * [key, id]; it carries no secret and is checked when it comes back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model/model.h"

#define CURSOR_MAX	1024

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
canonical(struct buf *b, struct json_object *v)
{
	struct json_object_iterator	 it, end;
	const char			**keys;
	size_t				 i, n;
	struct json_object		*s;

	switch (json_object_get_type(v)) {
	case json_type_object:
		n = (size_t)json_object_object_length(v);
		keys = calloc(n + 1, sizeof(*keys));
		if (keys == NULL)
			fatal("canonical: out of memory");
		i = 0;
		it = json_object_iter_begin(v);
		end = json_object_iter_end(v);
		for (; !json_object_iter_equal(&it, &end) && i < n;
		    json_object_iter_next(&it))
			keys[i++] = json_object_iter_peek_name(&it);
		qsort(keys, i, sizeof(*keys), key_cmp);
		buf_puts(b, "{");
		for (n = i, i = 0; i < n; i++) {
			s = json_object_new_string(keys[i]);
			buf_printf(b, "%s%s:", i ? "," : "",
			    json_object_to_json_string_ext(s,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(s);
			canonical(b, json_object_object_get(v, keys[i]));
		}
		buf_puts(b, "}");
		free(keys);
		return;
	case json_type_array:
		buf_puts(b, "[");
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_puts(b, ",");
			canonical(b, json_object_array_get_idx(v, i));
		}
		buf_puts(b, "]");
		return;
	case json_type_null:
		buf_puts(b, "null");
		return;
	default:
		buf_puts(b, json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		return;
	}
}

char *
model_canonical_json(struct arena *a, struct json_object *v)
{
	struct buf	 b;
	char		*out;

	buf_init(&b, 64 * 1024 * 1024);
	canonical(&b, v);
	out = arena_strndup(a, b.data ? b.data : "", b.len);
	buf_cleanup(&b);
	return out;
}

char *
model_content_hash(struct arena *a, const struct model_entity *m,
    struct json_object *entity)
{
	struct json_object	*h = json_object_new_object(), *v;
	const char		*json;
	char			*out;
	size_t			 i;

	for (i = 0; i < m->nfields; i++) {
		if ((m->fields[i].flags & MF_HASHED) == 0)
			continue;
		v = NULL;
		if (m->fields[i].hash_as == NULL ||
		    !json_object_object_get_ex(entity, m->fields[i].hash_as,
		    &v) || v == NULL)
			json_object_object_get_ex(entity, m->fields[i].json, &v);
		json_object_object_add(h, m->fields[i].json,
		    json_object_get(v));
	}
	json = model_canonical_json(a, h);
	out = sha256_hex(a, json, strlen(json), NULL, 0);
	json_object_put(h);
	return out;
}

char *
model_cursor_encode(struct arena *a, const char *key, const char *id)
{
	struct json_object	*c = json_object_new_array();
	const char		*json;
	char			*out;

	json_object_array_add(c, json_object_new_string(key));
	json_object_array_add(c, json_object_new_string(id));
	json = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
	out = b64url_encode(a, (const unsigned char *)json, strlen(json));
	json_object_put(c);
	return out;
}

int
model_cursor_decode(struct arena *a, const char *cursor, const char **key,
    const char **id)
{
	struct json_object	*c, *k, *i;
	unsigned char		*raw;
	size_t			 n;
	int			 rc = -1;

	if (strlen(cursor) > CURSOR_MAX)
		return -1;
	raw = b64url_decode(a, cursor, &n);
	if (raw == NULL || !utf8_valid((const char *)raw, n, NULL) ||
	    memchr(raw, '\0', n) != NULL)
		return -1;
	c = json_tokener_parse(arena_strndup(a, (const char *)raw, n));
	if (c != NULL && json_object_is_type(c, json_type_array) &&
	    json_object_array_length(c) == 2) {
		k = json_object_array_get_idx(c, 0);
		i = json_object_array_get_idx(c, 1);
		if (json_object_is_type(k, json_type_string) &&
		    json_object_is_type(i, json_type_string) &&
		    json_object_get_string_len(i) > 0) {
			*key = arena_strdup(a, json_object_get_string(k));
			*id = arena_strdup(a, json_object_get_string(i));
			rc = 0;
		}
	}
	json_object_put(c);
	return rc;
}
