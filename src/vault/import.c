/*
 * import.c - a bundle into a user's rows and objects, all or nothing
 * (docs/vault-v3.md "Import rules", docs/vault.md):
 *
 *  1. read the bundle (bundle.c): envelope, manifest, blobs spilled and
 *     their hashes checked;
 *  2. open the envelope; read the metadata a first time (a stream: one
 *     entity built at a time) to check every entity and collect ids and
 *     references;
 *  3. ask the database which ids are the user's already (duplicates,
 *     skipped) or another user's (given new ids, references rewritten),
 *     and whether the references outside the bundle are the user's;
 *  4. put the blobs the new tracks and covers need into the store;
 *  5. one transaction: the blob rows, then the metadata read a second
 *     time and written in batches, and the import's row marked done.
 *
 * Any failure after 4 removes the objects put (or queues them).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "vault/vault.h"

#define ROW_MAX		(2 * 1024 * 1024)	/* a row's JSON */
#define BATCH_ROWS	500
#define BATCH_BYTES	(4 * 1024 * 1024)
#define BATCHES		16	/* sets of columns gathered at once */
#define IDS_BATCH	5000
#define PART_SIZE	(8LL << 20)		/* blobs put in parts of */
#define ERRORS_STOP	1000	/* stop reading after this many errors */

/* An id of the bundle: the user's already (dup), or given another (to). */
struct ident {
	char	*id;
	char	*to;
	int	 dup;
};

struct idmap {
	struct ident	*slots;
	size_t		 cap, n;
};

/* A blob an entity names: put under a new id for it. */
struct use {
	const struct vault_blob	*blob;
	const struct storage_type *type;
	long			 kind, index;	/* the entity naming it */
	char			*eid;		/* its id (NULL: none) */
	char			 uuid[37];
	const char		*key;		/* once put */
};

/* A reference to check: to kind, id, where. */
struct ref {
	int	 kind;
	char	*id;
	char	*path;
};

struct kind {
	const struct model_entity *m;
	int		 single;	/* skillTree, settings */
	struct idmap	 ids;
	long		 count;
	int		 has_mine;	/* a singleton the user has already */
	long		*uses;		/* use index of each element, or -1 */
	long		 nuses_cap;
};

/* Rows of one kind with the same columns (mask: m->fields[i] present). */
struct batch {
	unsigned long long	 mask;
	struct buf		 rows;	/* "[{…},{…}" */
	long			 n;
};

struct run {
	struct vault_import	*im;
	struct vault_bundle	 b;
	struct kind		*kinds;
	size_t			 nkinds;
	struct use		*uses;
	size_t			 nuses, cap_uses;
	struct ref		*refs;
	size_t			 nrefs, cap_refs;
	long			 total;
	int			 pass;		/* 1: check, 2: write */
	int			 v2;		/* producer-hub v2 metadata */
	int			 loops_library;	/* made, in this pass */
	int			 stop;		/* a limit was passed */
	char			 now[32];	/* the import's time */
	/*
	 * The batches being gathered (pass 2), of one kind: rows with the
	 * same columns go in one statement, so one per set of columns.
	 */
	long			 bkind;
	struct batch		 batches[BATCHES];
	int			 nbatches;
	long long		 written;
	enum db_status		 dbst;
	int64_t			 last_progress;
	struct arena		 scratch;	/* one batch's statements */
	struct idmap		 outside;	/* references out of the bundle */
	int			 plain;		/* the metadata, decrypted */
};

/* --- ids ----------------------------------------------------------- */

static uint64_t
hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct ident *
idmap_find(const struct idmap *m, const char *id)
{
	size_t	 i;

	if (m->cap == 0)
		return NULL;
	for (i = hash(id) & (m->cap - 1); m->slots[i].id != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->slots[i].id, id) == 0)
			return &m->slots[i];
	return NULL;
}

/* Add id; NULL when it is there already. */
static struct ident *
idmap_add(struct idmap *m, const char *id)
{
	struct ident	*old = m->slots;
	size_t		 oldcap = m->cap, i, j;

	if (idmap_find(m, id) != NULL)
		return NULL;
	if ((m->n + 1) * 2 > m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->slots = calloc(m->cap, sizeof(*m->slots));
		if (m->slots == NULL)
			fatal("calloc: out of memory");
		for (j = 0; j < oldcap; j++) {
			if (old[j].id == NULL)
				continue;
			for (i = hash(old[j].id) & (m->cap - 1);
			    m->slots[i].id != NULL; i = (i + 1) & (m->cap - 1))
				;
			m->slots[i] = old[j];
		}
		free(old);
	}
	for (i = hash(id) & (m->cap - 1); m->slots[i].id != NULL;
	    i = (i + 1) & (m->cap - 1))
		;
	if ((m->slots[i].id = strdup(id)) == NULL)
		fatal("strdup: out of memory");
	m->n++;
	return &m->slots[i];
}

