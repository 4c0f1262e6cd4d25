/*
 * check_domain.c - every entity of the domain API through nginx, driven
 * by one table (create, read, list, HEAD, patch with and without a
 * stale If-Match, validation naming the field, unknown and server-owned
 * fields, another user's id → 404 on every method, delete), then each
 * entity's own rules: append-only rewards and events, the skill tree,
 * settings and time zones, tracks under their library, infobase search,
 * filters, the due list, plan templates applied, /api/me.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "harness.h"
#include "../common/run.h"

static char		 alice[128], bob[128];

static void
setup(void)
{
	suite_start_pair("domain", "job_workers = 0\nsearch_rate = 20\n", alice,
	    bob, sizeof(alice));
}

static void
teardown(void)
{
	suite_stop();
}

/* --- one table, every plain entity ------------------------------------ */

struct ent {
	const char	*coll;		/* collection path */
	const char	*item;		/* item path prefix */
	const char	*create;
	const char	*patch;		/* NULL: append-only */
	const char	*patched;	/* a member the patch changes */
	const char	*bad;		/* an invalid create body */
	const char	*bad_field;	/* the field its 422 names */
	int		 hashed;	/* has contentHash / ETag */
	const char	*table;
};

static const struct ent ents[] = {
	{ "/api/quests", "/api/quests/",
	    "{\"title\":\"Mix\",\"domainId\":\"music\",\"tags\":[\"a\"]}",
	    "{\"priority\":\"high\"}", "priority",
	    "{\"title\":\"x\",\"domainId\":\"d\",\"dueDate\":\"tomorrow\"}",
	    "dueDate", 1, "quests" },
	{ "/api/schedule-rules", "/api/schedule-rules/",
	    "{\"name\":\"Review\",\"domainId\":\"planner\",\"recurrence\":"
	    "\"weekly\",\"daysOfWeek\":[1,3],\"questTemplate\":{\"title\":"
	    "\"Weekly review\",\"xpValue\":10}}",
	    "{\"enabled\":false}", "enabled",
	    "{\"name\":\"x\",\"domainId\":\"d\",\"recurrence\":\"weekly\","
	    "\"questTemplate\":{\"title\":\"t\"}}", "daysOfWeek", 1,
	    "schedule_rules" },
	{ "/api/plan-templates", "/api/plan-templates/",
	    "{\"name\":\"Morning\",\"domainId\":\"planner\",\"templateType\":"
	    "\"day\",\"questTemplates\":[{\"title\":\"Stretch\"},{\"title\":"
	    "\"Plan\",\"priority\":\"high\"}]}",
	    "{\"estimatedDuration\":30}", "estimatedDuration",
	    "{\"name\":\"x\",\"domainId\":\"d\",\"templateType\":\"day\","
	    "\"questTemplates\":[{\"title\":\"ok\"},{\"title\":\"\"}]}",
	    "questTemplates[1].title", 1, "plan_templates" },
	{ "/api/projects", "/api/projects/",
	    "{\"name\":\"EP\",\"tags\":[\"house\"]}", "{\"starred\":true}",
	    "starred", "{\"name\":\"x\",\"status\":\"lost\"}", "status", 1,
	    "projects" },
	{ "/api/reference-libraries", "/api/reference-libraries/",
	    "{\"name\":\"Refs\"}", "{\"description\":\"mix refs\"}",
	    "description", "{\"name\":\"\"}", "name", 1,
	    "reference_libraries" },
	{ "/api/infobase", "/api/infobase/",
	    "{\"title\":\"Gain staging\",\"content\":\"Keep peaks low\"}",
	    "{\"pinned\":true}", "pinned",
	    "{\"title\":\"t\",\"content\":\"c\",\"pinned\":\"yes\"}", "pinned",
	    1, "infobase_entries" },
	{ "/api/lane-templates", "/api/lane-templates/",
	    "{\"name\":\"Beat\",\"templateType\":\"drums\",\"laneSettings\":{},"
	    "\"notes\":[],\"bpm\":120,\"bars\":4,\"timeSignature\":[4,4]}",
	    "{\"bpm\":128}", "bpm",
	    "{\"name\":\"B\",\"templateType\":\"drums\",\"laneSettings\":{},"
	    "\"notes\":[],\"bpm\":120,\"bars\":4,\"timeSignature\":[4]}",
	    "timeSignature", 1, "lane_templates" },
	{ "/api/rewards", "/api/rewards/",
	    "{\"domainId\":\"music\",\"type\":\"streak\",\"amount\":3,"
	    "\"reason\":\"three days\"}", NULL, NULL,
	    "{\"domainId\":\"d\",\"type\":\"xp\",\"amount\":-5,\"reason\":"
	    "\"r\"}", "amount", 0, "reward_ledger" },
	{ "/api/events", "/api/events/",
	    "{\"eventType\":\"note.taken\",\"payload\":{\"k\":1},"
	    "\"domainId\":\"music\"}", NULL, NULL,
	    "{\"eventType\":\"note.taken\"}", "payload", 0, "log_events" },
};
#define NENTS	N(ents)

