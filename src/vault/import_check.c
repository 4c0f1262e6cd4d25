/*
 * import_check.c - pass 1 of an import: each entity checked as a create
 * through the API would be (model_validate, the entity's own rule), its
 * id and references collected, and the blob it names checked and taken
 * as a use.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/import.h"

/* The field of m that names a blob of the bundle (its kind), or NULL. */
const struct model_field *
imp_blob_field(const struct model_entity *m)
{
	size_t	 i;

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].ref != NULL &&
		    (m->fields[i].ref->flags & ME_OBJECTS) != 0)
			return &m->fields[i];
	return NULL;
}

/* --- pass 1: check ---------------------------------------------------- */

static void
add_ref(struct run *r, int kind, const char *id, const char *path)
{
	if (r->nrefs == r->cap_refs) {
		r->cap_refs = r->cap_refs ? r->cap_refs * 2 : 256;
		r->refs = realloc(r->refs, r->cap_refs * sizeof(*r->refs));
		if (r->refs == NULL)
			fatal("realloc: out of memory");
	}
	r->refs[r->nrefs].kind = kind;
	if ((r->refs[r->nrefs].id = strdup(id)) == NULL ||
	    (r->refs[r->nrefs].path = strdup(path)) == NULL)
		fatal("strdup: out of memory");
	r->nrefs++;
}

static void
set_use(struct run *r, long k, long index, long use)
{
	struct kind	*kd = &r->kinds[k];

	if (index >= kd->nuses_cap) {
		long	 cap = kd->nuses_cap ? kd->nuses_cap : 64, i;

		while (cap <= index)
			cap *= 2;
		kd->uses = realloc(kd->uses, (size_t)cap * sizeof(long));
		if (kd->uses == NULL)
			fatal("realloc: out of memory");
		for (i = kd->nuses_cap; i < cap; i++)
			kd->uses[i] = -1;
		kd->nuses_cap = cap;
	}
	kd->uses[index] = use;
}

long
imp_use_of(const struct run *r, long k, long index)
{
	const struct kind	*kd = &r->kinds[k];

	return index >= 0 && index < kd->nuses_cap ? kd->uses[index] : -1;
}

/*
 * The blob an entity names (sha in field f): checked, recorded as a use,
 * and replaced by a UUID so the entity validates as the API's would.
 */
static void
check_blob(struct run *r, long k, long index, struct json_object *v,
    const char *path)
{
	const struct model_field *bf = imp_blob_field(r->kinds[k].m);
	const char		*kind, *f, *sha;
	const struct vault_blob	*bl;
	const struct storage_type *t;
	struct json_object	*o;
	struct use		*u;
	long long		 max;
	char			 at[160];

	if (bf == NULL)
		return;
	f = bf->json;
	kind = bf->blob_kind;
	if (!json_object_object_get_ex(v, f, &o) || o == NULL)
		return;
	snprintf(at, sizeof(at), "%.120s.%s", path, f);
	if (!json_object_is_type(o, json_type_string)) {
		imp_error(r, at, "the id (SHA-256) of a blob in the bundle");
		return;
	}
	sha = json_object_get_string(o);
	if ((bl = vault_bundle_blob(&r->b, sha)) == NULL) {
		vault_report_error(&r->im->report, at, "no blob %.64s in the "
		    "bundle", sha);
		return;
	}
	t = storage_type(kind, bl->mime != NULL ? bl->mime : "");
	if (t == NULL) {
		vault_report_error(&r->im->report, at, "blob %.64s is of type "
		    "%.100s; %s blobs are one of %s", sha, bl->mime ? bl->mime :
		    "(none in the manifest)", kind,
		    storage_kind_types(r->im->arena, kind));
		return;
	}
	max = strcmp(kind, "audio") == 0 ? r->im->lim->audio_max :
	    r->im->lim->image_max;
	if (bl->size > max || bl->size > STORAGE_OBJECT_MAX || bl->size < 1) {
		vault_report_error(&r->im->report, at, "blob %.64s is %lld "
		    "bytes; %s blobs are 1 to %lld", sha, bl->size, kind, max);
		if (bl->size > 0)
			r->im->report.too_large = 1;
		return;
	}
	if (r->nuses == r->cap_uses) {
		r->cap_uses = r->cap_uses ? r->cap_uses * 2 : 64;
		r->uses = realloc(r->uses, r->cap_uses * sizeof(*r->uses));
		if (r->uses == NULL)
			fatal("realloc: out of memory");
	}
	u = &r->uses[r->nuses];
	memset(u, 0, sizeof(*u));
	u->blob = bl;
	u->type = t;
	u->kind = k;
	u->index = index;
	set_use(r, k, index, (long)r->nuses++);
	json_object_object_add(v, f, json_object_new_string(
	    "00000000-0000-4000-8000-000000000000"));
}

void
imp_check_entity(struct run *r, long k, long index, struct json_object *v,
    const char *path)
{
	const struct model_entity	*m = r->kinds[k].m;
	struct json_object_iterator	 it, end;
	struct json_object		*o;
	struct model_error		 e;
	char				 at[256];
	size_t				 i;
	long				 to;

	if (++r->total > r->im->lim->entities_max) {
		vault_report_error(&r->im->report, path, "the bundle has more "
		    "than %ld entities, this server's limit", r->im->lim->
		    entities_max);
		r->im->report.too_large = 1;
		r->stop = 1;
		return;
	}
	if (!json_object_is_type(v, json_type_object)) {
		imp_error(r, path, "must be an object");
		return;
	}
	it = json_object_iter_begin(v);
	end = json_object_iter_end(v);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		if (model_field(m, json_object_iter_peek_name(&it)) == NULL)
			vault_report_warn(&r->im->report, path, "%s: not a "
			    "field of a %s; ignored",
			    json_object_iter_peek_name(&it), m->name);
	if (json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN,
	    &i) != NULL && i > ROW_MAX) {
		vault_report_error(&r->im->report, path, "%zu bytes; a row is "
		    "at most %d", i, ROW_MAX);
		r->im->report.too_large = 1;
		return;
	}
	check_blob(r, k, index, v, path);
	if (model_validate(m, v, MODEL_IMPORT, &e) != 0 ||
	    (m->check != NULL && m->check(v, &e) != 0)) {
		snprintf(at, sizeof(at), "%s.%s", path, e.field);
		imp_error(r, at, e.message);
		if (e.status == 413)
			r->im->report.too_large = 1;
		return;
	}
	if (json_object_object_get_ex(v, "id", &o) && o != NULL) {
		long u = imp_use_of(r, k, index);

		if (u >= 0 && (r->uses[u].eid = strdup(
		    json_object_get_string(o))) == NULL)
			fatal("strdup: out of memory");
		if (imp_idmap_add(&r->kinds[k].ids, json_object_get_string(o)) ==
		    NULL) {
			snprintf(at, sizeof(at), "%s.id", path);
			imp_error(r, at, "this id is in the bundle twice");
		}
	}
	for (i = 0; i < m->nfields; i++)
		if ((to = imp_ref_kind(r, &m->fields[i])) >= 0 &&
		    (m->fields[i].flags & MF_REF) != 0 &&
		    json_object_object_get_ex(v, m->fields[i].json, &o) &&
		    o != NULL) {
			snprintf(at, sizeof(at), "%s.%s", path,
			    m->fields[i].json);
			add_ref(r, (int)to, json_object_get_string(o), at);
		}
	r->kinds[k].count++;
}
