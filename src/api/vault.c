/*
 * vault.c - the routes of vault imports (docs/vault.md): a bundle is
 * uploaded straight to the store with a presigned PUT (it never passes
 * nginx or passiond), then started with its passphrase, which goes to
 * the jobs worker sealed in the job's payload; the import's row says how
 * it goes and what it did.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "jobs/jobs.h"

#define IMPORT_ATTEMPTS	3
#define EXPORT_ATTEMPTS	3

/* vault-{timestamp}.zip: UTC to the millisecond (YYYYMMDDTHHMMSSmmmZ). */
static void
export_stamp(char out[32])
{
	char	 iso[32];

	time_iso8601(time_wall_ms(), iso, sizeof(iso));
	/* "2026-11-26T05:54:00.123Z" */
	snprintf(out, 32, "%.4s%.2s%.2sT%.2s%.2s%.2s%.3sZ", iso, iso + 5,
	    iso + 8, iso + 11, iso + 14, iso + 17, iso + 20);
}

/* The bodies of the routes, checked as entities' are. */
#define F	MODEL_FIELD
static const struct model_field create_fields[] = {
	F("name", "name", MT_TEXT, MF_REQUIRED, 1, 255, NULL),
	F("size_bytes", "sizeBytes", MT_INT, MF_REQUIRED, 1, 1LL << 50, NULL),
};
static const struct model_entity create_body = {
	.name = "vault import",
	.fields = create_fields,
	.nfields = 2,
};
static const struct model_field start_fields[] = {
	F("passphrase", "passphrase", MT_TEXT, MF_REQUIRED, 1, 1024, NULL),
};
static const struct model_entity start_body = {
	.name = "passphrase request",
	.fields = start_fields,
	.nfields = 1,
};

/* Imports and exports, as the routes they share see them. */
struct vault_rows {
	const char	*what;		/* "import": messages */
	enum db_status	(*get)(struct db *, struct arena *, const char *,
			    const char *, int, struct db_vault_job *);
	enum db_status	(*list)(struct db *, struct arena *, const char *,
			    struct json_object **);
	enum db_status	(*del)(struct db *, struct arena *, const char *,
			    const char *);
};

static const struct vault_rows imports = { "import", db_vault_import_get,
	db_vault_import_list, db_vault_import_delete };
static const struct vault_rows exports = { "export", db_vault_export_get,
	db_vault_export_list, db_vault_export_delete };

/* The path's row, read (locked with lock) in the request's tx. */
static enum db_status
row_read(struct http_request *req, const struct vault_rows *v, int lock,
    struct db_vault_job *row)
{
	struct app	*app = api_app(req);
	enum db_status	 st;

	if (!str_is_uuid(http_param(req, 0)))
		return DB_NOTFOUND;
	st = api_tx_begin(req);
	if (st == DB_OK && !lock)
		db_tx_commit_with_next(&app->db);
	if (st == DB_OK)
		st = v->get(&app->db, req->arena, req->user_id,
		    http_param(req, 0), lock, row);
	if (st != DB_OK)
		db_tx_rollback(&app->db);
	return st;
}

static void
reply_row_error(struct http_request *req, const struct vault_rows *v,
    enum db_status st)
{
	if (st == DB_NOTFOUND)
		http_reply_error(req, 404, "not_found", "no such %s", v->what);
	else
		api_reply_db_error(req, st);
}

static void
row_get(struct http_request *req, const struct vault_rows *v)
{
	struct db_vault_job	 row;
	enum db_status		 st;

	if (api_only_params_or_reply(req, (const char *const []){ NULL }) != 0)
		return;
	st = row_read(req, v, 0, &row);
	if (st != DB_OK) {
		reply_row_error(req, v, st);
		return;
	}
	http_reply_json(req, 200, http_json_own(req, db_row_json(&row.row)));
}

static void
row_list(struct http_request *req, const struct vault_rows *v)
{
	struct app		*app = api_app(req);
	struct json_object	*data;
	enum db_status		 st;

	if (api_only_params_or_reply(req, (const char *const []){ NULL }) != 0)
		return;
	st = api_tx_begin(req);
	if (st == DB_OK) {
		db_tx_commit_with_next(&app->db);
		st = v->list(&app->db, req->arena, req->user_id, &data);
	}
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		api_reply_db_error(req, st);
		return;
	}
	api_reply_data(req, data);
}

