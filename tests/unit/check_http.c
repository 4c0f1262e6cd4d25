/*
 * check_http.c - the http/ room over an in-memory transport: router,
 * query, cookies, headers, bodies and the JSON error shape.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "../common/memio.h"
#include "../common/run.h"

struct fixture {
	struct arena	 arena;
	struct memio	 mem;
	struct http_io	 io;
	struct http_request req;
	char		*env[16];
};

/* env: NULL-terminated "NAME=value" strings. */
static void
fx_init(struct fixture *f, const char *const *env, const char *body)
{
	size_t	 i;

	memset(f, 0, sizeof(*f));
	arena_init(&f->arena, 4096);
	for (i = 0; env[i] != NULL && i < 15; i++)
		f->env[i] = (char *)env[i];
	memio_init(&f->mem, &f->io, body ? body : "", body ? strlen(body) : 0);
	http_request_init(&f->req, &f->arena, f->env, &f->io);
}

static void
fx_cleanup(struct fixture *f)
{
	arena_cleanup(&f->arena);
	buf_cleanup(&f->mem.out);
}

/* The body of the response written (after the blank line). */
static const char *
fx_body(struct fixture *f)
{
	const char	*p = strstr(f->mem.out.data, "\r\n\r\n");

	return p ? p + 4 : "";
}

static int	 handled;

static void
h_ok(struct http_request *req)
{
	handled++;
	http_reply(req, 200, "text/plain", "ok", 2);
}

static void
h_silent(struct http_request *req)
{
	(void)req;
	handled++;
}

static void
h_json(struct http_request *req)
{
	struct json_object	*o;

	if (http_body_json_or_reply(req, &o) != 0)
		return;
	http_reply_json(req, 200, o);
}

static const struct http_route table[] = {
	{ "GET", "/api/health", h_ok, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "GET", "/api/quests", h_ok, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "POST", "/api/quests", h_json, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "GET", "/api/quests/{id}", h_ok, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "PUT", "/api/quests/{id}", h_json, HTTP_AUTH_NONE, 16, NULL, 0 },
	{ "DELETE", "/api/quests/{id}", h_ok, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "GET", "/api/libraries/{lib}/tracks/{id}", h_ok, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "GET", "/api/private", h_ok, HTTP_AUTH_USER, 0, NULL, 0 },
	{ "GET", "/api/silent", h_silent, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "GET", "/api/blobs/{uuid}", h_ok, HTTP_AUTH_NONE, 0, NULL, 0 },
	{ "POST", "/api/act", h_ok, HTTP_AUTH_NONE, 64, NULL,
	    HTTP_ROUTE_NO_BODY },
};
#define NTABLE	(sizeof(table) / sizeof(table[0]))

