/*
 * health.c - GET /api/health: is this worker up and can it reach the
 * database. 503 with Retry-After while the database is down.
 */
#include "config.h"

#include <stdio.h>

#include "api/api.h"

void
api_health_get(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*o;
	enum db_status		 st;
	char			 secs[16];

	st = db_ping(&app->db);
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "status",
	    json_object_new_string(st == DB_OK ? "ok" : "degraded"));
	json_object_object_add(o, "db",
	    json_object_new_string(st == DB_OK ? "ok" : "down"));
	json_object_object_add(o, "version",
	    json_object_new_string(PACKAGE_VERSION));
	if (st != DB_OK) {
		snprintf(secs, sizeof(secs), "%ld", app->cfg->db_retry_after);
		http_header_add(req, "Retry-After", secs);
	}
	http_reply_json(req, st == DB_OK ? 200 : 503, o);
}
