/*
 * check_sync.c - the change feed (GET /api/sync) through nginx: a
 * client replaying it reaches what the lists show, with deletions, while
 * writers of the same user race it; every entity as its own GET shows
 * it; what plan applies, maintain's quests and cascaded deletions write
 * is in it; another user's changes never are; and each cursor the feed
 * cannot honour (another user's, altered, before a restore, past the
 * deletions kept, ahead of the feed) is a 409, never a gap. Every page
 * is checked against docs/openapi.yaml by the harness.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../common/run.h"

/* The user's commits whose rows all moved on, but the last. */
#define EMPTY_COMMITS(e)	"SELECT count(*) FROM sync_commits k WHERE " \
	"user_id = " OF(e) " AND no < (SELECT writes FROM sync_feeds f " \
	"WHERE f.user_id = k.user_id) AND NOT EXISTS (SELECT 1 FROM " \
	"sync_changes s WHERE (s.user_id, s.xid) = (k.user_id, k.xid))"

static char		 alice[128], bob[128];

static void
setup(void)
{
	suite_start_pair("sync", "job_workers = 0\n", alice, bob,
	    sizeof(alice));
}

static void
teardown(void)
{
	suite_stop();
}

/* A replica: "kind/id" → the entity's JSON text (deleted: removed). */
struct replica {
	struct json_object	*rows;
	char			 cursor[256];
	int			 pages, puts, deletes;
};

static void
replica_init(struct replica *r)
{
	memset(r, 0, sizeof(*r));
	r->rows = json_object_new_object();
}

static void
replica_free(struct replica *r)
{
	json_object_put(r->rows);
}

/* One page into r; its status (200: applied). */
static long
pull_page(const char *cookie, struct replica *r, int limit, int *more)
{
	struct json_object	*changes;
	struct resp		 p;
	char			 path[512];
	long			 st;
	int			 deletes;

	snprintf(path, sizeof(path), "/api/sync?limit=%d%s%s", limit,
	    r->cursor[0] ? "&cursor=" : "", r->cursor);
	st = api_req("GET", path, cookie, NULL, &p);
	*more = 0;
	if (st != 200) {
		resp_free(&p);
		return st;
	}
	ck_assert(json_object_object_get_ex(p.json, "changes", &changes));
	deletes = api_feed_apply(r->rows, p.json);
	r->deletes += deletes;
	r->puts += (int)json_object_array_length(changes) - deletes;
	snprintf(r->cursor, sizeof(r->cursor), "%s", resp_str(&p, "cursor"));
	*more = json_object_get_boolean(json_object_object_get(p.json,
	    "more"));
	r->pages++;
	resp_free(&p);
	return st;
}

/* Pages until the feed has no more. */
static void
pull(const char *cookie, struct replica *r, int limit)
{
	int	 more = 1;

	while (more)
		ck_assert_int_eq(pull_page(cookie, r, limit, &more), 200);
}

/* Every entity of a list (paged) must be the replica's, and only they. */
static void
assert_list_is_replica(const char *cookie, const char *coll,
    const char *kind, struct replica *r)
{
	struct json_object	*data, *e, *mine;
	struct resp		 p;
	char			 path[512], cursor[256] = "", key[300];
	const char		*next;
	int			 listed = 0, held = 0;
	size_t			 i;

	do {
		snprintf(path, sizeof(path), "%s?limit=100%s%s", coll,
		    cursor[0] ? "&cursor=" : "", cursor);
		ck_assert_int_eq(api_req("GET", path, cookie, NULL, &p), 200);
		data = json_object_object_get(p.json, "data");
		for (i = 0; i < json_object_array_length(data); i++) {
			e = json_object_array_get_idx(data, i);
			snprintf(key, sizeof(key), "%s/%s", kind,
			    json_object_get_string(json_object_object_get(e,
			    "id")));
			ck_assert_msg(json_object_object_get_ex(r->rows, key,
			    &mine), "%s: missed by the feed", key);
			ck_assert_msg(json_object_equal(e, mine), "%s: the feed "
			    "has %s, the list %s", key,
			    json_object_to_json_string(mine),
			    json_object_to_json_string(e));
			listed++;
		}
		next = resp_str(&p, "nextCursor");
		snprintf(cursor, sizeof(cursor), "%s", next ? next : "");
		resp_free(&p);
	} while (cursor[0]);
	json_object_object_foreach(r->rows, k, v) {
		(void)v;
		if (strncmp(k, kind, strlen(kind)) == 0 && k[strlen(kind)] ==
		    '/')
			held++;
	}
	ck_assert_msg(held == listed, "%s: the feed holds %d, the list %d",
	    kind, held, listed);
}