static const struct {
	const char	*method, *uri;
	enum http_route_result result;
	const char	*pattern, *p0, *p1, *allow;
} route_cases[] = {
	{ "GET", "/api/health", HTTP_ROUTE_OK, "/api/health", 0, 0, 0 },
	{ "GET", "/api/health?x=1", HTTP_ROUTE_OK, "/api/health", 0, 0, 0 },
	{ "GET", "/api/health/", HTTP_ROUTE_NOT_FOUND, 0, 0, 0, 0 },
	{ "GET", "/api/healthz", HTTP_ROUTE_NOT_FOUND, 0, 0, 0, 0 },
	{ "GET", "/api", HTTP_ROUTE_NOT_FOUND, 0, 0, 0, 0 },
	{ "GET", "/", HTTP_ROUTE_NOT_FOUND, 0, 0, 0, 0 },
	{ "GET", "/api/quests/abc", HTTP_ROUTE_OK, "/api/quests/{id}", "abc",
	    0, 0 },
	{ "GET", "/api/quests/a%20b", HTTP_ROUTE_OK, "/api/quests/{id}",
	    "a b", 0, 0 },
	{ "GET", "/api/quests/a%2Fb", HTTP_ROUTE_NOT_FOUND, 0, 0, 0, 0 },
	{ "GET", "/api/quests/%zz", HTTP_ROUTE_NOT_FOUND, 0, 0, 0, 0 },
	{ "GET", "/api/quests/", HTTP_ROUTE_NOT_FOUND, 0, 0, 0, 0 },
	{ "GET", "/api/quests/a/b", HTTP_ROUTE_NOT_FOUND, 0, 0, 0, 0 },
	{ "POST", "/api/quests", HTTP_ROUTE_OK, "/api/quests", 0, 0, 0 },
	{ "PATCH", "/api/quests", HTTP_ROUTE_BAD_METHOD, 0, 0, 0,
	    "GET, HEAD, POST" },
	{ "POST", "/api/quests/1", HTTP_ROUTE_BAD_METHOD, 0, 0, 0,
	    "GET, HEAD, PUT, DELETE" },
	{ "POST", "/api/health", HTTP_ROUTE_BAD_METHOD, 0, 0, 0, "GET, HEAD" },
	{ "HEAD", "/api/quests/7", HTTP_ROUTE_OK, "/api/quests/{id}", "7", 0,
	    0 },
	{ "HEAD", "/api/quests", HTTP_ROUTE_OK, "/api/quests", 0, 0, 0 },
	{ "GET", "/api/libraries/L1/tracks/T9", HTTP_ROUTE_OK,
	    "/api/libraries/{lib}/tracks/{id}", "L1", "T9", 0 },
	/* {uuid}: a UUID or nothing, so a sub-path is no resource's. */
	{ "GET", "/api/blobs/0b6c5e2a-1111-4222-8333-444455550001",
	    HTTP_ROUTE_OK, "/api/blobs/{uuid}",
	    "0b6c5e2a-1111-4222-8333-444455550001", 0, 0 },
	{ "POST", "/api/blobs/upload", HTTP_ROUTE_NOT_FOUND, 0, 0, 0, 0 },
	{ "POST", "/api/blobs/0b6c5e2a-1111-4222-8333-444455550001",
	    HTTP_ROUTE_BAD_METHOD, 0, 0, 0, "GET, HEAD" },
};

START_TEST(route_table)
{
	struct fixture			 f;
	const struct http_route		*r = NULL;
	enum http_route_result		 res;
	char				 allow[128], m[64], u[256];
	const char			*env[] = { m, u, NULL };

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", route_cases[_i].method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", route_cases[_i].uri);
	fx_init(&f, env, NULL);
	res = http_route_match(table, NTABLE, &f.req, &r, allow, sizeof(allow));
	ck_assert_msg(res == route_cases[_i].result, "%s %s: %d",
	    route_cases[_i].method, route_cases[_i].uri, res);
	if (res == HTTP_ROUTE_OK)
		ck_assert_str_eq(r->pattern, route_cases[_i].pattern);
	if (route_cases[_i].p0)
		ck_assert_str_eq(http_param(&f.req, 0), route_cases[_i].p0);
	if (route_cases[_i].p1)
		ck_assert_str_eq(http_param(&f.req, 1), route_cases[_i].p1);
	if (route_cases[_i].allow)
		ck_assert_str_eq(allow, route_cases[_i].allow);
	fx_cleanup(&f);
}
END_TEST

static const struct {
	const char	*query, *name, *value;
} query_cases[] = {
	{ "a=1&b=2", "a", "1" },
	{ "a=1&b=2", "b", "2" },
	{ "a=1&b=2", "c", NULL },
	{ "a=1&a=2", "a", "1" },
	{ "q=hello+world", "q", "hello world" },
	{ "q=%C3%A9t%C3%A9", "q", "\xc3\xa9t\xc3\xa9" },
	{ "flag", "flag", "" },
	{ "flag&x=1", "x", "1" },
	{ "my%20key=v", "my key", "v" },
	{ "bad=%zz", "bad", NULL },
	{ "", "a", NULL },
	{ "&&a=1", "a", "1" },
	{ "limit=", "limit", "" },
};

