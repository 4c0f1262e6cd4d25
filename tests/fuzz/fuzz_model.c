/*
 * fuzz_model.c - the model's validator (model/validate.c) on any JSON
 * body for any entity (the first byte picks it, and create or update):
 * it never crashes, and a body it takes holds only what the database
 * stores without complaint: each time within 0001..9999 and ±15:59,
 * each whole number within its field's range, each text within its
 * length, enums among their values, and no quest its own parent.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "model/model.h"
#include "util/util.h"
#include "fuzz.h"

#define MS_MIN	(-62135596800000LL)
#define MS_MAX	(253402300799999LL)

static void
check_field(const struct model_field *f, struct json_object *v)
{
	const char	*s;
	int64_t		 ms;
	size_t		 i, n;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return;
	switch (f->type) {
	case MT_TIME:
		FUZZ_ASSERT(json_object_is_type(v, json_type_string));
		FUZZ_ASSERT(model_time_parse(json_object_get_string(v),
		    &ms) == 0 && ms >= MS_MIN && ms <= MS_MAX);
		break;
	case MT_INT:
		FUZZ_ASSERT(json_object_is_type(v, json_type_int));
		FUZZ_ASSERT(json_object_get_int64(v) >= f->min &&
		    json_object_get_int64(v) <= f->max);
		break;
	case MT_TEXT:
		FUZZ_ASSERT(json_object_is_type(v, json_type_string));
		for (s = json_object_get_string(v), n = 0; *s != '\0'; s++)
			n += ((unsigned char)*s & 0xc0) != 0x80;
		FUZZ_ASSERT((long long)n >= f->min && (long long)n <= f->max);
		break;
	case MT_ENUM:
		s = json_object_get_string(v);
		for (i = 0; f->values[i] != NULL; i++)
			if (strcmp(f->values[i], s) == 0)
				break;
		FUZZ_ASSERT(f->values[i] != NULL);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct model_entity	*m;
	struct model_error		 err;
	struct json_object		*body, *id, *parent;
	enum model_write		 w;
	size_t				 n = 0, i;
	const char			*self;
	char				 text[8192];

	if (size < 1 || size > sizeof(text))
		return 0;
	while (model_entities[n] != NULL)
		n++;
	m = model_entities[data[0] % n];
	w = data[0] / n % 2 ? MODEL_UPDATE : MODEL_CREATE;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	/* As the server takes a body: UTF-8 (http/ refuses the rest). */
	if (!utf8_valid(text, size - 1, &i) ||
	    (body = json_tokener_parse(text)) == NULL)
		return 0;
	/* Taken as the API takes it: the fields, the entity's rule over
	 * the whole (on create: an update's is checked merged with the
	 * row), no reference to itself (its id the body's on create, the
	 * URL's on update: api/entity.c). */
	self = w == MODEL_UPDATE ? "fuzz-url-id" :
	    json_object_object_get_ex(body, "id", &id) ?
	    json_object_get_string(id) : NULL;
	if (json_object_is_type(body, json_type_object) &&
	    model_validate(m, body, w, &err) == 0 && (w == MODEL_UPDATE ||
	    m->check == NULL || m->check(body, &err) == 0) &&
	    model_self_ref(m, body, self, &err) == 0) {
		for (i = 0; i < m->nfields; i++)
			check_field(&m->fields[i], json_object_object_get(body,
			    m->fields[i].json));
		if (m == &model_quests && self != NULL &&
		    json_object_object_get_ex(body, "parentId", &parent) &&
		    !json_object_is_type(parent, json_type_null))
			FUZZ_ASSERT(strcmp(self,
			    json_object_get_string(parent)) != 0);
	}
	json_object_put(body);
	return 0;
}
