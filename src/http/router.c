/*
 * router.c - match a request against the static route table and run the
 * handler. Patterns are literal segments and {name} placeholders that
 * match one non-empty segment ({uuid}: one that is a UUID, so that
 * /api/blobs/upload is no blob's and answers 404, not 405); the first
 * matching route wins. HEAD is
 * answered wherever GET is, by the GET handler (the reply side sends the
 * headers without the body), unless a route names HEAD itself.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "http/http.h"

static int	match_pattern(const char *pattern, const char *path,
		    struct http_request *req);

static int
match_pattern(const char *pattern, const char *path, struct http_request *req)
{
	const char	*p = pattern, *s = path, *end;
	char		*v;
	size_t		 np = 0;

	while (*p != '\0') {
		if (*p == '{') {
			end = strchr(s, '/');
			if (end == NULL)
				end = s + strlen(s);
			if (end == s || np >= HTTP_MAX_PARAMS)
				return 0;
			/* A param is decoded; "%2F" or a bad escape is no match. */
			v = arena_strndup(req->arena, s, (size_t)(end - s));
			if (str_percent_decode(v, 0) != 0 ||
			    strchr(v, '/') != NULL ||
			    (strncmp(p, "{uuid}", 6) == 0 && !str_is_uuid(v)))
				return 0;
			req->params[np] = v;
			np++;
			s = end;
			p = strchr(p, '}');
			if (p == NULL)
				return 0;
			p++;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	if (*s != '\0')
		return 0;
	req->nparams = np;
	return 1;
}

/* A route for GET also answers HEAD. */
static int
method_matches(const char *route, const char *method)
{
	return strcmp(route, method) == 0 ||
	    (strcmp(method, "HEAD") == 0 && strcmp(route, "GET") == 0);
}

/* Append method to the Allow list once (the list is ", "-separated). */
static void
allow_add(char *allow, size_t allowlen, size_t *used, const char *method)
{
	const char	*p;
	size_t		 n = strlen(method);
	int		 w;

	for (p = strstr(allow, method); p != NULL; p = strstr(p + 1, method))
		if ((p == allow || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ','))
			return;
	if (allowlen == 0)
		return;
	w = snprintf(allow + *used, allowlen - *used, "%s%s",
	    *used ? ", " : "", method);
	if (w > 0 && (size_t)w < allowlen - *used)
		*used += (size_t)w;
}

enum http_route_result
http_route_match(const struct http_route *table, size_t n,
    struct http_request *req, const struct http_route **out, char *allow,
    size_t allowlen)
{
	size_t	 i, used = 0;
	int	 path_known = 0;

	if (allowlen > 0)
		allow[0] = '\0';
	if (strlen(req->path) > HTTP_MAX_PATH)
		return HTTP_ROUTE_NOT_FOUND;
	for (i = 0; i < n; i++) {
		if (!match_pattern(table[i].pattern, req->path, req))
			continue;
		if (method_matches(table[i].method, req->method)) {
			*out = &table[i];
			return HTTP_ROUTE_OK;
		}
		path_known = 1;
		/* Allow: every method this path answers, once each. */
		allow_add(allow, allowlen, &used, table[i].method);
		if (strcmp(table[i].method, "GET") == 0)
			allow_add(allow, allowlen, &used, "HEAD");
	}
	return path_known ? HTTP_ROUTE_BAD_METHOD : HTTP_ROUTE_NOT_FOUND;
}

void
http_dispatch(struct http_request *req, const struct http_route *table,
    size_t n, size_t default_limit, auth_fn auth)
{
	const struct http_route	*route = NULL;
	char			 allow[128];

	switch (http_route_match(table, n, req, &route, allow, sizeof(allow))) {
	case HTTP_ROUTE_NOT_FOUND:
		http_reply_error(req, 404, "not_found", "no such resource: %s",
		    req->path);
		return;
	case HTTP_ROUTE_BAD_METHOD:
		http_header_add(req, "Allow", allow);
		http_reply_error(req, 405, "method_not_allowed",
		    "%s is not allowed here; allowed: %s", req->method, allow);
		return;
	case HTTP_ROUTE_OK:
		break;
	}
	req->route = route;
	if (req->on_route != NULL)
		req->on_route(req);
	req->body_limit = route->body_limit ? route->body_limit : default_limit;
	if (req->content_length > 0 &&
	    (unsigned long long)req->content_length > req->body_limit) {
		http_reply_error(req, 413, "payload_too_large",
		    "request body is %lld bytes; the limit here is %zu",
		    req->content_length, req->body_limit);
		return;
	}
	if (route->auth == HTTP_AUTH_USER && (auth == NULL || auth(req) != 0)) {
		if (req->status == 0)
			http_reply_error(req, 401, "unauthenticated",
			    "sign in first");
		return;
	}
	if ((route->flags & HTTP_ROUTE_NO_BODY) != 0 &&
	    http_body_none_or_reply(req) != 0)
		return;
	/* A key where a retry would write twice: not safe, so not taken. */
	if ((route->flags & HTTP_ROUTE_KEYED) == 0 &&
	    strcmp(req->method, "POST") == 0 &&
	    http_header_get(req, "Idempotency-Key") != NULL) {
		http_reply_error(req, 400, "idempotency_key_unsupported",
		    "Idempotency-Key: %s takes none (docs/api.md, \"Retries\")",
		    route->pattern);
		return;
	}
	route->handler(req);
	if (req->status == 0)
		http_reply_error(req, 500, "internal",
		    "the handler sent no response");
}