START_TEST(query_table)
{
	struct fixture	 f;
	char		 u[256];
	const char	*env[] = { u, NULL }, *v;

	snprintf(u, sizeof(u), "REQUEST_URI=/x?%s", query_cases[_i].query);
	fx_init(&f, env, NULL);
	v = http_query_get(&f.req, query_cases[_i].name);
	if (query_cases[_i].value == NULL)
		ck_assert_msg(v == NULL, "%s: got '%s'", query_cases[_i].query,
		    v);
	else
		ck_assert_msg(v && strcmp(v, query_cases[_i].value) == 0,
		    "%s [%s]: got '%s'", query_cases[_i].query,
		    query_cases[_i].name, v ? v : "(null)");
	fx_cleanup(&f);
}
END_TEST

static const struct {
	const char	*header, *name, *value;
} cookie_cases[] = {
	{ "a=1; b=2", "a", "1" },
	{ "a=1; b=2", "b", "2" },
	{ "a=1;b=2", "b", "2" },
	{ "a=1; b=2", "c", NULL },
	{ "ab=1; b=2", "b", "2" },
	{ "__Host-passion.session=tok_en-1", "__Host-passion.session",
	    "tok_en-1" },
	{ "q=\"quoted\"", "q", "quoted" },
	{ "empty=", "empty", "" },
	{ "novalue; a=1", "a", "1" },
	{ "", "a", NULL },
};

START_TEST(cookie_table)
{
	struct fixture	 f;
	char		 h[256];
	const char	*env[] = { h, NULL }, *v;

	snprintf(h, sizeof(h), "HTTP_COOKIE=%s", cookie_cases[_i].header);
	fx_init(&f, env, NULL);
	v = http_cookie_get(&f.req, cookie_cases[_i].name);
	if (cookie_cases[_i].value == NULL)
		ck_assert_ptr_null(v);
	else
		ck_assert_msg(v && strcmp(v, cookie_cases[_i].value) == 0,
		    "%s: got '%s'", cookie_cases[_i].header, v ? v : "(null)");
	fx_cleanup(&f);
}
END_TEST

START_TEST(headers_and_request_line)
{
	struct fixture	 f;
	const char	*env[] = { "REQUEST_METHOD=PUT",
	    "REQUEST_URI=/api/a?b=c", "HTTP_X_REQUEST_ID=rid-1",
	    "CONTENT_TYPE=application/json", "CONTENT_LENGTH=12",
	    "HTTP_SEC_FETCH_SITE=same-origin", NULL };

	fx_init(&f, env, NULL);
	ck_assert_str_eq(f.req.method, "PUT");
	ck_assert_str_eq(f.req.path, "/api/a");
	ck_assert_str_eq(f.req.query, "b=c");
	ck_assert_str_eq(f.req.request_id, "rid-1");
	ck_assert_int_eq(f.req.content_length, 12);
	ck_assert_str_eq(http_header_get(&f.req, "Content-Type"),
	    "application/json");
	ck_assert_str_eq(http_header_get(&f.req, "sec-fetch-site"),
	    "same-origin");
	ck_assert_ptr_null(http_header_get(&f.req, "Origin"));
	fx_cleanup(&f);
}
END_TEST

