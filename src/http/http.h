/*
 * http.h - requests, responses and routing over an abstract byte stream.
 * The FastCGI binding lives in server/fcgi.c; this room knows nothing of
 * libfcgi or the database. Every error reply has the one JSON shape
 * {"error":{"code":"…","message":"…"}}.
 */
#ifndef PASSION_HTTP_H
#define PASSION_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "util/util.h"

#define HTTP_MAX_PARAMS		4
#define HTTP_MAX_PATH		2048

struct http_request;

/* The transport beneath a request (FastCGI streams, or memory in tests). */
struct http_io {
	/* Up to n bytes of body; 0 at its end, -1 on error. */
	ssize_t		(*read)(void *ctx, char *buf, size_t n);
	/* All n bytes of output, or -1. */
	int		(*write)(void *ctx, const char *buf, size_t n);
	void		*ctx;
};

typedef void	(*handler_fn)(struct http_request *req);
/* Sets req->user_id from the request's credentials; -1 when there are none. */
typedef int	(*auth_fn)(struct http_request *req);

enum http_auth { HTTP_AUTH_NONE, HTTP_AUTH_USER };

/* An action: it takes no body, or an empty JSON object (else 415/422). */
#define HTTP_ROUTE_NO_BODY	0x01
/* Costly: one user may run so many at once (the auth function says). */
#define HTTP_ROUTE_COSTLY	0x02
/* A create that takes an Idempotency-Key: a POST without it refuses one. */
#define HTTP_ROUTE_KEYED	0x04

struct http_route {
	const char	*method;
	/* "/api/quests/{id}"; a {uuid} matches a UUID only. */
	const char	*pattern;
	handler_fn	 handler;
	enum http_auth	 auth;
	size_t		 body_limit;	/* 0: the server's max_body */
	const void	*data;		/* the handler's (api/: an entity) */
	unsigned	 flags;		/* HTTP_ROUTE_* */
};

struct http_header {
	struct http_header	*next;
	const char		*name;
	const char		*value;
};

struct http_request {
	struct arena		*arena;
	char			**envp;		/* FastCGI params */
	const struct http_io	*io;
	void			*app;		/* api's per-worker context */

	const char		*method;
	const char		*path;		/* raw, without the query */
	const char		*query;		/* raw, "" when none */
	const char		*request_id;
	long long		 content_length;	/* -1: none given */
	size_t			 body_limit;	/* set by http_dispatch */
	const char		*body;
	size_t			 body_len;
	int			 body_read;

	const struct http_route	*route;
	/* Called once the route is known (the server's, for its status). */
	void			(*on_route)(struct http_request *req);
	const char		*params[HTTP_MAX_PARAMS];
	size_t			 nparams;
	const char		*user_id;	/* set by auth, for the log */

	/*
	 * Called once just before the reply of status is written (may add
	 * headers).
	 */
	void			(*on_reply)(struct http_request *req, int status);
	void			*local;		/* the application's, for this
						 * request only (api: its session) */
	int			 status;	/* 0 until replied */
	size_t			 bytes_out;
	struct http_header	*headers_out;
	int64_t			 start_ms;
};

/* Route lookup results. */
enum http_route_result { HTTP_ROUTE_OK, HTTP_ROUTE_NOT_FOUND,
	HTTP_ROUTE_BAD_METHOD };

/* Value of a FastCGI param in envp ("NAME=value"), or NULL. */
const char	*http_env_get(char **envp, const char *name);
/* Fill req from envp; every string is copied into a. */
void		 http_request_init(struct http_request *req, struct arena *a,
		    char **envp, const struct http_io *io);
/* A request header by its HTTP name ("X-Request-Id"), or NULL. */
const char	*http_header_get(struct http_request *req, const char *name);
/* The names of the query's parameters, decoded, in order: how many. */
int		 http_query_names(struct http_request *req, const char ***out);
/* First query parameter called name, percent-decoded, or NULL. */
const char	*http_query_get(struct http_request *req, const char *name);
/* Cookie called name from the Cookie header, or NULL. */
const char	*http_cookie_get(struct http_request *req, const char *name);
/* Route param i (decoded), in pattern order. */
const char	*http_param(struct http_request *req, size_t i);

/*
 * Find the route for method and path in table[n]. On HTTP_ROUTE_OK sets
 * *out and fills req params; on HTTP_ROUTE_BAD_METHOD writes the allowed
 * methods ("GET, POST") to allow.
 */
enum http_route_result http_route_match(const struct http_route *table,
		    size_t n, struct http_request *req,
		    const struct http_route **out, char *allow, size_t allowlen);
/*
 * Route, check auth and body size, and run the handler; replies with the
 * JSON error itself for 404, 405, 401, 413. default_limit applies where
 * the route's body_limit is 0; auth may be NULL (then auth routes are 401).
 */
void		 http_dispatch(struct http_request *req,
		    const struct http_route *table, size_t n,
		    size_t default_limit, auth_fn auth);

/* Read the whole body (at most limit bytes); replies 413/400 itself. */
int		 http_body_read_or_reply(struct http_request *req,
		    size_t limit);
/*
 * The body as a JSON object: 415 unless Content-Type is JSON, 400 for
 * invalid UTF-8 or malformed JSON (naming the problem and its offset),
 * 400 when the top level is not an object. The object is owned by the
 * request's arena.
 */
/*
 * An action's body: none, or an empty JSON object; 0, or -1 replied
 * (415 not JSON, 400 malformed, 422 naming a field it does not take).
 */
int		 http_body_none_or_reply(struct http_request *req);
int		 http_body_json_or_reply(struct http_request *req,
		    struct json_object **out);

/* Where and why a body is not JSON we take (json.c). */
struct http_json_error {
	size_t		 offset;	/* byte offset of the problem */
	const char	*reason;	/* "integer out of range …" */
	char		 key[64];	/* the member it is in, "" at the top */
};
/*
 * The lexical rules of RFC 8259 that json-c does not enforce: no single
 * quotes, control characters, bare words but true/false/null, numbers in
 * RFC form that fit (integers in 64 bits, others finite doubles), no
 * lone surrogate escapes and no \u0000. 0, or -1 with e filled.
 */
int		 http_json_check(const char *s, size_t n,
		    struct http_json_error *e);

/* Add a response header (copied into the arena). */
void		 http_header_add(struct http_request *req, const char *name,
		    const char *value);
/* Send a response; a second reply on the same request is ignored. */
void		 http_reply(struct http_request *req, int status,
		    const char *content_type, const char *body, size_t len);
/* Send obj as application/json. obj is not released. */
void		 http_reply_json(struct http_request *req, int status,
		    struct json_object *obj);
/* Send {"error":{"code":code,"message":…}}. */
void		 http_reply_error(struct http_request *req, int status,
		    const char *code, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
/*
 * A validation failure: {"error":{"code":"invalid","message":…,"field":
 * field}} with status (422, or 413 for a value too large); field is the
 * JSON path of the member at fault ("dueDate", "tags[1]").
 */
void		 http_reply_invalid(struct http_request *req, int status,
		    const char *field, const char *message);
/* The reason phrase for status ("Not Found"). */
const char	*http_status_text(int status);
/* Build the error object (for callers that add fields before replying). */
struct json_object *http_error_new(const char *code, const char *message);
/* Register obj on the request's arena: json_object_put at reset. */
struct json_object *http_json_own(struct http_request *req,
		    struct json_object *obj);
/* One logfmt access-log line for a finished request. */
void		 http_log_access(struct http_request *req);

#endif
