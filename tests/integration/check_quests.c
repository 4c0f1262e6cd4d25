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
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "model/model.h"
#include "../common/run.h"

static char		 alice[128], bob[128];

static void
setup(void)
{
	suite_start_pair("quests", "job_workers = 0\n", alice, bob,
	    sizeof(alice));
}

static void
teardown(void)
{
	suite_stop();
}

START_TEST(create_then_read)
{
	struct resp	 r, g;
	struct arena	 a;
	char		 path[256], etag[80];
	const char	*id;

	ck_assert_int_eq(api_req("POST", "/api/quests", alice, "{\"title\":"
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
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &g), 200);
	ck_assert_str_eq(g.body, r.body);
	ck_assert_str_eq(resp_header(&g, "ETag"), etag);
	resp_free(&g);
	/* The event went in with it. */
	ck_assert_int_eq(suite_count("SELECT count(*) FROM log_events WHERE "
	    "event_type = 'quest.created' AND domain_id = 'music'"), 1);
	/* Bob sees nothing, exactly as for a missing id. */
	ck_assert_int_eq(api_req("GET", path, bob, NULL, &g), 404);
	ck_assert_str_eq(resp_str(&g, "error.code"), "not_found");
	resp_free(&g);
	ck_assert_int_eq(api_req("GET", "/api/quests/nope", alice, NULL, &g), 404);
	resp_free(&g);
	ck_assert_int_eq(api_req("GET", path, NULL, NULL, &g), 401);
	resp_free(&g);
	resp_free(&r);
}
END_TEST

START_TEST(client_ids_and_references)
{
	struct resp	 r;

	ck_assert_int_eq(api_req("POST", "/api/quests", alice, "{\"id\":"
	    "\"offline-1\",\"title\":\"Mine\",\"domainId\":\"d\"}", &r), 201);
	ck_assert_str_eq(resp_str(&r, "id"), "offline-1");
	resp_free(&r);
	/* Taken, by anyone: 409 without saying whose. */
	ck_assert_int_eq(api_req("POST", "/api/quests", bob, "{\"id\":"
	    "\"offline-1\",\"title\":\"Also\",\"domainId\":\"d\"}", &r), 409);
	ck_assert_str_eq(resp_str(&r, "error.code"), "conflict");
	resp_free(&r);
	/* A parent of one's own is fine; another user's is 422. */
	ck_assert_int_eq(api_req("POST", "/api/quests", alice, "{\"title\":"
	    "\"Child\",\"domainId\":\"d\",\"parentId\":\"offline-1\"}", &r),
	    201);
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", "/api/quests", bob, "{\"title\":"
	    "\"Child\",\"domainId\":\"d\",\"parentId\":\"offline-1\"}", &r),
	    422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "parentId");
	resp_free(&r);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests q JOIN users "
	    "u ON u.id = q.user_id WHERE u.email = 'bob@example.org'"), 0);
}
END_TEST

/* Create a quest as cookie; its id (static buffer) and ETag header. */
static const char *
create(const char *cookie, const char *title, char *etag, size_t len)
{
	static char	 id[128];
	struct resp	 r;
	char		 body[256];

	snprintf(body, sizeof(body), "{\"title\":\"%s\",\"domainId\":"
	    "\"d\"}", title);
	ck_assert_int_eq(api_req("POST", "/api/quests", cookie, body, &r), 201);
	snprintf(id, sizeof(id), "%s", resp_str(&r, "id"));
	if (etag != NULL)
		snprintf(etag, len, "%s", resp_header(&r, "ETag"));
	resp_free(&r);
	return id;
}