START_TEST(entity_lifecycle)
{
	const struct ent	*e = &ents[_i];
	struct resp		 r, g;
	char			 item[512], etag[80], fresh[80], hdr[128], path[600];
	char			*created;

	/* Create: 201, Location, the entity (and its ETag). */
	ck_assert_int_eq(api_req("POST", e->coll, alice, e->create, &r), 201);
	snprintf(item, sizeof(item), "%s%s", e->item, resp_str(&r, "id"));
	ck_assert_ptr_nonnull(strstr(resp_header(&r, "Location"), item));
	if (e->hashed) {
		snprintf(etag, sizeof(etag), "%s", resp_header(&r, "ETag"));
		ck_assert_uint_eq(strlen(etag), 66);
	}
	created = strdup(r.body);
	resp_free(&r);

	/* Read: the same; HEAD: the same status and headers, no body. */
	ck_assert_int_eq(api_req("GET", item, alice, NULL, &g), 200);
	ck_assert_str_eq(g.body, created);
	resp_free(&g);
	ck_assert_int_eq(api_req("HEAD", item, alice, NULL, &g), 200);
	ck_assert_str_eq(g.body, "");
	if (e->hashed)
		ck_assert_str_eq(resp_header(&g, "ETag"), etag);
	resp_free(&g);

	/* Listed, for alice only. */
	ck_assert_int_eq(api_req("GET", e->coll, alice, NULL, &g), 200);
	ck_assert_ptr_nonnull(strstr(g.body, item + strlen(e->item)));
	resp_free(&g);
	ck_assert_int_eq(api_req("GET", e->coll, bob, NULL, &g), 200);
	ck_assert_ptr_null(strstr(g.body, item + strlen(e->item)));
	resp_free(&g);
	ck_assert_int_eq(api_req("HEAD", e->coll, alice, NULL, &g), 200);
	ck_assert_str_eq(g.body, "");
	resp_free(&g);
	/* A parameter the list does not have is refused, not ignored. */
	snprintf(path, sizeof(path), "%s?stauts=pending", e->coll);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &g), 400);
	ck_assert_ptr_nonnull(strstr(resp_str(&g, "error.message"),
	    "stauts"));
	resp_free(&g);

	/* Invalid, unknown and server-owned fields: 422 naming them. */
	ck_assert_int_eq(api_req("POST", e->coll, alice, e->bad, &g), 422);
	ck_assert_str_eq(resp_str(&g, "error.code"), "invalid");
	ck_assert_str_eq(resp_str(&g, "error.field"), e->bad_field);
	resp_free(&g);
	ck_assert_int_eq(api_req("POST", e->coll, alice, "{\"nmae\":\"typo\"}",
	    &g), 422);
	ck_assert_str_eq(resp_str(&g, "error.field"), "nmae");
	resp_free(&g);
	ck_assert_int_eq(api_req("POST", e->coll, alice, "{\"createdAt\":"
	    "\"2026-01-01T00:00:00Z\"}", &g), 422);
	ck_assert_str_eq(resp_str(&g, "error.field"), "createdAt");
	resp_free(&g);

	/* Bob, on alice's id: 404 on every method, as for a missing id. */
	ck_assert_int_eq(api_status("GET", item, bob, NULL), 404);
	ck_assert_int_eq(api_status("HEAD", item, bob, NULL), 404);
	if (e->patch != NULL) {
		ck_assert_int_eq(api_status("PATCH", item, bob, e->patch), 404);
		ck_assert_int_eq(api_status("DELETE", item, bob, NULL), 404);
	}
	ck_assert_int_eq(api_req("GET", item, alice, NULL, &g), 200);
	ck_assert_str_eq(g.body, created);
	resp_free(&g);

	if (e->patch == NULL) {
		/* Append-only: history is not rewritten. */
		ck_assert_int_eq(api_status("PATCH", item, alice, "{}"), 405);
		ck_assert_int_eq(api_status("DELETE", item, alice, NULL), 405);
		free(created);
		return;
	}
	/* Patch: 200, changed, a new ETag; the old one is now stale. */
	ck_assert_int_eq(api_req("PATCH", item, alice, e->patch, &g), 200);
	ck_assert(json_object_object_get_ex(g.json, e->patched, NULL));
	/* {"k":v} shows as "k":v in the entity. */
	snprintf(path, sizeof(path), "%.*s", (int)strlen(e->patch) - 2,
	    e->patch + 1);
	ck_assert_ptr_nonnull(strstr(g.body, path));
	ck_assert_str_ne(resp_header(&g, "ETag"), etag);
	snprintf(fresh, sizeof(fresh), "%s", resp_header(&g, "ETag"));
	resp_free(&g);
	/* The same PATCH again with the old ETag: a retry of one that
	 * committed, answered as it was (check_quests: a different one is
	 * 412). */
	snprintf(hdr, sizeof(hdr), "If-Match: %s", etag);
	ck_assert_int_eq(api_req_h("PATCH", item, alice, hdr, e->patch, &g), 200);
	ck_assert_str_eq(resp_str(&g, "id"), item + strlen(e->item));
	ck_assert_str_eq(resp_header(&g, "ETag"), fresh);
	resp_free(&g);
	ck_assert_int_eq(api_req("PATCH", item, alice, "{\"createdAt\":null}",
	    &g), 422);
	resp_free(&g);
	ck_assert_int_eq(api_req("PATCH", item, alice, "{\"id\":\"other\"}", &g),
	    422);
	ck_assert_str_eq(resp_str(&g, "error.field"), "id");
	resp_free(&g);

	/* Delete: 204, then 404. */
	ck_assert_int_eq(api_status("DELETE", item, alice, NULL), 204);
	ck_assert_int_eq(api_status("GET", item, alice, NULL), 404);
	ck_assert_int_eq(api_status("DELETE", item, alice, NULL), 404);
	free(created);
}
END_TEST

/* Writes of planner entities go to the event log in their transaction. */
START_TEST(planner_writes_are_logged)
{
	ck_assert_int_ge(suite_count("SELECT count(*) FROM log_events WHERE "
	    "event_type = 'schedule_rule.created'"), 1);
	ck_assert_int_ge(suite_count("SELECT count(*) FROM log_events WHERE "
	    "event_type = 'schedule_rule.updated' AND payload ? 'enabled'"), 1);
	ck_assert_int_ge(suite_count("SELECT count(*) FROM log_events WHERE "
	    "event_type = 'plan_template.deleted'"), 1);
	/* Not the producer's entities. */
	ck_assert_int_eq(suite_count("SELECT count(*) FROM log_events WHERE "
	    "event_type LIKE 'project.%'"), 0);
}
END_TEST

/* --- each entity's own rules ------------------------------------------ */

