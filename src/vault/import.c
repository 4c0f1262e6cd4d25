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
 *  4. put the new blobs into the store (the rows of "blobs", and those
 *     an old app's tracks and covers name by their SHA-256);
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
#include <unistd.h>

#include <openssl/rand.h>

#include "vault/import.h"

static void
kinds_init(struct run *r)
{
	size_t	 i, n = 0;

	for (i = 0; model_entities[i] != NULL; i++)
		n++;
	r->kinds = calloc(n, sizeof(*r->kinds));
	if (r->kinds == NULL)
		fatal("calloc: out of memory");
	/* Blobs too: the rows of an export's "blobs" (import_check.c). */
	for (i = 0; model_entities[i] != NULL; i++) {
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
		imp_idmap_free(&r->kinds[i].ids);
		free(r->kinds[i].uses);
	}
	free(r->kinds);
	free(r->refs);
	free(r->zone);
	imp_idmap_free(&r->reftext);
	for (i = 0; i < r->nuses; i++)
		free(r->uses[i].eid);
	free(r->uses);
	for (i = 0; i < BATCHES; i++)
		buf_cleanup(&r->batches[i].rows);
	imp_idmap_free(&r->outside);
	arena_cleanup(&r->scratch);
	vault_bundle_free(&r->b);
}

int
imp_error(struct run *r, const char *path, const char *msg)
{
	vault_report_error(&r->im->report, path, "%s", msg);
	if (r->im->report.nerrors >= ERRORS_STOP)
		r->stop = 1;
	return 0;
}

void
imp_progress(struct run *r, int force)
{
	int64_t	 now = time_mono_ms();

	if (r->im->progress == NULL || (!force && now - r->last_progress <
	    250))
		return;
	r->last_progress = now;
	r->im->progress(r->im->ud, r->b.read, r->written);
}

/* The envelope read: its verdict (a failure said in the report). */
static enum vault_error
envelope_end(struct run *r)
{
	char		 err[256];
	enum vault_error e;

	e = vault_envelope_stream_end(r->env, err, sizeof(err));
	vault_envelope_stream_free(r->env);
	r->env = NULL;
	if (e == VAULT_UNAVAILABLE)
		snprintf(r->im->err, sizeof(r->im->err), "%s", err);
	else if (e != VAULT_OK)
		vault_report_error(&r->im->report, "$.metadataEnvelope", "%s",
		    err);
	/* Nothing unverified stays behind. */
	if (e != VAULT_OK && ftruncate(r->plain, 0) != 0)
		fatal("ftruncate: %s", strerror(errno));
	return e;
}

static int
plain_sink(void *ud, const unsigned char *p, size_t n)
{
	return fd_write_all(*(int *)ud, p, n);
}

/*
 * The envelope, a piece at a time as the bundle's reader meets it:
 * opened as it comes into r->plain (p NULL: its end, when the tag is
 * checked; nothing of the plaintext is read before).
 */
static enum vault_error
open_envelope(void *ud, const char *p, size_t n)
{
	struct run	*r = ud;

	if (r->env == NULL)
		r->env = vault_envelope_stream_new(r->im->arena,
		    r->im->passphrase, r->im->lim->tmpdir, plain_sink,
		    &r->plain);
	if (p != NULL)
		return vault_envelope_stream_feed(r->env, p, n) == 0 ?
		    VAULT_OK : envelope_end(r);
	return envelope_end(r);
}

static void
bundle_progress(void *ud, long long bytes)
{
	(void)bytes;
	imp_progress(ud, 0);
}

/* --- the metadata, read as a stream ---------------------------------- */

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
	if ((k = imp_kind_of(r, key)) < 0) {
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
		imp_check_entity(r, k, index, v, path);
	else
		imp_write_entity(r, k, index, v);
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
	k = imp_kind_of(r, kind);
	if (name != NULL) {
		snprintf(path, sizeof(path), "$.%s", key);
		if (r->pass == 1 && index == 0)
			imp_error(r, path, "must be an array");
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
			one_entity(r, imp_kind_of(r, "referenceLibraries"), -1, lib,
			    "$.audioLoops");
			json_object_put(lib);
		}
		v = t = v2_loop(v);
	} else if (r->v2)
		v2_entity(key, v);
	one_entity(r, k, index, v, path);
	json_object_put(t);
	imp_progress(r, 0);
	return r->stop ? -1 : 0;
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
	/* Not JSON, or nested too deep: the bundle is corrupt, as its own
	 * JSON would be (not an entity's fault: invalid_data). */
	if (pass == 1 && r->im->report.nerrors == 0) {
		vault_report_error(&r->im->report, "$", "the metadata: %s",
		    err);
		r->corrupt = 1;
	}
	return -1;
}