/* Delete the path's row, unless it is queued or running (409). */
static void
row_delete(struct http_request *req, const struct vault_rows *v)
{
	struct app		*app = api_app(req);
	struct db_vault_job	 row;
	const char		*state;
	enum db_status		 st;

	st = row_read(req, v, 1, &row);
	if (st != DB_OK) {
		reply_row_error(req, v, st);
		return;
	}
	state = row.state;
	if (strcmp(state, "queued") == 0 || strcmp(state, "running") == 0) {
		db_tx_rollback(&app->db);
		http_reply_error(req, 409, "conflict", "this %s is %s; it can "
		    "be deleted when it ends", v->what, state);
		return;
	}
	st = v->del(&app->db, req->arena, req->user_id, http_param(req, 0));
	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		api_reply_db_error(req, st);
		return;
	}
	http_reply(req, 204, NULL, NULL, 0);
}

void
api_vault_import_create(struct http_request *req)
{
	struct app		*app = api_app(req);
	const struct config	*cfg = app->cfg;
	struct json_object	*body, *o, *up;
	struct model_error	 err;
	struct db_vault_job	 row;
	const char		*name = NULL, *key, *url;
	long long		 size = 0, now = time(NULL);
	char			 id[37];
	enum db_status		 st;
	int			 over;

	if (api_store_or_reply(req) != 0 ||
	    http_body_json_or_reply(req, &body) != 0)
		return;
	if (model_validate(&create_body, body, MODEL_CREATE, &err) != 0) {
		http_reply_invalid(req, err.status, err.field, err.message);
		return;
	}
	name = json_object_get_string(json_object_object_get(body, "name"));
	size = json_object_get_int64(json_object_object_get(body,
	    "sizeBytes"));
	if (!api_name_ok(name)) {
		http_reply_invalid(req, 422, "name", "name: no control "
		    "characters");
		return;
	}
	if (size > cfg->vault_bundle_max) {
		http_reply_invalid(req, 413, "sizeBytes", arena_printf(
		    req->arena, "sizeBytes: a bundle is at most %s here; "
		    "passionctl import takes larger ones",
		    api_bytes_text(req->arena, cfg->vault_bundle_max)));
		return;
	}
	uuid_new(id);
	key = arena_printf(req->arena, "%s/imports/%s.vault", req->user_id,
	    id);
	if (api_begin_or_reply(req) != 0)
		return;
	st = db_vault_import_create(&app->db, req->arena, req->user_id, id,
	    name, size, key, "uploading", cfg->storage_quota, &over);
	if (st == DB_OK && over) {
		api_reply_over_quota(req, "bundle", size);
		return;
	}
	if (st == DB_OK)
		st = db_vault_import_get(&app->db, req->arena, req->user_id,
		    id, 0, &row);
	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st == DB_ERROR && strcmp(app->db.hint, "imports_full") == 0) {
		db_tx_rollback(&app->db);
		http_reply_error(req, 409, "too_many_imports", "three of your "
		    "imports hold a bundle already (uploading, waiting or "
		    "failed); start or delete one first");
		return;
	}
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		api_reply_db_error(req, st);
		return;
	}
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "import", db_row_json(&row.row));
	url = storage_presign(req->arena, &app->store, "PUT", key,
	    cfg->storage_upload_ttl, now, NULL, size, NULL, 0);
	up = json_object_new_object();
	json_object_object_add(up, "method", json_object_new_string("PUT"));
	json_object_object_add(up, "url", json_object_new_string(url));
	json_object_object_add(up, "headers", json_object_new_object());
	json_object_object_add(up, "expiresAt", json_object_new_string(
	    api_expires_at(req->arena, now, cfg->storage_upload_ttl)));
	json_object_object_add(o, "upload", up);
	http_header_add(req, "Location", arena_printf(req->arena,
	    "/api/vault/imports/%s", id));
	http_reply_json(req, 201, o);
}

/*
 * May import row be started (uploaded, or failed in a way the same
 * bundle may yet mend), and may its user try a passphrase now (so many
 * wrong ones within the hour, then 429)? 0, or -1 replied.
 */
