/*
 * account.c - the user's settings (one row; the data model's defaults
 * until the first PATCH) and the account itself: what it holds, and its
 * deletion with everything in it.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

void
api_settings_get(struct http_request *req)
{
	api_read_reply(req, db_settings_get);
}

/* A time zone the database does not know: -1 after replying 422. */
static int
zone_or_reply(struct http_request *req, struct json_object *body)
{
	struct json_object	*sj, *z;
	enum db_status		 st;
	int			 known;

	if (!json_object_object_get_ex(body, "settingsJson", &sj) ||
	    !json_object_object_get_ex(sj, "timeZone", &z))
		return 0;
	st = db_zone_known(&api_app(req)->db, req->arena,
	    json_object_get_string(z), &known);
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return -1;
	}
	if (known)
		return 0;
	http_reply_invalid(req, 422, "settingsJson.timeZone", arena_printf(
	    req->arena, "settingsJson.timeZone: no time zone is called %s "
	    "(IANA names, such as Europe/Berlin)", json_object_get_string(z)));
	return -1;
}

void
api_settings_patch(struct http_request *req)
{
	api_write_reply(req, &model_settings, MODEL_UPDATE, zone_or_reply,
	    db_settings_patch);
}

void
api_me_get(struct http_request *req)
{
	api_read_reply(req, db_me_get);
}

void
api_me_delete(struct http_request *req)
{
	struct app	*app = api_app(req);
	enum db_status	 st;

	if (api_begin_or_reply(req) != 0)
		return;
	st = db_me_delete(&app->db, req->arena, req->user_id);
	if (api_entity_commit_or_reply(req, NULL, st) != 0)
		return;
	log_info("account deleted user=%s", req->user_id);
	api_session_cookie_clear(req);
	http_reply(req, 204, NULL, "", 0);
}
