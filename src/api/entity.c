/*
 * entity.c - the handlers every entity shares, driven by the route's
 * entity description (route data): create and read for now. Each is
 * parse → validate → one transaction under the user → reply; the entity
 * files keep only their own rules.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

#define LIMIT_DEFAULT	50
#define LIMIT_MAX	100

static const struct model_entity *
entity(struct http_request *req)
{
	return req->route->data;
}

void
api_reply_entity(struct http_request *req, int status, struct json_object *e)
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

/* Append "<name>.<what>" with a payload, if m logs events. */
static enum db_status
event(struct http_request *req, const char *what, struct json_object *e,
    struct json_object *payload)
{
	const struct model_entity	*m = entity(req);
	struct json_object		*d = NULL;

	if ((m->flags & ME_EVENTS) == 0)
		return DB_OK;
	json_object_object_get_ex(e, "domainId", &d);
	return db_event_append(&api_app(req)->db, req->arena, req->user_id,
	    arena_printf(req->arena, "%s.%s", m->name, what),
	    d ? json_object_get_string(d) : NULL,
	    json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN),
	    NULL);
}

int
api_entity_commit_or_reply(struct http_request *req, struct json_object *body,
    enum db_status st)
{
	struct app	*app = api_app(req);

	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st == DB_OK)
		return 0;
	db_tx_rollback(&app->db);
	if (st == DB_NOTFOUND)
		http_reply_error(req, 404, "not_found", "no such %s",
		    entity(req)->name);
	else
		write_error(req, body, st);
	return -1;
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
		st = event(req, "created", e, e);
	if (api_entity_commit_or_reply(req, body, st) != 0)
		return;
	id = json_object_object_get(e, "id");
	http_header_add(req, "Location", arena_printf(req->arena, "%s/%s",
	    req->path, net_escape(req->arena, json_object_get_string(id))));
	api_reply_entity(req, 201, e);
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
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_entity(req, 200, e);
}

/*
 * The If-Match header: NULL when absent or "*" (*hash NULL: any), the
 * hash of a strong ETag; -1 after replying 400 to anything else.
 */
static int
if_match_or_reply(struct http_request *req, const char **hash)
{
	const char	*v = http_header_get(req, "If-Match");
	size_t		 n;

	*hash = NULL;
	if (v == NULL || strcmp(v, "*") == 0)
		return 0;
	n = strlen(v);
	if (n == 66 && v[0] == '"' && v[65] == '"' &&
	    strspn(v + 1, "0123456789abcdef") == 64) {
		*hash = arena_strndup(req->arena, v + 1, 64);
		return 0;
	}
	http_reply_error(req, 400, "invalid_header", "If-Match: must be an "
	    "ETag this server sent (\"<contentHash>\") or *");
	return -1;
}

void
api_entity_update(struct http_request *req)
{
	api_entity_update_then(req, NULL);
}

void
api_entity_update_then(struct http_request *req, api_after_fn after)
{
	struct app		*app = api_app(req);
	struct json_object	*body, *e = NULL, *o;
	struct model_error	 err;
	const char		*hash;
	enum db_status		 st;

	if (if_match_or_reply(req, &hash) != 0 ||
	    http_body_json_or_reply(req, &body) != 0)
		return;
	if (model_validate(entity(req), body, MODEL_UPDATE, &err) != 0) {
		http_reply_invalid(req, err.status, err.field, err.message);
		return;
	}
	st = db_tx_begin(&app->db, req->user_id);
	if (st == DB_OK)
		st = db_entity_update(&app->db, req->arena, entity(req),
		    req->user_id, http_param(req, 0), body, hash, &e);
	http_json_own(req, e);
	if (st == DB_STALE) {
		/* Changed since the client read it: here is what it is now. */
		db_tx_rollback(&app->db);
		o = http_json_own(req, http_error_new("precondition_failed",
		    "the entity changed since this ETag; here it is now"));
		json_object_object_add(o, "current", json_object_get(e));
		http_reply_json(req, 412, o);
		return;
	}
	if (st == DB_OK)
		st = event(req, "updated", e, body);
	if (st == DB_OK && after != NULL) {
		struct json_object *before = e;

		/* The arena owns e already; a new one it must own too. */
		st = after(req, body, &e);
		if (e != before)
			http_json_own(req, e);
	}
	if (api_entity_commit_or_reply(req, body, st) == 0)
		api_reply_entity(req, 200, e);
}

void
api_entity_delete(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*e = NULL;
	enum db_status		 st;

	st = db_tx_begin(&app->db, req->user_id);
	if (st == DB_OK)
		st = db_entity_delete(&app->db, req->arena, entity(req),
		    req->user_id, http_param(req, 0), &e);
	http_json_own(req, e);
	if (st == DB_OK)
		st = event(req, "deleted", e, e);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		http_reply(req, 204, NULL, "", 0);
}

/* ?limit= (1..100, default 50) and ?cursor=; -1 after replying 400. */
static int
page_or_reply(struct http_request *req, long *limit, const char **key,
    const char **id)
{
	const char	*l = http_query_get(req, "limit");
	const char	*c = http_query_get(req, "cursor");
	long long	 n = LIMIT_DEFAULT;

	*key = *id = NULL;
	if (l != NULL && str_to_ll(l, 1, LIMIT_MAX, &n) != 0) {
		http_reply_error(req, 400, "invalid_query", "limit: a whole "
		    "number from 1 to %d", LIMIT_MAX);
		return -1;
	}
	if (c != NULL && model_cursor_decode(req->arena, c, key, id) != 0) {
		http_reply_error(req, 400, "invalid_query", "cursor: not a "
		    "cursor from this list; start again without it");
		return -1;
	}
	*limit = (long)n;
	return 0;
}

void
api_entity_list(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*data = NULL, *o;
	const char		*key, *id, *last_key = NULL, *last_id = NULL;
	long			 limit;
	int			 more = 0;
	enum db_status		 st;

	if (page_or_reply(req, &limit, &key, &id) != 0)
		return;
	st = db_tx_begin(&app->db, req->user_id);
	if (st == DB_OK)
		st = db_entity_list(&app->db, req->arena, entity(req),
		    req->user_id, key, id, limit, &data, &more, &last_key,
		    &last_id);
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "data", data);
	if (api_entity_commit_or_reply(req, NULL, st) != 0)
		return;
	json_object_object_add(o, "nextCursor", more ?
	    json_object_new_string(model_cursor_encode(req->arena, last_key,
	    last_id)) : NULL);
	http_reply_json(req, 200, o);
}
