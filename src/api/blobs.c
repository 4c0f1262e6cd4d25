/*
 * blobs.c - audio and images in the object store. passiond keeps the
 * rows and signs URLs; browsers move the bytes to and from the store
 * directly. A row of the user's is what authorises a URL: a blob is
 * made pending with a presigned PUT, made ready once a HEAD of the
 * object agrees with it, downloaded through a 302 to a presigned GET,
 * and deleted from the store before its row.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "storage/storage.h"

#define PART_MIN	(5LL << 20)	/* a part but the last: ≥ 5 MiB */
#define PARTS_MAX	10000		/* parts of one upload */
#define PART_URLS_MAX	100		/* part URLs a request asks for */
#define ETAG_MAX	128

/*
 * The part size of a multipart upload of n bytes: 5 MiB, or more in
 * whole MiB so that there are at most PARTS_MAX parts (R2's rules: all
 * parts equal but the last, which may be smaller).
 */
static long long
part_size(long long n)
{
	long long	 p = (n + PARTS_MAX - 1) / PARTS_MAX;

	p = (p + (1LL << 20) - 1) & ~((1LL << 20) - 1);
	return p < PART_MIN ? PART_MIN : p;
}

/* How many parts b has, and the size of part i (1-based). */
static long long
part_count(const struct db_blob *b)
{
	return (b->size + b->part_size - 1) / b->part_size;
}

static long long
part_len(const struct db_blob *b, long long i)
{
	return i < part_count(b) ? b->part_size :
	    b->size - (part_count(b) - 1) * b->part_size;
}

/* The blob of the path's id into b, in a read (one round trip). */
static enum db_status
blob_read(struct http_request *req, struct db_blob *b)
{
	struct app	*app = api_app(req);
	enum db_status	 st;

	/* Not a UUID: no blob has that id (and the column would refuse it). */
	if (!str_is_uuid(http_param(req, 0)))
		return DB_NOTFOUND;
	st = api_tx_begin(req);
	db_tx_commit_with_next(&app->db);
	if (st == DB_OK)
		st = db_blob_get(&app->db, req->arena, req->user_id,
		    http_param(req, 0), b);
	if (st != DB_OK)
		db_tx_rollback(&app->db);
	return st;
}

/*
 * The blob a create's body describes, checked, into b (its id and key
 * made here; t its type): 0, or -1 after replying.
 */
static int
blob_from_body(struct http_request *req, struct db_blob *b,
    const struct storage_type **t)
{
	const struct config	*cfg = api_app(req)->cfg;
	struct json_object	*body, *o;
	struct model_error	 err;
	long long		 max;
	char			*id;

	if (http_body_json_or_reply(req, &body) != 0)
		return -1;
	if (model_validate(&model_blobs, body, MODEL_CREATE, &err) != 0) {
		http_reply_invalid(req, err.status, err.field, err.message);
		return -1;
	}
	memset(b, 0, sizeof(*b));
	b->kind = json_object_get_string(json_object_object_get(body, "kind"));
	b->name = json_object_get_string(json_object_object_get(body, "name"));
	b->mime_type = json_object_get_string(json_object_object_get(body,
	    "mimeType"));
	b->size = json_object_get_int64(json_object_object_get(body,
	    "sizeBytes"));
	o = json_object_object_get(body, "sha256");
	b->sha256 = o != NULL ? json_object_get_string(o) : NULL;
	if (!api_name_ok(b->name)) {
		http_reply_invalid(req, 422, "name", "name: no control "
		    "characters");
		return -1;
	}
	if ((*t = storage_type(b->kind, b->mime_type)) == NULL) {
		http_reply_invalid(req, 422, "mimeType", arena_printf(
		    req->arena, "mimeType: %s blobs are one of %s", b->kind,
		    storage_kind_types(req->arena, b->kind)));
		return -1;
	}
	if (b->sha256 != NULL && strspn(b->sha256, "0123456789abcdef") != 64) {
		http_reply_invalid(req, 422, "sha256", "sha256: 64 lowercase "
		    "hex digits");
		return -1;
	}
	max = strcmp(b->kind, "audio") == 0 ? cfg->storage_audio_max :
	    cfg->storage_image_max;
	if (max > STORAGE_OBJECT_MAX)
		max = STORAGE_OBJECT_MAX;
	if (b->size < 1 || b->size > max) {
		http_reply_invalid(req, b->size < 1 ? 422 : 413, "sizeBytes",
		    arena_printf(req->arena, "sizeBytes: %s blobs are 1 byte "
		    "to %s", b->kind, api_bytes_text(req->arena, max)));
		return -1;
	}
	/* The type as the table spells it: what the store will be told. */
	b->mime_type = (*t)->type;
	id = arena_alloc(req->arena, 37);
	uuid_new(id);
	b->id = id;
	b->object_key = arena_printf(req->arena, "%s/%s/%s.%s", req->user_id,
	    strcmp(b->kind, "audio") == 0 ? "audio" : "images", id,
	    (*t)->ext);
	if (b->size > cfg->storage_multipart_threshold)
		b->part_size = part_size(b->size);
	/* A hash is the store's to check, which it does for one PUT
	 * (x-amz-checksum-sha256), not for the whole of a part upload. */
	if (b->sha256 != NULL && b->part_size > 0) {
		http_reply_invalid(req, 422, "sha256", arena_printf(req->arena,
		    "sha256: given only for a blob of one upload (up to %s); "
		    "one uploaded in parts is stored without it",
		    api_bytes_text(req->arena,
		    cfg->storage_multipart_threshold)));
		return -1;
	}
	return 0;
}

