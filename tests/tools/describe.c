/*
 * describe.c - what the server says it is, as JSON for the OpenAPI
 * checks (tests/openapi/): every row of the route table, and a JSON
 * Schema of each entity written from its model description — as read
 * (every field, absent optional ones null), as created and as patched.
 * docs/openapi.yaml must hold these schemas exactly, so the spec cannot
 * drift from the model.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "model/model.h"

enum use { READ, CREATE, PATCH };

static struct json_object *
num(long long v)
{
	return json_object_new_int64(v);
}

/* The schema of one value of field f. */
static struct json_object *
value_schema(const struct model_field *f)
{
	struct json_object	*s = json_object_new_object(), *a, *it;
	const char *const	*v;

	switch (f->type) {
	case MT_ID:
		json_object_object_add(s, "type", json_object_new_string(
		    "string"));
		json_object_object_add(s, "pattern", json_object_new_string(
		    "^[A-Za-z0-9_.:-]{1,128}$"));
		break;
	case MT_UUID:
		json_object_object_add(s, "type", json_object_new_string(
		    "string"));
		json_object_object_add(s, "format", json_object_new_string(
		    "uuid"));
		break;
	case MT_TEXT:
		json_object_object_add(s, "type", json_object_new_string(
		    "string"));
		if (f->max > 0) {
			json_object_object_add(s, "minLength", num(f->min));
			json_object_object_add(s, "maxLength", num(f->max));
		}
		break;
	case MT_ENUM:
		a = json_object_new_array();
		for (v = f->values; *v != NULL; v++)
			json_object_array_add(a, json_object_new_string(*v));
		json_object_object_add(s, "type", json_object_new_string(
		    "string"));
		json_object_object_add(s, "enum", a);
		break;
	case MT_INT:
		json_object_object_add(s, "type", json_object_new_string(
		    "integer"));
		if (f->max > f->min) {
			json_object_object_add(s, "minimum", num(f->min));
			json_object_object_add(s, "maximum", num(f->max));
		}
		break;
	case MT_BOOL:
		json_object_object_add(s, "type", json_object_new_string(
		    "boolean"));
		break;
	case MT_TIME:
		json_object_object_add(s, "type", json_object_new_string(
		    "string"));
		json_object_object_add(s, "format", json_object_new_string(
		    "date-time"));
		break;
	case MT_TAGS:
		it = json_object_new_object();
		json_object_object_add(it, "type", json_object_new_string(
		    "string"));
		json_object_object_add(it, "minLength", num(1));
		json_object_object_add(it, "maxLength", num(100));
		json_object_object_add(s, "type", json_object_new_string(
		    "array"));
		json_object_object_add(s, "maxItems", num(f->max));
		json_object_object_add(s, "items", it);
		break;
	case MT_OBJECT:
	case MT_ARRAY:
		json_object_object_add(s, "type", json_object_new_string(
		    f->type == MT_OBJECT ? "object" : "array"));
		if (f->type == MT_ARRAY)
			json_object_object_add(s, "items", f->items != NULL ?
			    json_tokener_parse(f->items) :
			    json_object_new_object());
		break;
	case MT_DAYS:
	case MT_PAIR:
		it = json_object_new_object();
		json_object_object_add(it, "type", json_object_new_string(
		    "integer"));
		json_object_object_add(it, "minimum", num(f->min));
		json_object_object_add(it, "maximum", num(f->max));
		json_object_object_add(s, "type", json_object_new_string(
		    "array"));
		if (f->type == MT_PAIR) {
			json_object_object_add(s, "minItems", num(2));
			json_object_object_add(s, "maxItems", num(2));
		} else
			json_object_object_add(s, "uniqueItems",
			    json_object_new_boolean(1));
		json_object_object_add(s, "items", it);
		break;
	}
	return s;
}

/* Optional values may be null: "type": [T, "null"] (and null in enum). */
static struct json_object *
field_schema(const struct model_field *f, int nullable)
{
	struct json_object	*s = value_schema(f), *t, *e;

	if (!nullable)
		return s;
	t = json_object_new_array();
	json_object_array_add(t, json_object_get(json_object_object_get(s,
	    "type")));
	json_object_array_add(t, json_object_new_string("null"));
	json_object_object_add(s, "type", t);
	if (json_object_object_get_ex(s, "enum", &e))
		json_object_array_add(e, NULL);
	return s;
}

/* Fields whose JSON the entity's check reads as quest templates. */
static struct json_object *
nested_schema(const struct model_field *f)
{
	struct json_object	*s, *r;

	if (strcmp(f->json, "questTemplate") != 0 &&
	    strcmp(f->json, "questTemplates") != 0)
		return NULL;
	r = json_object_new_object();
	json_object_object_add(r, "$ref", json_object_new_string(
	    "#/components/schemas/QuestTemplate"));
	if (f->type == MT_OBJECT)
		return r;
	s = json_object_new_object();
	json_object_object_add(s, "type", json_object_new_string("array"));
	json_object_object_add(s, "items", r);
	return s;
}