static void
idmap_free(struct idmap *m)
{
	size_t	 i;

	for (i = 0; i < m->cap; i++) {
		free(m->slots[i].id);
		free(m->slots[i].to);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* --- the kinds ------------------------------------------------------ */

static long
kind_of(const struct run *r, const char *key)
{
	size_t	 i;

	for (i = 0; i < r->nkinds; i++)
		if (strcmp(r->kinds[i].m->vault, key) == 0)
			return (long)i;
	return -1;
}

static long
kind_of_model(const struct run *r, const struct model_entity *m)
{
	size_t	 i;

	for (i = 0; i < r->nkinds; i++)
		if (r->kinds[i].m == m)
			return (long)i;
	return -1;
}

/* The kind field f names (its ref, the bundle's own ids), or -1. */
static long
ref_kind(const struct run *r, const struct model_field *f)
{
	if (f->ref == NULL || (f->ref->flags & ME_OBJECTS) != 0)
		return -1;
	return kind_of_model(r, f->ref);
}

/* The field of m that names a blob of the bundle (its kind), or NULL. */
static const struct model_field *
blob_field(const struct model_entity *m)
{
	size_t	 i;

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].ref != NULL &&
		    (m->fields[i].ref->flags & ME_OBJECTS) != 0)
			return &m->fields[i];
	return NULL;
}

static void
kinds_init(struct run *r)
{
	size_t	 i, n = 0;

	for (i = 0; model_entities[i] != NULL; i++)
		n++;
	r->kinds = calloc(n, sizeof(*r->kinds));
	if (r->kinds == NULL)
		fatal("calloc: out of memory");
	for (i = 0; model_entities[i] != NULL; i++) {
		if ((model_entities[i]->flags & ME_OBJECTS) != 0)
			continue;
		r->kinds[r->nkinds].m = model_entities[i];
		r->kinds[r->nkinds].single = (model_entities[i]->flags &
		    ME_SINGLETON) != 0;
		r->nkinds++;
	}
}

static void
run_free(struct run *r)
{
	size_t	 i;

	for (i = 0; i < r->nkinds; i++) {
		idmap_free(&r->kinds[i].ids);
		free(r->kinds[i].uses);
	}
	free(r->kinds);
	for (i = 0; i < r->nrefs; i++) {
		free(r->refs[i].id);
		free(r->refs[i].path);
	}
	free(r->refs);
	for (i = 0; i < r->nuses; i++)
		free(r->uses[i].eid);
	free(r->uses);
	for (i = 0; i < BATCHES; i++)
		buf_cleanup(&r->batches[i].rows);
	idmap_free(&r->outside);
	arena_cleanup(&r->scratch);
	vault_bundle_free(&r->b);
}

static int
error(struct run *r, const char *path, const char *msg)
{
	vault_report_error(&r->im->report, path, "%s", msg);
	if (r->im->report.nerrors >= ERRORS_STOP)
		r->stop = 1;
	return 0;
}

static void
progress(struct run *r, int force)
{
	int64_t	 now = time_mono_ms();

	if (r->im->progress == NULL || (!force && now - r->last_progress <
	    250))
		return;
	r->last_progress = now;
	r->im->progress(r->im->ud, r->b.read, r->written);
}

/* The envelope, met by the bundle's reader: opened into r->plain. */
static enum vault_error
open_envelope(void *ud, const char *s, size_t n)
{
	struct run	*r = ud;
	char		 err[256];
	long long	 len;
	enum vault_error e;

	e = vault_envelope_open_fd(r->im->arena, s, n, r->im->passphrase,
	    r->plain, &len, err, sizeof(err));
	if (e == VAULT_UNAVAILABLE)
		snprintf(r->im->err, sizeof(r->im->err), "%s", err);
	else if (e != VAULT_OK)
		vault_report_error(&r->im->report, "$.metadataEnvelope", "%s",
		    err);
	return e;
}

static void
bundle_progress(void *ud, long long bytes)
{
	(void)bytes;
	progress(ud, 0);
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

static long
use_of(const struct run *r, long k, long index)
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
	const struct model_field *bf = blob_field(r->kinds[k].m);
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
		error(r, at, "the id (SHA-256) of a blob in the bundle");
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

static void
check_entity(struct run *r, long k, long index, struct json_object *v,
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
		error(r, path, "must be an object");
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
		error(r, at, e.message);
		if (e.status == 413)
			r->im->report.too_large = 1;
		return;
	}
	if (json_object_object_get_ex(v, "id", &o) && o != NULL) {
		long u = use_of(r, k, index);

		if (u >= 0 && (r->uses[u].eid = strdup(
		    json_object_get_string(o))) == NULL)
			fatal("strdup: out of memory");
		if (idmap_add(&r->kinds[k].ids, json_object_get_string(o)) ==
		    NULL) {
			snprintf(at, sizeof(at), "%s.id", path);
			error(r, at, "this id is in the bundle twice");
		}
	}
	for (i = 0; i < m->nfields; i++)
		if ((to = ref_kind(r, &m->fields[i])) >= 0 &&
		    (m->fields[i].flags & MF_REF) != 0 &&
		    json_object_object_get_ex(v, m->fields[i].json, &o) &&
		    o != NULL) {
			snprintf(at, sizeof(at), "%s.%s", path,
			    m->fields[i].json);
			add_ref(r, (int)to, json_object_get_string(o), at);
		}
	r->kinds[k].count++;
}