START_TEST(rewards_feed_the_tree_and_sum_up)
{
	char		 c[128];
	struct resp	 r;

	suite_user("rewards@example.org", c,
	    sizeof(c));
	ck_assert_int_eq(api_req("GET", "/api/skill-tree", c, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "totalXp"), "0");
	ck_assert_ptr_null(resp_str(&r, "id"));
	ck_assert_ptr_nonnull(resp_header(&r, "ETag"));
	resp_free(&r);
	ck_assert_int_eq(api_status("POST", "/api/rewards", c, "{\"domainId\":"
	    "\"music\",\"type\":\"xp\",\"amount\":40,\"reason\":\"mixdown\"}"),
	    201);
	ck_assert_int_eq(api_status("POST", "/api/rewards", c, "{\"domainId\":"
	    "\"fitness\",\"type\":\"xp\",\"amount\":2,\"reason\":\"walk\"}"),
	    201);
	ck_assert_int_eq(api_status("POST", "/api/rewards", c, "{\"domainId\":"
	    "\"music\",\"type\":\"streak\",\"amount\":7,\"reason\":\"week\"}"),
	    201);
	ck_assert_int_eq(api_req("GET", "/api/skill-tree", c, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "totalXp"), "42");
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/rewards/summary", c, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "byType.xp.amount"), "42");
	ck_assert_str_eq(resp_str(&r, "byType.xp.count"), "2");
	ck_assert_str_eq(resp_str(&r, "byType.streak.amount"), "7");
	ck_assert_str_eq(resp_str(&r, "byDomain.music.xp.amount"), "40");
	ck_assert_str_eq(resp_str(&r, "byDomain.fitness.xp.amount"), "2");
	resp_free(&r);
	/* Filters; bob's summary is his own (empty). */
	ck_assert_int_eq(api_req("GET", "/api/rewards?type=xp&domainId=music", c,
	    NULL, &r), 200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 1);
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/rewards?type=gold", c, NULL, &r),
	    400);
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"), "type"));
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/rewards/summary", bob, NULL, &r),
	    200);
	ck_assert_str_eq(r.body, "{\"byType\":{},\"byDomain\":{}}");
	resp_free(&r);
	/* Past 2^31 (an integer once: every award failed, 500): counted. */
	suite_sql("UPDATE skill_trees SET total_xp = 2147483000 WHERE user_id "
	    "= (SELECT id FROM users WHERE email = 'rewards@example.org')");
	ck_assert_int_eq(api_status("POST", "/api/rewards", c, "{\"domainId\":"
	    "\"music\",\"type\":\"xp\",\"amount\":1000000,\"reason\":"
	    "\"big\"}"), 201);
	ck_assert_int_eq(api_req("GET", "/api/skill-tree", c, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "totalXp"), "2148483000");
	resp_free(&r);
	/* sourceEventId is one of the user's events (sql/0017): bob's, or
	 * none at all, is 422 naming it; her own is taken. */
	ck_assert_int_eq(api_status("POST", "/api/events", bob, "{\"id\":"
	    "\"bobs-event\",\"eventType\":\"e\",\"payload\":{},"
	    "\"timestamp\":\"2026-01-02T12:00:00Z\"}"), 201);
	ck_assert_int_eq(api_status("POST", "/api/events", c, "{\"id\":"
	    "\"her-event\",\"eventType\":\"e\",\"payload\":{},"
	    "\"timestamp\":\"2026-01-02T12:00:00Z\"}"), 201);
	ck_assert_int_eq(api_req("POST", "/api/rewards", c, "{\"domainId\":"
	    "\"music\",\"type\":\"xp\",\"amount\":1,\"reason\":\"r\","
	    "\"sourceEventId\":\"bobs-event\"}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "sourceEventId");
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "no such event of yours"));
	resp_free(&r);
	ck_assert_int_eq(api_status("POST", "/api/rewards", c, "{\"domainId\":"
	    "\"music\",\"type\":\"xp\",\"amount\":1,\"reason\":\"r\","
	    "\"sourceEventId\":\"nobody\"}"), 422);
	ck_assert_int_eq(api_status("POST", "/api/rewards", c, "{\"domainId\":"
	    "\"music\",\"type\":\"xp\",\"amount\":1,\"reason\":\"r\","
	    "\"sourceEventId\":\"her-event\"}"), 201);
}
END_TEST

START_TEST(skill_tree_is_replaced_with_if_match)
{
	char		 c[128], etag[80], hdr[128];
	struct resp	 r;

	suite_user("tree@example.org", c,
	    sizeof(c));
	ck_assert_int_eq(api_req("PUT", "/api/skill-tree", c, "{\"nodes\":{\"mix\":"
	    "{\"level\":2}},\"achievements\":[\"first\"],\"version\":3}", &r),
	    200);
	ck_assert_str_eq(resp_str(&r, "nodes.mix.level"), "2");
	ck_assert_str_eq(resp_str(&r, "version"), "3");
	snprintf(etag, sizeof(etag), "%s", resp_header(&r, "ETag"));
	resp_free(&r);
	/* totalXp is the server's. */
	ck_assert_int_eq(api_req("PUT", "/api/skill-tree", c, "{\"nodes\":{},"
	    "\"totalXp\":9999}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "totalXp");
	resp_free(&r);
	ck_assert_int_eq(api_status("PUT", "/api/skill-tree", c, "{}"), 422);
	/* Replaced whole: achievements absent → null, version → 1. */
	snprintf(hdr, sizeof(hdr), "If-Match: %s", etag);
	ck_assert_int_eq(api_req_h("PUT", "/api/skill-tree", c, hdr, "{\"nodes\":"
	    "{}}", &r), 200);
	ck_assert_ptr_null(resp_str(&r, "achievements"));
	ck_assert_str_eq(resp_str(&r, "version"), "1");
	resp_free(&r);
	ck_assert_int_eq(api_req_h("PUT", "/api/skill-tree", c, hdr, "{\"nodes\":"
	    "{}}", &r), 412);
	ck_assert_str_eq(resp_str(&r, "current.version"), "1");
	resp_free(&r);
	ck_assert_int_eq(api_status("PATCH", "/api/skill-tree", c, "{}"), 405);
}
END_TEST

START_TEST(settings_defaults_and_time_zone)
{
	char		 c[128], etag[80], hdr[128];
	struct resp	 r;

	suite_user("settings@example.org", c,
	    sizeof(c));
	ck_assert_int_eq(api_req("GET", "/api/settings", c, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "theme"), "system");
	ck_assert_str_eq(resp_str(&r, "focusDefaultDuration"), "1500");
	ck_assert_ptr_null(resp_str(&r, "settingsJson"));
	snprintf(etag, sizeof(etag), "%s", resp_header(&r, "ETag"));
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", "/api/settings", c, "{\"settingsJson\":"
	    "{\"timeZone\":\"Mars/Olympus_Mons\"}}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "settingsJson.timeZone");
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", "/api/settings", c, "{\"settingsJson\":"
	    "{\"timeZone\":\"../../etc/passwd\"}}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "settingsJson.timeZone");
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", "/api/settings", c, "{\"theme\":"
	    "\"sepia\"}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "theme");
	resp_free(&r);
	/* The first PATCH makes the row: the rest stays the defaults. */
	snprintf(hdr, sizeof(hdr), "If-Match: %s", etag);
	ck_assert_int_eq(api_req_h("PATCH", "/api/settings", c, hdr, "{\"theme\":"
	    "\"dark\",\"settingsJson\":{\"timeZone\":\"Europe/Berlin\"}}", &r),
	    200);
	ck_assert_str_eq(resp_str(&r, "theme"), "dark");
	ck_assert_str_eq(resp_str(&r, "keyboardLayout"), "mac");
	ck_assert_str_eq(resp_str(&r, "settingsJson.timeZone"),
	    "Europe/Berlin");
	ck_assert_ptr_nonnull(resp_str(&r, "updatedAt"));
	resp_free(&r);
	ck_assert_int_eq(api_req_h("PATCH", "/api/settings", c, hdr, "{\"theme\":"
	    "\"light\"}", &r), 412);
	ck_assert_str_eq(resp_str(&r, "current.theme"), "dark");
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", "/api/settings", c, "{\"focusDefault"
	    "Duration\":3000}", &r), 200);
	ck_assert_str_eq(resp_str(&r, "theme"), "dark");
	resp_free(&r);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM user_settings"), 1);
}
END_TEST

/*
 * A track's body for a ready audio blob of email's, made in the database
 * (check_blobs uploads real ones); a static buffer.
 */
static const char *
track_body(const char *email, const char *name)
{
	static char	 body[512];
	char		 q[512];

	snprintf(q, sizeof(q), "INSERT INTO blobs (user_id, kind, object_key, "
	    "mime_type, size_bytes, name, state) SELECT id, 'audio', id || "
	    "'/audio/' || gen_random_uuid() || '.wav', 'audio/wav', 1024, "
	    "'r.wav', 'ready' FROM users WHERE email = '%s' RETURNING id",
	    email);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"blobId\":\"%s\","
	    "\"durationMs\":3000}", name, suite_sql(q));
	return body;
}

START_TEST(tracks_live_in_their_library)
{
	struct resp	 r;
	char		 lib[64], path[256], item[256], track[512];

	snprintf(track, sizeof(track), "%s", track_body("alice@example.org",
	    "Ref 1"));

	ck_assert_int_eq(api_req("POST", "/api/reference-libraries", alice,
	    "{\"name\":\"Mixes\"}", &r), 201);
	snprintf(lib, sizeof(lib), "%s", resp_str(&r, "id"));
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/reference-libraries/%s/tracks", lib);
	ck_assert_int_eq(api_req("POST", path, alice, track, &r), 201);
	ck_assert_str_eq(resp_str(&r, "libraryId"), lib);
	/* The blob's key, type and size are the track's. */
	ck_assert_str_eq(resp_str(&r, "mimeType"), "audio/wav");
	ck_assert_str_eq(resp_str(&r, "sizeBytes"), "1024");
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "blobKey"), "/audio/"));
	snprintf(item, sizeof(item), "/api/reference-tracks/%s",
	    resp_str(&r, "id"));
	ck_assert_ptr_nonnull(strstr(resp_header(&r, "Location"), item));
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 1);
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", item, alice, "{\"name\":\"Ref one\"}",
	    &r), 200);
	ck_assert_str_eq(resp_str(&r, "name"), "Ref one");
	resp_free(&r);
	/* Bob: alice's library is no library of his, for list and create. */
	ck_assert_int_eq(api_status("GET", path, bob, NULL), 404);
	ck_assert_int_eq(api_status("POST", path, bob, track), 404);
	ck_assert_int_eq(api_status("GET", item, bob, NULL), 404);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reference_tracks"),
	    1);
	/* The body may repeat the path's library, not name another. */
	ck_assert_int_eq(api_req("POST", path, alice, "{\"libraryId\":\"zzz\","
	    "\"name\":\"x\",\"blobId\":\"00000000-0000-4000-8000-"
	    "000000000000\"}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "libraryId");
	resp_free(&r);
	/* Deleting the library takes its tracks. */
	snprintf(path, sizeof(path), "/api/reference-libraries/%s", lib);
	ck_assert_int_eq(api_status("DELETE", path, alice, NULL), 204);
	ck_assert_int_eq(api_status("GET", item, alice, NULL), 404);
}
END_TEST

/* The first entry's title of a page. */
static const char *
first_title(struct resp *r)
{
	return json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(json_object_object_get(r->json, "data"),
	    0), "title"));
}