static struct json_object *
entity_schema(const struct model_entity *m, enum use u)
{
	struct json_object	*s = json_object_new_object();
	struct json_object	*props = json_object_new_object();
	struct json_object	*req = json_object_new_array(), *n;
	size_t			 i;

	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];
		int required = (f->flags & MF_REQUIRED) != 0;

		if ((u != READ && (f->flags & MF_SERVER) != 0) ||
		    (f->flags & MF_HIDDEN) != 0)
			continue;
		if (u == PATCH && (f->flags & MF_CREATE_ONLY) != 0)
			continue;
		n = nested_schema(f);
		json_object_object_add(props, f->json, n != NULL ? n :
		    field_schema(f, !required));
		/* Read: every field is there (null when absent); a create
		 * under its parent has that field from the path. */
		if (u == READ || (u == CREATE && required &&
		    (f->flags & MF_PARENT) == 0))
			json_object_array_add(req, json_object_new_string(
			    f->json));
	}
	json_object_object_add(s, "type", json_object_new_string("object"));
	json_object_object_add(s, "properties", props);
	if (json_object_array_length(req) > 0)
		json_object_object_add(s, "required", req);
	else
		json_object_put(req);
	json_object_object_add(s, "additionalProperties",
	    json_object_new_boolean(0));
	return s;
}

/* "reference library" → "ReferenceLibrary", then suffix. */
static const char *
schema_name(const struct model_entity *m, const char *suffix)
{
	static char	 out[96];
	const char	*p;
	size_t		 n = 0;
	int		 up = 1;

	for (p = m->name; *p != '\0' && n + 1 < sizeof(out); p++) {
		if (*p == ' ') {
			up = 1;
			continue;
		}
		out[n++] = up ? (char)toupper((unsigned char)*p) : *p;
		up = 0;
	}
	snprintf(out + n, sizeof(out) - n, "%s", suffix);
	return out;
}

/* What a route does with its entity, by its handler. */
static const char *
route_kind(const struct http_route *r)
{
	static const struct {
		handler_fn	 h;
		const char	*kind;
	} kinds[] = {
		{ api_entity_list, "list" }, { api_focus_list, "list" },
		{ api_infobase_list, "list" }, { api_tracks_list, "list" },
		{ api_blobs_list, "list" },
		{ api_entity_get, "get" }, { api_focus_get, "get" },
		{ api_entity_create, "create" }, { api_track_create, "create" },
		{ api_reward_create, "create" },
		{ api_entity_update, "update" }, { api_quest_update, "update" },
		{ api_entity_delete, "delete" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].h == r->handler)
			return kinds[i].kind;
	return NULL;
}

/* The query parameters of a list of m: filters and updatedSince. */
static struct json_object *
list_params(const struct model_entity *m)
{
	struct json_object	*a = json_object_new_array();
	size_t			 i;

	json_object_array_add(a, json_object_new_string("limit"));
	json_object_array_add(a, json_object_new_string("cursor"));
	for (i = 0; i < m->nfilters; i++)
		json_object_array_add(a, json_object_new_string(
		    m->filters[i].param));
	if (model_filter(m, "updatedSince") != NULL)
		json_object_array_add(a, json_object_new_string(
		    "updatedSince"));
	return a;
}

/* A route's pattern as the spec names it: {uuid} is an {id} there. */
static const char *
spec_path(const char *pattern)
{
	static char	 out[256];
	const char	*p;
	size_t		 n = 0;

	for (p = pattern; *p != '\0' && n + 5 < sizeof(out); )
		if (strncmp(p, "{uuid}", 6) == 0) {
			memcpy(out + n, "{id}", 4);
			n += 4;
			p += 6;
		} else
			out[n++] = *p++;
	out[n] = '\0';
	return out;
}

int
main(void)
{
	struct json_object	*o = json_object_new_object();
	struct json_object	*routes = json_object_new_array();
	struct json_object	*schemas = json_object_new_object();
	const struct model_entity *m;
	size_t			 i;

	for (i = 0; i < api_routes_count; i++) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "method", json_object_new_string(
		    api_routes[i].method));
		json_object_object_add(r, "pattern", json_object_new_string(
		    spec_path(api_routes[i].pattern)));
		json_object_object_add(r, "session", json_object_new_boolean(
		    api_routes[i].auth == HTTP_AUTH_USER));
		json_object_object_add(r, "noBody", json_object_new_boolean(
		    (api_routes[i].flags & HTTP_ROUTE_NO_BODY) != 0));
		m = api_routes[i].data;
		if (m != NULL && route_kind(&api_routes[i]) != NULL) {
			json_object_object_add(r, "entity",
			    json_object_new_string(schema_name(m, "")));
			json_object_object_add(r, "kind", json_object_new_string(
			    route_kind(&api_routes[i])));
			if (strcmp(route_kind(&api_routes[i]), "list") == 0)
				json_object_object_add(r, "query",
				    list_params(m));
		}
		json_object_array_add(routes, r);
	}
	for (i = 0; (m = model_entities[i]) != NULL; i++) {
		json_object_object_add(schemas, schema_name(m, ""),
		    entity_schema(m, READ));
		/* Settings are only patched; the skill tree only put whole. */
		if (m != &model_settings)
			json_object_object_add(schemas, schema_name(m,
			    "Create"), entity_schema(m, CREATE));
		if ((m->flags & ME_APPEND_ONLY) == 0 &&
		    m != &model_skill_trees && m != &model_focus_sessions &&
		    m != &model_blobs)
			json_object_object_add(schemas, schema_name(m,
			    "Patch"), entity_schema(m, PATCH));
	}
	json_object_object_add(schemas, "QuestTemplate",
	    entity_schema(&model_quest_templates, CREATE));
	json_object_object_add(o, "routes", routes);
	json_object_object_add(o, "schemas", schemas);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}