/* --- pass 2: write ---------------------------------------------------- */

static void write_entity(struct run *r, long k, long index,
    struct json_object *v);

/*
 * Producer-hub v2 (docs/vault-v3.md): what has a home is read
 * as its v3 kind, renamed where v2 named it otherwise; audio loops
 * become reference tracks in a library "Audio loops"; the rest is
 * counted as skipped.
 */
#define LOOPS_LIBRARY	"v2-audio-loops"

static const char *const v2_homeless[] = { "chordProgressions",
	"projectClips" };

/* The v3 kind a v2 member is read as ("audioLoops": tracks), or NULL. */
static const char *
v2_kind(const char *key)
{
	static const char *const same[] = { "projects", "referenceLibraries",
	    "infobase", "laneTemplates", "settings" };
	size_t	 i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (strcmp(key, same[i]) == 0)
			return key;
	return strcmp(key, "audioLoops") == 0 ? "referenceTracks" : NULL;
}

static void
rename_member(struct json_object *v, const char *from, const char *to)
{
	struct json_object	*o;

	if (json_object_object_get_ex(v, from, &o)) {
		json_object_object_add(v, to, json_object_get(o));
		json_object_object_del(v, from);
	}
}

/* An audio loop as a reference track of the loops' library. */
static struct json_object *
v2_loop(struct json_object *l)
{
	struct json_object	*t = json_object_new_object(), *meta, *o;
	static const char *const keep[] = { "id", "name", "durationMs",
	    "createdAt", "updatedAt" };
	size_t			 i;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (json_object_object_get_ex(l, keep[i], &o))
			json_object_object_add(t, keep[i], json_object_get(o));
	json_object_object_add(t, "libraryId",
	    json_object_new_string(LOOPS_LIBRARY));
	/* The bytes: blobId, or blobHash, names the bundle's blob. */
	if (json_object_object_get_ex(l, "blobHash", &o) && o != NULL)
		json_object_object_add(t, "blobId", json_object_get(o));
	else if (json_object_object_get_ex(l, "blobId", &o))
		json_object_object_add(t, "blobId", json_object_get(o));
	/* What a track has no field for stays with it, as metadata. */
	meta = json_object_new_object();
	json_object_object_foreach(l, k, val) {
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strcmp(k, keep[i]) == 0)
				break;
		if (i == sizeof(keep) / sizeof(keep[0]) && strcmp(k,
		    "blobId") != 0 && strcmp(k, "blobHash") != 0 && strcmp(k,
		    "mimeType") != 0 && strcmp(k, "contentHash") != 0)
			json_object_object_add(meta, k, json_object_get(val));
	}
	json_object_object_add(t, "metadata", meta);
	return t;
}

/* A v2 entity of key as its v3 kind would have it (in place). */
static void
v2_entity(const char *key, struct json_object *v)
{
	struct json_object	*o;

	if (!json_object_is_type(v, json_type_object))
		return;
	if (strcmp(key, "infobase") == 0 &&
	    !json_object_object_get_ex(v, "content", NULL))
		json_object_object_add(v, "content", json_object_new_string(""));
	if (strcmp(key, "laneTemplates") == 0)
		rename_member(v, "type", "templateType");
	if (strcmp(key, "settings") == 0) {
		rename_member(v, "themeId", "theme");
		if (json_object_object_get_ex(v, "selectedProductIds", &o) &&
		    json_object_is_type(o, json_type_array) &&
		    json_object_array_length(o) > 0)
			json_object_object_add(v, "selectedProduct",
			    json_object_get(json_object_array_get_idx(o, 0)));
		json_object_object_del(v, "selectedProductIds");
	}
}

static enum vault_json_take
meta_member(void *ud, const char *key)
{
	struct run	*r = ud;
	long		 k;
	size_t		 i;

	if (strcmp(key, "schemaVersion") == 0)
		return VJ_VALUE;
	if (strcmp(key, "deviceId") == 0 || strcmp(key, "updatedAt") == 0)
		return VJ_SKIP;
	if (r->v2) {
		for (i = 0; i < sizeof(v2_homeless) / sizeof(v2_homeless[0]);
		    i++)
			if (strcmp(key, v2_homeless[i]) == 0)
				return VJ_EACH;
		key = v2_kind(key) != NULL ? v2_kind(key) : "";
	}
	if ((k = kind_of(r, key)) < 0) {
		if (r->pass == 1)
			vault_report_warn(&r->im->report, "$", "%s: not a "
			    "kind of this server's data; ignored", key);
		return VJ_SKIP;
	}
	return r->kinds[k].single ? VJ_VALUE : VJ_EACH;
}

static void
one_entity(struct run *r, long k, long index, struct json_object *v,
    const char *path)
{
	if (r->pass == 1)
		check_entity(r, k, index, v, path);
	else
		write_entity(r, k, index, v);
}