/* query's page after r's (its nextCursor): one entry, title, the last. */
static void
assert_last_page(const char *c, const char *query, struct resp *r,
    const char *title)
{
	char		path[512];
	struct resp	n;

	snprintf(path, sizeof(path), "%s&cursor=%s", query,
	    resp_str(r, "nextCursor"));
	ck_assert_int_eq(api_req("GET", path, c, NULL, &n), 200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    n.json, "data")), 1);
	ck_assert_str_eq(first_title(&n), title);
	ck_assert_ptr_null(resp_str(&n, "nextCursor"));
	resp_free(&n);
}

START_TEST(infobase_search_ranks_titles_first)
{
	char		 c[128];
	struct resp	 r;
	struct json_object *d;

	suite_user("notes@example.org", c,
	    sizeof(c));
	ck_assert_int_eq(api_status("POST", "/api/infobase", c, "{\"title\":"
	    "\"Drum bus\",\"content\":\"Parallel compression glues the "
	    "kit\",\"category\":\"mixing\"}"), 201);
	ck_assert_int_eq(api_status("POST", "/api/infobase", c, "{\"title\":"
	    "\"Compression basics\",\"content\":\"Attack and release\","
	    "\"category\":\"mixing\",\"pinned\":true}"), 201);
	ck_assert_int_eq(api_status("POST", "/api/infobase", c, "{\"title\":"
	    "\"Chords\",\"content\":\"Voice leading\",\"category\":"
	    "\"theory\",\"id\":\"chords-1\"}"), 201);
	/* Said as English says it: "an infobase entry". */
	ck_assert_int_eq(api_req("POST", "/api/infobase", c, "{\"title\":"
	    "\"Again\",\"content\":\"x\",\"id\":\"chords-1\"}", &r), 409);
	ck_assert_str_eq(resp_str(&r, "error.message"), "an infobase entry "
	    "with this id already exists");
	resp_free(&r);
	ck_assert_int_eq(api_status("POST", "/api/infobase", alice, "{\"title\":"
	    "\"Compression (alice)\",\"content\":\"mine\"}"), 201);
	ck_assert_int_eq(api_req("GET", "/api/infobase?q=compression", c, NULL,
	    &r), 200);
	d = json_object_object_get(r.json, "data");
	ck_assert_int_eq(json_object_array_length(d), 2);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(d, 0), "title")), "Compression basics");
	resp_free(&r);
	/* A word of the content (stemmed: "glue" finds "glues"). */
	ck_assert_int_eq(api_req("GET", "/api/infobase?q=glue", c, NULL, &r), 200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 1);
	resp_free(&r);
	/* Paged by rank; with filters. */
	ck_assert_int_eq(api_req("GET", "/api/infobase?q=compression&limit=1", c,
	    NULL, &r), 200);
	ck_assert_ptr_nonnull(resp_str(&r, "nextCursor"));
	assert_last_page(c, "/api/infobase?q=compression&limit=1", &r,
	    "Drum bus");
	{
		char path[512];

		/* A search's cursor is not a plain list's. */
		snprintf(path, sizeof(path), "/api/infobase?cursor=%s",
		    resp_str(&r, "nextCursor"));
		ck_assert_int_eq(api_status("GET", path, c, NULL), 400);
		/* A rank float4 cannot hold (it underflowed: a 500). */
		{
			struct arena a;

			arena_init(&a, 4096);
			snprintf(path, sizeof(path), "/api/infobase?q=compression"
			    "&cursor=%s", model_cursor_encode(&a, "1e-50", "x"));
			ck_assert_int_eq(api_status("GET", path, c, NULL), 400);
			arena_cleanup(&a);
		}
	}
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/infobase?pinned=true&category=mixing",
	    c, NULL, &r), 200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 1);
	resp_free(&r);
	/* A search with filters, and its pages (the filters are read
	 * before the page is cut). */
	ck_assert_int_eq(api_req("GET", "/api/infobase?q=compression&"
	    "pinned=false", c, NULL, &r), 200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 1);
	ck_assert_str_eq(first_title(&r), "Drum bus");
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/infobase?q=compression&"
	    "category=mixing&limit=1", c, NULL, &r), 200);
	ck_assert_str_eq(first_title(&r), "Compression basics");
	assert_last_page(c, "/api/infobase?q=compression&category=mixing&"
	    "limit=1", &r, "Drum bus");
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/infobase?q=compression&"
	    "category=theory", c, NULL, &r), 200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 0);
	resp_free(&r);
	/* A vector written now is lz4 (sql/0023: ranking decompresses it).
	 * 300 words: a vector past the size PostgreSQL compresses at. */
	{
		struct buf body;
		int k;

		buf_init(&body, 8192);
		buf_puts(&body, "{\"title\":\"Long\",\"id\":\"long-1\","
		    "\"content\":\"");
		for (k = 0; k < 300; k++)
			buf_printf(&body, "word%d ", k);
		buf_puts(&body, "\"}");
		ck_assert_int_eq(api_status("POST", "/api/infobase", c,
		    body.data), 201);
		buf_cleanup(&body);
		ck_assert_str_eq(suite_sql("SELECT pg_column_compression("
		    "search) FROM infobase_entries WHERE id = 'long-1'"), "lz4");
	}
	ck_assert_int_eq(api_status("GET", "/api/infobase?q=", c, NULL), 400);
	/* 500 000 characters of two-character CJK words, each its own
	 * lexeme: past a search vector's 1 MB, stored (sql/0016) and found
	 * by its first words. */
	{
		struct buf	 b;
		char		 q[256];
		unsigned	 cp;
		int		 i, k;

		buf_init(&b, 4 << 20);
		buf_puts(&b, "{\"title\":\"cjk\",\"content\":\"");
		for (i = 0; i < 166666; i++) {
			for (k = 0; k < 2; k++) {
				cp = 0x4e00 + (k == 0 ? (unsigned)i % 20000 :
				    (unsigned)i / 20000);
				buf_putc(&b, (char)(0xe0 | cp >> 12));
				buf_putc(&b, (char)(0x80 | (cp >> 6 & 0x3f)));
				buf_putc(&b, (char)(0x80 | (cp & 0x3f)));
			}
			buf_putc(&b, ' ');
		}
		buf_puts(&b, "\"}");
		ck_assert_int_eq(api_status("POST", "/api/infobase", c, b.data),
		    201);
		buf_cleanup(&b);
		/* U+4E01 U+4E00: the second word. */
		snprintf(q, sizeof(q), "/api/infobase?q=%%E4%%B8%%81%%E4%%B8%%80");
		ck_assert_int_eq(api_req("GET", q, c, NULL, &r), 200);
		ck_assert_int_eq(json_object_array_length(json_object_object_get(
		    r.json, "data")), 1);
		resp_free(&r);
	}
	/* search_rate (20 per 10 s in this suite): a user's 21st is 429,
	 * a list is not limited, another user's search is not. */
	{
		char	 rated[128];
		int	 i;

		suite_user("rated@example.org", rated, sizeof(rated));
		for (i = 0; i < 20; i++)
			ck_assert_int_eq(api_status("GET", "/api/infobase?q="
			    "glue", rated, NULL), 200);
		ck_assert_int_eq(api_req("GET", "/api/infobase?q=glue", rated,
		    NULL, &r), 429);
		ck_assert_str_eq(resp_str(&r, "error.code"), "rate_limited");
		ck_assert_ptr_nonnull(resp_header(&r, "Retry-After"));
		resp_free(&r);
		ck_assert_int_eq(api_status("GET", "/api/infobase", rated,
		    NULL), 200);
		ck_assert_int_eq(api_status("GET", "/api/infobase?q=glue",
		    bob, NULL), 200);
	}
	/* Only words to leave out: nothing to look up (sql/0012). */
	ck_assert_int_eq(api_req("GET", "/api/infobase?q=-compression%20-glue",
	    c, NULL, &r), 400);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(r.json, "error"), "code")), "invalid_query");
	resp_free(&r);
	ck_assert_int_eq(api_status("GET", "/api/infobase?q=compression%20"
	    "-glue", c, NULL), 200);
	ck_assert_int_eq(api_status("GET", "/api/infobase?pinned=maybe", c,
	    NULL), 400);
}
END_TEST

