/*
 * api.h - the glue between http/ and db/: the worker's application
 * context, the request entry point and one thin handler per route.
 */
#ifndef PASSION_API_H
#define PASSION_API_H

#include "conf/conf.h"
#include "db/db.h"
#include "http/http.h"

/* What one worker keeps for its whole life. */
struct app {
	const struct config	*cfg;
	struct db		 db;
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

/* GET /api/health */
void	 api_health_get(struct http_request *req);
/* POST /api/_debug/echo (debug_routes only): parse and echo a JSON body. */
void	 api_debug_echo(struct http_request *req);
/* GET /api/_debug/sleep?ms=N (debug_routes only): a slow request. */
void	 api_debug_sleep(struct http_request *req);
/* POST /api/_debug/crash (debug_routes only): the worker aborts. */
void	 api_debug_crash(struct http_request *req);

#endif
