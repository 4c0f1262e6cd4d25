/*
 * validate.c - request bodies against an entity's description. The
 * database's CHECKs stay as the second line; this is the first, and the
 * one that names the field.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <unistr.h>

#include "model/model.h"

#define TAG_MAX		100

int
model_fail(struct model_error *e, int status, const char *field, const char *fmt,
    ...)
{
	va_list	 ap;

	e->status = status;
	snprintf(e->field, sizeof(e->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

const struct model_field *
model_field(const struct model_entity *m, const char *json)
{
	size_t	 i;

	for (i = 0; i < m->nfields; i++)
		if ((m->fields[i].flags & MF_HIDDEN) == 0 &&
		    strcmp(m->fields[i].json, json) == 0)
			return &m->fields[i];
	return NULL;
}

/* Characters (not bytes) of a UTF-8 string already checked valid. */
static size_t
chars(const char *s)
{
	return u8_mbsnlen((const uint8_t *)s, strlen(s));
}

static int
id_ok(const char *s)
{
	size_t	 n = strlen(s);

	/* "." and ".." are no path segment a URL keeps (/api/quests/..). */
	return n >= 1 && n <= 128 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.:-") == n &&
	    strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static int
text_ok(const struct model_field *f, struct json_object *v,
    struct model_error *e)
{
	size_t	 n;

	if (!json_object_is_type(v, json_type_string))
		return model_fail(e, 422, f->json, "%s: must be a string", f->json);
	n = chars(json_object_get_string(v));
	if ((long long)n < f->min || (long long)n > f->max)
		return model_fail(e, 422, f->json, "%s: must be %lld to %lld "
		    "characters (is %zu)", f->json, f->min, f->max, n);
	return 0;
}

static int
enum_ok(const struct model_field *f, struct json_object *v,
    struct model_error *e)
{
	const char *const	*p;
	char			 list[200] = "";
	size_t			 used = 0;

	if (json_object_is_type(v, json_type_string))
		for (p = f->values; *p != NULL; p++)
			if (strcmp(*p, json_object_get_string(v)) == 0)
				return 0;
	for (p = f->values; *p != NULL && used < sizeof(list); p++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		    "%s%s", p == f->values ? "" : ", ", *p);
	return model_fail(e, 422, f->json, "%s: must be one of %s", f->json, list);
}

static int
int_ok(const struct model_field *f, struct json_object *v,
    struct model_error *e)
{
	int64_t	 x;

	/* The JSON gate already refused integers past 64 bits. */
	if (!json_object_is_type(v, json_type_int))
		return model_fail(e, 422, f->json, "%s: must be a whole number",
		    f->json);
	x = json_object_get_int64(v);
	if (x < f->min || x > f->max)
		return model_fail(e, 422, f->json, "%s: must be from %lld to %lld",
		    f->json, f->min, f->max);
	return 0;
}

static int
tags_ok(const struct model_field *f, struct json_object *v,
    struct model_error *e)
{
	char	 path[96];
	size_t	 i, n;

	if (!json_object_is_type(v, json_type_array))
		return model_fail(e, 422, f->json, "%s: must be an array of "
		    "strings", f->json);
	n = json_object_array_length(v);
	if ((long long)n > f->max)
		return model_fail(e, 422, f->json, "%s: at most %lld entries",
		    f->json, f->max);
	for (i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(v, i);

		snprintf(path, sizeof(path), "%s[%zu]", f->json, i);
		if (!json_object_is_type(t, json_type_string) ||
		    json_object_get_string_len(t) == 0 ||
		    chars(json_object_get_string(t)) > TAG_MAX)
			return model_fail(e, 422, path, "%s: must be a string of 1 "
			    "to %d characters", path, TAG_MAX);
	}
	return 0;
}

static int
json_ok(const struct model_field *f, struct json_object *v,
    enum json_type want, struct model_error *e)
{
	size_t	 n;

	if (!json_object_is_type(v, want))
		return model_fail(e, 422, f->json, "%s: must be a JSON %s", f->json,
		    want == json_type_object ? "object" : "array");
	json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &n);
	if ((long long)n > f->max)
		return model_fail(e, 413, f->json, "%s: %zu bytes; at most %lld",
		    f->json, n, f->max);
	return 0;
}

/* The elements of array v are what f's items say (objects, or any). */
static int
items_ok(const struct model_field *f, struct json_object *v,
    struct model_error *e)
{
	size_t	 i;

	if (f->items == NULL || strncmp(f->items, "{\"type\":\"object\"",
	    16) != 0)
		return 0;
	for (i = 0; i < json_object_array_length(v); i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i),
		    json_type_object))
			return model_fail(e, 422, f->json, "%s[%zu]: must be a "
			    "JSON object", f->json, i);
	return 0;
}