START_TEST(quest_filters_and_due_list)
{
	char		 c[128];
	struct resp	 r;
	struct json_object *d;

	suite_user("due@example.org", c, sizeof(c));
	/* Far in the past and the future, so "today" never matters. */
	ck_assert_int_eq(api_status("POST", "/api/quests", c, "{\"title\":"
	    "\"old low\",\"domainId\":\"d\",\"priority\":\"low\",\"dueDate\":"
	    "\"2020-01-01T10:00:00Z\",\"tags\":[\"x\"]}"), 201);
	ck_assert_int_eq(api_status("POST", "/api/quests", c, "{\"title\":"
	    "\"old critical\",\"domainId\":\"d\",\"priority\":\"critical\","
	    "\"dueDate\":\"2020-01-01T10:00:00Z\"}"), 201);
	ck_assert_int_eq(api_status("POST", "/api/quests", c, "{\"title\":"
	    "\"older medium\",\"domainId\":\"e\",\"dueDate\":"
	    "\"2019-06-01T00:00:00Z\"}"), 201);
	ck_assert_int_eq(api_status("POST", "/api/quests", c, "{\"title\":"
	    "\"future\",\"domainId\":\"d\",\"dueDate\":\"2100-01-01T00:00:00Z\""
	    "}"), 201);
	ck_assert_int_eq(api_status("POST", "/api/quests", c, "{\"title\":"
	    "\"done\",\"domainId\":\"d\",\"status\":\"completed\",\"dueDate\":"
	    "\"2020-01-01T10:00:00Z\"}"), 201);
	ck_assert_int_eq(api_req("GET", "/api/quests/due", c, NULL, &r), 200);
	d = json_object_object_get(r.json, "data");
	ck_assert_int_eq(json_object_array_length(d), 3);
#define TITLE(i) json_object_get_string(json_object_object_get( \
	    json_object_array_get_idx(d, (i)), "title"))
	ck_assert_str_eq(TITLE(0), "older medium");
	/* Same date: critical before low, by rank not by string. */
	ck_assert_str_eq(TITLE(1), "old critical");
	ck_assert_str_eq(TITLE(2), "old low");
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/quests?domainId=e", c, NULL, &r),
	    200);
	d = json_object_object_get(r.json, "data");
	ck_assert_int_eq(json_object_array_length(d), 1);
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/quests?tag=x&status=pending", c,
	    NULL, &r), 200);
	d = json_object_object_get(r.json, "data");
	ck_assert_int_eq(json_object_array_length(d), 1);
	ck_assert_str_eq(TITLE(0), "old low");
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/quests?dueAfter=2019-12-31T00:00:00Z"
	    "&dueBefore=2020-12-31T00:00:00Z", c, NULL, &r), 200);
	d = json_object_object_get(r.json, "data");
	ck_assert_int_eq(json_object_array_length(d), 3);
	resp_free(&r);
	ck_assert_int_eq(api_status("GET", "/api/quests?updatedSince="
	    "2100-01-01T00:00:00Z", c, NULL), 200);
	ck_assert_int_eq(api_req("GET", "/api/quests?updatedSince="
	    "2000-01-01T00:00:00Z&limit=2", c, NULL, &r), 200);
	ck_assert_ptr_nonnull(resp_str(&r, "nextCursor"));
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/quests?status=finished", c, NULL,
	    &r), 400);
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "status"));
	resp_free(&r);
	ck_assert_int_eq(api_status("GET", "/api/quests?dueBefore=soon", c,
	    NULL), 400);
	/* Offsets past PostgreSQL's ±15:59, instants past year 9999 UTC:
	 * refused as any bad time (they answered 500). */
	ck_assert_int_eq(api_status("GET", "/api/quests?updatedSince="
	    "2026-01-02T12:00:00%2B16:00", c, NULL), 400);
	ck_assert_int_eq(api_req("POST", "/api/quests", c, "{\"title\":\"t\","
	    "\"domainId\":\"d\",\"dueDate\":\"2026-01-02T12:00:00+16:00\"}",
	    &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "dueDate");
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", "/api/quests", c, "{\"title\":\"t\","
	    "\"domainId\":\"d\",\"dueDate\":\"9999-12-31T23:59:59-01:00\"}",
	    &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "dueDate");
	resp_free(&r);
	ck_assert_int_eq(api_status("GET", "/api/quests/due?limit=0", c, NULL),
	    400);
	ck_assert_int_eq(api_status("GET", "/api/quests/due?x=1", c, NULL), 400);
#undef TITLE
}
END_TEST

