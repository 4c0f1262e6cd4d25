/*
 * debug.c - routes that exist for the integration tests only (served when
 * debug_routes = on): a JSON echo to exercise body parsing and limits, and
 * a slow request to exercise draining and the request deadline, a slow
 * statement to exercise statement_timeout, and a crash to exercise
 * respawning and its back-off.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "api/api.h"

void
api_debug_echo(struct http_request *req)
{
	struct json_object	*body, *o;

	if (http_body_json_or_reply(req, &body) != 0)
		return;
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "echo", json_object_get(body));
	http_reply_json(req, 200, o);
}

void
api_debug_sleep(struct http_request *req)
{
	struct json_object	*o;
	struct timespec		 ts;
	const char		*v;
	long long		 ms = 0;

	v = http_query_get(req, "ms");
	if (v == NULL || str_to_ll(v, 0, 120000, &ms) != 0) {
		http_reply_error(req, 400, "invalid_field",
		    "ms: a whole number of milliseconds from 0 to 120000");
		return;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "sleptMs", json_object_new_int64(ms));
	http_reply_json(req, 200, o);
}

void
api_debug_db_sleep(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*o;
	const char		*v = http_query_get(req, "ms");
	long long		 ms = 0;
	enum db_status		 st;

	if (v == NULL || str_to_ll(v, 0, 120000, &ms) != 0) {
		http_reply_error(req, 400, "invalid_field",
		    "ms: a whole number of milliseconds from 0 to 120000");
		return;
	}
	st = db_debug_sleep(&app->db, req->arena, v);
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return;
	}
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "sleptMs", json_object_new_int64(ms));
	http_reply_json(req, 200, o);
}

void
api_debug_crash(struct http_request *req)
{
	(void)req;
	log_warn("crashing on request, as /api/_debug/crash asks");
	abort();
}