static int
startable_or_reply(struct http_request *req, const struct db_vault_job *row)
{
	struct app	*app = api_app(req);
	const char	*code = db_row_text(&row->row, "errorCode");
	long		 misses, retry;
	enum db_status	 st;

	if (strcmp(row->state, "uploading") != 0 && (strcmp(row->state,
	    "failed") != 0 || !vault_import_restartable(code))) {
		if (strcmp(row->state, "failed") == 0)
			http_reply_error(req, 409, "conflict", "this import "
			    "failed (%s), which starting it again cannot mend: "
			    "make a new one", code != NULL ? code : "?");
		else
			http_reply_error(req, 409, "conflict", "this import is "
			    "%s already", row->state);
		return -1;
	}
	st = db_vault_passphrase_misses(&app->db, req->arena, req->user_id,
	    VAULT_MISS_KEEP, &misses, &retry);
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return -1;
	}
	if (misses >= app->cfg->vault_passphrase_tries) {
		retry = retry > 0 ? retry : 1;
		http_header_add(req, "Retry-After", arena_printf(req->arena,
		    "%ld", retry));
		http_reply_error(req, 429, "too_many_attempts", "%ld wrong "
		    "passphrases within the hour; try again in %ld s", misses,
		    retry);
		return -1;
	}
	return 0;
}

/*
 * A vault job not queued: three of the user's are open already
 * (sql/0013), or the database's own failure.
 */
static void
reply_job_error(struct http_request *req, enum db_status st)
{
	if (st == DB_ERROR && strcmp(api_app(req)->db.hint,
	    "vault_jobs_full") == 0) {
		http_header_add(req, "Retry-After", "60");
		http_reply_error(req, 429, "too_many_jobs", "three of your "
		    "imports and exports are queued or running already; start "
		    "this one when one of them has finished");
		return;
	}
	api_reply_db_error(req, st);
}

void
api_vault_import_start(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*body;
	struct model_error	 err;
	struct storage_object	 obj;
	enum storage_status	 ss;
	struct db_vault_job	 row;
	const char		*pass = NULL, *payload;
	enum db_status		 st;

	st = row_read(req, &imports, 1, &row);
	if (st != DB_OK) {
		reply_row_error(req, &imports, st);
		return;
	}
	if (http_body_json_or_reply(req, &body) != 0) {
		db_tx_rollback(&app->db);
		return;
	}
	if (model_validate(&start_body, body, MODEL_CREATE, &err) != 0) {
		db_tx_rollback(&app->db);
		http_reply_invalid(req, err.status, err.field, err.message);
		return;
	}
	pass = json_object_get_string(json_object_object_get(body,
	    "passphrase"));
	if (startable_or_reply(req, &row) != 0) {
		db_tx_rollback(&app->db);
		return;
	}
	if (api_store_or_reply(req) != 0 || !app->keys.ready) {
		db_tx_rollback(&app->db);
		if (!app->keys.ready)
			http_reply_error(req, 503, "unavailable", "secret_key "
			    "is not configured");
		return;
	}
	/* The bundle must be there, whole. */
	ss = storage_head(&app->store, &app->net, req->arena, row.object_key,
	    time(NULL), &obj);
	if (ss == STORAGE_NOTFOUND || (ss == STORAGE_OK &&
	    obj.size != row.size)) {
		db_tx_rollback(&app->db);
		http_reply_error(req, 409, "not_uploaded", ss ==
		    STORAGE_NOTFOUND ? "upload the bundle to the URL this "
		    "import gave first" : "the uploaded bundle is not the "
		    "size this import was made for");
		return;
	}
	if (ss != STORAGE_OK) {
		db_tx_rollback(&app->db);
		api_reply_store_error(req, ss);
		return;
	}
	payload = jobs_vault_import_payload(req->arena, &app->keys,
	    http_param(req, 0), pass);
	st = db_vault_import_start(&app->db, req->arena, req->user_id,
	    http_param(req, 0), payload, IMPORT_ATTEMPTS);
	if (st == DB_OK)
		st = db_vault_import_get(&app->db, req->arena, req->user_id,
		    http_param(req, 0), 0, &row);
	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		reply_job_error(req, st);
		return;
	}
	http_reply_json(req, 202, http_json_own(req, db_row_json(&row.row)));
}