static int
meta_value(void *ud, const char *key, long index, const char *name,
    struct json_object *v)
{
	struct run		*r = ud;
	struct json_object	*t = NULL;
	const char		*kind = key;
	char			 path[160];
	size_t			 i;
	long			 k;

	if (r->stop || r->dbst != DB_OK)
		return -1;
	if (strcmp(key, "schemaVersion") == 0) {
		if (r->pass == 1 && (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) != (r->v2 ? 2 : 3))) {
			vault_report_error(&r->im->report, "$.schemaVersion",
			    "schemaVersion: a version %d bundle holds metadata "
			    "of schema %d", r->v2 ? 2 : 3, r->v2 ? 2 : 3);
			r->stop = 1;
			return -1;
		}
		return 0;
	}
	if (r->v2) {
		for (i = 0; i < sizeof(v2_homeless) / sizeof(v2_homeless[0]);
		    i++)
			if (strcmp(key, v2_homeless[i]) == 0) {
				if (r->pass == 1)
					vault_report_count(&r->im->report, key,
					    "skipped", 1);
				return 0;
			}
		kind = v2_kind(key);
	}
	k = kind_of(r, kind);
	if (name != NULL) {
		snprintf(path, sizeof(path), "$.%s", key);
		if (r->pass == 1 && index == 0)
			error(r, path, "must be an array");
		return 0;
	}
	if (r->kinds[k].single) {
		if (v == NULL)
			return 0;
		snprintf(path, sizeof(path), "$.%s", key);
	} else
		snprintf(path, sizeof(path), "$.%s[%ld]", key, index);
	if (r->v2 && strcmp(key, "audioLoops") == 0) {
		/* Their library first, once. */
		if (!r->loops_library) {
			struct json_object *lib = json_object_new_object();

			r->loops_library = 1;
			json_object_object_add(lib, "id",
			    json_object_new_string(LOOPS_LIBRARY));
			json_object_object_add(lib, "name",
			    json_object_new_string("Audio loops"));
			one_entity(r, kind_of(r, "referenceLibraries"), -1, lib,
			    "$.audioLoops");
			json_object_put(lib);
		}
		v = t = v2_loop(v);
	} else if (r->v2)
		v2_entity(key, v);
	one_entity(r, k, index, v, path);
	json_object_put(t);
	progress(r, 0);
	return r->stop ? -1 : 0;
}

/* --- the database's view: duplicates, remaps, references -------------- */

/* ids as a text[] literal (ids are [A-Za-z0-9_.:-]: quoted, no escapes). */
static void
array_add(struct buf *b, const char *id)
{
	buf_puts(b, b->len == 0 ? "{\"" : ",\"");
	buf_puts(b, id);
	buf_putc(b, '"');
}

/* What over_ids hands each id the database names. */
struct over {
	struct run	*r;
	long		 k;
	void		(*each)(struct run *, long, const char *);
};

static void
over_one(void *ud, const char *id)
{
	struct over	*o = ud;

	o->each(o->r, o->k, id);
}

/* db_vault_ids over the ids in m (for kind k) a batch at a time. */
static enum db_status
over_ids(struct run *r, struct idmap *m, long k, int taken,
    void (*each)(struct run *, long, const char *))
{
	struct over	 o = { r, k, each };
	struct buf	 b;
	enum db_status	 st = DB_OK;
	size_t		 i, n = 0;

	buf_init(&b, 256LL * 1024 * 1024);
	for (i = 0; i < m->cap && st == DB_OK; i++) {
		if (m->slots[i].id == NULL)
			continue;
		array_add(&b, m->slots[i].id);
		if (++n % IDS_BATCH != 0 && n != m->n)
			continue;
		buf_putc(&b, '}');
		st = db_vault_ids(r->im->db, &r->scratch, r->kinds[k].m,
		    r->im->user_id, arena_strndup(&r->scratch, b.data, b.len),
		    taken, over_one, &o);
		b.len = 0;
		arena_reset(&r->scratch);
	}
	buf_cleanup(&b);
	return st;
}

static void
mark_dup(struct run *r, long k, const char *id)
{
	struct ident	*i = idmap_find(&r->kinds[k].ids, id);

	if (i != NULL)
		i->dup = 1;
}

static void
mark_taken(struct run *r, long k, const char *id)
{
	struct ident	*i = idmap_find(&r->kinds[k].ids, id);
	char		 u[37];

	if (i == NULL || i->to != NULL || i->dup)
		return;
	uuid_new(u);
	if ((i->to = strdup(u)) == NULL)
		fatal("strdup: out of memory");
	vault_report_count(&r->im->report, r->kinds[k].m->vault, "remapped",
	    1);
}

/* An id outside the bundle found among the user's (in r->outside). */
static void
mark_found(struct run *r, long k, const char *id)
{
	struct ident	*i = idmap_find(&r->outside, id);

	(void)k;
	if (i != NULL)
		i->dup = 1;	/* here: "the user's" */
}

