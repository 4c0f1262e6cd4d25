/*
 * app.c - the worker's application context and the request entry point:
 * refuse cross-site requests, choose the table and dispatch.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define DEBUG_PREFIX	"/api/_debug/"

void
api_app_init(struct app *app, const struct config *cfg)
{
	struct db_limits	 lim = { cfg->db_connect_timeout,
	    cfg->db_statement_timeout * 1000, cfg->db_lock_timeout * 1000,
	    "passiond" };

	memset(app, 0, sizeof(*app));
	app->cfg = cfg;
	db_init(&app->db, cfg->database_url, cfg->database_password, &lim);
	net_init(&app->net, cfg->outbound_connect_timeout,
	    cfg->outbound_timeout);
	storage_init(&app->store, cfg);
	if (*cfg->secret_key != '\0' &&
	    auth_keys_derive(&app->keys, cfg->secret_key) != 0)
		log_error("secret_key: cannot derive keys; sign-in is off");
	app->secure = strncmp(cfg->public_origin, "https://", 8) == 0;
}

void
api_app_cleanup(struct app *app)
{
	oidc_cleanup(&app->oidc);
	net_cleanup(&app->net);
	explicit_bzero(&app->keys, sizeof(app->keys));
	db_cleanup(&app->db);
}

void
api_handle(struct app *app, struct http_request *req)
{
	req->app = app;
	/* Cross-site unsafe requests with cookies stop here (csrf.c). */
	if (!auth_csrf_ok(req->method, http_header_get(req, "Sec-Fetch-Site"),
	    http_header_get(req, "Origin"), http_header_get(req, "Cookie"),
	    app->cfg->public_origin)) {
		log_msg(LOG_WARN, NULL, "cross-site %s %s refused", req->method,
		    req->path);
		http_reply_error(req, 403, "cross_site_request",
		    "cross-site requests are refused; send Origin or "
		    "Sec-Fetch-Site from this site");
		return;
	}
	if (app->cfg->debug_routes &&
	    strncmp(req->path, DEBUG_PREFIX, strlen(DEBUG_PREFIX)) == 0)
		http_dispatch(req, api_debug_routes, api_debug_routes_count,
		    (size_t)app->cfg->max_body, api_session_auth);
	else
		http_dispatch(req, api_routes, api_routes_count,
		    (size_t)app->cfg->max_body, api_session_auth);
	/* A handler that left a transaction open loses it. */
	db_tx_rollback(&app->db);
	/* Released as the answer began (session.c); this is the backstop. */
	share_release(&app->share);
}