/* A whole dispatch: status line and the error body's JSON shape. */
static const struct {
	const char	*method, *uri, *ctype, *body;
	int		 status;
	const char	*code;		/* error code, or NULL for success */
	const char	*message;	/* substring of the message */
	const char	*header;	/* a header line expected */
} dispatch_cases[] = {
	{ "GET", "/api/health", 0, 0, 200, NULL, NULL, NULL },
	{ "GET", "/api/nope", 0, 0, 404, "not_found", "/api/nope", NULL },
	{ "DELETE", "/api/health", 0, 0, 405, "method_not_allowed",
	    "allowed: GET, HEAD", "Allow: GET, HEAD\r\n" },
	/* HEAD wherever GET: same status and headers, no body. */
	{ "HEAD", "/api/health", 0, 0, 200, NULL, NULL,
	    "Content-Length: 2\r\n" },
	{ "HEAD", "/api/nope", 0, 0, 404, NULL, NULL, NULL },
	{ "GET", "/api/private", 0, 0, 401, "unauthenticated", NULL, NULL },
	{ "GET", "/api/silent", 0, 0, 500, "internal", NULL, NULL },
	/* An action: no body, or {}; nothing else. */
	{ "POST", "/api/act", 0, 0, 200, NULL, NULL, NULL },
	{ "POST", "/api/act", "application/json", "{}", 200, NULL, NULL,
	    NULL },
	{ "POST", "/api/act", "application/json", " { } ", 200, NULL, NULL,
	    NULL },
	{ "POST", "/api/act", "text/plain", "done", 415,
	    "unsupported_media_type", NULL, NULL },
	{ "POST", "/api/act", "application/json", "{\"why\":1}", 422,
	    "invalid", "why: this action takes no fields", NULL },
	{ "POST", "/api/act", "application/json", "[]", 400,
	    "malformed_json", NULL, NULL },
	{ "POST", "/api/blobs/upload", "application/json", "{}", 404,
	    "not_found", NULL, NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":1}", 200, NULL,
	    NULL, NULL },
	{ "POST", "/api/quests", "application/json; charset=utf-8",
	    " {\"a\":[1,2]} \n", 200, NULL, NULL, NULL },
	{ "POST", "/api/quests", "text/plain", "{}", 415,
	    "unsupported_media_type", NULL, NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":", 400,
	    "malformed_json", "at byte 5", NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":1} x", 400,
	    "malformed_json", "at byte 8", NULL },
	{ "POST", "/api/quests", "application/json", "{a:1}", 400,
	    "malformed_json", NULL, NULL },
	{ "POST", "/api/quests", "application/json", "[1]", 400,
	    "malformed_json", "must be a JSON object", NULL },
	{ "POST", "/api/quests", "application/json", "", 400,
	    "malformed_json", NULL, NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":\"\xff\"}", 400,
	    "invalid_utf8", NULL, NULL },
	{ "POST", "/api/quests", "application/json",
	    "{\"a\":\"\xc3\x28\"}", 400, "invalid_utf8", NULL, NULL },
	{ "POST", "/api/quests", "application/json",
	    "{\"a\":\"\xed\xa0\x80\"}", 400, "invalid_utf8", "byte 6", NULL },
	{ "POST", "/api/quests", "application/json", "{'a':1}", 400,
	    "malformed_json", "at byte 1", NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":\"x\ty\"}", 400,
	    "malformed_json", "at byte 7", NULL },
	{ "POST", "/api/quests", "application/json",
	    "{\"it's\":\"a \\\" quote\"}", 200, NULL, NULL, NULL },
	{ "PUT", "/api/quests/1", "application/json",
	    "{\"long\":\"more than sixteen\"}", 413, "payload_too_large",
	    "limit here is 16", NULL },
	/* Well-formed JSON of the wrong shape: a clear 400, never a 500. */
	{ "POST", "/api/quests", "application/json", "null ", 400,
	    "malformed_json", "must be a JSON object", NULL },
	{ "POST", "/api/quests", "application/json", "\"x\"", 400,
	    "malformed_json", "must be a JSON object", NULL },
	{ "POST", "/api/quests", "application/json", "true", 400,
	    "malformed_json", "must be a JSON object", NULL },
	{ "POST", "/api/quests", "application/json", "-0.5e3", 400,
	    "malformed_json", "must be a JSON object", NULL },
	/* Numbers json-c would take or clamp. */
	{ "POST", "/api/quests", "application/json", "{\"a\":NaN}", 400,
	    "malformed_json", "unexpected word", NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":Infinity}", 400,
	    "malformed_json", "at byte 5 (in \"a\")", NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":-Infinity}",
	    400, "malformed_json", "invalid number", NULL },
	{ "POST", "/api/quests", "application/json",
	    "{\"xpValue\":123456789012345678901234567890}", 400,
	    "malformed_json", "integer out of range", NULL },
	{ "POST", "/api/quests", "application/json",
	    "{\"a\":1,\"xpValue\":18446744073709551615}", 400,
	    "malformed_json", "(in \"xpValue\")", NULL },
	{ "POST", "/api/quests", "application/json",
	    "{\"a\":[9223372036854775807,-9223372036854775808]}", 200, NULL,
	    NULL, NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":1e400}", 400,
	    "malformed_json", "number out of range", NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":01}", 400,
	    "malformed_json", "leading zero", NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":1.}", 400,
	    "malformed_json", "invalid number", NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":+1}", 400,
	    "malformed_json", "unexpected character", NULL },
	/* Escapes json-c would turn into something else. */
	{ "POST", "/api/quests", "application/json", "{\"a\":\"\\ud800\"}",
	    400, "malformed_json", "lone surrogate", NULL },
	{ "POST", "/api/quests", "application/json",
	    "{\"a\":\"\\udc00\\ud800\"}", 400, "malformed_json",
	    "lone surrogate", NULL },
	{ "POST", "/api/quests", "application/json",
	    "{\"a\":\"\\ud83d\\ude00\"}", 200, NULL, NULL, NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":\"\\u0000\"}",
	    400, "malformed_json", "\\u0000", NULL },
	{ "POST", "/api/quests", "application/json", "{\"a\":\"\\x41\"}",
	    400, "malformed_json", "invalid escape", NULL },
	/* A path that is not UTF-8 comes back as valid UTF-8. */
	{ "GET", "/api/\xff\xfe", 0, 0, 404, "not_found",
	    "/api/\xef\xbf\xbd\xef\xbf\xbd", NULL },
};

