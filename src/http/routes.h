/*
 * routes.h - the route tables (routes.c).
 */
#ifndef PASSION_ROUTES_H
#define PASSION_ROUTES_H

#include "http/http.h"

extern const struct http_route	http_routes[];
extern const size_t		http_routes_count;
/* Test-only routes under /api/_debug/, off unless debug_routes = on. */
extern const struct http_route	http_debug_routes[];
extern const size_t		http_debug_routes_count;

#endif
