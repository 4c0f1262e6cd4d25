/*
 * routes.c - the route tables. One row per method and path; handlers are
 * in api/. The debug table is served only with debug_routes = on.
 */
#include "config.h"

#include "api/api.h"
#include "http/routes.h"

const struct http_route http_routes[] = {
	{ "GET", "/api/health", api_health_get, HTTP_AUTH_NONE, 0 },
};
const size_t http_routes_count = sizeof(http_routes) / sizeof(http_routes[0]);

const struct http_route http_debug_routes[] = {
	{ "POST", "/api/_debug/echo", api_debug_echo, HTTP_AUTH_NONE, 0 },
	{ "GET", "/api/_debug/sleep", api_debug_sleep, HTTP_AUTH_NONE, 0 },
	{ "POST", "/api/_debug/crash", api_debug_crash, HTTP_AUTH_NONE, 0 },
};
const size_t http_debug_routes_count =
    sizeof(http_debug_routes) / sizeof(http_debug_routes[0]);