/*
 * 1. The bundle, and in it the envelope, decrypted as a stream into a
 * file of its own as the reader meets it (never whole in memory, never
 * copied; the tag verified before any of it is read); 2. the metadata
 * checked.
 */
static enum vault_error
read_and_check(struct run *r, int fd)
{
	struct vault_import	*im = r->im;
	enum vault_error	 e;

	if ((r->plain = fd_temp(im->lim->tmpdir, "passion-meta")) < 0) {
		snprintf(im->err, sizeof(im->err), "%.200s: %s",
		    im->lim->tmpdir, strerror(errno));
		return VAULT_UNAVAILABLE;
	}
	if ((e = vault_bundle_read(&r->b, fd, im->lim, &im->report)) !=
	    VAULT_OK) {
		if (e == VAULT_UNAVAILABLE && im->err[0] == '\0')
			snprintf(im->err, sizeof(im->err), "the bundle could "
			    "not be read");
		return e;
	}
	r->v2 = r->b.version == 2;
	if (metadata(r, 1, r->plain) == 0 && im->report.nerrors == 0)
		return VAULT_OK;
	if (im->err[0] != '\0' && im->report.nerrors == 0)
		return VAULT_UNAVAILABLE;
	if (r->corrupt)
		return VAULT_CORRUPT;
	return im->report.nerrors > 0 && strncmp(json_object_get_string(
	    json_object_object_get(json_object_array_get_idx(
	    im->report.errors, 0), "path")), "$.schemaVersion", 15) == 0 ?
	    VAULT_UNSUPPORTED : verdict(r);
}

/*
 * The blobs to put fit in the user's storage quota, besides what the
 * user has in the store (this import's own bundle aside: it goes when
 * the import is done): 0, -1 when the database could not say, or 1
 * after reporting too_large. Before the first put, so that nothing is
 * put that would not fit.
 */
static int
fits_quota(struct run *r)
{
	struct vault_import	*im = r->im;
	long long		 need = 0, used;
	size_t			 i;

	if (im->lim->quota <= 0)
		return 0;
	for (i = 0; i < r->nuses; i++)
		if (r->uses[i].same == 0 &&
		    !imp_use_skipped(r, &r->uses[i], r->uses[i].eid))
			need += r->uses[i].blob->size;
	if (need == 0)
		return 0;
	if (db_storage_used(im->db, im->arena, im->user_id,
	    im->import_id, &used) != DB_OK)
		return -1;
	if (used + need <= im->lim->quota)
		return 0;
	vault_report_error(&im->report, "$", "the bundle's blobs (%lld bytes) "
	    "do not fit in the storage quota: %lld of its %lld bytes are "
	    "used", need, used, im->lim->quota);
	return 1;
}

/*
 * The uses that share an object (sql/0018): of the entities written
 * (the duplicates skipped), each of the bundle's blobs is put once as
 * a type; a later use of it (200 tracks naming one file) has its own
 * row, which holds the first's object.
 */
static void
share_objects(struct run *r)
{
	size_t		*first, i, b;
	struct use	*u;

	if (r->nuses == 0)
		return;
	if ((first = calloc(r->b.nblobs, sizeof(*first))) == NULL)
		fatal("calloc: out of memory");
	for (i = 0; i < r->nuses; i++) {
		u = &r->uses[i];
		u->same = 0;
		if (imp_use_skipped(r, u, u->eid))
			continue;
		b = (size_t)(u->blob - r->b.blobs);
		if (first[b] > 0 && r->uses[first[b] - 1].type == u->type)
			u->same = (long)first[b];
		else
			first[b] = i + 1;
	}
	free(first);
}