START_TEST(patch_honours_if_match)
{
	struct resp	 r;
	char		 etag[80], path[200], hdr[120], old[120];

	snprintf(path, sizeof(path), "/api/quests/%s", create(alice, "Draft",
	    etag, sizeof(etag)));
	snprintf(old, sizeof(old), "If-Match: %s", etag);
	/* With the current ETag: applied, a new ETag. */
	ck_assert_int_eq(api_status_h("PATCH", path, alice, old,
	    "{\"title\":\"Final\",\"xpValue\":10}"), 200);
	/* With the old one now: 412, and the current entity to merge. */
	ck_assert_int_eq(api_status_h("PATCH", path, alice, old,
	    "{\"title\":\"Lost\"}"), 412);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "title"), "Final");
	snprintf(hdr, sizeof(hdr), "If-Match: %s", resp_header(&r, "ETag"));
	ck_assert_str_ne(hdr, old);
	resp_free(&r);
	/* Without If-Match the write goes through. */
	ck_assert_int_eq(api_status_h("PATCH", path, alice, NULL,
	    "{\"description\":\"notes\"}"), 200);
	ck_assert_int_eq(api_status_h("PATCH", path, alice, "If-Match: W/\"x\"",
	    "{\"description\":\"x\"}"), 400);
	ck_assert_int_eq(api_status_h("PATCH", path, alice, NULL, "{\"id\":\"x\"}"),
	    422);
	/* Bob: 404, and nothing changed. */
	ck_assert_int_eq(api_status_h("PATCH", path, bob, NULL,
	    "{\"title\":\"Bob's\"}"), 404);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "title"), "Final");
	ck_assert_str_eq(resp_str(&r, "description"), "notes");
	resp_free(&r);
	ck_assert_int_ge(suite_count("SELECT count(*) FROM log_events WHERE "
	    "event_type = 'quest.updated'"), 2);
}
END_TEST

/*
 * A PATCH sent again with its old If-Match after the first committed
 * (its answer lost): 200 with the entity as the first answer gave it,
 * nothing written again; one field that differs is a conflict, 412.
 */
START_TEST(a_retried_patch_gets_its_answer)
{
	const char	*body = "{\"title\":\"Mixed\",\"xpValue\":25}";
	struct resp	 r1, r2;
	char		 etag[80], path[200], old[120];
	long		 events;

	snprintf(path, sizeof(path), "/api/quests/%s", create(alice, "Rough",
	    etag, sizeof(etag)));
	snprintf(old, sizeof(old), "If-Match: %s", etag);
	ck_assert_int_eq(api_req_h("PATCH", path, alice, old, body, &r1), 200);
	events = suite_count("SELECT count(*) FROM log_events WHERE "
	    "event_type = 'quest.updated'");
	ck_assert_int_eq(api_req_h("PATCH", path, alice, old, body, &r2), 200);
	ck_assert_str_eq(r2.body, r1.body);
	ck_assert_str_eq(resp_header(&r2, "ETag"), resp_header(&r1, "ETag"));
	resp_free(&r1);
	resp_free(&r2);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM log_events WHERE "
	    "event_type = 'quest.updated'"), events);
	ck_assert_int_eq(api_status_h("PATCH", path, alice, old,
	    "{\"title\":\"Mixed\",\"xpValue\":26}"), 412);
	ck_assert_int_eq(api_status_h("PATCH", path, alice, old,
	    "{\"title\":\"Mixed\"}"), 200);
}
END_TEST

/*
 * A keyed create sent again after its answer was lost: the same answer
 * (status, body, Location, ETag), no second row or event; the key with
 * another body is 422; another user's same key is theirs; a bad key and
 * a key on a POST that takes none are 400; a create that failed leaves
 * the key free.
 */