/*
 * b's row, within the quota, and its multipart upload if it has parts,
 * committed together: 0, or -1 after replying (413 over the quota).
 */
static int
blob_write(struct http_request *req, struct db_blob *b, long long now)
{
	struct app		*app = api_app(req);
	const struct config	*cfg = app->cfg;
	enum storage_status	 ss;
	enum db_status		 st;
	const char		*upload_id;
	int			 over;

	st = api_tx_begin(req);
	if (st == DB_OK)
		st = db_blob_create(&app->db, req->arena, req->user_id, b,
		    cfg->storage_quota, &over);
	if (st == DB_OK && over) {
		api_reply_over_quota(req, "blob", b->size);
		return -1;
	}
	if (st == DB_OK && b->part_size > 0) {
		/* The row is written but not committed while the store
		 * makes the upload: either both are there, or neither. */
		ss = storage_multipart_create(&app->store, &app->net,
		    req->arena, b->object_key, b->mime_type, now, &upload_id);
		if (ss != STORAGE_OK) {
			db_tx_rollback(&app->db);
			api_reply_store_error(req, ss);
			return -1;
		}
		st = db_blob_set_upload(&app->db, req->arena, req->user_id,
		    b->id, upload_id);
	}
	return api_entity_commit_or_reply(req, NULL, st);
}

void
api_blobs_create(struct http_request *req)
{
	struct app		*app = api_app(req);
	const struct config	*cfg = app->cfg;
	const struct storage_type *t;
	struct json_object	*o, *up, *h;
	struct db_blob		 b;
	const char		*url, *sum;
	long long		 now = time(NULL);

	if (api_store_or_reply(req) != 0 || blob_from_body(req, &b, &t) != 0 ||
	    blob_write(req, &b, now) != 0)
		return;
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "id", json_object_new_string(b.id));
	json_object_object_add(o, "blob", db_row_json(&b.row));
	http_header_add(req, "Location", arena_printf(req->arena,
	    "/api/blobs/%s", b.id));
	if (b.part_size > 0) {
		up = json_object_new_object();
		json_object_object_add(up, "partSize", json_object_new_int64(
		    b.part_size));
		json_object_object_add(up, "partCount", json_object_new_int64(
		    part_count(&b)));
		json_object_object_add(o, "multipart", up);
		http_reply_json(req, 201, o);
		return;
	}
	/* The type, the size and the hash signed: the store takes only
	 * that upload (a ready blob's sha256 is its bytes' hash). */
	sum = b.sha256 != NULL ? storage_checksum_sha256(req->arena,
	    b.sha256) : NULL;
	url = storage_presign_put(req->arena, &app->store, b.object_key,
	    cfg->storage_upload_ttl, now, b.mime_type, b.size, sum);
	up = json_object_new_object();
	h = json_object_new_object();
	json_object_object_add(h, "Content-Type", json_object_new_string(
	    b.mime_type));
	if (sum != NULL)
		json_object_object_add(h, "x-amz-checksum-sha256",
		    json_object_new_string(sum));
	json_object_object_add(up, "method", json_object_new_string("PUT"));
	json_object_object_add(up, "url", json_object_new_string(url));
	json_object_object_add(up, "headers", h);
	json_object_object_add(up, "expiresAt", json_object_new_string(
	    api_expires_at(req->arena, now, cfg->storage_upload_ttl)));
	json_object_object_add(o, "upload", up);
	http_reply_json(req, 201, o);
}