/* POST body to coll; the new entity's id into id (128). */
static void
create(const char *cookie, const char *coll, const char *body, char *id)
{
	struct resp	 p;

	ck_assert_int_eq(api_req("POST", coll, cookie, body, &p), 201);
	snprintf(id, 128, "%s", resp_str(&p, "id"));
	resp_free(&p);
}

START_TEST(a_replica_reaches_what_the_lists_show)
{
	struct replica	 r, fresh;
	char		 q1[128], q2[128], lib[128], trk[128], path[256];
	char		 body[256];

	replica_init(&r);
	create(alice, "/api/quests", "{\"title\":\"one\",\"domainId\":\"d\"}",
	    q1);
	create(alice, "/api/quests", "{\"title\":\"two\",\"domainId\":\"d\"}",
	    q2);
	create(alice, "/api/reference-libraries", "{\"name\":\"refs\"}", lib);
	snprintf(path, sizeof(path), "/api/reference-libraries/%s/tracks", lib);
	/* A ready blob straight in the database (check_blobs uploads). */
	snprintf(body, sizeof(body), "{\"name\":\"kick\",\"blobId\":\"%s\"}",
	    suite_sql("INSERT INTO blobs (user_id, kind, object_key, "
	    "mime_type, size_bytes, name, state) SELECT id, 'audio', id || "
	    "'/audio/' || gen_random_uuid() || '.wav', 'audio/wav', 1024, "
	    "'r.wav', 'ready' FROM users WHERE email = 'alice@example.org' "
	    "RETURNING id"));
	create(alice, path, body, trk);
	ck_assert_int_eq(api_status("PATCH", "/api/settings", alice,
	    "{\"theme\":\"dark\"}"), 200);
	pull(alice, &r, 2);
	ck_assert_int_gt(r.pages, 2);
	ck_assert_int_eq(r.deletes, 0);
	/* Updates and deletions after the cursor, a cascade among them. */
	snprintf(path, sizeof(path), "/api/quests/%s", q1);
	ck_assert_int_eq(api_status("PATCH", path, alice,
	    "{\"priority\":\"high\"}"), 200);
	snprintf(path, sizeof(path), "/api/quests/%s", q2);
	ck_assert_int_eq(api_status("DELETE", path, alice, NULL), 204);
	snprintf(path, sizeof(path), "/api/reference-libraries/%s", lib);
	ck_assert_int_eq(api_status("DELETE", path, alice, NULL), 204);
	pull(alice, &r, 100);
	ck_assert_int_ge(r.deletes, 3);	/* the quest, the library, its track */
	assert_list_is_replica(alice, "/api/quests", "quests", &r);
	assert_list_is_replica(alice, "/api/events", "logEvents", &r);
	assert_list_is_replica(alice, "/api/reference-libraries",
	    "referenceLibraries", &r);
	ck_assert(json_object_object_get(r.rows, "settings/") != NULL);
	/* A second client, from nothing, reaches the same state at once. */
	replica_init(&fresh);
	pull(alice, &fresh, 1000);
	ck_assert_int_eq(fresh.deletes, 0);
	ck_assert(json_object_equal(fresh.rows, r.rows));
	replica_free(&fresh);
	replica_free(&r);
}
END_TEST

