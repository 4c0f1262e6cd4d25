/*
 * check_api.c - the HTTP surface through real nginx and passiond: health,
 * and the error shapes for 404, 405, 413, 415 and 400.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "../common/run.h"

static struct stack	 st;

static void
setup(void)
{
	char	 db[64];

	snprintf(db, sizeof(db), "passion_api_%d", (int)getpid());
	harness_db_create(harness_pghost(), db);
	/* A small passiond limit, under nginx's 2m, to reach passiond's 413. */
	harness_stack_start(&st, harness_pghost(), db, "max_body = 4K\n");
}

static void
teardown(void)
{
	harness_stack_stop(&st);
}

static void
url(char *out, size_t len, const char *path)
{
	snprintf(out, len, "%s%s", st.url, path);
}

/* The one error shape: {"error":{"code":…,"message":…}} and nothing else. */
static void
assert_error(struct resp *r, long status, const char *code)
{
	struct json_object	*err;

	ck_assert_msg(r->status == status, "status %ld, want %ld: %s",
	    r->status, status, r->body);
	ck_assert_msg(r->json != NULL, "not JSON: %s", r->body);
	ck_assert_int_eq(json_object_object_length(r->json), 1);
	ck_assert(json_object_object_get_ex(r->json, "error", &err));
	ck_assert_str_eq(resp_str(r, "error.code"), code);
	ck_assert_ptr_nonnull(resp_str(r, "error.message"));
	ck_assert_str_eq(resp_header(r, "Content-Type"), "application/json");
}

START_TEST(health_ok)
{
	struct resp	 r;
	char		 u[128];
	const char	*rid;

	url(u, sizeof(u), "/api/health");
	http_get(u, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(resp_str(&r, "status"), "ok");
	ck_assert_str_eq(resp_str(&r, "db"), "ok");
	ck_assert_str_eq(resp_str(&r, "version"), PACKAGE_VERSION);
	/* nginx's request id reaches passiond, comes back and is logged. */
	rid = resp_header(&r, "X-Request-Id");
	ck_assert_ptr_nonnull(rid);
	ck_assert_uint_eq(strlen(rid), 32);
	{
		char needle[128];

		snprintf(needle, sizeof(needle), "request_id=%s method=GET "
		    "path=/api/health status=200", rid);
		ck_assert_msg(harness_file_has(st.log, needle, 2000),
		    "no access-log line '%s' in %s", needle, st.log);
	}
	ck_assert_str_eq(resp_header(&r, "X-Content-Type-Options"), "nosniff");
	ck_assert_str_eq(resp_header(&r, "Cache-Control"), "no-store");
	resp_free(&r);
}
END_TEST

/* HEAD wherever GET: the same status and headers, no body. */
START_TEST(head_answers_like_get)
{
	static const char *const paths[] = { "/api/health",
	    "/api/auth/providers", "/api/auth/session", "/api/no/such" };
	struct resp	 g, h;
	char		 u[128], len[32];
	size_t		 i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		url(u, sizeof(u), paths[i]);
		http_get(u, &g);
		http_do("HEAD", u, NULL, NULL, &h);
		ck_assert_msg(h.status == g.status, "HEAD %s: %ld, GET %ld",
		    paths[i], h.status, g.status);
		ck_assert_str_eq(h.body, "");
		snprintf(len, sizeof(len), "%s", resp_header(&g,
		    "Content-Length"));
		ck_assert_str_eq(resp_header(&h, "Content-Length"), len);
		ck_assert_str_eq(resp_header(&h, "Content-Type"),
		    "application/json");
		resp_free(&g);
		resp_free(&h);
	}
}
END_TEST

START_TEST(unknown_path_404)
{
	struct resp	 r;
	char		 u[128];

	url(u, sizeof(u), "/api/no/such/thing");
	http_get(u, &r);
	assert_error(&r, 404, "not_found");
	resp_free(&r);
}
END_TEST

START_TEST(wrong_method_405_with_allow)
{
	struct resp	 r;
	char		 u[128];

	url(u, sizeof(u), "/api/health");
	http_do("DELETE", u, NULL, NULL, &r);
	assert_error(&r, 405, "method_not_allowed");
	ck_assert_str_eq(resp_header(&r, "Allow"), "GET, HEAD");
	resp_free(&r);
}
END_TEST