START_TEST(a_keyed_create_is_written_once)
{
	const char	*body = "{\"title\":\"Once\",\"domainId\":\"d\"}";
	const char	*key = "Idempotency-Key: 5d6f3c1e-once";
	struct resp	 r1, r2;
	char		 ann[128], ben[128];
	long		 rows, events;

	/* Users of their own: the lists of the other tests stay theirs. */
	suite_user("ann@example.org", ann, sizeof(ann));
	suite_user("ben@example.org", ben, sizeof(ben));

	ck_assert_int_eq(api_req_h("POST", "/api/quests", ann, key, body,
	    &r1), 201);
	rows = suite_count("SELECT count(*) FROM quests WHERE title = 'Once'");
	events = suite_count("SELECT count(*) FROM log_events");
	ck_assert_int_eq(rows, 1);
	ck_assert_int_eq(api_req_h("POST", "/api/quests", ann, key, body,
	    &r2), 201);
	ck_assert_str_eq(r2.body, r1.body);
	ck_assert_str_eq(resp_header(&r2, "Idempotent-Replayed"), "true");
	ck_assert_str_eq(resp_header(&r2, "ETag"), resp_header(&r1, "ETag"));
	ck_assert_str_eq(resp_header(&r2, "Location"),
	    resp_header(&r1, "Location"));
	resp_free(&r1);
	resp_free(&r2);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "title = 'Once'"), 1);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM log_events"),
	    events);
	/* The same key, another body: refused, nothing written. */
	ck_assert_int_eq(api_req_h("POST", "/api/quests", ann, key,
	    "{\"title\":\"Twice\",\"domainId\":\"d\"}", &r1), 422);
	ck_assert_str_eq(resp_str(&r1, "error.code"),
	    "idempotency_key_reused");
	resp_free(&r1);
	/* Keys are each user's own. */
	ck_assert_int_eq(api_status_h("POST", "/api/quests", ben, key, body),
	    201);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "title = 'Once'"), 2);
	/* A failed create claims nothing: fixed, the same key writes. */
	ck_assert_int_eq(api_status_h("POST", "/api/quests", ann,
	    "Idempotency-Key: fixed-later", "{\"title\":\"\"}"), 422);
	ck_assert_int_eq(api_status_h("POST", "/api/quests", ann,
	    "Idempotency-Key: fixed-later", "{\"title\":\"Fixed\","
	    "\"domainId\":\"d\"}"), 201);
	ck_assert_int_eq(api_status_h("POST", "/api/quests", ann,
	    "Idempotency-Key: a b", body), 400);
	ck_assert_int_eq(api_status_h("POST", "/api/focus", ann,
	    "Idempotency-Key: k", "{}"), 400);
	/* A day later the key is forgotten (maintain) and free again. */
	suite_sql("UPDATE idempotency_keys SET created_at = now() - "
	    "interval '25 hours'");
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", NULL), 0);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM idempotency_keys"),
	    0);
}
END_TEST

/* Keyed duplicates at once: one row, and every one the same answer. */
START_TEST(concurrent_keyed_creates_make_one_row)
{
	struct race_req	 q = { 0 };
	char		 cat[128];
	long		 got[8];
	int		 i;

	suite_user("cat@example.org", cat, sizeof(cat));

	q.method = "POST";
	q.path = "/api/quests";
	q.cookie = cat;
	q.header = "Idempotency-Key: race-7f1e";
	q.body[0] = "{\"title\":\"Raced\",\"domainId\":\"d\"}";
	api_race(8, &q, got);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(got[i], 201);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "title = 'Raced'"), 1);
}
END_TEST

/* Two PATCHes with the same If-Match at once: one wins, one gets 412. */
START_TEST(concurrent_patches_one_wins)
{
	struct race_req	 q = { 0 };
	char		 etag[80], path[200], hdr[120];
	long		 got[2];
	int		 i, ok = 0, stale = 0;

	snprintf(path, sizeof(path), "/api/quests/%s", create(alice, "Race",
	    etag, sizeof(etag)));
	snprintf(hdr, sizeof(hdr), "If-Match: %s", etag);
	q.method = "PATCH";
	q.path = path;
	q.cookie = alice;
	q.header = hdr;
	q.body[0] = "{\"title\":\"A\"}";
	q.body[1] = "{\"title\":\"B\"}";
	api_race(2, &q, got);
	for (i = 0; i < 2; i++) {
		ok += got[i] == 200;
		stale += got[i] == 412;
	}
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(stale, 1);
}
END_TEST

START_TEST(delete_is_204_then_404)
{
	struct resp	 r;
	char		 path[200];

	snprintf(path, sizeof(path), "/api/quests/%s", create(alice, "Gone",
	    NULL, 0));
	ck_assert_int_eq(api_req("DELETE", path, bob, NULL, &r), 404);
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 200);
	resp_free(&r);
	ck_assert_int_eq(api_req("DELETE", path, alice, NULL, &r), 204);
	ck_assert_str_eq(r.body, "");
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 404);
	resp_free(&r);
	ck_assert_int_eq(api_req("DELETE", path, alice, NULL, &r), 404);
	resp_free(&r);
	ck_assert_int_ge(suite_count("SELECT count(*) FROM log_events WHERE "
	    "event_type = 'quest.deleted'"), 1);
}
END_TEST

