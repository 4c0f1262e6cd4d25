/*
 * quests.c - the quest routes that are not plain entity routes:
 * POST /api/quests/{id}/complete, and PATCH, where status "completed"
 * takes the same path (XP once).
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

/* After a PATCH that asked for status "completed": complete it. */
static enum db_status
complete_if_asked(struct http_request *req, struct json_object *body,
    struct json_object **e)
{
	struct json_object	*v;
	int			 awarded;

	if (!json_object_object_get_ex(body, "status", &v) || v == NULL ||
	    strcmp(json_object_get_string(v), "completed") != 0)
		return DB_OK;
	return db_quest_complete(&api_app(req)->db, req->arena, req->user_id,
	    http_param(req, 0), e, &awarded);
}

void
api_quest_update(struct http_request *req)
{
	api_entity_update_then(req, complete_if_asked);
}

void
api_quest_complete(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*q = NULL;
	enum db_status		 st;
	int			 awarded = 0;

	st = api_tx_begin(req);
	if (st == DB_OK)
		st = db_quest_complete(&app->db, req->arena, req->user_id,
		    http_param(req, 0), &q, &awarded);
	http_json_own(req, q);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_entity(req, 200, q);
}