/* An array of whole numbers in min..max: distinct, or exactly two. */
static int
ints_ok(const struct model_field *f, struct json_object *v,
    struct model_error *e)
{
	char		 at[96];
	size_t		 i, n;
	unsigned long long seen = 0;
	int64_t		 x;

	n = json_object_is_type(v, json_type_array) ?
	    json_object_array_length(v) : 0;
	if (!json_object_is_type(v, json_type_array) ||
	    (f->type == MT_PAIR && n != 2))
		return model_fail(e, 422, f->json, "%s: %s whole numbers from "
		    "%lld to %lld", f->json, f->type == MT_PAIR ? "two" :
		    "an array of distinct", f->min, f->max);
	for (i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(v, i);

		snprintf(at, sizeof(at), "%s[%zu]", f->json, i);
		x = json_object_get_int64(t);
		if (!json_object_is_type(t, json_type_int) || x < f->min ||
		    x > f->max)
			return model_fail(e, 422, at, "%s: a whole number from "
			    "%lld to %lld", at, f->min, f->max);
		if (f->type == MT_DAYS && x < 64 && (seen >> x & 1))
			return model_fail(e, 422, at, "%s: %lld is there "
			    "twice", at, (long long)x);
		if (x < 64)
			seen |= 1ULL << x;
	}
	return 0;
}

/* One present, non-null value against its field. */
static int
value_ok(const struct model_field *f, struct json_object *v,
    struct model_error *e)
{
	int64_t	 ms;

	switch (f->type) {
	case MT_ID:
		if (!json_object_is_type(v, json_type_string) ||
		    !id_ok(json_object_get_string(v)))
			return model_fail(e, 422, f->json, "%s: 1 to 128 of A-Z a-z "
			    "0-9 _ . : -, not . or ..", f->json);
		return 0;
	case MT_UUID:
		if (!json_object_is_type(v, json_type_string) ||
		    !str_is_uuid(json_object_get_string(v)))
			return model_fail(e, 422, f->json, "%s: a UUID",
			    f->json);
		return 0;
	case MT_TEXT:
		return text_ok(f, v, e);
	case MT_ENUM:
		return enum_ok(f, v, e);
	case MT_INT:
		return int_ok(f, v, e);
	case MT_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return model_fail(e, 422, f->json, "%s: must be true or "
			    "false", f->json);
		return 0;
	case MT_TIME:
		if (!json_object_is_type(v, json_type_string) ||
		    model_time_parse(json_object_get_string(v), &ms) != 0)
			return model_fail(e, 422, f->json, "%s: must be an ISO 8601 "
			    "date-time with a zone, such as "
			    "2026-01-02T12:00:00.000Z", f->json);
		return 0;
	case MT_TAGS:
		return tags_ok(f, v, e);
	case MT_OBJECT:
		return json_ok(f, v, json_type_object, e);
	case MT_ARRAY:
		if (json_ok(f, v, json_type_array, e) != 0)
			return -1;
		return items_ok(f, v, e);
	case MT_DAYS:
	case MT_PAIR:
		return ints_ok(f, v, e);
	}
	return model_fail(e, 422, f->json, "%s: unknown type", f->json);
}

void
model_nulls_to_defaults(const struct model_entity *m, struct json_object *body)
{
	struct json_object	*v;
	size_t			 i;

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].dflt != NULL && json_object_object_get_ex(body,
		    m->fields[i].json, &v) && v == NULL)
			json_object_object_add(body, m->fields[i].json,
			    json_tokener_parse(m->fields[i].dflt));
}

int
model_self_ref(const struct model_entity *m, struct json_object *body,
    const char *id, struct model_error *e)
{
	struct json_object	*v;
	size_t			 i;

	memset(e, 0, sizeof(*e));
	for (i = 0; id != NULL && i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];

		if (f->ref == m && json_object_object_get_ex(body, f->json,
		    &v) && json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), id) == 0)
			return model_fail(e, 422, f->json, "%s: %s %s cannot "
			    "name itself", f->json, model_article(m), m->name);
	}
	return 0;
}

const char *
model_article(const struct model_entity *m)
{
	return m->name != NULL && strchr("aeiou", m->name[0]) != NULL &&
	    m->name[0] != '\0' ? "an" : "a";
}

int
model_import_field(const struct model_field *f)
{
	return (f->flags & MF_HIDDEN) == 0 && ((f->flags & MF_SERVER) == 0 ||
	    f->type != MT_TEXT);
}

int
model_validate(const struct model_entity *m, struct json_object *body,
    enum model_write w, struct model_error *e)
{
	const struct model_field	*f;
	struct json_object_iterator	 it, end;
	struct json_object		*v;
	size_t				 i;