/* 250 quests walked 100 at a time: each once, newest first, even while
 * quests are added during the walk. */
START_TEST(pagination_walks_each_once)
{
	char		 cookie[128], path[1024], seen[300][40];
	struct resp	 r;
	const char	*next = NULL;
	int		 i, n = 0, pages = 0;
	char		 prev[40] = "";

	suite_user("walker@example.org", cookie,
	    sizeof(cookie));
	for (i = 0; i < 250; i++) {
		char t[32];

		snprintf(t, sizeof(t), "q%d", i);
		create(cookie, t, NULL, 0);
	}
	snprintf(path, sizeof(path), "/api/quests?limit=100");
	for (;;) {
		struct json_object *data;
		size_t k;

		ck_assert_int_eq(api_req("GET", path, cookie, NULL, &r), 200);
		pages++;
		data = json_object_object_get(r.json, "data");
		for (k = 0; k < json_object_array_length(data); k++) {
			struct json_object *q = json_object_array_get_idx(data,
			    k);
			const char *id = json_object_get_string(
			    json_object_object_get(q, "id"));
			const char *c = json_object_get_string(
			    json_object_object_get(q, "createdAt"));
			int j;

			for (j = 0; j < n; j++)
				ck_assert_str_ne(seen[j], id);
			ck_assert_int_lt(n, 300);
			snprintf(seen[n++], sizeof(seen[0]), "%s", id);
			/* Newest first. */
			ck_assert(prev[0] == '\0' || strcmp(c, prev) <= 0);
			snprintf(prev, sizeof(prev), "%s", c);
		}
		/* Added during the walk: newer, so never on a later page. */
		create(cookie, "late", NULL, 0);
		next = resp_str(&r, "nextCursor");
		if (next == NULL) {
			resp_free(&r);
			break;
		}
		snprintf(path, sizeof(path), "/api/quests?limit=100&cursor=%s",
		    next);
		resp_free(&r);
	}
	ck_assert_int_eq(n, 250);
	ck_assert_int_eq(pages, 3);
	ck_assert_int_eq(api_req("GET", "/api/quests?cursor=bm9wZQ", cookie, NULL,
	    &r), 400);
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/quests?limit=0", cookie, NULL, &r),
	    400);
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/quests?limit=101", cookie, NULL, &r),
	    400);
	resp_free(&r);
	/* Bob's list holds none of it. */
	ck_assert_int_eq(api_req("GET", "/api/quests?limit=100", bob, NULL, &r),
	    200);
	ck_assert_ptr_null(strstr(r.body, "walker"));
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 0);
	resp_free(&r);
}
END_TEST

