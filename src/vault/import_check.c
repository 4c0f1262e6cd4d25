/*
 * import_check.c - pass 1 of an import: each entity checked as a create
 * through the API would be (model_validate, the entity's own rule), its
 * id and references collected, and the blob it names checked and taken
 * as a use.
 */
#include "config.h"

#include <inttypes.h>
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

/* A reference of entity k (element index at path, "$.key[index]", or
 * "$.key") by its field-th field to id of kind, kept to be checked once
 * the bundle is read (imp_check_db) unless the bundle named it already. */
static void
add_ref(struct run *r, int kind, const char *id, long k, long index,
    size_t field, const char *path)
{
	size_t		 n = strcspn(path, "[");
	const char	*kept;
	struct ref	*ref;

	/* An entity earlier in the bundle: nothing left to check. */
	if (imp_idmap_find(&r->kinds[kind].ids, id) != NULL)
		return;
	kept = r->ref_key ? imp_text(&r->reftext, r->ref_key) : NULL;
	if (r->nrefs == r->cap_refs) {
		r->cap_refs = r->cap_refs ? r->cap_refs * 2 : 256;
		r->refs = realloc(r->refs, r->cap_refs * sizeof(*r->refs));
		if (r->refs == NULL)
			fatal("realloc: out of memory");
	}
	if (kept == NULL || strncmp(kept, path, n) != 0 || kept[n] != '\0') {
		char	 key[256];

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		r->ref_key = imp_text_keep(&r->reftext, key);
	}
	ref = &r->refs[r->nrefs++];
	ref->kind = kind;
	ref->from = (uint16_t)k;
	ref->field = (uint16_t)field;
	ref->id = imp_text_keep(&r->reftext, id);
	ref->key = r->ref_key;
	ref->index = path[n] == '[' ? (uint32_t)index : REF_NO_INDEX;
}