static char *
big_json(size_t n)
{
	char	*s = malloc(n + 16);

	ck_assert_ptr_nonnull(s);
	strcpy(s, "{\"x\":\"");
	memset(s + 6, 'a', n);
	strcpy(s + 6 + n, "\"}");
	return s;
}

START_TEST(body_over_route_limit_413)
{
	struct resp	 r;
	char		 u[128], *body = big_json(8192);

	url(u, sizeof(u), "/api/_debug/echo");
	http_do("POST", u, "application/json", body, &r);
	assert_error(&r, 413, "payload_too_large");
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "limit here is 4096"));
	resp_free(&r);
	free(body);
}
END_TEST

START_TEST(body_over_nginx_limit_413_same_shape)
{
	struct resp	 r;
	char		 u[128], *body = big_json(3 << 20);

	url(u, sizeof(u), "/api/_debug/echo");
	http_do("POST", u, "application/json", body, &r);
	assert_error(&r, 413, "payload_too_large");
	resp_free(&r);
	free(body);
}
END_TEST

static const struct {
	const char	*ctype, *body;
	long		 status;
	const char	*code, *message;
} bad_bodies[] = {
	{ "application/json", "{\"a\":", 400, "malformed_json", "at byte" },
	{ "application/json", "{\"a\":1}}", 400, "malformed_json", "byte 7" },
	{ "application/json", "[1,2]", 400, "malformed_json", "JSON object" },
	{ "application/json", "{'a':1}", 400, "malformed_json", NULL },
	{ "application/json", "{\"a\":\"\xc3\x28\"}", 400, "invalid_utf8",
	    "UTF-8" },
	{ "application/json", "{\"a\":\"\xed\xa0\x80\"}", 400, "invalid_utf8",
	    NULL },
	{ "text/plain", "{\"a\":1}", 415, "unsupported_media_type", NULL },
};

START_TEST(bad_bodies_400)
{
	struct resp	 r;
	char		 u[128];

	url(u, sizeof(u), "/api/_debug/echo");
	http_do("POST", u, bad_bodies[_i].ctype, bad_bodies[_i].body, &r);
	assert_error(&r, bad_bodies[_i].status, bad_bodies[_i].code);
	if (bad_bodies[_i].message)
		ck_assert_msg(strstr(resp_str(&r, "error.message"),
		    bad_bodies[_i].message) != NULL, "%s", r.body);
	resp_free(&r);
}
END_TEST

START_TEST(good_body_round_trips)
{
	struct resp	 r;
	char		 u[128];

	url(u, sizeof(u), "/api/_debug/echo");
	http_do("POST", u, "application/json",
	    "{\"title\":\"caf\xc3\xa9 \xf0\x9f\x8e\xb5\",\"n\":[1,2]}", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(resp_str(&r, "echo.title"),
	    "caf\xc3\xa9 \xf0\x9f\x8e\xb5");
	resp_free(&r);
}
END_TEST

START_TEST(debug_routes_are_off_by_default)
{
	char		 cmd[512];
	int		 rc;

	/* passiond --check-config prints the defaults: debug_routes off. */
	snprintf(cmd, sizeof(cmd), "PASSIOND_LISTEN=unix:/tmp/x.sock "
	    "%s/passiond -c /dev/null --check-config | grep -qx "
	    "'debug_routes = off'", getenv("abs_top_builddir"));
	rc = system(cmd);
	ck_assert_int_eq(rc, 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("api");
	TCase	*tc = tcase_create("http");

	harness_pghost();
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, health_ok);
	tcase_add_test(tc, head_answers_like_get);
	tcase_add_test(tc, unknown_path_404);
	tcase_add_test(tc, wrong_method_405_with_allow);
	tcase_add_test(tc, body_over_route_limit_413);
	tcase_add_test(tc, body_over_nginx_limit_413_same_shape);
	tcase_add_loop_test(tc, bad_bodies_400, 0, N(bad_bodies));
	tcase_add_test(tc, good_body_round_trips);
	tcase_add_test(tc, debug_routes_are_off_by_default);
	harness_add_no_crash(tc, &st);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