START_TEST(dispatch_table)
{
	struct fixture		 f;
	struct json_object	*root, *err, *v;
	char			 m[64], u[256], ct[128], cl[64];
	const char		*env[6];
	const char		*body = dispatch_cases[_i].body;
	size_t			 n = 0;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", dispatch_cases[_i].method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", dispatch_cases[_i].uri);
	env[n++] = m;
	env[n++] = u;
	if (dispatch_cases[_i].ctype) {
		snprintf(ct, sizeof(ct), "CONTENT_TYPE=%s",
		    dispatch_cases[_i].ctype);
		env[n++] = ct;
	}
	if (body) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(body));
		env[n++] = cl;
	}
	env[n] = NULL;
	fx_init(&f, env, body);
	http_dispatch(&f.req, table, NTABLE, 1024, NULL);
	ck_assert_int_eq(f.req.status, dispatch_cases[_i].status);
	{
		char line[64];

		snprintf(line, sizeof(line), "Status: %d ",
		    dispatch_cases[_i].status);
		ck_assert_msg(strncmp(f.mem.out.data, line, strlen(line)) == 0,
		    "%s", f.mem.out.data);
	}
	if (dispatch_cases[_i].header)
		ck_assert_ptr_nonnull(strstr(f.mem.out.data,
		    dispatch_cases[_i].header));
	if (dispatch_cases[_i].code != NULL) {
		ck_assert_ptr_nonnull(strstr(f.mem.out.data,
		    "Content-Type: application/json\r\n"));
		ck_assert(utf8_valid(fx_body(&f), strlen(fx_body(&f)), NULL));
		root = json_tokener_parse(fx_body(&f));
		ck_assert_ptr_nonnull(root);
		ck_assert(json_object_object_get_ex(root, "error", &err));
		ck_assert_int_eq(json_object_object_length(root), 1);
		ck_assert(json_object_object_get_ex(err, "code", &v));
		ck_assert_str_eq(json_object_get_string(v),
		    dispatch_cases[_i].code);
		ck_assert(json_object_object_get_ex(err, "message", &v));
		if (dispatch_cases[_i].message)
			ck_assert_msg(strstr(json_object_get_string(v),
			    dispatch_cases[_i].message) != NULL, "%s",
			    json_object_get_string(v));
		json_object_put(root);
	}
	fx_cleanup(&f);
}
END_TEST

START_TEST(body_ending_early_is_400)
{
	struct fixture	 f;
	const char	*env[] = { "REQUEST_METHOD=POST",
	    "REQUEST_URI=/api/quests", "CONTENT_TYPE=application/json",
	    "CONTENT_LENGTH=100", NULL };

	fx_init(&f, env, "{\"a\":1}");
	http_dispatch(&f.req, table, NTABLE, 1024, NULL);
	ck_assert_int_eq(f.req.status, 400);
	ck_assert_ptr_nonnull(strstr(fx_body(&f), "incomplete_body"));
	fx_cleanup(&f);
}
END_TEST