const char *
imp_ref_path(struct run *r, const struct ref *ref, char *buf, size_t len)
{
	const char	*key = imp_text(&r->reftext, ref->key);
	const char	*f = r->kinds[ref->from].m->fields[ref->field].json;

	if (ref->index == REF_NO_INDEX)
		snprintf(buf, len, "%s.%s", key, f);
	else
		snprintf(buf, len, "%s[%" PRIu32 "].%s", key, ref->index, f);
	return buf;
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

/* A new use of blob bl (of type t) by element index of kind k. */
static struct use *
new_use(struct run *r, long k, long index, const struct vault_blob *bl,
    const struct storage_type *t)
{
	struct use	*u;

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
	return u;
}

/*
 * The bundle's blob sha as a blob of kind (at path): its type and size
 * checked, its type into *t. NULL when it is not so (said in the report).
 */
static const struct vault_blob *
bundle_blob(struct run *r, const char *sha, const char *kind,
    const char *mime, const char *at, const struct storage_type **t)
{
	const struct vault_blob	*bl;
	long long		 max;

	if ((bl = vault_bundle_blob(&r->b, sha)) == NULL) {
		vault_report_error(&r->im->report, at, "no blob %.64s in the "
		    "bundle", sha);
		return NULL;
	}
	if (mime == NULL)
		mime = bl->mime != NULL ? bl->mime : "";
	if ((*t = storage_type(kind, mime)) == NULL) {
		vault_report_error(&r->im->report, at, "blob %.64s is of type "
		    "%.100s; %s blobs are one of %s", sha, mime[0] ? mime :
		    "(none in the manifest)", kind,
		    storage_kind_types(r->im->arena, kind));
		return NULL;
	}
	max = strcmp(kind, "audio") == 0 ? r->im->lim->audio_max :
	    r->im->lim->image_max;
	if (bl->size > max || bl->size > STORAGE_OBJECT_MAX || bl->size < 1) {
		vault_report_error(&r->im->report, at, "blob %.64s is %lld "
		    "bytes; %s blobs are 1 to %lld", sha, bl->size, kind, max);
		if (bl->size > 0)
			r->im->report.too_large = 1;
		return NULL;
	}
	return bl;
}

/*
 * A row of the metadata's "blobs" (validated): its bytes are the
 * bundle's blob named by contentSha256 (or its sha256, which must be the
 * same when both are there), of its size; a use of its own.
 */
static void
check_blob_row(struct run *r, long k, long index, struct json_object *v,
    const char *path)
{
	const struct vault_blob	*bl;
	const struct storage_type *t;
	struct use		*u;
	struct json_object	*o, *own;
	char			 at[160];
	const char		*sha;

	if (!json_object_object_get_ex(v, "id", &o) || o == NULL) {
		snprintf(at, sizeof(at), "%.120s.id", path);
		imp_error(r, at, "id: required, what the entities name it by");
		return;
	}
	if (!json_object_object_get_ex(v, "sha256", &own))
		own = NULL;
	snprintf(at, sizeof(at), "%.120s.contentSha256", path);
	if ((!json_object_object_get_ex(v, "contentSha256", &o) || o == NULL) &&
	    (o = own) == NULL) {
		imp_error(r, at, "contentSha256: required, the SHA-256 of the "
		    "blob's bytes in the bundle");
		return;
	}
	sha = json_object_get_string(o);
	if (own != NULL && strcmp(json_object_get_string(own), sha) != 0) {
		vault_report_error(&r->im->report, at, "contentSha256: %.64s, "
		    "but its sha256 is %.64s", sha, json_object_get_string(own));
		return;
	}
	if ((bl = bundle_blob(r, sha, json_object_get_string(
	    json_object_object_get(v, "kind")), json_object_get_string(
	    json_object_object_get(v, "mimeType")), at, &t)) == NULL)
		return;
	if (json_object_get_int64(json_object_object_get(v, "sizeBytes")) !=
	    bl->size) {
		snprintf(at, sizeof(at), "%.120s.sizeBytes", path);
		vault_report_error(&r->im->report, at, "sizeBytes: %lld, but "
		    "blob %.64s in the bundle is %lld bytes",
		    (long long)json_object_get_int64(json_object_object_get(v,
		    "sizeBytes")), sha, bl->size);
		return;
	}
	u = new_use(r, k, index, bl, t);
	u->row = 1;
	u->unhashed = own == NULL;
	u->name = arena_strdup(r->im->arena, json_object_get_string(
	    json_object_object_get(v, "name")));
	if (json_object_object_get_ex(v, "createdAt", &o) && o != NULL)
		u->created = arena_strdup(r->im->arena,
		    json_object_get_string(o));
}

/*
 * The blob an entity names in its field f: a row of "blobs" by its id
 * (an export's), or a blob of the bundle by its SHA-256 (an old app's,
 * a use of its own). Either is checked, recorded as the entity's use,
 * and replaced by a UUID so the entity validates as the API's would.
 */
static void
check_blob(struct run *r, long k, long index, struct json_object *v,
    const char *path)
{
	const struct model_field *bf = imp_blob_field(r->kinds[k].m);
	const struct vault_blob	*bl;
	const struct storage_type *t;
	const struct ident	*row;
	struct json_object	*o;
	struct use		*u;
	const char		*kind, *name;
	char			 at[160];
	long			 bk;

	if (bf == NULL)
		return;
	kind = bf->blob_kind;
	if (!json_object_object_get_ex(v, bf->json, &o) || o == NULL)
		return;
	snprintf(at, sizeof(at), "%.120s.%s", path, bf->json);
	if (!json_object_is_type(o, json_type_string)) {
		imp_error(r, at, "the id of a blob of the bundle's \"blobs\", "
		    "or the SHA-256 of one in the bundle");
		return;
	}
	name = json_object_get_string(o);
	bk = imp_kind_of(r, model_blobs.vault);
	if (strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64) {
		if ((bl = bundle_blob(r, name, kind, NULL, at, &t)) == NULL)
			return;
		(void)new_use(r, k, index, bl, t);
	} else if ((row = imp_idmap_find(&r->kinds[bk].ids, name)) != NULL &&
	    IDENT_USE(row) > 0) {
		u = &r->uses[IDENT_USE(row) - 1];
		if (strcmp(u->type->kind, kind) != 0) {
			vault_report_error(&r->im->report, at, "blob %.40s is "
			    "an %s blob; this takes an %s blob", name,
			    u->type->kind, kind);
			return;
		}
		if (u->named++ > 0) {
			vault_report_error(&r->im->report, at, "blob %.40s is "
			    "named by another entity already; a blob is used "
			    "once", name);
			return;
		}
		set_use(r, k, index, IDENT_USE(row) - 1);
	} else {
		vault_report_error(&r->im->report, at, "no blob %.40s in the "
		    "bundle's \"blobs\" (which come before the entities)",
		    name);
		return;
	}
	json_object_object_add(v, bf->json, json_object_new_string(
	    "00000000-0000-4000-8000-000000000000"));
}

/*
 * The settings' time zone: its name looks right (model_settings_check);
 * whether it is one, the database says (imp_check_db), as it does for
 * the API's PATCH.
 */
static void
note_zone(struct run *r, struct json_object *v)
{
	struct json_object	*o;

	if (json_object_object_get_ex(v, "settingsJson", &o) &&
	    json_object_object_get_ex(o, "timeZone", &o) &&
	    json_object_is_type(o, json_type_string) && r->zone == NULL &&
	    (r->zone = strdup(json_object_get_string(o))) == NULL)
		fatal("strdup: out of memory");
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
		if (model_field(m, json_object_iter_peek_name(&it)) == NULL &&
		    (m != &model_blobs || strcmp(json_object_iter_peek_name(&it),
		    "contentSha256") != 0))
			vault_report_warn(&r->im->report, path, "%s: not a "
			    "field of %s %s; ignored",
			    json_object_iter_peek_name(&it), model_article(m),
			    m->name);
	if (json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN,
	    &i) != NULL && i > ROW_MAX) {
		vault_report_error(&r->im->report, path, "%zu bytes; a row is "
		    "at most %d", i, ROW_MAX);
		r->im->report.too_large = 1;
		return;
	}
	check_blob(r, k, index, v, path);
	if (model_validate(m, v, MODEL_IMPORT, &e) != 0 ||
	    (m->check != NULL && m->check(v, &e) != 0) ||
	    model_self_ref(m, v, json_object_get_string(json_object_object_get(
	    v, "id")), &e) != 0) {
		snprintf(at, sizeof(at), "%s.%s", path, e.field);
		imp_error(r, at, e.message);
		if (e.status == 413)
			r->im->report.too_large = 1;
		return;
	}
	if (m == &model_blobs)
		check_blob_row(r, k, index, v, path);
	if (m == &model_settings)
		note_zone(r, v);
	if (json_object_object_get_ex(v, "id", &o) && o != NULL) {
		long		 u = imp_use_of(r, k, index);
		struct ident	*id;

		/* Its own use (not a blob row it names) is skipped with it. */
		if (u >= 0 && r->uses[u].kind == k && (r->uses[u].eid = strdup(
		    json_object_get_string(o))) == NULL)
			fatal("strdup: out of memory");
		if ((id = imp_idmap_add(&r->kinds[k].ids,
		    json_object_get_string(o))) == NULL) {
			snprintf(at, sizeof(at), "%s.id", path);
			imp_error(r, at, "this id is in the bundle twice");
		} else if (u >= 0 && r->uses[u].kind == k)
			IDENT_SET_USE(id, u + 1);
	}
	for (i = 0; i < m->nfields; i++)
		if ((to = imp_ref_kind(r, &m->fields[i])) >= 0 &&
		    (m->fields[i].flags & MF_REF) != 0 &&
		    json_object_object_get_ex(v, m->fields[i].json, &o) &&
		    o != NULL)
			add_ref(r, (int)to, json_object_get_string(o), k,
			    index, i, path);
	r->kinds[k].count++;
}
