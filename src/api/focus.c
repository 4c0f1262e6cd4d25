/*
 * focus.c - the focus timer's routes. Every read first abandons the
 * user's session that has run past twice its planned time.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

#define F	(&model_focus_sessions)

/* BEGIN, then end a stale session; -1 after replying. */
static int
begin_fresh_or_reply(struct http_request *req)
{
	struct app	*app = api_app(req);
	enum db_status	 st;

	if (api_begin_or_reply(req) != 0)
		return -1;
	st = db_focus_expire(&app->db, req->arena, req->user_id, NULL);
	if (st == DB_OK)
		return 0;
	db_tx_rollback(&app->db);
	api_reply_db_error(req, st);
	return -1;
}

void
api_focus_list(struct http_request *req)
{
	struct app	*app = api_app(req);
	struct db_list	 l;
	struct db_page	 pg;
	enum db_status	 st;

	if (api_list_params_or_reply(req, F, NULL, &l) != 0 ||
	    begin_fresh_or_reply(req) != 0)
		return;
	memset(&pg, 0, sizeof(pg));
	st = db_entity_list(&app->db, req->arena, F, req->user_id, &l, &pg);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_page(req, &pg);
}

void
api_focus_get(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*e = NULL;
	enum db_status		 st;

	if (begin_fresh_or_reply(req) != 0)
		return;
	st = db_entity_get(&app->db, req->arena, F, req->user_id,
	    http_param(req, 0), &e);
	http_json_own(req, e);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_entity(req, 200, e);
}

void
api_focus_active(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*e = NULL, *o;
	enum db_status		 st;

	if (begin_fresh_or_reply(req) != 0)
		return;
	st = db_focus_active(&app->db, req->arena, req->user_id, &e);
	if (st == DB_NOTFOUND)
		st = DB_OK;
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "session", e);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		http_reply_json(req, 200, o);
}

void
api_focus_start(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*body, *e = NULL, *active = NULL, *o;
	struct model_error	 err;
	enum db_status		 st;

	if (http_body_json_or_reply(req, &body) != 0)
		return;
	if (model_validate(F, body, MODEL_CREATE, &err) != 0) {
		http_reply_invalid(req, err.status, err.field, err.message);
		return;
	}
	if (begin_fresh_or_reply(req) != 0)
		return;
	st = db_focus_start(&app->db, req->arena, req->user_id, body, &e);
	http_json_own(req, e);
	if (st == DB_CONFLICT) {
		/* The database refused a second active session (or the id
		 * was taken): say which, with the active one. */
		db_tx_rollback(&app->db);
		st = api_tx_begin(req);
		if (st == DB_OK)
			st = db_focus_active(&app->db, req->arena,
			    req->user_id, &active);
		http_json_own(req, active);
		if (st == DB_NOTFOUND) {
			db_tx_rollback(&app->db);
			http_reply_error(req, 409, "conflict", "a focus session "
			    "with this id already exists");
			return;
		}
		if (api_entity_commit_or_reply(req, NULL, st) != 0)
			return;
		o = http_json_own(req, http_error_new("focus_active",
		    "a focus session is running; complete or abandon it "
		    "first"));
		json_object_object_add(o, "active", json_object_get(active));
		http_reply_json(req, 409, o);
		return;
	}
	if (api_entity_commit_or_reply(req, body, st) != 0)
		return;
	http_header_add(req, "Location", arena_printf(req->arena, "%s/%s",
	    req->path, net_escape(req->arena, json_object_get_string(
	    json_object_object_get(e, "id")))));
	api_reply_entity(req, 201, e);
}

/* End the session as status; one that ended otherwise → 409. */
static void
finish(struct http_request *req, const char *status)
{
	struct app		*app = api_app(req);
	struct json_object	*e = NULL, *o;
	enum db_status		 st;
	int			 changed;

	if (begin_fresh_or_reply(req) != 0)
		return;
	st = db_focus_finish(&app->db, req->arena, req->user_id,
	    http_param(req, 0), status, &e, &changed);
	http_json_own(req, e);
	if (api_entity_commit_or_reply(req, NULL, st) != 0)
		return;
	/* Asking twice is harmless; asking the other end is a conflict. */
	if (!changed && strcmp(json_object_get_string(json_object_object_get(
	    e, "status")), status) != 0) {
		o = http_json_own(req, http_error_new("conflict", "this focus "
		    "session has ended already"));
		json_object_object_add(o, "current", json_object_get(e));
		http_reply_json(req, 409, o);
		return;
	}
	api_reply_entity(req, 200, e);
}

void
api_focus_complete(struct http_request *req)
{
	finish(req, "completed");
}

void
api_focus_abandon(struct http_request *req)
{
	finish(req, "abandoned");
}

void
api_focus_stats(struct http_request *req)
{
	static const char *const params[] = { "period", NULL };
	struct app		*app = api_app(req);
	struct json_object	*o = NULL;
	const char		*period = http_query_get(req, "period");
	enum db_status		 st;

	if (api_only_params_or_reply(req, params) != 0)
		return;
	if (period == NULL)
		period = "day";
	if (strcmp(period, "day") != 0 && strcmp(period, "week") != 0 &&
	    strcmp(period, "month") != 0) {
		http_reply_error(req, 400, "invalid_query", "period: day, week "
		    "or month");
		return;
	}
	if (begin_fresh_or_reply(req) != 0)
		return;
	st = db_focus_stats(&app->db, req->arena, req->user_id, period, &o);
	http_json_own(req, o);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		http_reply_json(req, 200, o);
}
