/*
 * request.c - the request side: FastCGI params, headers, query string,
 * cookies and the bounded body. Nothing here replies except the body
 * readers (…_or_reply), which answer 400/413/415 themselves.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

const char *
http_env_get(char **envp, const char *name)
{
	size_t	 n = strlen(name);

	if (envp == NULL)
		return NULL;
	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* A client's X-Request-Id goes back out as a header: printable only. */
static const char *
request_id(struct arena *a, const char *v)
{
	size_t	 i, n = strnlen(v, 64);

	if (n == 0)
		return "-";
	for (i = 0; i < n; i++)
		if (v[i] <= ' ' || v[i] > '~')
			return "-";
	return arena_strndup(a, v, n);
}

void
http_request_init(struct http_request *req, struct arena *a, char **envp,
    const struct http_io *io)
{
	const char	*uri, *q, *v;
	long long	 len;

	memset(req, 0, sizeof(*req));
	req->arena = a;
	req->envp = envp;
	req->io = io;
	req->start_ms = time_mono_ms();
	v = http_env_get(envp, "REQUEST_METHOD");
	req->method = arena_strdup(a, v ? v : "GET");
	/* REQUEST_URI is the raw target: route on it, decode params only. */
	uri = http_env_get(envp, "REQUEST_URI");
	if (uri == NULL)
		uri = "/";
	q = strchr(uri, '?');
	if (q != NULL) {
		req->path = arena_strndup(a, uri, (size_t)(q - uri));
		req->query = arena_strdup(a, q + 1);
	} else {
		req->path = arena_strdup(a, uri);
		req->query = "";
	}
	v = http_env_get(envp, "HTTP_X_REQUEST_ID");
	req->request_id = v ? request_id(a, v) : "-";
	v = http_env_get(envp, "CONTENT_LENGTH");
	req->content_length = -1;
	if (v != NULL && *v != '\0' &&
	    str_to_ll(v, 0, (long long)1 << 62, &len) == 0)
		req->content_length = len;
}