void
api_blobs_list(struct http_request *req)
{
	struct app	*app = api_app(req);
	struct db_list	 l;
	struct db_page	 pg;
	enum db_status	 st;

	if (api_list_params_or_reply(req, &model_blobs, NULL, &l) != 0)
		return;
	if (l.after_id != NULL && !str_is_uuid(l.after_id)) {
		http_reply_error(req, 400, "invalid_query", "cursor: not a "
		    "cursor from this list; start again without it");
		return;
	}
	if (api_begin_or_reply(req) != 0)
		return;
	memset(&pg, 0, sizeof(pg));
	db_tx_commit_with_next(&app->db);
	st = db_entity_list(&app->db, req->arena, &model_blobs, req->user_id,
	    &l, &pg);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_page(req, &pg);
}

void
api_blobs_usage(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*o = NULL;
	enum db_status		 st;

	if (api_only_params_or_reply(req, (const char *const []){ NULL }) != 0)
		return;
	st = api_tx_begin(req);
	db_tx_commit_with_next(&app->db);
	if (st == DB_OK)
		st = db_blob_usage(&app->db, req->arena, req->user_id,
		    app->cfg->storage_quota, &o);
	http_json_own(req, o);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		http_reply_json(req, 200, o);
}

/*
 * HEAD /api/blobs/{id}: the metadata as headers, for players and
 * uploaders, pending blobs too; no URL (a route of its own: GET's
 * answer is a redirect, this one is 200).
 */
void
api_blob_head(struct http_request *req)
{
	struct db_blob		 b;
	enum db_status		 st;

	if ((st = blob_read(req, &b)) != DB_OK) {
		api_entity_commit_or_reply(req, NULL, st);
		return;
	}
	http_header_add(req, "X-Blob-Kind", b.kind);
	http_header_add(req, "X-Blob-State", b.state);
	http_header_add(req, "X-Blob-Size", arena_printf(req->arena, "%lld",
	    b.size));
	http_header_add(req, "X-Blob-Type", b.mime_type);
	if (b.sha256 != NULL)
		http_header_add(req, "X-Blob-Sha256", b.sha256);
	http_header_add(req, "Content-Disposition", api_disposition(
	    req->arena, "inline", b.name));
	http_header_add(req, "Cache-Control", "private, no-store");
	http_reply(req, 200, NULL, NULL, 0);
}