START_TEST(every_kind_is_as_its_get_shows_it)
{
	static const char *const items[][2] = {
		{ "/api/schedule-rules", "{\"name\":\"r\",\"domainId\":\"d\","
		    "\"recurrence\":\"daily\",\"questTemplate\":{\"title\":"
		    "\"t\"}}" },
		{ "/api/plan-templates", "{\"name\":\"p\",\"domainId\":\"d\","
		    "\"templateType\":\"day\",\"questTemplates\":[]}" },
		{ "/api/rewards", "{\"domainId\":\"d\",\"type\":\"xp\","
		    "\"amount\":5,\"reason\":\"r\"}" },
		{ "/api/projects", "{\"name\":\"p\",\"tags\":[\"x\"]}" },
		{ "/api/infobase", "{\"title\":\"n\",\"content\":\"c\"}" },
		{ "/api/lane-templates", "{\"name\":\"l\",\"templateType\":"
		    "\"drums\",\"laneSettings\":{},\"notes\":[],\"bpm\":120,"
		    "\"bars\":4,\"timeSignature\":[4,4]}" },
	};
	struct replica	 r;
	struct resp	 g;
	char		 id[128], path[256], key[300];
	size_t		 i;

	replica_init(&r);
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		struct json_object *mine;

		create(bob, items[i][0], items[i][1], id);
		pull(bob, &r, 100);
		snprintf(path, sizeof(path), "%s/%s", items[i][0], id);
		ck_assert_int_eq(api_req("GET", path, bob, NULL, &g), 200);
		json_object_object_foreach(r.rows, k, v) {
			const char *slash = strchr(k, '/');

			if (slash != NULL && strcmp(slash + 1, id) == 0) {
				snprintf(key, sizeof(key), "%s", k);
				(void)v;
			}
		}
		ck_assert(json_object_object_get_ex(r.rows, key, &mine));
		ck_assert_msg(json_object_equal(mine, g.json), "%s: the feed "
		    "has %s, GET %s", path, json_object_to_json_string(mine),
		    g.body);
		resp_free(&g);
	}
	ck_assert_int_eq(api_req("GET", "/api/skill-tree", bob, NULL, &g),
	    200);
	ck_assert(json_object_equal(json_object_object_get(r.rows,
	    "skillTree/"), g.json));
	resp_free(&g);
	replica_free(&r);
}
END_TEST

/* What applies, maintain and cascades write is in the feed too. */
START_TEST(server_made_rows_are_in_it)
{
	struct replica	 r;
	char		 cookie[128], plan[128], rule[128], path[256];
	int		 quests = 0;

	suite_user("carol@example.org", cookie, sizeof(cookie));
	replica_init(&r);
	pull(cookie, &r, 100);
	create(cookie, "/api/plan-templates", "{\"name\":\"p\",\"domainId\":"
	    "\"d\",\"templateType\":\"day\",\"questTemplates\":[{\"title\":"
	    "\"a\"},{\"title\":\"b\"}]}", plan);
	snprintf(path, sizeof(path), "/api/plan-templates/%s/apply", plan);
	ck_assert_int_eq(api_status("POST", path, cookie,
	    "{\"date\":\"2026-12-01\"}"), 201);
	create(cookie, "/api/schedule-rules", "{\"name\":\"r\",\"domainId\":"
	    "\"d\",\"recurrence\":\"daily\",\"questTemplate\":{\"title\":"
	    "\"daily\"}}", rule);
	/* Its first occurrence made as if it were a day old (maintain). */
	suite_sql("UPDATE schedule_rules SET created_at = now() - interval "
	    "'2 days' WHERE user_id = " OF("carol@example.org"));
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", NULL),
	    0);
	pull(cookie, &r, 100);
	assert_list_is_replica(cookie, "/api/quests", "quests", &r);
	json_object_object_foreach(r.rows, k, v) {
		(void)v;
		quests += strncmp(k, "quests/", 7) == 0;
	}
	ck_assert_int_ge(quests, 3);	/* two applied, one or more made */
	replica_free(&r);
}
END_TEST

START_TEST(another_users_changes_never_appear)
{
	struct replica	 a, b;
	char		 id[128];

	replica_init(&a);
	replica_init(&b);
	create(bob, "/api/quests", "{\"title\":\"bob's\",\"domainId\":\"d\"}",
	    id);
	pull(alice, &a, 1000);
	pull(bob, &b, 1000);
	json_object_object_foreach(a.rows, k, v) {
		(void)v;
		ck_assert_msg(json_object_object_get(b.rows, k) == NULL ||
		    strncmp(k, "settings/", 9) == 0 || strncmp(k, "skillTree/",
		    10) == 0, "%s is in both feeds", k);
	}
	/* Bob's cursor is not Alice's. */
	snprintf(a.cursor, sizeof(a.cursor), "%s", b.cursor);
	{
		int more;

		ck_assert_int_eq(pull_page(alice, &a, 10, &more), 409);
	}
	replica_free(&a);
	replica_free(&b);
}
END_TEST