START_TEST(plan_template_applies_in_one_go)
{
	char		 c[128], path[256];
	struct resp	 r;
	struct json_object *d;

	suite_user("plans@example.org", c,
	    sizeof(c));
	ck_assert_int_eq(api_status("PATCH", "/api/settings", c,
	    "{\"settingsJson\":{\"timeZone\":\"America/New_York\"}}"), 200);
	ck_assert_int_eq(api_req("POST", "/api/plan-templates", c, "{\"name\":"
	    "\"Session\",\"domainId\":\"music\",\"templateType\":\"session\","
	    "\"questTemplates\":[{\"title\":\"Warm up\",\"xpValue\":5},"
	    "{\"title\":\"Write\",\"domainId\":\"writing\",\"tags\":[\"a\"]}]"
	    "}", &r), 201);
	snprintf(path, sizeof(path), "/api/plan-templates/%s/apply",
	    resp_str(&r, "id"));
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", path, c, "{\"date\":\"2026-07-04\"}", &r),
	    201);
	d = json_object_object_get(r.json, "data");
	ck_assert_int_eq(json_object_array_length(d), 2);
	/* Midnight in New York (EDT, UTC-4). */
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(d, 0), "dueDate")),
	    "2026-07-04T04:00:00.000Z");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(d, 0), "domainId")), "music");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(d, 1), "domainId")), "writing");
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", path, c, "{\"date\":\"2026-02-30\"}", &r),
	    422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "date");
	resp_free(&r);
	ck_assert_int_eq(api_status("POST", path, c, "{\"date\":\"2026-07-04\","
	    "\"extra\":1}"), 422);
	/* YYYY-MM-DD exactly (sscanf took these). */
	ck_assert_int_eq(api_status("POST", path, c, "{\"date\":"
	    "\"2026-1-1xx\"}"), 422);
	ck_assert_int_eq(api_status("POST", path, c, "{\"date\":"
	    "\"+026-01-01\"}"), 422);
	ck_assert_int_eq(api_status("POST", path, c, "{\"date\":"
	    "\" 2026-01-5\"}"), 422);
	ck_assert_int_eq(api_status("POST", path, bob, "{\"date\":"
	    "\"2026-07-04\"}"), 404);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "user_id = " OF("plans@example.org")), 2);
}
END_TEST

START_TEST(me_counts_and_deletes_everything)
{
	char		 c[128];
	struct resp	 r;

	suite_user("leaving@example.org", c,
	    sizeof(c));
	ck_assert_int_eq(api_status("POST", "/api/quests", c, "{\"title\":\"q\","
	    "\"domainId\":\"d\"}"), 201);
	ck_assert_int_eq(api_status("POST", "/api/projects", c, "{\"name\":"
	    "\"p\"}"), 201);
	ck_assert_int_eq(api_status("POST", "/api/events", c, "{\"eventType\":"
	    "\"x\",\"payload\":{}}"), 201);
	ck_assert_int_eq(api_req("GET", "/api/me", c, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "user.email"), "leaving@example.org");
	ck_assert_str_eq(resp_str(&r, "counts.quests"), "1");
	ck_assert_str_eq(resp_str(&r, "counts.projects"), "1");
	/* The quest's own event and the posted one. */
	ck_assert_str_eq(resp_str(&r, "counts.logEvents"), "2");
	ck_assert_str_eq(resp_str(&r, "counts.focusSessions"), "0");
	resp_free(&r);
	ck_assert_int_eq(api_req("DELETE", "/api/me", c, NULL, &r), 204);
	ck_assert_ptr_nonnull(strstr(resp_header(&r, "Set-Cookie"),
	    "Max-Age=0"));
	resp_free(&r);
	ck_assert_int_eq(api_status("GET", "/api/me", c, NULL), 401);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM users WHERE email = "
	    "'leaving@example.org'"), 0);
	ck_assert_int_eq(suite_count("SELECT (SELECT count(*) FROM quests WHERE "
	    "title = 'q' AND domain_id = 'd') + (SELECT count(*) FROM "
	    "log_events WHERE event_type = 'x')"), 0);
	/* Its change feed went with it. */
	ck_assert_int_eq(suite_count("SELECT (SELECT count(*) FROM sync_changes "
	    "s WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)) "
	    "+ (SELECT count(*) FROM sync_commits k WHERE NOT EXISTS (SELECT 1 "
	    "FROM users u WHERE u.id = k.user_id))"), 0);
	/* Alice is untouched. */
	ck_assert_int_eq(api_status("GET", "/api/me", alice, NULL), 200);
}
END_TEST

