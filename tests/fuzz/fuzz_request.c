/*
 * fuzz_request.c - the request side end to end, over memory: FastCGI
 * params (one "NAME=value" a line, up to a blank line; the rest is the
 * body), the router, query, cookie and header readers, the body reader
 * and the JSON gate. Invariant: exactly one response, whose status line
 * is well formed and whose body is valid UTF-8 (and JSON when it says so).
 */
#include "config.h"

#include <string.h>

#include "../common/memio.h"
#include "fuzz.h"
#include "http/http.h"

static void
h_plain(struct http_request *req)
{
	const char	*q = http_query_get(req, "q");
	const char	*c = http_cookie_get(req, "passion.session");
	const char	*h = http_header_get(req, "X-Thing");
	struct json_object *o = http_json_own(req, json_object_new_object());

	json_object_object_add(o, "q", json_object_new_string(
	    utf8_sanitize(req->arena, q ? q : "")));
	json_object_object_add(o, "c", json_object_new_string(
	    utf8_sanitize(req->arena, c ? c : "")));
	json_object_object_add(o, "h", json_object_new_string(
	    utf8_sanitize(req->arena, h ? h : "")));
	json_object_object_add(o, "p", json_object_new_string(
	    utf8_sanitize(req->arena, http_param(req, 0) ?
	    http_param(req, 0) : "")));
	http_reply_json(req, 200, o);
}

static void
h_json(struct http_request *req)
{
	struct json_object	*body;

	if (http_body_json_or_reply(req, &body) != 0)
		return;
	http_reply_json(req, 200, body);
}

static int
no_auth(struct http_request *req)
{
	(void)req;
	return -1;
}

static const struct http_route table[] = {
	{ "GET", "/api/things", h_plain, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "GET", "/api/things/{id}", h_plain, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "DELETE", "/api/things/{id}/parts/{part}", h_plain, HTTP_AUTH_NONE,
	    0, NULL, 0 },
	{ "POST", "/api/things", h_json, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "PUT", "/api/things/{id}", h_json, HTTP_AUTH_NONE, 64, NULL, 0 },
	{ "GET", "/api/private", h_plain, HTTP_AUTH_USER, 0, NULL, 0 },
};

static void
check_response(const struct buf *out, int head)
{
	const char	*p, *end;
	size_t		 n;

	FUZZ_ASSERT(out->data != NULL && out->len > 12);
	FUZZ_ASSERT(memcmp(out->data, "Status: ", 8) == 0);
	FUZZ_ASSERT(out->data[8] >= '1' && out->data[8] <= '5');
	end = memmem(out->data, out->len, "\r\n\r\n", 4);
	FUZZ_ASSERT(end != NULL);
	p = end + 4;
	n = out->len - (size_t)(p - out->data);
	FUZZ_ASSERT(utf8_valid(p, n, NULL));
	/* HEAD: the headers of the reply, no body. */
	if (head) {
		FUZZ_ASSERT(n == 0);
		return;
	}
	if (memmem(out->data, (size_t)(end - out->data),
	    "Content-Type: application/json", 30) != NULL) {
		struct json_tokener *tok = json_tokener_new();
		struct json_object *o = json_tokener_parse_ex(tok, p, (int)n);

		FUZZ_ASSERT(json_tokener_get_error(tok) ==
		    json_tokener_success);
		json_object_put(o);
		json_tokener_free(tok);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena		 a;
	struct memio		 m;
	struct http_io		 io;
	struct http_request	 req;
	char			*text, *line, *env[17];
	size_t			 n = 0, i = 0;

	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	/* Params: lines up to the first empty one; NUL ends a param. */
	line = text;
	while (i < size && n < 16) {
		char *nl = memchr(text + i, '\n', size - i);

		if (nl == NULL || nl == text + i)
			break;
		*nl = '\0';
		env[n++] = line;
		i = (size_t)(nl - text) + 1;
		line = text + i;
	}
	if (i < size && text[i] == '\n')
		i++;
	env[n] = NULL;
	memio_init(&m, &io, text + i, size - i);
	arena_init(&a, 4096);
	http_request_init(&req, &a, env, &io);
	http_dispatch(&req, table, sizeof(table) / sizeof(table[0]), 1024,
	    no_auth);
	if (req.status == 0)
		http_reply_error(&req, 500, "internal", "no reply");
	check_response(&m.out, strcmp(req.method, "HEAD") == 0);
	arena_cleanup(&a);
	buf_cleanup(&m.out);
	free(text);
	return 0;
}