/* 3. What the database holds (duplicates, remaps, references, quota). */
static enum vault_error
ask_db(struct run *r)
{
	struct vault_import	*im = r->im;
	int			 over = 0, ok;

	ok = db_tx_begin(im->db, im->user_id) == DB_OK &&
	    imp_check_db(r) == DB_OK;
	if (ok)
		share_objects(r);
	if (ok && im->report.nerrors == 0)
		ok = (over = fits_quota(r)) >= 0;
	db_tx_rollback(im->db);
	if (!ok)
		return unavailable(r, "reading the user's ids");
	if (over)
		return VAULT_TOO_LARGE;
	return im->report.nerrors > 0 ? verdict(r) : VAULT_OK;
}

/* 4. The blobs the new entities name, put into the store (once each). */
static enum vault_error
put_blobs(struct run *r)
{
	unsigned char	*buf;
	struct use	*u;
	size_t		 i;
	int		 rc = 0;

	if (r->nuses == 0)
		return VAULT_OK;
	if ((buf = malloc(PART_SIZE)) == NULL)
		fatal("malloc: out of memory");
	for (i = 0; i < r->nuses && rc == 0; i++) {
		u = &r->uses[i];
		imp_use_id(r, u);
		if (u->same > 0)
			u->key = r->uses[u->same - 1].key;
		else if (!imp_use_skipped(r, u, u->eid))
			rc = imp_put_use(r, u, buf);
	}
	free(buf);
	return rc == 0 ? VAULT_OK : VAULT_UNAVAILABLE;
}

/*
 * 5. One transaction: the blobs' rows, the metadata read again and
 * written in batches, the import's row marked done, the commit.
 */
static enum vault_error
write_all(struct run *r)
{
	struct vault_import	*im = r->im;
	struct json_object	*res;
	const char		*text;
	enum vault_error	 e;

	if (db_vault_begin(im->db, im->arena, im->user_id) != DB_OK ||
	    (r->nuses > 0 && imp_insert_blobs(r) != DB_OK))
		return unavailable(r, "writing the blobs' rows");
	if (metadata(r, 2, r->plain) != 0 || imp_flush_end(r) != DB_OK) {
		e = r->dbst == DB_UNAVAILABLE || r->dbst == DB_TIMEOUT ?
		    unavailable(r, "writing the rows") : VAULT_INVALID;
		/* A limit of the user's (sql/0014) in its own words. */
		if (e == VAULT_INVALID)
			vault_report_error(&im->report, "$", "the database "
			    "refused a row: %s", strcmp(im->db->hint,
			    "user_limit") == 0 ? im->db->message :
			    im->db->errstr);
		return e;
	}
	if (im->import_id != NULL) {
		res = vault_report_json(&im->report);
		text = arena_strdup(im->arena, json_object_to_json_string_ext(
		    res, JSON_C_TO_STRING_PLAIN));
		json_object_put(res);
		if (db_vault_import_done(im->db, im->arena, im->import_id, text,
		    r->written) != DB_OK)
			return unavailable(r, "marking the import done");
	}
	if (db_tx_commit(im->db) != DB_OK)
		return unavailable(r, "committing the import");
	return VAULT_OK;
}

enum vault_error
vault_import_run(struct vault_import *im, int fd)
{
	struct run	 r;
	enum vault_error e;

	memset(&r, 0, sizeof(r));
	r.im = im;
	r.b.spill = -1;
	r.plain = -1;
	im->err[0] = '\0';
	time_iso8601(time_wall_ms(), r.now, sizeof(r.now));
	if (RAND_bytes(r.salt, sizeof(r.salt)) != 1)
		fatal("RAND_bytes failed");
	arena_init(&r.scratch, 64 * 1024);
	kinds_init(&r);
	r.b.progress = bundle_progress;
	r.b.on_envelope = open_envelope;
	r.b.ud = &r;
	if ((e = read_and_check(&r, fd)) == VAULT_OK &&
	    (e = ask_db(&r)) == VAULT_OK) {
		/* Past here, a failure takes back what was put. */
		if ((e = put_blobs(&r)) == VAULT_OK)
			e = write_all(&r);
		if (e != VAULT_OK) {
			db_tx_rollback(im->db);
			imp_remove_put(&r);
		} else
			imp_progress(&r, 1);
	}
	if (r.plain >= 0)
		close(r.plain);
	vault_envelope_stream_free(r.env);
	run_free(&r);
	return e;
}