static long
page_status(const char *cookie, const char *cursor, char *code, size_t len)
{
	struct resp	 p;
	char		 path[512];
	long		 st;

	snprintf(path, sizeof(path), "/api/sync?cursor=%s", cursor);
	st = api_req("GET", path, cookie, NULL, &p);
	if (code != NULL)
		snprintf(code, len, "%s", resp_str(&p, "error.code") ?
		    resp_str(&p, "error.code") : "");
	resp_free(&p);
	return st;
}

START_TEST(cursors_it_cannot_honour_are_409)
{
	struct replica	 r;
	char		 cookie[128], id[128], path[256], code[64], old[256];
	char		 bent[256];

	suite_user("dave@example.org", cookie, sizeof(cookie));
	replica_init(&r);
	create(cookie, "/api/quests", "{\"title\":\"x\",\"domainId\":\"d\"}",
	    id);
	pull(cookie, &r, 100);
	ck_assert_int_eq(page_status(cookie, r.cursor, NULL, 0), 200);
	/* Not a cursor at all: 400; altered: 409. */
	ck_assert_int_eq(page_status(cookie, "nope", code, sizeof(code)),
	    400);
	snprintf(bent, sizeof(bent), "%s", r.cursor);
	bent[2] = bent[2] == '9' ? '8' : '9';
	ck_assert_int_eq(page_status(cookie, bent, code, sizeof(code)), 409);
	ck_assert_str_eq(code, "resync_required");
	/* A cursor of the feed's first version (sql/0019's: one seq). */
	ck_assert_int_eq(page_status(cookie, "1.42.0.0123456789abcdef."
	    "c2lnbmVkLWJ5LXRoZS1vbGQtZmVlZA", code, sizeof(code)), 409);
	ck_assert_str_eq(code, "resync_required");
	/* A deletion, then kept past its days: a cursor from before it
	 * has missed it; one from after it has not. */
	snprintf(old, sizeof(old), "%s", r.cursor);
	snprintf(path, sizeof(path), "/api/quests/%s", id);
	ck_assert_int_eq(api_status("DELETE", path, cookie, NULL), 204);
	pull(cookie, &r, 100);
	suite_sql("UPDATE sync_changes SET changed_at = now() - interval "
	    "'31 days' WHERE deleted AND user_id = " OF("dave@example.org"));
	/* The first of two settings' writes is a commit whose row moved
	 * on. */
	ck_assert_int_eq(api_status("PATCH", "/api/settings", cookie,
	    "{\"settingsJson\":{\"theme\":\"dark\"}}"), 200);
	ck_assert_int_eq(api_status("PATCH", "/api/settings", cookie,
	    "{\"settingsJson\":{\"theme\":\"light\"}}"), 200);
	ck_assert_int_eq(suite_count(EMPTY_COMMITS("dave@example.org")), 1);
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", NULL),
	    0);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM sync_changes WHERE "
	    "deleted AND user_id = " OF("dave@example.org")), 0);
	ck_assert_int_eq(page_status(cookie, old, code, sizeof(code)), 409);
	ck_assert_int_eq(page_status(cookie, r.cursor, NULL, 0), 200);
	/* Empty commits are forgotten (the swept tombstone's by the next
	 * run: a run sees one snapshot); the last stays. */
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", NULL),
	    0);
	ck_assert_int_eq(suite_count(EMPTY_COMMITS("dave@example.org")), 0);
	ck_assert_int_eq(page_status(cookie, r.cursor, NULL, 0), 200);
	/* A first page after that starts past the floor, and its cursor
	 * is good (no loop of 409s). */
	replica_free(&r);
	replica_init(&r);
	pull(cookie, &r, 100);
	ck_assert_int_eq(page_status(cookie, r.cursor, NULL, 0), 200);
	/* The feed lost what the cursor had (a standby behind, a backup). */
	create(cookie, "/api/quests", "{\"title\":\"y\",\"domainId\":\"d\"}",
	    id);
	pull(cookie, &r, 100);
	/* The user's last commit, as a feed that lost it would be. */
	suite_sql("WITH k AS (DELETE FROM sync_commits WHERE (user_id, no) = "
	    "(SELECT user_id, writes FROM sync_feeds WHERE user_id = "
	    OF("dave@example.org") ") RETURNING user_id, xid), c AS (DELETE "
	    "FROM sync_changes s USING k WHERE (s.user_id, s.xid) = "
	    "(k.user_id, k.xid)) UPDATE sync_feeds SET writes = writes - 1 "
	    "WHERE user_id = " OF("dave@example.org"));
	ck_assert_int_eq(page_status(cookie, r.cursor, code, sizeof(code)),
	    409);
	/* A restore's new epoch: every cursor before it. */
	replica_free(&r);
	replica_init(&r);
	pull(cookie, &r, 100);
	ck_assert_int_eq(page_status(cookie, r.cursor, NULL, 0), 200);
	suite_sql("UPDATE sync_epoch SET epoch = gen_random_uuid()");
	ck_assert_int_eq(page_status(cookie, r.cursor, code, sizeof(code)),
	    409);
	ck_assert_str_eq(code, "resync_required");
	replica_free(&r);
}
END_TEST