START_TEST(one_reply_per_request_and_extra_headers)
{
	struct fixture	 f;
	const char	*env[] = { "HTTP_X_REQUEST_ID=abc", NULL };

	fx_init(&f, env, NULL);
	http_header_add(&f.req, "Retry-After", "5");
	http_reply_error(&f.req, 503, "db_unavailable", "down %d", 1);
	http_reply(&f.req, 200, "text/plain", "late", 4);
	ck_assert_int_eq(f.req.status, 503);
	ck_assert_ptr_nonnull(strstr(f.mem.out.data,
	    "Status: 503 Service Unavailable\r\n"));
	ck_assert_ptr_nonnull(strstr(f.mem.out.data, "Retry-After: 5\r\n"));
	ck_assert_ptr_nonnull(strstr(f.mem.out.data, "X-Request-Id: abc\r\n"));
	ck_assert_str_eq(fx_body(&f),
	    "{\"error\":{\"code\":\"db_unavailable\",\"message\":\"down 1\"}}");
	ck_assert_str_eq(http_status_text(413), "Content Too Large");
	fx_cleanup(&f);
}
END_TEST

START_TEST(invalid_names_the_field)
{
	struct fixture	 f;
	const char	*env[] = { NULL };

	fx_init(&f, env, NULL);
	http_reply_invalid(&f.req, 422, "tags[1]", "tags[1]: must be a string");
	ck_assert_int_eq(f.req.status, 422);
	ck_assert_str_eq(fx_body(&f), "{\"error\":{\"code\":\"invalid\","
	    "\"message\":\"tags[1]: must be a string\",\"field\":"
	    "\"tags[1]\"}}");
	fx_cleanup(&f);
	fx_init(&f, env, NULL);
	http_reply_invalid(&f.req, 413, "nodes\xff", "too large");
	ck_assert_int_eq(f.req.status, 413);
	ck_assert_ptr_nonnull(strstr(fx_body(&f), "\"payload_too_large\""));
	ck_assert_ptr_nonnull(strstr(fx_body(&f), "\"field\":\"nodes\xef"
	    "\xbf\xbd\""));
	fx_cleanup(&f);
}
END_TEST

/* Bytes a C string cannot hold: a NUL is not white space. */
START_TEST(nul_after_the_value_is_400)
{
	static const char body[] = "{\"a\":1}\0";
	struct fixture	 f;
	const char	*env[] = { "REQUEST_METHOD=POST",
	    "REQUEST_URI=/api/quests", "CONTENT_TYPE=application/json",
	    "CONTENT_LENGTH=8", NULL };

	fx_init(&f, env, NULL);
	f.mem.in = body;
	f.mem.inlen = sizeof(body) - 1;
	http_dispatch(&f.req, table, NTABLE, 1024, NULL);
	ck_assert_int_eq(f.req.status, 400);
	ck_assert_ptr_nonnull(strstr(fx_body(&f), "malformed_json"));
	fx_cleanup(&f);
}
END_TEST

START_TEST(request_id_is_printable_or_dropped)
{
	struct fixture	 f;
	const char	*env[] = { "HTTP_X_REQUEST_ID=a\r\nSet-Cookie: x=1",
	    NULL };

	fx_init(&f, env, NULL);
	ck_assert_str_eq(f.req.request_id, "-");
	http_reply_error(&f.req, 404, "not_found", "x");
	ck_assert_ptr_null(strstr(f.mem.out.data, "Set-Cookie"));
	fx_cleanup(&f);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, route_table, 0, N(route_cases));
	tcase_add_loop_test(tc, query_table, 0, N(query_cases));
	tcase_add_loop_test(tc, cookie_table, 0, N(cookie_cases));
	tcase_add_test(tc, headers_and_request_line);
	tcase_add_loop_test(tc, dispatch_table, 0, N(dispatch_cases));
	tcase_add_test(tc, body_ending_early_is_400);
	tcase_add_test(tc, nul_after_the_value_is_400);
	tcase_add_test(tc, invalid_names_the_field);
	tcase_add_test(tc, request_id_is_printable_or_dropped);
	tcase_add_test(tc, one_reply_per_request_and_extra_headers);
	suite_add_tcase(s, tc);
	return check_run(s, CK_NORMAL);
}