void
api_vault_import_get(struct http_request *req)
{
	row_get(req, &imports);
}

void
api_vault_import_list(struct http_request *req)
{
	row_list(req, &imports);
}

void
api_vault_import_delete(struct http_request *req)
{
	row_delete(req, &imports);
}

/* --- exports ---------------------------------------------------------- */

void
api_vault_export_create(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*body, *rows;
	struct model_error	 err;
	struct db_vault_job	 row;
	const char		*pass, *key, *payload, *state;
	char			 id[37], stamp[32], why[160];
	enum db_status		 st;
	size_t			 i;

	if (api_store_or_reply(req) != 0 ||
	    http_body_json_or_reply(req, &body) != 0)
		return;
	if (model_validate(&start_body, body, MODEL_CREATE, &err) != 0) {
		http_reply_invalid(req, err.status, err.field, err.message);
		return;
	}
	if (!app->keys.ready) {
		http_reply_error(req, 503, "unavailable", "secret_key is not "
		    "configured");
		return;
	}
	pass = json_object_get_string(json_object_object_get(body,
	    "passphrase"));
	if (vault_passphrase_weak(pass, why, sizeof(why))) {
		http_reply_invalid(req, 422, "passphrase", why);
		return;
	}
	if (api_begin_or_reply(req) != 0)
		return;
	/* One at a time. */
	st = db_vault_export_list(&app->db, req->arena, req->user_id, &rows);
	rows = http_json_own(req, rows);
	for (i = 0; st == DB_OK && i < json_object_array_length(rows); i++) {
		state = json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(rows, i), "state"));
		if (strcmp(state, "queued") == 0 ||
		    strcmp(state, "running") == 0) {
			db_tx_rollback(&app->db);
			http_reply_error(req, 409, "conflict", "an export is "
			    "%s already", state);
			return;
		}
	}
	uuid_new(id);
	export_stamp(stamp);
	key = arena_printf(req->arena, "%s/exports/vault-%s.zip",
	    req->user_id, stamp);
	payload = jobs_vault_export_payload(req->arena, &app->keys, id, pass);
	if (st == DB_OK)
		st = db_vault_export_create(&app->db, req->arena, req->user_id,
		    id, key, payload, EXPORT_ATTEMPTS);
	if (st == DB_OK)
		st = db_vault_export_get(&app->db, req->arena, req->user_id, id,
		    0, &row);
	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		reply_job_error(req, st);
		return;
	}
	http_header_add(req, "Location", arena_printf(req->arena,
	    "/api/vault/exports/%s", id));
	http_reply_json(req, 202, http_json_own(req, db_row_json(&row.row)));
}

void
api_vault_export_get(struct http_request *req)
{
	row_get(req, &exports);
}

void
api_vault_export_list(struct http_request *req)
{
	row_list(req, &exports);
}

void
api_vault_export_delete(struct http_request *req)
{
	row_delete(req, &exports);
}

void
api_vault_export_download(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct sigv4_pair	 q[2];
	struct db_vault_job	 row;
	const char		*key, *name, *url;
	enum db_status		 st;

	if (api_only_params_or_reply(req, (const char *const []){ NULL }) != 0)
		return;
	st = row_read(req, &exports, 0, &row);
	if (st != DB_OK) {
		reply_row_error(req, &exports, st);
		return;
	}
	if (strcmp(row.state, "done") != 0) {
		http_reply_error(req, 409, "not_ready", "this export is %s; it "
		    "can be downloaded when it is done", row.state);
		return;
	}
	if (api_store_or_reply(req) != 0)
		return;
	key = row.object_key;
	name = strrchr(key, '/') + 1;
	q[0].name = "response-content-disposition";
	q[0].value = api_disposition(req->arena, "attachment", name);
	q[1].name = "response-content-type";
	q[1].value = "application/zip";
	url = storage_presign(req->arena, &app->store, "GET", key,
	    app->cfg->storage_download_ttl, time(NULL), NULL, -1, q, 2);
	http_header_add(req, "Cache-Control", "private, no-store");
	http_header_add(req, "Location", url);
	http_reply(req, 302, NULL, NULL, 0);
}