	memset(e, 0, sizeof(*e));
	it = json_object_iter_begin(body);
	end = json_object_iter_end(body);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *name = json_object_iter_peek_name(&it);

		f = model_field(m, name);
		if (w == MODEL_IMPORT && (f == NULL ||
		    !model_import_field(f)))
			continue;
		if (f == NULL)
			return model_fail(e, 422, name, "%s: no such field on "
			    "%s %s", name, model_article(m), m->name);
		if ((f->flags & MF_SERVER) != 0 && w != MODEL_IMPORT)
			return model_fail(e, 422, name, "%s: is set by the server",
			    name);
		if ((f->flags & MF_CREATE_ONLY) != 0 && w == MODEL_UPDATE)
			return model_fail(e, 422, name, "%s: cannot be changed",
			    name);
		v = json_object_iter_peek_value(&it);
		if (v == NULL) {
			if ((f->flags & MF_REQUIRED) != 0)
				return model_fail(e, 422, name, "%s: is required and "
				    "cannot be null", name);
			continue;
		}
		if (value_ok(f, v, e) != 0)
			return -1;
	}
	for (i = 0; w != MODEL_UPDATE && i < m->nfields; i++) {
		f = &m->fields[i];
		if ((f->flags & MF_REQUIRED) != 0 &&
		    !json_object_object_get_ex(body, f->json, NULL))
			return model_fail(e, 422, f->json, "%s: is required",
			    f->json);
	}
	return 0;
}

int
model_validate_nested(const struct model_entity *m, struct json_object *v,
    const char *path, struct model_error *e)
{
	char	 at[64];
	size_t	 i, n;

	if (json_object_is_type(v, json_type_object)) {
		if (model_validate(m, v, MODEL_CREATE, e) == 0)
			return 0;
		snprintf(at, sizeof(at), "%s", path);
	} else {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *o = json_object_array_get_idx(v, i);

			snprintf(at, sizeof(at), "%s[%zu]", path, i);
			if (!json_object_is_type(o, json_type_object))
				return model_fail(e, 422, at, "%s: must be a "
				    "%s (a JSON object)", at, m->name);
			if (model_validate(m, o, MODEL_CREATE, e) != 0)
				break;
		}
		if (i == n)
			return 0;
	}
	/* Prefix the member's name with where it is. */
	{
		char	 tmp[512];

		snprintf(tmp, sizeof(tmp), "%s.%s", at, e->field);
		snprintf(e->field, sizeof(e->field), "%.*s",
		    (int)sizeof(e->field) - 1, tmp);
		snprintf(tmp, sizeof(tmp), "%s.%s", at, e->message);
		snprintf(e->message, sizeof(e->message), "%.*s",
		    (int)sizeof(e->message) - 1, tmp);
	}
	return -1;
}

/* Every entity with updatedAt can be polled with updatedSince. */
static const struct model_filter updated_since = { "updatedSince",
	"updatedAt", MQ_AFTER };

const struct model_filter *
model_filter(const struct model_entity *m, const char *param)
{
	size_t	 i;

	for (i = 0; i < m->nfilters; i++)
		if (strcmp(m->filters[i].param, param) == 0)
			return &m->filters[i];
	if (strcmp(param, updated_since.param) == 0 &&
	    model_field(m, updated_since.field) != NULL)
		return &updated_since;
	return NULL;
}

int
model_filter_check(const struct model_entity *m, const struct model_filter *q,
    const char *value, struct model_error *e)
{
	const struct model_field	*f = model_field(m, q->field);
	struct json_object		*v;
	long long			 n;
	int				 rc;

	switch (q->op) {
	case MQ_TAG:
		if (*value == '\0' || strlen(value) > 400)
			return model_fail(e, 400, q->param, "%s: a tag",
			    q->param);
		return 0;
	case MQ_BEFORE:
	case MQ_AFTER:
		v = json_object_new_string(value);
		break;
	case MQ_EQ:
	default:
		if (f->type == MT_BOOL) {
			if (strcmp(value, "true") == 0 ||
			    strcmp(value, "false") == 0)
				return 0;
			return model_fail(e, 400, q->param, "%s: true or "
			    "false", q->param);
		}
		if (f->type == MT_INT) {
			if (str_to_ll(value, f->min, f->max, &n) == 0)
				return 0;
			return model_fail(e, 400, q->param, "%s: a whole "
			    "number from %lld to %lld", q->param, f->min,
			    f->max);
		}
		v = json_object_new_string(value);
		break;
	}
	rc = value_ok(f, v, e);
	json_object_put(v);
	if (rc != 0) {
		/* A query parameter, not a body member: 400, its name. */
		char	 msg[sizeof(e->message)];

		snprintf(msg, sizeof(msg), "%s", e->message);
		model_fail(e, 400, q->param, "%s (%s)", q->param, msg);
	}
	return rc;
}
