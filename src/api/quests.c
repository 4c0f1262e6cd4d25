/*
 * quests.c - the quest routes that are not plain entity routes:
 * POST /api/quests/{id}/complete.
 */
#include "config.h"

#include "api/api.h"

void
api_quest_complete(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*q = NULL;
	enum db_status		 st;
	int			 awarded = 0;

	st = db_tx_begin(&app->db, req->user_id);
	if (st == DB_OK)
		st = db_quest_complete(&app->db, req->arena, req->user_id,
		    http_param(req, 0), &q, &awarded);
	http_json_own(req, q);
	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		if (st == DB_NOTFOUND)
			http_reply_error(req, 404, "not_found",
			    "no such quest");
		else
			api_reply_db_error(req, st);
		return;
	}
	api_reply_entity(req, 200, q);
}