/* --- writers race a reader -------------------------------------------- */

#define WRITERS		3
#define WRITES		40

/* Writer w: creates, patches and deletes quests of its own; exits. */
static void
writer(const char *cookie, int w)
{
	struct resp	 p;
	char		 body[256], path[256], id[WRITES][128];
	int		 i;

	for (i = 0; i < WRITES; i++) {
		snprintf(body, sizeof(body), "{\"id\":\"w%d-%d\",\"title\":"
		    "\"w%d\",\"domainId\":\"d\"}", w, i, w);
		if (api_req("POST", "/api/quests", cookie, body, &p) != 201)
			_exit(1);
		snprintf(id[i], sizeof(id[i]), "%s", resp_str(&p, "id"));
		resp_free(&p);
		if (i % 3 == 1) {
			snprintf(path, sizeof(path), "/api/quests/%s",
			    id[i - 1]);
			if (api_status("PATCH", path, cookie,
			    "{\"priority\":\"low\"}") != 200)
				_exit(2);
		}
		if (i % 4 == 3) {
			snprintf(path, sizeof(path), "/api/quests/%s",
			    id[i - 2]);
			if (api_status("DELETE", path, cookie, NULL) != 204)
				_exit(3);
		}
	}
	_exit(0);
}

START_TEST(writers_racing_a_reader_miss_nothing)
{
	struct replica	 r;
	char		 cookie[128];
	pid_t		 pid[WRITERS];
	int		 i, left = WRITERS, status, more;

	suite_user("erin@example.org", cookie, sizeof(cookie));
	replica_init(&r);
	for (i = 0; i < WRITERS; i++) {
		pid[i] = fork();
		ck_assert(pid[i] >= 0);
		if (pid[i] == 0)
			writer(cookie, i);
	}
	/* Small pages, read while the writes commit. */
	while (left > 0) {
		ck_assert_int_eq(pull_page(cookie, &r, 5, &more), 200);
		for (i = 0; i < WRITERS; i++)
			if (pid[i] > 0 && waitpid(pid[i], &status, WNOHANG) ==
			    pid[i]) {
				ck_assert_msg(WIFEXITED(status) &&
				    WEXITSTATUS(status) == 0, "writer %d: %d",
				    i, status);
				pid[i] = 0;
				left--;
			}
	}
	pull(cookie, &r, 5);
	ck_assert_int_gt(r.pages, 10);
	assert_list_is_replica(cookie, "/api/quests", "quests", &r);
	assert_list_is_replica(cookie, "/api/events", "logEvents", &r);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "user_id = " OF("erin@example.org")), WRITERS * (WRITES - WRITES /
	    4));
	replica_free(&r);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("sync");
	TCase	*tc = tcase_create("feed");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_replica_reaches_what_the_lists_show);
	tcase_add_test(tc, every_kind_is_as_its_get_shows_it);
	tcase_add_test(tc, server_made_rows_are_in_it);
	tcase_add_test(tc, another_users_changes_never_appear);
	tcase_add_test(tc, cursors_it_cannot_honour_are_409);
	tcase_add_test(tc, writers_racing_a_reader_miss_nothing);
	harness_add_no_crash(tc, &suite_st);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