static enum db_status
check_db(struct run *r)
{
	struct vault_import	*im = r->im;
	struct kind		*kd;
	enum db_status		 st;
	size_t			 k, i;

	for (k = 0; k < r->nkinds; k++) {
		kd = &r->kinds[k];
		if (kd->single && kd->count > 0) {
			st = db_vault_has(im->db, &r->scratch, kd->m,
			    im->user_id, &kd->has_mine);
			arena_reset(&r->scratch);
			if (st != DB_OK)
				return st;
			if (kd->has_mine)
				vault_report_count(&im->report, kd->m->vault,
				    "duplicates", kd->count);
		}
		if (kd->ids.n == 0 || kd->has_mine)
			continue;
		st = over_ids(r, &kd->ids, (long)k, 0, mark_dup);
		if (st == DB_OK)
			st = over_ids(r, &kd->ids, (long)k, 1, mark_taken);
		if (st != DB_OK)
			return st;
		for (i = 0; i < kd->ids.cap; i++)
			if (kd->ids.slots[i].id != NULL && kd->ids.slots[i].dup)
				vault_report_count(&im->report, kd->m->vault,
				    "duplicates", 1);
	}
	/* References to what the bundle does not hold must be the user's. */
	for (k = 0; k < r->nkinds; k++) {
		for (i = 0; i < r->nrefs; i++)
			if (r->refs[i].kind == (int)k &&
			    idmap_find(&r->kinds[k].ids, r->refs[i].id) == NULL)
				idmap_add(&r->outside, r->refs[i].id);
		st = r->outside.n == 0 ? DB_OK : over_ids(r, &r->outside,
		    (long)k, 0, mark_found);
		for (i = 0; st == DB_OK && i < r->nrefs; i++) {
			const struct ident *o = r->refs[i].kind == (int)k ?
			    idmap_find(&r->outside, r->refs[i].id) : NULL;

			if (o != NULL && !o->dup)
				vault_report_error(&im->report, r->refs[i].path,
				    "no %s %s in the bundle or among the "
				    "user's", r->kinds[k].m->name,
				    r->refs[i].id);
		}
		idmap_free(&r->outside);
		if (st != DB_OK)
			return st;
	}
	return DB_OK;
}

/* --- the store ---------------------------------------------------------- */

/* Is the entity that uses u skipped (a duplicate)? */
static int
use_skipped(const struct run *r, const struct use *u, const char *id)
{
	const struct kind	*kd = &r->kinds[u->kind];
	const struct ident	*i;

	if (kd->has_mine)
		return 1;
	i = id != NULL ? idmap_find(&kd->ids, id) : NULL;
	return i != NULL && i->dup;
}