void
api_blob_get(struct http_request *req)
{
	static const char *const names[] = { "redirect", "download", NULL };
	struct app		*app = api_app(req);
	struct sigv4_pair	 q[3];
	struct json_object	*o;
	struct db_blob		 b;
	enum db_status		 st;
	const char		*redirect, *download, *url;
	long long		 now = time(NULL);
	long			 ttl = app->cfg->storage_download_ttl;

	if (api_only_params_or_reply(req, names) != 0)
		return;
	redirect = http_query_get(req, "redirect");
	download = http_query_get(req, "download");
	if ((redirect != NULL && strcmp(redirect, "true") != 0 &&
	    strcmp(redirect, "false") != 0) || (download != NULL &&
	    strcmp(download, "true") != 0 && strcmp(download, "false") != 0)) {
		http_reply_error(req, 400, "invalid_query", "%s: true or false",
		    redirect != NULL && strcmp(redirect, "true") != 0 &&
		    strcmp(redirect, "false") != 0 ? "redirect" : "download");
		return;
	}
	if ((st = blob_read(req, &b)) != DB_OK) {
		api_entity_commit_or_reply(req, NULL, st);
		return;
	}
	if (strcmp(b.state, "ready") != 0) {
		http_reply_error(req, 404, "not_found", "no such blob (its "
		    "upload is not complete)");
		return;
	}
	if (api_store_or_reply(req) != 0)
		return;
	q[0].name = "response-content-disposition";
	q[0].value = api_disposition(req->arena, download != NULL &&
	    strcmp(download, "true") == 0 ? "attachment" : "inline", b.name);
	q[1].name = "response-content-type";
	q[1].value = b.mime_type;
	/* The answer's caching is the server's too, whatever was stored. */
	q[2].name = "response-cache-control";
	q[2].value = arena_printf(req->arena, "private, max-age=%ld", ttl);
	url = storage_presign(req->arena, &app->store, "GET", b.object_key,
	    ttl, now, NULL, -1, q, 3);
	http_header_add(req, "Cache-Control", "private, no-store");
	if (redirect != NULL && strcmp(redirect, "false") == 0) {
		o = http_json_own(req, json_object_new_object());
		json_object_object_add(o, "url", json_object_new_string(url));
		json_object_object_add(o, "expiresAt", json_object_new_string(
		    api_expires_at(req->arena, now, ttl)));
		http_reply_json(req, 200, o);
		return;
	}
	http_header_add(req, "Location", url);
	http_reply(req, 302, NULL, NULL, 0);
}

/* The pending multipart blob of the path; -1 after replying. */
static int
multipart_or_reply(struct http_request *req, struct db_blob *b)
{
	enum db_status	 st;

	if ((st = blob_read(req, b)) != DB_OK) {
		api_entity_commit_or_reply(req, NULL, st);
		return -1;
	}
	if (b->upload_id == NULL) {
		http_reply_error(req, 409, "not_multipart", "this blob has no "
		    "multipart upload in progress (%s)", strcmp(b->state,
		    "ready") == 0 ? "it is ready" : "it takes one PUT");
		return -1;
	}
	return api_store_or_reply(req);
}

void
api_blob_parts(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*body, *nums, *o, *list, *p;
	struct sigv4_pair	 q[2];
	struct db_blob		 b;
	long long		 now = time(NULL), n, count;
	char			 seen[PARTS_MAX + 1];
	size_t			 i, len;

	if (http_body_json_or_reply(req, &body) != 0)
		return;
	if (!json_object_object_get_ex(body, "partNumbers", &nums) ||
	    !json_object_is_type(nums, json_type_array) ||
	    (len = json_object_array_length(nums)) < 1 ||
	    len > PART_URLS_MAX || json_object_object_length(body) != 1) {
		http_reply_invalid(req, 422, "partNumbers", arena_printf(
		    req->arena, "partNumbers: an array of 1 to %d part "
		    "numbers, and nothing else", PART_URLS_MAX));
		return;
	}
	if (multipart_or_reply(req, &b) != 0)
		return;
	count = part_count(&b);
	memset(seen, 0, sizeof(seen));
	o = http_json_own(req, json_object_new_object());
	list = json_object_new_array();
	json_object_object_add(o, "parts", list);
	for (i = 0; i < len; i++) {
		p = json_object_array_get_idx(nums, i);
		n = json_object_get_int64(p);
		if (!json_object_is_type(p, json_type_int) || n < 1 ||
		    n > count || seen[n]) {
			http_reply_invalid(req, 422, arena_printf(req->arena,
			    "partNumbers[%zu]", i), arena_printf(req->arena,
			    "partNumbers[%zu]: part numbers are 1 to %lld, "
			    "each once", i, count));
			return;
		}
		seen[n] = 1;
		q[0].name = "partNumber";
		q[0].value = arena_printf(req->arena, "%lld", n);
		q[1].name = "uploadId";
		q[1].value = b.upload_id;
		p = json_object_new_object();
		json_object_object_add(p, "partNumber",
		    json_object_new_int64(n));
		json_object_object_add(p, "sizeBytes", json_object_new_int64(
		    part_len(&b, n)));
		/* Each part's length is signed, as a single PUT's is. */
		json_object_object_add(p, "url", json_object_new_string(
		    storage_presign(req->arena, &app->store, "PUT",
		    b.object_key, app->cfg->storage_upload_ttl, now, NULL,
		    part_len(&b, n), q, 2)));
		json_object_array_add(list, p);
	}
	json_object_object_add(o, "expiresAt", json_object_new_string(
	    api_expires_at(req->arena, now, app->cfg->storage_upload_ttl)));
	http_reply_json(req, 200, o);
}

