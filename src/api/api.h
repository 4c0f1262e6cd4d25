/*
 * api.h - the glue between http/ and db/: the worker's application
 * context, the request entry point and one thin handler per route.
 */
#ifndef PASSION_API_H
#define PASSION_API_H

#include "auth/auth.h"
#include "auth/oidc.h"
#include "conf/conf.h"
#include "db/db.h"
#include "http/http.h"
#include "net/net.h"

/* What one worker keeps for its whole life. */
struct app {
	const struct config	*cfg;
	struct db		 db;
	struct net		 net;
	struct auth_keys	 keys;
	struct oidc		 oidc;
	int			 secure;	/* public_origin is https */
	/* The session of the request being served (NULL: none). */
	const struct db_session	*session;
};

/* Prepare the worker's context (the connection opens on first use). */
void	 api_app_init(struct app *app, const struct config *cfg);
/* Close the connection and free the context. */
void	 api_app_cleanup(struct app *app);
/* Route req through the table and answer it; always replies. */
void	 api_handle(struct app *app, struct http_request *req);
/* The worker's context of a request. */
struct app *api_app(struct http_request *req);
/* Answer a failed database call: 503 + Retry-After, 404, 409 or 500. */
void	 api_reply_db_error(struct http_request *req, enum db_status st);

/* The auth hook for protected routes: session cookie -> req->user_id. */
int	 api_session_auth(struct http_request *req);
/* Start a session for user_id, set its cookie and 302 to callback. */
void	 api_session_start(struct http_request *req, const char *user_id,
	    const char *callback);
/* "Set-Cookie" for name=value (Max-Age seconds; 0 clears it). */
void	 api_cookie_set(struct http_request *req, const char *name,
	    const char *value, long max_age);
/*
 * The cookie name: "__Host-passion.<base>" over https, else
 * "passion.<base>".
 */
const char *api_cookie_name(struct http_request *req, const char *base);
/*
 * A sign-in failure: logged with reason, then 302 to auth_error_url with
 * ?error=code, or a JSON error for clients that ask for JSON.
 */
void	 api_signin_fail(struct http_request *req, const char *code,
	    const char *reason);

/* GET /api/auth/session */
void	 api_auth_session_get(struct http_request *req);
/* POST /api/auth/signout */
void	 api_auth_signout(struct http_request *req);
/* GET /api/auth/sessions */
void	 api_auth_sessions_list(struct http_request *req);
/* DELETE /api/auth/sessions/{id} */
void	 api_auth_sessions_delete(struct http_request *req);
/* DELETE /api/auth/sessions (all but the current one) */
void	 api_auth_sessions_delete_others(struct http_request *req);
/* GET /api/auth/providers */
void	 api_auth_providers(struct http_request *req);
/* GET /api/auth/signin/{provider} */
void	 api_auth_signin(struct http_request *req);
/* GET /api/auth/callback/{provider} */
void	 api_auth_callback(struct http_request *req);
/* POST /api/auth/email */
void	 api_auth_email(struct http_request *req);
/* GET /api/auth/callback/email */
void	 api_auth_email_callback(struct http_request *req);

/* --- entity.c: any entity, the route's data naming it --- */

/*
 * End the request's transaction: commit when st is DB_OK, else roll back
 * and answer st in the route entity's terms (404 "no such quest", 409,
 * 422 naming a reference in body, …). 0 when committed.
 */
int	 api_entity_commit_or_reply(struct http_request *req,
	    struct json_object *body, enum db_status st);
/* status with the entity, its contentHash as a strong ETag. */
void	 api_reply_entity(struct http_request *req, int status,
	    struct json_object *e);
/* POST collection: 201 + Location + ETag; 409 id taken; 422 invalid. */
void	 api_entity_create(struct http_request *req);
/* GET item: 200 + ETag, or 404 (also for another user's id). */
void	 api_entity_get(struct http_request *req);
/* PATCH item: fields present; If-Match → 412 with the current entity. */
void	 api_entity_update(struct http_request *req);
/*
 * An entity's own rule after an update, in its transaction: body as
 * sent, *e the updated entity (may be replaced by a new one).
 */
typedef enum db_status (*api_after_fn)(struct http_request *req,
	    struct json_object *body, struct json_object **e);
/* PATCH item, then after (NULL: nothing) in the same transaction. */
void	 api_entity_update_then(struct http_request *req, api_after_fn after);
/* DELETE item: 204, or 404. */
void	 api_entity_delete(struct http_request *req);
/* GET collection: {"data":[…],"nextCursor"}, ?limit= and ?cursor=. */
void	 api_entity_list(struct http_request *req);

/*
 * POST /api/quests/{id}/complete: 200 with the quest, completed once;
 * the XP is awarded on the first completion only.
 */
void	 api_quest_complete(struct http_request *req);
/* PATCH /api/quests/{id}: status "completed" completes as above. */
void	 api_quest_update(struct http_request *req);

/* GET /api/health */
void	 api_health_get(struct http_request *req);
/* POST /api/_debug/echo (debug_routes only): parse and echo a JSON body. */
void	 api_debug_echo(struct http_request *req);
/* GET /api/_debug/sleep?ms=N (debug_routes only): a slow request. */
void	 api_debug_sleep(struct http_request *req);
/* GET /api/_debug/db-sleep?ms=N (debug_routes only): a slow statement. */
void	 api_debug_db_sleep(struct http_request *req);
/* POST /api/_debug/crash (debug_routes only): the worker aborts. */
void	 api_debug_crash(struct http_request *req);

#endif