/*
 * Every route with an {id}, every method, from the route table itself:
 * bob on alice's id → 404, and alice's row is as it was.
 */
static const struct {
	const char	*prefix;	/* up to {id} */
	const char	*create;	/* POST here for alice's id … */
	const char	*body;		/* … with this */
	const char	*sql;		/* or her id from the database */
} owners[] = {
	{ "/api/quests/", "/api/quests", "{\"title\":\"m\",\"domainId\":"
	    "\"d\"}", NULL },
	{ "/api/schedule-rules/", "/api/schedule-rules", "{\"name\":\"m\","
	    "\"domainId\":\"d\",\"recurrence\":\"daily\","
	    "\"questTemplate\":{\"title\":\"t\"}}", NULL },
	{ "/api/plan-templates/", "/api/plan-templates", "{\"name\":\"m\","
	    "\"domainId\":\"d\",\"templateType\":\"day\","
	    "\"questTemplates\":[{\"title\":\"t\"}]}", NULL },
	{ "/api/rewards/", "/api/rewards", "{\"domainId\":\"d\",\"type\":"
	    "\"streak\",\"amount\":1,\"reason\":\"r\"}", NULL },
	{ "/api/events/", "/api/events", "{\"eventType\":\"m\",\"payload\":"
	    "{}}", NULL },
	{ "/api/focus/", "/api/focus", "{}", NULL },
	{ "/api/projects/", "/api/projects", "{\"name\":\"m\"}", NULL },
	{ "/api/reference-libraries/", "/api/reference-libraries",
	    "{\"name\":\"m\"}", NULL },
	{ "/api/reference-tracks/", NULL, NULL, "SELECT id FROM "
	    "reference_tracks WHERE user_id = " OF("alice@example.org")
	    " LIMIT 1" },
	{ "/api/infobase/", "/api/infobase", "{\"title\":\"m\",\"content\":"
	    "\"c\"}", NULL },
	{ "/api/lane-templates/", "/api/lane-templates", "{\"name\":\"m\","
	    "\"templateType\":\"drums\",\"laneSettings\":{},\"notes\":[],"
	    "\"bpm\":1,\"bars\":1,\"timeSignature\":[4,4]}", NULL },
	{ "/api/blobs/", NULL, NULL, "INSERT INTO blobs (user_id, kind, "
	    "object_key, mime_type, size_bytes, name, state) SELECT id, "
	    "'audio', id || '/audio/m.wav', 'audio/wav', 1, 'm.wav', 'ready' "
	    "FROM users WHERE email = 'alice@example.org' RETURNING id" },
	{ "/api/auth/sessions/", NULL, NULL, "SELECT id FROM sessions WHERE "
	    "user_id = " OF("alice@example.org") " LIMIT 1" },
	{ "/api/vault/imports/", NULL, NULL, "INSERT INTO vault_imports "
	    "(user_id, name, size_bytes, object_key) SELECT id, 'm.vault', 1, "
	    "id || '/imports/m.vault' FROM users WHERE email = "
	    "'alice@example.org' RETURNING id" },
	{ "/api/vault/exports/", NULL, NULL, "INSERT INTO vault_exports "
	    "(user_id, object_key, state) SELECT id, id || '/exports/m.zip', "
	    "'done' FROM users WHERE email = 'alice@example.org' RETURNING "
	    "id" },
};

/* A body that passes validation, so only ownership can refuse it. */
static const char *
valid_body(const struct http_route *rt)
{
	if (strstr(rt->pattern, "/apply") != NULL)
		return "{\"date\":\"2026-01-01\"}";
	if (strstr(rt->pattern, "/parts") != NULL)
		return "{\"partNumbers\":[1]}";
	if (strstr(rt->pattern, "/tracks") != NULL)
		return "{\"name\":\"t\",\"blobId\":\"00000000-0000-4000-8000-"
		    "000000000000\"}";
	return "{}";
}

START_TEST(cross_tenant_matrix)
{
	char		 ids[N(owners)][128], path[2048];
	char		 before[N(owners)][4096];
	struct resp	 r;
	size_t		 i, k, tried = 0;

	/* Alice owns one of each; a track in her first library. */
	for (k = 0; k < N(owners); k++) {
		if (owners[k].create == NULL)
			continue;
		ck_assert_int_eq(api_req("POST", owners[k].create, alice,
		    owners[k].body, &r), 201);
		snprintf(ids[k], sizeof(ids[k]), "%s", resp_str(&r, "id"));
		resp_free(&r);
		if (strcmp(owners[k].create, "/api/reference-libraries") == 0) {
			snprintf(path, sizeof(path), "/api/reference-libraries/"
			    "%s/tracks", ids[k]);
			ck_assert_int_eq(api_status("POST", path, alice,
			    track_body("alice@example.org", "t")), 201);
		}
	}
	for (k = 0; k < N(owners); k++) {
		if (owners[k].sql != NULL)
			snprintf(ids[k], sizeof(ids[k]), "%s",
			    suite_sql(owners[k].sql));
		ck_assert_msg(ids[k][0] != '\0', "%s", owners[k].prefix);
		snprintf(path, sizeof(path), "%s%s", owners[k].prefix, ids[k]);
		if (owners[k].sql == NULL) {
			ck_assert_int_eq(api_req("GET", path, alice, NULL, &r),
			    200);
			snprintf(before[k], sizeof(before[k]), "%s", r.body);
			resp_free(&r);
		}
	}
	for (i = 0; i < api_routes_count; i++) {
		const struct http_route *rt = &api_routes[i];
		const char *at = strstr(rt->pattern, "{id}");
		const char *methods[2] = { rt->method, NULL };
		int m;

		if (at == NULL)
			continue;
		for (k = 0; k < N(owners); k++)
			if (strlen(owners[k].prefix) == (size_t)(at -
			    rt->pattern) && strncmp(rt->pattern,
			    owners[k].prefix, strlen(owners[k].prefix)) == 0)
				break;
		ck_assert_msg(k < N(owners), "%s %s: add its owner to the "
		    "matrix", rt->method, rt->pattern);
		if (strcmp(rt->method, "GET") == 0)
			methods[1] = "HEAD";
		for (m = 0; m < 2 && methods[m] != NULL; m++) {
			int get = strcmp(methods[m], "GET") == 0 ||
			    strcmp(methods[m], "HEAD") == 0;

			snprintf(path, sizeof(path), "%s%s%s", owners[k].prefix,
			    ids[k], at + 4);
			ck_assert_msg(api_status(methods[m], path, bob, get ?
			    NULL : valid_body(rt)) == 404, "%s %s: bob got "
			    "something else than 404", methods[m], path);
			tried++;
		}
	}
	ck_assert_uint_ge(tried, 30);
	/* Alice's rows are as they were; her session still works. */
	for (k = 0; k < N(owners); k++) {
		if (owners[k].sql != NULL)
			continue;
		snprintf(path, sizeof(path), "%s%s", owners[k].prefix, ids[k]);
		ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 200);
		ck_assert_str_eq(r.body, before[k]);
		resp_free(&r);
	}
	ck_assert_int_eq(api_status("GET", "/api/me", alice, NULL), 200);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reference_tracks "
	    "WHERE user_id = " OF("alice@example.org")), 1);
}
END_TEST

