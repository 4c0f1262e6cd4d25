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

/* The bodies of the routes, checked as entities' are. */
static const struct model_field create_fields[] = {
	{ "name", "name", MT_TEXT, MF_REQUIRED, 1, 255, NULL },
	{ "size_bytes", "sizeBytes", MT_INT, MF_REQUIRED, 1, 1LL << 50, NULL },
};
static const struct model_entity create_body = {
	NULL, "vault import", create_fields, 2, 0, NULL, NULL, NULL, 0, NULL,
	NULL,
};
static const struct model_field start_fields[] = {
	{ "passphrase", "passphrase", MT_TEXT, MF_REQUIRED, 1, 1024, NULL },
};
static const struct model_entity start_body = {
	NULL, "vault import start", start_fields, 1, 0, NULL, NULL, NULL, 0,
	NULL, NULL,
};

/* The path's import, read (locked with lock) in the request's tx. */
static enum db_status
import_read(struct http_request *req, int lock, PGresult **row)
{
	struct app	*app = api_app(req);
	enum db_status	 st;

	if (!str_is_uuid(http_param(req, 0)))
		return DB_NOTFOUND;
	st = api_tx_begin(req);
	if (st == DB_OK && !lock)
		db_tx_commit_with_next(&app->db);
	if (st == DB_OK)
		st = db_vault_import_get(&app->db, req->arena, req->user_id,
		    http_param(req, 0), lock, row);
	if (st != DB_OK)
		db_tx_rollback(&app->db);
	return st;
}

static void
reply_import_error(struct http_request *req, enum db_status st)
{
	if (st == DB_NOTFOUND)
		http_reply_error(req, 404, "not_found", "no such import");
	else
		api_reply_db_error(req, st);
}

void
api_vault_import_create(struct http_request *req)
{
	struct app		*app = api_app(req);
	const struct config	*cfg = app->cfg;
	struct json_object	*body, *o, *up;
	struct model_error	 err;
	PGresult		*row;
	const char		*name = NULL, *key, *url;
	long long		 size = 0, now = time(NULL);
	char			 id[37];
	enum db_status		 st;

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
	auth_uuid(id);
	key = arena_printf(req->arena, "%s/imports/%s.vault", req->user_id,
	    id);
	if (api_begin_or_reply(req) != 0)
		return;
	st = db_vault_import_create(&app->db, req->arena, req->user_id, id,
	    name, size, key, "uploading");
	if (st == DB_OK)
		st = db_vault_import_get(&app->db, req->arena, req->user_id,
		    id, 0, &row);
	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		api_reply_db_error(req, st);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "import", db_vault_import_json(row, 0));
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

void
api_vault_import_start(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*body;
	struct model_error	 err;
	struct storage_object	 obj;
	enum storage_status	 ss;
	PGresult		*row;
	const char		*pass = NULL, *payload;
	long long		 size;
	enum db_status		 st;

	st = import_read(req, 1, &row);
	if (st != DB_OK) {
		reply_import_error(req, st);
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
	if (strcmp(PQgetvalue(row, 0, 3), "uploading") != 0) {
		db_tx_rollback(&app->db);
		http_reply_error(req, 409, "conflict", "this import is %s "
		    "already", PQgetvalue(row, 0, 3));
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
	size = strtoll(PQgetvalue(row, 0, 2), NULL, 10);
	ss = storage_head(&app->store, &app->net, req->arena,
	    PQgetvalue(row, 0, 12), time(NULL), &obj);
	if (ss == STORAGE_NOTFOUND || (ss == STORAGE_OK && obj.size != size)) {
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
		api_reply_db_error(req, st);
		return;
	}
	http_reply_json(req, 202, db_vault_import_json(row, 0));
}

void
api_vault_import_get(struct http_request *req)
{
	PGresult	*row;
	enum db_status	 st;

	if (api_only_params_or_reply(req, (const char *const []){ NULL }) != 0)
		return;
	st = import_read(req, 0, &row);
	if (st != DB_OK) {
		reply_import_error(req, st);
		return;
	}
	http_reply_json(req, 200, db_vault_import_json(row, 0));
}

void
api_vault_import_list(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*data;
	PGresult		*rows;
	enum db_status		 st;
	int			 i;

	if (api_only_params_or_reply(req, (const char *const []){ NULL }) != 0)
		return;
	st = api_tx_begin(req);
	if (st == DB_OK) {
		db_tx_commit_with_next(&app->db);
		st = db_vault_import_list(&app->db, req->arena, req->user_id,
		    &rows);
	}
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		api_reply_db_error(req, st);
		return;
	}
	data = json_object_new_array();
	for (i = 0; i < PQntuples(rows); i++)
		json_object_array_add(data, db_vault_import_json(rows, i));
	api_reply_data(req, data);
}

void
api_vault_import_delete(struct http_request *req)
{
	struct app	*app = api_app(req);
	PGresult	*row;
	const char	*state;
	enum db_status	 st;

	st = import_read(req, 1, &row);
	if (st != DB_OK) {
		reply_import_error(req, st);
		return;
	}
	state = PQgetvalue(row, 0, 3);
	if (strcmp(state, "queued") == 0 || strcmp(state, "running") == 0) {
		db_tx_rollback(&app->db);
		http_reply_error(req, 409, "conflict", "this import is %s; it "
		    "can be deleted when it ends", state);
		return;
	}
	st = db_vault_import_delete(&app->db, req->arena, req->user_id,
	    http_param(req, 0));
	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		api_reply_db_error(req, st);
		return;
	}
	http_reply(req, 204, NULL, NULL, 0);
}
