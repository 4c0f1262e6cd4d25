/*
 * routes.c - the route tables. One row per method and path; handlers are
 * in api/. The debug table is served only with debug_routes = on.
 */
#include "config.h"

#include "api/api.h"
#include "http/routes.h"
#include "model/model.h"

const struct http_route http_routes[] = {
	/* The domain API: handlers shared by every entity (api/entity.c). */
	{ "GET", "/api/quests", api_entity_list, HTTP_AUTH_USER, 0,
	    &model_quests },
	{ "POST", "/api/quests", api_entity_create, HTTP_AUTH_USER, 0,
	    &model_quests },
	{ "GET", "/api/quests/{id}", api_entity_get, HTTP_AUTH_USER, 0,
	    &model_quests },
	{ "PATCH", "/api/quests/{id}", api_quest_update, HTTP_AUTH_USER, 0,
	    &model_quests },
	{ "DELETE", "/api/quests/{id}", api_entity_delete, HTTP_AUTH_USER, 0,
	    &model_quests },
	{ "POST", "/api/quests/{id}/complete", api_quest_complete,
	    HTTP_AUTH_USER, 4096, &model_quests },
	{ "GET", "/api/health", api_health_get, HTTP_AUTH_NONE, 0, NULL },
	{ "GET", "/api/auth/providers", api_auth_providers, HTTP_AUTH_NONE, 0, NULL },
	{ "GET", "/api/auth/signin/{provider}", api_auth_signin,
	    HTTP_AUTH_NONE, 0, NULL },
	/* Before {provider}: the first match wins. */
	{ "GET", "/api/auth/callback/email", api_auth_email_callback,
	    HTTP_AUTH_NONE, 0, NULL },
	{ "GET", "/api/auth/callback/{provider}", api_auth_callback,
	    HTTP_AUTH_NONE, 0, NULL },
	{ "POST", "/api/auth/email", api_auth_email, HTTP_AUTH_NONE, 4096, NULL },
	{ "GET", "/api/auth/session", api_auth_session_get, HTTP_AUTH_USER, 0, NULL },
	{ "POST", "/api/auth/signout", api_auth_signout, HTTP_AUTH_NONE, 4096, NULL },
	{ "GET", "/api/auth/sessions", api_auth_sessions_list, HTTP_AUTH_USER,
	    0, NULL },
	{ "DELETE", "/api/auth/sessions", api_auth_sessions_delete_others,
	    HTTP_AUTH_USER, 0, NULL },
	{ "DELETE", "/api/auth/sessions/{id}", api_auth_sessions_delete,
	    HTTP_AUTH_USER, 0, NULL },
};
const size_t http_routes_count = sizeof(http_routes) / sizeof(http_routes[0]);

const struct http_route http_debug_routes[] = {
	{ "POST", "/api/_debug/echo", api_debug_echo, HTTP_AUTH_NONE, 0, NULL },
	{ "GET", "/api/_debug/sleep", api_debug_sleep, HTTP_AUTH_NONE, 0, NULL },
	{ "GET", "/api/_debug/db-sleep", api_debug_db_sleep, HTTP_AUTH_NONE, 0, NULL },
	{ "POST", "/api/_debug/crash", api_debug_crash, HTTP_AUTH_NONE, 0, NULL },
};
const size_t http_debug_routes_count =
    sizeof(http_debug_routes) / sizeof(http_debug_routes[0]);