/*
 * The parts of a multipart completion's body, checked: every part of b
 * once, in order, each with its ETag. -1 after replying.
 */
static int
parts_or_reply(struct http_request *req, const struct db_blob *b,
    struct storage_part **out)
{
	struct json_object	*body, *parts, *p, *num, *etag;
	struct storage_part	*sp;
	long long		 count = part_count(b);
	size_t			 i;

	if (http_body_json_or_reply(req, &body) != 0)
		return -1;
	if (!json_object_object_get_ex(body, "parts", &parts) ||
	    !json_object_is_type(parts, json_type_array) ||
	    (long long)json_object_array_length(parts) != count) {
		http_reply_invalid(req, 422, "parts", arena_printf(req->arena,
		    "parts: all %lld parts, as [{\"partNumber\",\"etag\"}] "
		    "in order", count));
		return -1;
	}
	sp = arena_calloc(req->arena, (size_t)count * sizeof(*sp));
	for (i = 0; i < (size_t)count; i++) {
		p = json_object_array_get_idx(parts, i);
		if (!json_object_is_type(p, json_type_object) ||
		    !json_object_object_get_ex(p, "partNumber", &num) ||
		    !json_object_is_type(num, json_type_int) ||
		    json_object_get_int64(num) != (long long)i + 1 ||
		    !json_object_object_get_ex(p, "etag", &etag) ||
		    !json_object_is_type(etag, json_type_string) ||
		    json_object_get_string_len(etag) < 1 ||
		    json_object_get_string_len(etag) > ETAG_MAX) {
			http_reply_invalid(req, 422, arena_printf(req->arena,
			    "parts[%zu]", i), arena_printf(req->arena,
			    "parts[%zu]: {\"partNumber\": %zu, \"etag\": the "
			    "ETag its PUT answered}", i, i + 1));
			return -1;
		}
		sp[i].number = (int)i + 1;
		sp[i].etag = json_object_get_string(etag);
	}
	*out = sp;
	return 0;
}

/* How the object in the store is not what b's row announced, or NULL. */
static const char *
mismatch(struct arena *a, const struct db_blob *b,
    const struct storage_object *obj)
{
	if (obj->size != b->size)
		return arena_printf(a, "the upload has %lld bytes, not the "
		    "%lld announced", obj->size, b->size);
	if (obj->content_type == NULL ||
	    strcasecmp(obj->content_type, b->mime_type) != 0)
		return arena_printf(a, "the upload is %s, not the %s "
		    "announced", obj->content_type ? obj->content_type :
		    "untyped", b->mime_type);
	if (obj->foreign != NULL)
		return arena_printf(a, "the upload set \"%.200s\", which its "
		    "URL did not sign: send only the headers it gave",
		    obj->foreign);
	return NULL;
}