static int
read_at(int fd, void *p, size_t n, long long off)
{
	ssize_t	 got;
	char	*c = p;

	while (n > 0) {
		got = pread(fd, c, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		c += got;
		n -= (size_t)got;
		off += got;
	}
	return 0;
}

/* Put u's bytes at a new key: 0, or -1 with im->err. */
static int
put_use(struct run *r, struct use *u, unsigned char *buf)
{
	struct vault_import	*im = r->im;
	const struct vault_blob	*bl = u->blob;
	struct storage_part	*parts = NULL;
	enum storage_status	 st;
	const char		*key, *upload = NULL, *etag;
	long long		 off, len, now = time(NULL);
	int			 n, nparts, rc = -1;

	uuid_new(u->uuid);
	key = arena_printf(im->arena, "%s/%s/%s.%s", im->user_id,
	    strcmp(u->type->kind, "audio") == 0 ? "audio" : "images", u->uuid,
	    u->type->ext);
	if (bl->size <= PART_SIZE) {
		if (read_at(r->b.spill, buf, (size_t)bl->size, bl->off) != 0)
			goto spill;
		st = storage_put(im->store, im->net, im->arena, key,
		    u->type->type, buf, (size_t)bl->size, bl->sha, now);
		if (st != STORAGE_OK)
			goto store;
		u->key = key;
		return 0;
	}
	st = storage_multipart_create(im->store, im->net, im->arena, key,
	    u->type->type, now, &upload);
	if (st != STORAGE_OK)
		goto store;
	nparts = (int)((bl->size + PART_SIZE - 1) / PART_SIZE);
	parts = calloc((size_t)nparts, sizeof(*parts));
	if (parts == NULL)
		fatal("calloc: out of memory");
	for (n = 0; n < nparts; n++) {
		off = (long long)n * PART_SIZE;
		len = bl->size - off < PART_SIZE ? bl->size - off : PART_SIZE;
		if (read_at(r->b.spill, buf, (size_t)len, bl->off + off) != 0)
			goto spill;
		st = storage_upload_part(im->store, im->net, im->arena, key,
		    upload, n + 1, buf, (size_t)len, time(NULL), &etag);
		if (st != STORAGE_OK)
			goto store;
		parts[n].number = n + 1;
		parts[n].etag = etag;
		progress(r, 0);
	}
	st = storage_multipart_complete(im->store, im->net, im->arena, key,
	    upload, parts, (size_t)nparts, time(NULL));
	if (st != STORAGE_OK)
		goto store;
	free(parts);
	u->key = key;
	return 0;
spill:
	snprintf(im->err, sizeof(im->err), "reading the spilled blob: %s",
	    strerror(errno));
	goto out;
store:
	snprintf(im->err, sizeof(im->err), "the store: %.200s",
	    im->store->errstr);
out:
	if (upload != NULL)
		(void)storage_multipart_abort(im->store, im->net, im->arena, key,
		    upload, time(NULL));
	free(parts);
	return rc;
}

/* Remove what was put; what cannot be removed now is queued. */
static void
remove_put(struct run *r)
{
	struct vault_import	*im = r->im;
	const char		**keys;
	struct buf		 q;
	int			*failed;
	size_t			 i, n = 0, j;
	enum storage_status	 st;
	const char		*p[1];

	keys = calloc(r->nuses + 1, sizeof(*keys));
	failed = calloc(r->nuses + 1, sizeof(*failed));
	if (keys == NULL || failed == NULL)
		fatal("calloc: out of memory");
	buf_init(&q, 64LL * 1024 * 1024);
	for (i = 0; i < r->nuses; i += 1000) {
		n = 0;
		for (j = i; j < r->nuses && j < i + 1000; j++)
			if (r->uses[j].key != NULL)
				keys[n++] = r->uses[j].key;
		st = storage_delete_many(im->store, im->net, im->arena, keys, n,
		    failed, time(NULL));
		for (j = 0; j < n; j++)
			if (st != STORAGE_OK || failed[j]) {
				buf_puts(&q, q.len == 0 ? "[" : ",");
				buf_printf(&q, "\"%s\"", keys[j]);
			}
	}
	if (q.len > 0) {
		buf_putc(&q, ']');
		p[0] = arena_strndup(im->arena, q.data, q.len);
		db_tx_rollback(im->db);
		if (db_vault_forget_objects(im->db, im->arena, p[0]) != DB_OK)
			log_warn("vault import: %s: left for maintain's sweep",
			    im->db->errstr);
	}
	buf_cleanup(&q);
	free(keys);
	free(failed);
}

/* --- pass 2: write ---------------------------------------------------- */

/* Write batch b (of kind r->bkind) and empty it. */
static enum db_status
flush_one(struct run *r, struct batch *b)
{
	struct vault_import	*im = r->im;
	const struct model_entity *m;
	struct buf		 cols;
	size_t			 i;
	long			 n = 0;

	if (b->n == 0 || r->dbst != DB_OK)
		return r->dbst;
	m = r->kinds[r->bkind].m;
	buf_init(&cols, 64 * 1024);
	for (i = 0; i < m->nfields; i++)
		if ((b->mask & (1ULL << i)) != 0)
			buf_printf(&cols, "%s%s", cols.len ? ", " : "",
			    m->fields[i].column);
	buf_putc(&b->rows, ']');
	r->dbst = db_vault_insert(im->db, &r->scratch, m, im->user_id,
	    arena_strndup(&r->scratch, cols.data, cols.len),
	    arena_strndup(&r->scratch, b->rows.data, b->rows.len), &n);
	buf_cleanup(&cols);
	r->written += n;
	vault_report_count(&im->report, m->vault, "imported", n);
	b->rows.len = 0;
	b->n = 0;
	arena_reset(&r->scratch);
	return r->dbst;
}

/* Write every batch gathered. */
static enum db_status
flush(struct run *r)
{
	int	 i;

	for (i = 0; i < r->nbatches; i++)
		flush_one(r, &r->batches[i]);
	r->nbatches = 0;
	return r->dbst;
}

/* The batch for rows of kind k with columns mask (others flushed). */
static struct batch *
batch_for(struct run *r, long k, unsigned long long mask)
{
	struct batch	*b;
	int		 i, big = 0;

	if (r->nbatches > 0 && r->bkind != k)
		flush(r);
	r->bkind = k;
	for (i = 0; i < r->nbatches; i++)
		if (r->batches[i].mask == mask)
			break;
	if (i == r->nbatches) {
		if (r->nbatches == BATCHES) {
			/* Full: the largest goes, its place is reused. */
			for (i = 1; i < BATCHES; i++)
				if (r->batches[i].n > r->batches[big].n)
					big = i;
			flush_one(r, &r->batches[big]);
			i = big;
		} else
			r->nbatches++;
		r->batches[i].mask = mask;
		if (r->batches[i].rows.cap == 0)
			buf_init(&r->batches[i].rows, 256LL * 1024 * 1024);
	}
	b = &r->batches[i];
	if (b->n >= BATCH_ROWS || b->rows.len >= BATCH_BYTES)
		flush_one(r, b);
	return b;
}

/* The id an entity of kind k is written with (remapped or not). */
static const char *
new_id(const struct run *r, long k, const char *id)
{
	const struct ident	*i = idmap_find(&r->kinds[k].ids, id);

	return i != NULL && i->to != NULL ? i->to : id;
}

static void
write_entity(struct run *r, long k, long index, struct json_object *v)
{
	const struct model_entity	*m = r->kinds[k].m;
	struct json_object		*o, *row;
	const struct ident		*id = NULL;
	const struct model_field	*bf = blob_field(m);
	struct batch			*b;
	const char			*created;
	unsigned long long		 mask = 0;
	size_t				 i;
	long				 to, u;

	if (r->kinds[k].has_mine)
		return;
	if (json_object_object_get_ex(v, "id", &o) && o != NULL &&
	    (id = idmap_find(&r->kinds[k].ids, json_object_get_string(o))) !=
	    NULL && id->dup)
		return;
	/* What the bundle's row becomes: new ids, the blob's row. */
	if (id != NULL && id->to != NULL)
		json_object_object_add(v, "id", json_object_new_string(id->to));
	if (model_field(m, "id") != NULL && (!json_object_object_get_ex(v,
	    "id", &o) || o == NULL)) {
		char	 made[37];

		/* No id in the bundle: one is made, as the API would. */
		uuid_new(made);
		json_object_object_add(v, "id", json_object_new_string(made));
	}
	for (i = 0; i < m->nfields; i++)
		if ((to = ref_kind(r, &m->fields[i])) >= 0 &&
		    json_object_object_get_ex(v, m->fields[i].json, &o) &&
		    o != NULL)
			json_object_object_add(v, m->fields[i].json,
			    json_object_new_string(new_id(r, to,
			    json_object_get_string(o))));
	if (bf != NULL && (u = use_of(r, k, index)) >= 0)
		json_object_object_add(v, bf->json, json_object_new_string(
		    r->uses[u].uuid));
	if (m->import != NULL)
		m->import(v);
	/* Times the database wants and the bundle may lack. */
	created = json_object_object_get_ex(v, "createdAt", &o) && o != NULL ?
	    json_object_get_string(o) : r->now;
	if (model_field(m, "createdAt") != NULL && o == NULL)
		json_object_object_add(v, "createdAt",
		    json_object_new_string(created));
	for (i = 0; i < m->nfields; i++)
		if ((m->fields[i].flags & MF_IMPORT_CREATED) != 0 &&
		    (!json_object_object_get_ex(v, m->fields[i].json, &o) ||
		    o == NULL))
			json_object_object_add(v, m->fields[i].json,
			    json_object_new_string(created));
	/* The row by column name; absent and null fields left to defaults. */
	row = json_object_new_object();
	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];
		char	 col[64];

		if (!model_import_field(f) || !json_object_object_get_ex(v,
		    f->json, &o) || o == NULL)
			continue;
		snprintf(col, sizeof(col), "%s", f->column[0] == '"' ?
		    f->column + 1 : f->column);
		col[strcspn(col, "\"")] = '\0';
		json_object_object_add(row, col, json_object_get(o));
		mask |= 1ULL << i;
	}
	b = batch_for(r, k, mask);
	buf_puts(&b->rows, b->n++ == 0 ? "[" : ",");
	buf_puts(&b->rows, json_object_to_json_string_ext(row,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(row);
}

/* The blob rows of the uses put (one statement). */
static enum db_status
insert_blobs(struct run *r)
{
	struct vault_import	*im = r->im;
	struct json_object	*a = json_object_new_array(), *o;
	const char		*p[2];
	size_t			 i;
	enum db_status		 st;

	for (i = 0; i < r->nuses; i++) {
		const struct use *u = &r->uses[i];

		if (u->key == NULL)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(u->uuid));
		json_object_object_add(o, "kind",
		    json_object_new_string(u->type->kind));
		json_object_object_add(o, "name", json_object_new_string(
		    arena_printf(im->arena, "%.12s.%s", u->blob->sha,
		    u->type->ext)));
		json_object_object_add(o, "object_key",
		    json_object_new_string(u->key));
		json_object_object_add(o, "mime_type",
		    json_object_new_string(u->type->type));
		json_object_object_add(o, "size_bytes",
		    json_object_new_int64(u->blob->size));
		json_object_object_add(o, "sha256",
		    json_object_new_string(u->blob->sha));
		json_object_array_add(a, o);
	}
	p[0] = im->user_id;
	p[1] = arena_strdup(im->arena, json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	st = db_vault_blobs(im->db, im->arena, p[0], p[1]);
	return st;
}

/* --- entry ------------------------------------------------------------ */


static enum vault_error
verdict(struct run *r)
{
	return r->im->report.too_large ? VAULT_TOO_LARGE : VAULT_INVALID;
}

static enum vault_error
unavailable(struct run *r, const char *what)
{
	if (r->im->err[0] == '\0')
		snprintf(r->im->err, sizeof(r->im->err), "%.50s: %.200s", what,
		    r->im->db->errstr);
	return VAULT_UNAVAILABLE;
}

/* Read the metadata (decrypted in fd) once, as pass says. */
static int
metadata(struct run *r, int pass, int fd)
{
	struct vault_json_reader	 jr;
	char				 err[256];

	memset(&jr, 0, sizeof(jr));
	jr.member = meta_member;
	jr.value = meta_value;
	jr.ud = r;
	jr.max_depth = r->im->lim->depth_max;
	r->pass = pass;
	r->loops_library = 0;
	if (lseek(fd, 0, SEEK_SET) != 0) {
		snprintf(r->im->err, sizeof(r->im->err), "the metadata's "
		    "file: %s", strerror(errno));
		return -1;
	}
	if (vault_json_parse(&jr, fd, NULL, 0, NULL, err,
	    sizeof(err)) == 0)
		return 0;
	if (pass == 1 && r->im->report.nerrors == 0)
		vault_report_error(&r->im->report, "$", "the metadata: %s",
		    err);
	return -1;
}

enum vault_error
vault_import_run(struct vault_import *im, int fd)
{
	struct run	 r;
	enum vault_error e;
	enum db_status	 st;
	unsigned char	*buf = NULL;
	size_t		 i;
	int		 plain = -1;
	const char	*p[4];

	memset(&r, 0, sizeof(r));
	r.im = im;
	r.b.spill = -1;
	r.plain = -1;
	im->err[0] = '\0';
	time_iso8601(time_wall_ms(), r.now, sizeof(r.now));
	arena_init(&r.scratch, 64 * 1024);
	kinds_init(&r);
	r.b.progress = bundle_progress;
	r.b.on_envelope = open_envelope;
	r.b.ud = &r;
	/*
	 * 1. The bundle, and in it the envelope, decrypted as a stream into
	 * a file of its own as the reader meets it (never whole in memory,
	 * never copied); the tag is verified before any of it is read.
	 */
	if ((r.plain = fd_temp(im->lim->tmpdir, "passion-meta")) < 0) {
		snprintf(im->err, sizeof(im->err), "%.200s: %s",
		    im->lim->tmpdir, strerror(errno));
		e = VAULT_UNAVAILABLE;
		goto out;
	}
	plain = r.plain;
	if ((e = vault_bundle_read(&r.b, fd, im->lim, &im->report)) !=
	    VAULT_OK) {
		if (e == VAULT_UNAVAILABLE && im->err[0] == '\0')
			snprintf(im->err, sizeof(im->err), "the bundle could "
			    "not be read");
		goto out;
	}
	r.v2 = r.b.version == 2;
	/* 2. The metadata checked. */
	if (metadata(&r, 1, plain) != 0 || im->report.nerrors > 0) {
		if (im->err[0] != '\0' && im->report.nerrors == 0) {
			e = VAULT_UNAVAILABLE;
			goto out;
		}
		e = im->report.nerrors > 0 && strncmp(json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(
		    im->report.errors, 0), "path")), "$.schemaVersion", 15) ==
		    0 ? VAULT_UNSUPPORTED : verdict(&r);
		goto out;
	}
	/* 3. What the database holds. */
	if ((st = db_tx_begin(im->db, im->user_id)) != DB_OK ||
	    (st = check_db(&r)) != DB_OK) {
		db_tx_rollback(im->db);
		e = unavailable(&r, "reading the user's ids");
		goto out;
	}
	db_tx_rollback(im->db);
	if (im->report.nerrors > 0) {
		e = verdict(&r);
		goto out;
	}
	/* 4. The blobs. */
	buf = malloc(PART_SIZE);
	if (buf == NULL)
		fatal("malloc: out of memory");
	for (i = 0; i < r.nuses; i++) {
		struct use *u = &r.uses[i];

		if (use_skipped(&r, u, u->eid))
			continue;
		if (put_use(&r, u, buf) != 0) {
			e = VAULT_UNAVAILABLE;
			goto undo;
		}
	}
	/* 5. One transaction. */
	p[0] = im->import_id;
	if ((st = db_vault_begin(im->db, im->arena, im->user_id)) != DB_OK ||
	    (r.nuses > 0 && (st = insert_blobs(&r)) != DB_OK)) {
		e = unavailable(&r, "writing the blobs' rows");
		goto undo;
	}
	if (metadata(&r, 2, plain) != 0 || flush(&r) != DB_OK) {
		e = r.dbst == DB_UNAVAILABLE || r.dbst == DB_TIMEOUT ?
		    unavailable(&r, "writing the rows") : VAULT_INVALID;
		if (e == VAULT_INVALID)
			vault_report_error(&im->report, "$", "the database "
			    "refused a row: %s", im->db->errstr);
		goto undo;
	}
	if (im->import_id != NULL) {
		struct json_object *res = vault_report_json(&im->report);

		p[1] = arena_strdup(im->arena, json_object_to_json_string_ext(
		    res, JSON_C_TO_STRING_PLAIN));
		json_object_put(res);
		st = db_vault_import_done(im->db, im->arena, p[0], p[1],
		    r.written);
		if (st != DB_OK) {
			e = unavailable(&r, "marking the import done");
			goto undo;
		}
	}
	if ((st = db_tx_commit(im->db)) != DB_OK) {
		e = unavailable(&r, "committing the import");
		goto undo;
	}
	progress(&r, 1);
	e = VAULT_OK;
	goto out;
undo:
	db_tx_rollback(im->db);
	remove_put(&r);
out:
	if (plain >= 0)
		close(plain);
	free(buf);
	run_free(&r);
	return e;
}
