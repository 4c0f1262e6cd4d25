/*
 * entity.c - the handlers every entity shares, driven by the route's
 * entity description (route data): create and read for now. Each is
 * parse → validate → one transaction under the user → reply; the entity
 * files keep only their own rules.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

static const struct model_entity *
entity(struct http_request *req)
{
	return req->route->data;
}

/* 200/201 with the entity, its contentHash as a strong ETag. */
static void
reply_entity(struct http_request *req, int status, struct json_object *e)
{
	struct json_object	*h;

	if (json_object_object_get_ex(e, "contentHash", &h) && h != NULL)
		http_header_add(req, "ETag", arena_printf(req->arena,
		    "\"%s\"", json_object_get_string(h)));
	http_reply_json(req, status, e);
}

/* A failed write, said in the entity's terms. */
static void
write_error(struct http_request *req, struct json_object *body,
    enum db_status st)
{
	const struct model_entity	*m = entity(req);
	size_t				 i;

	if (st == DB_CONFLICT) {
		http_reply_error(req, 409, "conflict", "a %s with this id "
		    "already exists", m->name);
		return;
	}
	/* A reference that is not one of the user's: name the field. */
	for (i = 0; st == DB_FOREIGN && i < m->nfields; i++)
		if ((m->fields[i].flags & MF_REF) != 0 &&
		    json_object_object_get(body, m->fields[i].json) != NULL) {
			http_reply_invalid(req, 422, m->fields[i].json,
			    arena_printf(req->arena, "%s: no such %s of yours",
			    m->fields[i].json, m->name));
			return;
		}
	api_reply_db_error(req, st);
}

/* Append "<name>.<what>" with the entity as payload, if m logs events. */
static enum db_status
event(struct http_request *req, const char *what, struct json_object *e)
{
	const struct model_entity	*m = entity(req);
	struct json_object		*d = NULL;

	if ((m->flags & ME_EVENTS) == 0)
		return DB_OK;
	json_object_object_get_ex(e, "domainId", &d);
	return db_event_append(&api_app(req)->db, req->arena, req->user_id,
	    arena_printf(req->arena, "%s.%s", m->name, what),
	    d ? json_object_get_string(d) : NULL,
	    json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
}

void
api_entity_create(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*body, *e = NULL, *id;
	struct model_error	 err;
	enum db_status		 st;

	if (http_body_json_or_reply(req, &body) != 0)
		return;
	if (model_validate(entity(req), body, MODEL_CREATE, &err) != 0) {
		http_reply_invalid(req, err.status, err.field, err.message);
		return;
	}
	st = db_tx_begin(&app->db, req->user_id);
	if (st == DB_OK)
		st = db_entity_insert(&app->db, req->arena, entity(req),
		    req->user_id, body, &e);
	http_json_own(req, e);
	if (st == DB_OK)
		st = event(req, "created", e);
	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		write_error(req, body, st);
		return;
	}
	id = json_object_object_get(e, "id");
	http_header_add(req, "Location", arena_printf(req->arena, "%s/%s",
	    req->path, net_escape(req->arena, json_object_get_string(id))));
	reply_entity(req, 201, e);
}

void
api_entity_get(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*e = NULL;
	enum db_status		 st;

	st = db_tx_begin(&app->db, req->user_id);
	if (st == DB_OK)
		st = db_entity_get(&app->db, req->arena, entity(req),
		    req->user_id, http_param(req, 0), &e);
	http_json_own(req, e);
	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st == DB_NOTFOUND) {
		db_tx_rollback(&app->db);
		http_reply_error(req, 404, "not_found", "no such %s",
		    entity(req)->name);
		return;
	}
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		api_reply_db_error(req, st);
		return;
	}
	reply_entity(req, 200, e);
}