START_TEST(completion_awards_xp_once)
{
	struct resp	 r;
	char		 cookie[128], path[200], done[240];
	const char	*id;

	suite_user("finisher@example.org", cookie,
	    sizeof(cookie));
	ck_assert_int_eq(api_req("POST", "/api/quests", cookie, "{\"title\":"
	    "\"Mix\",\"domainId\":\"music\",\"xpValue\":40}", &r), 201);
	id = resp_str(&r, "id");
	snprintf(path, sizeof(path), "/api/quests/%s", id);
	snprintf(done, sizeof(done), "/api/quests/%s/complete", id);
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", done, cookie, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "status"), "completed");
	ck_assert_ptr_nonnull(resp_str(&r, "completedAt"));
	ck_assert_ptr_nonnull(resp_header(&r, "ETag"));
	resp_free(&r);
	/* The ledger row, sourced to the event, and the tree's XP. */
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reward_ledger l "
	    "JOIN log_events e ON e.id = l.source_event_id WHERE "
	    "e.event_type = 'quest.completed' AND l.reward_type = 'xp' AND "
	    "l.amount = 40 AND l.user_id = " OF("finisher@example.org")), 1);
	ck_assert_int_eq(suite_count("SELECT total_xp FROM skill_trees WHERE "
	    "user_id = " OF("finisher@example.org")), 40);
	/* Again: the same quest, nothing more awarded. */
	ck_assert_int_eq(api_req("POST", done, cookie, NULL, &r), 200);
	resp_free(&r);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reward_ledger WHERE "
	    "user_id = " OF("finisher@example.org")), 1);
	ck_assert_int_eq(suite_count("SELECT total_xp FROM skill_trees WHERE "
	    "user_id = " OF("finisher@example.org")), 40);
	/* Another quest adds to the same tree. */
	ck_assert_int_eq(api_req("POST", "/api/quests", cookie, "{\"title\":"
	    "\"Master\",\"domainId\":\"music\",\"xpValue\":2}", &r), 201);
	snprintf(done, sizeof(done), "/api/quests/%s/complete",
	    resp_str(&r, "id"));
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", done, cookie, NULL, &r), 200);
	resp_free(&r);
	ck_assert_int_eq(suite_count("SELECT total_xp FROM skill_trees WHERE "
	    "user_id = " OF("finisher@example.org")), 42);
	/* Someone else's quest: 404, nothing awarded to anyone. */
	snprintf(done, sizeof(done), "%s/complete", path);
	ck_assert_int_eq(api_req("POST", done, bob, NULL, &r), 404);
	resp_free(&r);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reward_ledger WHERE "
	    "user_id = " OF("bob@example.org")), 0);
}
END_TEST

/* A PATCH to status "completed" is a completion too: XP once. */
START_TEST(patch_to_completed_awards_once)
{
	struct resp	 r;
	char		 cookie[128], path[200];

	suite_user("patcher@example.org", cookie,
	    sizeof(cookie));
	ck_assert_int_eq(api_req("POST", "/api/quests", cookie, "{\"title\":"
	    "\"Edit\",\"domainId\":\"d\",\"xpValue\":5}", &r), 201);
	snprintf(path, sizeof(path), "/api/quests/%s", resp_str(&r, "id"));
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", path, cookie, "{\"status\":"
	    "\"completed\",\"title\":\"Edited\"}", &r), 200);
	ck_assert_str_eq(resp_str(&r, "status"), "completed");
	ck_assert_str_eq(resp_str(&r, "title"), "Edited");
	ck_assert_ptr_nonnull(resp_str(&r, "completedAt"));
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", path, cookie, "{\"status\":"
	    "\"completed\"}", &r), 200);
	resp_free(&r);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reward_ledger WHERE "
	    "user_id = " OF("patcher@example.org")), 1);
	ck_assert_int_eq(suite_count("SELECT total_xp FROM skill_trees WHERE "
	    "user_id = " OF("patcher@example.org")), 5);
}
END_TEST

/* Two devices complete one quest at once: one ledger row. */
START_TEST(concurrent_completions_award_once)
{
	struct race_req	 q = { 0 };
	char		 cookie[128], done[240];
	long		 got[2];
	struct resp	 r;

	suite_user("racer@example.org", cookie,
	    sizeof(cookie));
	ck_assert_int_eq(api_req("POST", "/api/quests", cookie, "{\"title\":"
	    "\"Race\",\"domainId\":\"d\",\"xpValue\":7}", &r), 201);
	snprintf(done, sizeof(done), "/api/quests/%s/complete",
	    resp_str(&r, "id"));
	resp_free(&r);
	q.method = "POST";
	q.path = done;
	q.cookie = cookie;
	api_race(2, &q, got);
	ck_assert_int_eq(got[0], 200);
	ck_assert_int_eq(got[1], 200);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reward_ledger WHERE "
	    "user_id = " OF("racer@example.org")), 1);
	ck_assert_int_eq(suite_count("SELECT total_xp FROM skill_trees WHERE "
	    "user_id = " OF("racer@example.org")), 7);
}
END_TEST

