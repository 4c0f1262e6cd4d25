/*
 * check_quests.c - the first routes of the domain API through nginx:
 * POST /api/quests and GET /api/quests/{id}, driven by the entity
 * description: 201 with Location and ETag, the stored entity as typed
 * JSON, the event appended in the same transaction, validation naming
 * the field, ids taken by anyone → 409, references and reads across
 * users → 422 and 404, no session → 401.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "model/model.h"
#include "../common/run.h"

static struct stack	 st;
static char		 db[64], alice[128], bob[128];

static void
setup(void)
{
	snprintf(db, sizeof(db), "passion_quests_%d", (int)getpid());
	harness_db_create(harness_pghost(), db);
	harness_stack_start(&st, harness_pghost(), db, "job_workers = 0\n");
	harness_session(harness_pghost(), db, "alice@example.org", alice,
	    sizeof(alice));
	harness_session(harness_pghost(), db, "bob@example.org", bob,
	    sizeof(bob));
}

static void
teardown(void)
{
	harness_stack_stop(&st);
}

static long
req(const char *method, const char *path, const char *cookie,
    const char *body, struct resp *r)
{
	char	 u[512];

	snprintf(u, sizeof(u), "%s%s", st.url, path);
	http_do_cookie(method, u, cookie, body ? "application/json" : NULL,
	    body, r);
	return r->status;
}

static long
owner_count(const char *sql)
{
	PGconn	*c = harness_pg(harness_pghost(), db, "postgres");
	long	 n = atol(harness_sql(c, sql));

	PQfinish(c);
	return n;
}

START_TEST(create_then_read)
{
	struct resp	 r, g;
	struct arena	 a;
	char		 path[256], etag[80];
	const char	*id;

	ck_assert_int_eq(req("POST", "/api/quests", alice, "{\"title\":"
	    "\"Write the bridge\",\"domainId\":\"music\",\"priority\":\"high\","
	    "\"dueDate\":\"2026-01-02T13:00:00+01:00\",\"tags\":[\"song\"],"
	    "\"xpValue\":50}", &r), 201);
	id = resp_str(&r, "id");
	ck_assert_ptr_nonnull(id);
	ck_assert_uint_eq(strlen(id), 36);
	snprintf(path, sizeof(path), "/api/quests/%s", id);
	ck_assert_ptr_nonnull(strstr(resp_header(&r, "Location"), path));
	ck_assert_str_eq(resp_str(&r, "status"), "pending");
	ck_assert_str_eq(resp_str(&r, "dueDate"), "2026-01-02T12:00:00.000Z");
	ck_assert_ptr_null(resp_str(&r, "description"));
	ck_assert(json_object_object_get_ex(r.json, "description", NULL));
	ck_assert(json_object_is_type(json_object_object_get(r.json,
	    "xpValue"), json_type_int));
	/* The ETag is the contentHash, computed as docs/api.md says. */
	arena_init(&a, 4096);
	snprintf(etag, sizeof(etag), "\"%s\"", model_content_hash(&a,
	    &model_quests, r.json));
	ck_assert_str_eq(resp_header(&r, "ETag"), etag);
	ck_assert_int_eq(strncmp(resp_str(&r, "contentHash"), etag + 1, 64),
	    0);
	arena_cleanup(&a);
	/* Read it back: the same entity. */
	ck_assert_int_eq(req("GET", path, alice, NULL, &g), 200);
	ck_assert_str_eq(g.body, r.body);
	ck_assert_str_eq(resp_header(&g, "ETag"), etag);
	resp_free(&g);
	/* The event went in with it. */
	ck_assert_int_eq(owner_count("SELECT count(*) FROM log_events WHERE "
	    "event_type = 'quest.created' AND domain_id = 'music'"), 1);
	/* Bob sees nothing, exactly as for a missing id. */
	ck_assert_int_eq(req("GET", path, bob, NULL, &g), 404);
	ck_assert_str_eq(resp_str(&g, "error.code"), "not_found");
	resp_free(&g);
	ck_assert_int_eq(req("GET", "/api/quests/nope", alice, NULL, &g), 404);
	resp_free(&g);
	ck_assert_int_eq(req("GET", path, NULL, NULL, &g), 401);
	resp_free(&g);
	resp_free(&r);
}
END_TEST

START_TEST(client_ids_and_references)
{
	struct resp	 r;

	ck_assert_int_eq(req("POST", "/api/quests", alice, "{\"id\":"
	    "\"offline-1\",\"title\":\"Mine\",\"domainId\":\"d\"}", &r), 201);
	ck_assert_str_eq(resp_str(&r, "id"), "offline-1");
	resp_free(&r);
	/* Taken, by anyone: 409 without saying whose. */
	ck_assert_int_eq(req("POST", "/api/quests", bob, "{\"id\":"
	    "\"offline-1\",\"title\":\"Also\",\"domainId\":\"d\"}", &r), 409);
	ck_assert_str_eq(resp_str(&r, "error.code"), "conflict");
	resp_free(&r);
	/* A parent of one's own is fine; another user's is 422. */
	ck_assert_int_eq(req("POST", "/api/quests", alice, "{\"title\":"
	    "\"Child\",\"domainId\":\"d\",\"parentId\":\"offline-1\"}", &r),
	    201);
	resp_free(&r);
	ck_assert_int_eq(req("POST", "/api/quests", bob, "{\"title\":"
	    "\"Child\",\"domainId\":\"d\",\"parentId\":\"offline-1\"}", &r),
	    422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "parentId");
	resp_free(&r);
	ck_assert_int_eq(owner_count("SELECT count(*) FROM quests q JOIN users "
	    "u ON u.id = q.user_id WHERE u.email = 'bob@example.org'"), 0);
}
END_TEST

static const struct {
	const char	*body;
	int		 status;
	const char	*field;
} invalid_cases[] = {
	{ "{\"domainId\":\"d\"}", 422, "title" },
	{ "{\"title\":\"t\"}", 422, "domainId" },
	{ "{\"title\":\"t\",\"domainId\":\"d\",\"colour\":\"red\"}", 422,
	    "colour" },
	{ "{\"title\":\"t\",\"domainId\":\"d\",\"status\":\"done\"}", 422,
	    "status" },
	{ "{\"title\":\"t\",\"domainId\":\"d\",\"xpValue\":-5}", 422,
	    "xpValue" },
	{ "{\"title\":\"t\",\"domainId\":\"d\",\"tags\":[1]}", 422, "tags[0]" },
	{ "{\"title\":\"t\",\"domainId\":\"d\",\"dueDate\":\"tomorrow\"}", 422,
	    "dueDate" },
	{ "{\"title\":\"t\",\"domainId\":\"d\",\"contentHash\":\"x\"}", 422,
	    "contentHash" },
	{ "{\"title\":\"t\",\"domainId\":\"d\",\"id\":\"a b\"}", 422, "id" },
};

START_TEST(invalid_bodies_name_the_field)
{
	struct resp	 r;

	ck_assert_int_eq(req("POST", "/api/quests", alice,
	    invalid_cases[_i].body, &r), invalid_cases[_i].status);
	ck_assert_str_eq(resp_str(&r, "error.code"), "invalid");
	ck_assert_str_eq(resp_str(&r, "error.field"), invalid_cases[_i].field);
	resp_free(&r);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("quests");
	TCase	*tc = tcase_create("quests");

	harness_pghost();
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_then_read);
	tcase_add_test(tc, client_ids_and_references);
	tcase_add_loop_test(tc, invalid_bodies_name_the_field, 0,
	    N(invalid_cases));
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