/* A page is written straight from the rows: the same values as items. */
START_TEST(list_rows_match_items)
{
	struct resp	 r, g;
	struct json_object *d, *hit = NULL;
	char		 c[128], path[256];
	size_t		 i;

	suite_user("escapes@example.org", c, sizeof(c));
	ck_assert_int_eq(api_req("POST", "/api/quests", c, "{\"title\":"
	    "\"q\\\"uote \\\\ back\\nline\\ttab \\u0001 \\u00e9 "
	    "\\ud83c\\udfb5 </script>\",\"domainId\":\"d\",\"tags\":[\"a b\","
	    "\"\\\"\"],\"xpValue\":7,\"dueDate\":\"2026-03-01T10:00:00.5Z\"}",
	    &r), 201);
	snprintf(path, sizeof(path), "/api/quests/%s", resp_str(&r, "id"));
	ck_assert_int_eq(api_req("GET", path, c, NULL, &g), 200);
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/quests", c, NULL, &r), 200);
	d = json_object_object_get(r.json, "data");
	for (i = 0; i < json_object_array_length(d); i++)
		if (strcmp(json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(d, i), "id")), resp_str(&g,
		    "id")) == 0)
			hit = json_object_array_get_idx(d, i);
	ck_assert_ptr_nonnull(hit);
	ck_assert_msg(json_object_equal(hit, g.json), "list %s\nitem %s",
	    json_object_to_json_string(hit), g.body);
	ck_assert_str_eq(resp_str(&g, "title"), "q\"uote \\ back\nline\ttab "
	    "\001 \xc3\xa9 \xf0\x9f\x8e\xb5 </script>");
	resp_free(&r);
	resp_free(&g);
}
END_TEST

/*
 * A worker that has seen a session checks it again with each request's
 * first statement (one round trip): revoked, expired or disabled, it is
 * refused at once, and a write with it changes nothing.
 */
START_TEST(remembered_sessions_are_checked_every_time)
{
	static const char *const bad[] = {
		("DELETE FROM sessions WHERE user_id = " OF("memo@example.org")),
		("UPDATE sessions SET expires = now() - interval '1 second' "
		    "WHERE user_id = " OF("memo@example.org")),
		("UPDATE users SET disabled_at = now() WHERE email = "
		    "'memo@example.org'"),
	};
	char		 c[128];
	struct resp	 r;
	size_t		 k;
	int		 i;

	for (k = 0; k < N(bad); k++) {
		suite_sql("UPDATE users SET disabled_at = NULL WHERE email = "
		    "'memo@example.org'");
		suite_user("memo@example.org", c, sizeof(c));
		/* Every worker sees it (and remembers it). */
		for (i = 0; i < 8; i++)
			ck_assert_int_eq(api_status("GET", "/api/quests", c,
			    NULL), 200);
		suite_sql(bad[k]);
		for (i = 0; i < 4; i++) {
			ck_assert_int_eq(api_req("GET", "/api/quests", c, NULL,
			    &r), 401);
			ck_assert_str_eq(resp_str(&r, "error.code"),
			    "unauthenticated");
			if (k == 1 && i == 0)
				/* Expired: deleted, and its cookie cleared. */
				ck_assert_ptr_nonnull(strstr(resp_header(&r,
				    "Set-Cookie"), "Max-Age=0"));
			resp_free(&r);
			ck_assert_int_eq(api_status("POST", "/api/quests", c,
			    "{\"title\":\"no\",\"domainId\":\"d\"}"), 401);
			ck_assert_int_eq(api_status("GET", "/api/settings", c,
			    NULL), 401);
			ck_assert_int_eq(api_status("GET", "/api/auth/session",
			    c, NULL), 401);
		}
		ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
		    "title = 'no'"), 0);
		if (k == 1)
			ck_assert_int_eq(suite_count("SELECT count(*) FROM "
			    "sessions WHERE user_id = " OF("memo@example.org")),
			    0);
	}
}
END_TEST

START_TEST(no_session_no_entry)
{
	static const char *const paths[] = { "/api/quests", "/api/quests/due",
	    "/api/schedule-rules", "/api/plan-templates", "/api/skill-tree",
	    "/api/rewards", "/api/rewards/summary", "/api/events",
	    "/api/focus", "/api/focus/active", "/api/focus/stats",
	    "/api/projects", "/api/reference-libraries", "/api/infobase",
	    "/api/lane-templates", "/api/settings", "/api/me" };
	size_t	 i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		ck_assert_int_eq(api_status("GET", paths[i], NULL, NULL), 401);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("domain");
	TCase	*tc = tcase_create("api");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, entity_lifecycle, 0, NENTS);
	tcase_add_test(tc, planner_writes_are_logged);
	tcase_add_test(tc, rewards_feed_the_tree_and_sum_up);
	tcase_add_test(tc, skill_tree_is_replaced_with_if_match);
	tcase_add_test(tc, settings_defaults_and_time_zone);
	tcase_add_test(tc, tracks_live_in_their_library);
	tcase_add_test(tc, infobase_search_ranks_titles_first);
	tcase_add_test(tc, quest_filters_and_due_list);
	tcase_add_test(tc, plan_template_applies_in_one_go);
	tcase_add_test(tc, me_counts_and_deletes_everything);
	tcase_add_test(tc, no_session_no_entry);
	tcase_add_test(tc, list_rows_match_items);
	tcase_add_test(tc, remembered_sessions_are_checked_every_time);
	tcase_add_test(tc, cross_tenant_matrix);
	harness_add_no_crash(tc, &suite_st);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