static const struct {
	const char	*body;
	int		 status;
	const char	*field;
} invalid_cases[] = {
	/* Its own parent (a CHECK of the table: it answered 500). */
	{ "{\"id\":\"me\",\"title\":\"t\",\"domainId\":\"d\","
	    "\"parentId\":\"me\"}", 422, "parentId" },
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

/*
 * Actions take no body or {} (docs/openapi.yaml): another type is 415,
 * a field 422, and nothing is done then.
 */
START_TEST(actions_take_no_body)
{
	struct resp	 r;
	char		 u[512], path[256], id[64];

	ck_assert_int_eq(api_req("POST", "/api/quests", alice,
	    "{\"title\":\"Act\",\"domainId\":\"d\"}", &r), 201);
	snprintf(id, sizeof(id), "%s", resp_str(&r, "id"));
	resp_free(&r);
	/* Made its own parent by a PATCH: 422 naming it (it was a 500). */
	snprintf(path, sizeof(path), "/api/quests/%s", id);
	snprintf(u, sizeof(u), "{\"parentId\":\"%s\"}", id);
	ck_assert_int_eq(api_req("PATCH", path, alice, u, &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "parentId");
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/quests/%s/complete", id);
	snprintf(u, sizeof(u), "%s%s", suite_st.url, path);
	http_do_h("POST", u, alice, NULL, "text/plain", "done", &r);
	ck_assert_int_eq(r.status, 415);
	ck_assert_str_eq(resp_str(&r, "error.code"), "unsupported_media_type");
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", path, alice, "{\"xp\":5}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "xp");
	resp_free(&r);
	snprintf(u, sizeof(u), "SELECT status FROM quests WHERE id = '%s'", id);
	ck_assert_str_eq(suite_sql(u), "pending");
	/* No body at all, and {}: both the action. */
	ck_assert_int_eq(api_status("POST", path, alice, NULL), 200);
	ck_assert_int_eq(api_status("POST", path, alice, "{}"), 200);
	snprintf(u, sizeof(u), "%s/api/auth/signout", suite_st.url);
	http_do_h("POST", u, NULL, NULL, "text/plain", "bye", &r);
	ck_assert_int_eq(r.status, 415);
	resp_free(&r);
}
END_TEST

/* null for a field whose column has a default is that default (a 500
 * once: the column takes no null), on create and on PATCH. */
START_TEST(null_means_the_default)
{
	struct resp	 r;
	char		 path[256];

	ck_assert_int_eq(api_req("POST", "/api/quests", alice, "{\"title\":"
	    "\"n\",\"domainId\":\"d\",\"status\":null,\"priority\":null}", &r),
	    201);
	ck_assert_str_eq(resp_str(&r, "status"), "pending");
	ck_assert_str_eq(resp_str(&r, "priority"), "medium");
	snprintf(path, sizeof(path), "/api/quests/%s", resp_str(&r, "id"));
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", path, alice, "{\"status\":"
	    "\"deferred\"}", &r), 200);
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", path, alice, "{\"status\":null}",
	    &r), 200);
	ck_assert_str_eq(resp_str(&r, "status"), "pending");
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", "/api/projects", alice, "{\"name\":"
	    "\"p\",\"status\":null,\"starred\":null}", &r), 201);
	ck_assert_str_eq(resp_str(&r, "status"), "active");
	resp_free(&r);
}
END_TEST

START_TEST(invalid_bodies_name_the_field)
{
	struct resp	 r;

	ck_assert_int_eq(api_req("POST", "/api/quests", alice,
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
	tcase_add_test(tc, patch_honours_if_match);
	tcase_add_test(tc, a_retried_patch_gets_its_answer);
	tcase_add_test(tc, concurrent_patches_one_wins);
	tcase_add_test(tc, a_keyed_create_is_written_once);
	tcase_add_test(tc, concurrent_keyed_creates_make_one_row);
	tcase_add_test(tc, delete_is_204_then_404);
	tcase_add_test(tc, pagination_walks_each_once);
	tcase_add_test(tc, completion_awards_xp_once);
	tcase_add_test(tc, concurrent_completions_award_once);
	tcase_add_test(tc, patch_to_completed_awards_once);
	tcase_add_test(tc, actions_take_no_body);
	tcase_add_test(tc, null_means_the_default);
	tcase_add_loop_test(tc, invalid_bodies_name_the_field, 0,
	    N(invalid_cases));
	harness_add_no_crash(tc, &suite_st);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