void
api_blob_complete(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct storage_object	 obj;
	struct storage_part	*parts;
	struct db_blob		 b;
	enum storage_status	 ss;
	enum db_status		 st;
	const char		*why = NULL;

	if (http_body_read_or_reply(req, req->body_limit) != 0)
		return;
	if ((st = blob_read(req, &b)) != DB_OK) {
		api_entity_commit_or_reply(req, NULL, st);
		return;
	}
	if (strcmp(b.state, "ready") == 0) {
		/* Completing twice is harmless. */
		http_reply_json(req, 200, http_json_own(req, db_row_json(&b.row)));
		return;
	}
	if (api_store_or_reply(req) != 0)
		return;
	if (b.upload_id != NULL) {
		/* Multipart: the store puts the parts together first. */
		if (parts_or_reply(req, &b, &parts) != 0)
			return;
		ss = storage_multipart_complete(&app->store, &app->net,
		    req->arena, b.object_key, b.upload_id, parts,
		    (size_t)part_count(&b), time(NULL));
		if (ss == STORAGE_ERROR || ss == STORAGE_NOTFOUND) {
			log_msg(LOG_WARN, NULL, "store: %s", app->store.errstr);
			http_reply_error(req, 422, "upload_mismatch", "the "
			    "store could not put the parts together (a part missing, "
			    "too small or with another ETag); upload them "
			    "again and complete");
			return;
		}
		if (ss != STORAGE_OK) {
			api_reply_store_error(req, ss);
			return;
		}
	}
	ss = storage_head(&app->store, &app->net, req->arena, b.object_key,
	    time(NULL), &obj);
	if (ss == STORAGE_NOTFOUND) {
		http_reply_error(req, 409, "not_uploaded", "the object is not "
		    "in the store yet: PUT it to the upload URL first");
		return;
	}
	if (ss != STORAGE_OK) {
		api_reply_store_error(req, ss);
		return;
	}
	if ((why = mismatch(req->arena, &b, &obj)) != NULL) {
		/* Not what the row says: the stray object goes, the row
		 * stays pending for a correct upload. */
		ss = storage_delete(&app->store, &app->net, req->arena,
		    b.object_key, time(NULL));
		if (ss != STORAGE_OK)
			log_error("store: %s", app->store.errstr);
		http_reply_error(req, 422, "upload_mismatch", "%s; it was "
		    "removed, upload again", why);
		return;
	}
	st = api_tx_begin(req);
	if (st == DB_OK)
		st = db_blob_ready(&app->db, req->arena, req->user_id, &b);
	if (api_entity_commit_or_reply(req, NULL, st) != 0)
		return;
	http_reply_json(req, 200, http_json_own(req, db_row_json(&b.row)));
}

void
api_blob_delete(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct db_blob		 b;
	enum storage_status	 ss;
	enum db_status		 st = DB_NOTFOUND;

	/*
	 * One transaction holds the row (FOR UPDATE) while the object is
	 * removed, then drops it: a track that would take the blob waits,
	 * and a store that cannot be reached leaves the row as it was.
	 */
	if (str_is_uuid(http_param(req, 0)) &&
	    (st = api_tx_begin(req)) == DB_OK)
		st = db_blob_lock(&app->db, req->arena, req->user_id,
		    http_param(req, 0), &b);
	if (st == DB_FOREIGN) {
		db_tx_rollback(&app->db);
		http_reply_error(req, 409, "blob_in_use", "a reference track "
		    "or a project uses this blob: delete or change it first");
		return;
	}
	if (st != DB_OK) {
		api_entity_commit_or_reply(req, NULL, st);
		return;
	}
	/*
	 * An object other rows hold too (an import's, sql/0018) stays; it
	 * is queued by the last row to go.
	 */
	if (b.shared) {
		st = db_blob_delete(&app->db, req->arena, req->user_id, b.id,
		    NULL);
		if (api_entity_commit_or_reply(req, NULL, st) == 0)
			http_reply(req, 204, NULL, NULL, 0);
		return;
	}
	if (api_store_or_reply(req) != 0) {
		db_tx_rollback(&app->db);
		return;
	}
	ss = b.upload_id == NULL ? STORAGE_OK : storage_multipart_abort(
	    &app->store, &app->net, req->arena, b.object_key, b.upload_id,
	    time(NULL));
	if (ss == STORAGE_OK)
		ss = storage_delete(&app->store, &app->net, req->arena,
		    b.object_key, time(NULL));
	if (ss != STORAGE_OK) {
		db_tx_rollback(&app->db);
		api_reply_store_error(req, ss);
		return;
	}
	st = db_blob_delete(&app->db, req->arena, req->user_id, b.id,
	    b.object_key);
	if (api_entity_commit_or_reply(req, NULL, st) != 0)
		return;
	http_reply(req, 204, NULL, NULL, 0);
}