const char *
http_header_get(struct http_request *req, const char *name)
{
	char	 env[128];
	size_t	 i, o = 0;

	/* CGI names two headers without the HTTP_ prefix. */
	if (strcasecmp(name, "Content-Type") == 0)
		return http_env_get(req->envp, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return http_env_get(req->envp, "CONTENT_LENGTH");
	if (strlen(name) + 6 >= sizeof(env))
		return NULL;
	memcpy(env, "HTTP_", 5);
	o = 5;
	for (i = 0; name[i] != '\0'; i++)
		env[o++] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	env[o] = '\0';
	return http_env_get(req->envp, env);
}

const char *
http_query_get(struct http_request *req, const char *name)
{
	const char	*p = req->query, *amp, *eq;
	size_t		 n = strlen(name), klen;
	char		*key, *val;

	while (*p != '\0') {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = (size_t)((eq ? eq : amp) - p);
		key = arena_strndup(req->arena, p, klen);
		if (str_percent_decode(key, 1) == 0 && strlen(key) == n &&
		    memcmp(key, name, n) == 0) {
			val = eq ? arena_strndup(req->arena, eq + 1,
			    (size_t)(amp - eq - 1)) : arena_strdup(req->arena, "");
			if (str_percent_decode(val, 1) != 0)
				return NULL;
			return val;
		}
		p = *amp ? amp + 1 : amp;
	}
	return NULL;
}

int
http_query_names(struct http_request *req, const char ***out)
{
	const char	*p = req->query, *amp, *eq;
	const char	**names;
	char		*key;
	int		 n = 0, max = 1;

	for (amp = p; *amp != '\0'; amp++)
		max += *amp == '&';
	names = arena_calloc(req->arena, sizeof(*names) * (size_t)max);
	while (*p != '\0') {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		key = arena_strndup(req->arena, p, (size_t)((eq ? eq : amp) -
		    p));
		/* An empty pair ("a=1&&b=2") names nothing. */
		if (*key != '\0' || eq != NULL) {
			if (str_percent_decode(key, 1) != 0)
				key = arena_strdup(req->arena, "(not valid "
				    "percent-encoding)");
			names[n++] = key;
		}
		p = *amp ? amp + 1 : amp;
	}
	*out = names;
	return n;
}

const char *
http_cookie_get(struct http_request *req, const char *name)
{
	const char	*h, *p, *semi, *eq, *start;
	size_t		 n = strlen(name), vlen;

	h = http_header_get(req, "Cookie");
	if (h == NULL)
		return NULL;
	p = h;
	while (*p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		semi = strchr(p, ';');
		if (semi == NULL)
			semi = p + strlen(p);
		eq = memchr(p, '=', (size_t)(semi - p));
		if (eq != NULL && (size_t)(eq - p) == n &&
		    memcmp(p, name, n) == 0) {
			start = eq + 1;
			vlen = (size_t)(semi - start);
			while (vlen > 0 && start[vlen - 1] == ' ')
				vlen--;
			/* RFC 6265 allows the value in double quotes. */
			if (vlen >= 2 && start[0] == '"' &&
			    start[vlen - 1] == '"') {
				start++;
				vlen -= 2;
			}
			return arena_strndup(req->arena, start, vlen);
		}
		p = semi;
	}
	return NULL;
}

const char *
http_param(struct http_request *req, size_t i)
{
	return i < req->nparams ? req->params[i] : NULL;
}

int
http_body_read_or_reply(struct http_request *req, size_t limit)
{
	char	*body;
	size_t	 got = 0;
	ssize_t	 n;

	if (req->body_read)
		return 0;
	if (req->content_length < 0) {
		req->body = "";
		req->body_len = 0;
		req->body_read = 1;
		return 0;
	}
	/* Refuse before reading: the declared length is enough to know. */
	if ((unsigned long long)req->content_length > limit) {
		http_reply_error(req, 413, "payload_too_large",
		    "request body is %lld bytes; the limit here is %zu",
		    req->content_length, limit);
		return -1;
	}
	body = arena_alloc(req->arena, (size_t)req->content_length + 1);
	while (got < (size_t)req->content_length) {
		n = req->io->read(req->io->ctx, body + got,
		    (size_t)req->content_length - got);
		if (n < 0 && errno == ETIMEDOUT) {
			http_reply_error(req, 408, "request_timeout",
			    "request body did not arrive in time (%zu of %lld "
			    "bytes)", got, req->content_length);
			return -1;
		}
		if (n <= 0) {
			http_reply_error(req, 400, "incomplete_body",
			    "request body ended after %zu of %lld bytes", got,
			    req->content_length);
			return -1;
		}
		got += (size_t)n;
	}
	body[got] = '\0';
	req->body = body;
	req->body_len = got;
	req->body_read = 1;
	return 0;
}

static void
json_put(void *p)
{
	json_object_put(p);
}

struct json_object *
http_json_own(struct http_request *req, struct json_object *obj)
{
	if (obj != NULL)
		arena_defer(req->arena, json_put, obj);
	return obj;
}

static int
is_json_type(const char *ct)
{
	size_t	 n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static int
json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Parse body[0..len) with json-c into *out (NULL for a JSON null); -1
 * after replying 400. The body has passed http_json_check.
 */
static int
parse_or_reply(struct http_request *req, const char *body, size_t len,
    struct json_object **out)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	enum json_tokener_error	 jerr;
	size_t			 off;

	tok = json_tokener_new();
	if (tok == NULL)
		fatal("json_tokener_new: out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* A bare number or word ends only at a delimiter: give one. */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_success)
			jerr = json_tokener_error_parse_eof;
		off = len;
	} else if (jerr == json_tokener_success) {
		/* Only white space may follow the value (a NUL is not). */
		while (off < len && json_space(body[off]))
			off++;
		if (off < len)
			jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (jerr == json_tokener_success) {
		*out = http_json_own(req, obj);
		return 0;
	}
	json_object_put(obj);
	http_reply_error(req, 400, "malformed_json", "request body is not "
	    "valid JSON: %s at byte %zu", json_tokener_error_desc(jerr), off);
	return -1;
}

int
http_body_json_or_reply(struct http_request *req, struct json_object **out)
{
	struct json_object	*obj;
	struct http_json_error	 je;
	size_t			 off;

	if (http_body_read_or_reply(req, req->body_limit) != 0)
		return -1;
	if (!is_json_type(http_header_get(req, "Content-Type"))) {
		http_reply_error(req, 415, "unsupported_media_type",
		    "request body must be application/json");
		return -1;
	}
	if (!utf8_valid(req->body, req->body_len, &off)) {
		http_reply_error(req, 400, "invalid_utf8",
		    "request body is not valid UTF-8 (at byte %zu)", off);
		return -1;
	}
	if (http_json_check(req->body, req->body_len, &je) != 0) {
		http_reply_error(req, 400, "malformed_json",
		    "request body is not valid JSON: %s at byte %zu%s%s%s",
		    je.reason, je.offset, *je.key ? " (in \"" : "",
		    utf8_sanitize(req->arena, je.key), *je.key ? "\")" : "");
		return -1;
	}
	if (parse_or_reply(req, req->body, req->body_len, &obj) != 0)
		return -1;
	if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
		http_reply_error(req, 400, "malformed_json",
		    "request body must be a JSON object");
		return -1;
	}
	*out = obj;
	return 0;
}

int
http_body_none_or_reply(struct http_request *req)
{
	struct json_object_iterator	 it;
	struct json_object		*o;

	if (http_body_read_or_reply(req, req->body_limit) != 0)
		return -1;
	if (req->body_len == 0)
		return 0;
	if (http_body_json_or_reply(req, &o) != 0)
		return -1;
	if (json_object_object_length(o) == 0)
		return 0;
	it = json_object_iter_begin(o);
	http_reply_invalid(req, 422, json_object_iter_peek_name(&it),
	    arena_printf(req->arena, "%s: this action takes no fields (no "
	    "body, or {})", json_object_iter_peek_name(&it)));
	return -1;
}
