/*
 * check_schedule.c - schedule rules: validation through the API, the
 * wall-clock → instant step in a zone with DST (the database's), the
 * next occurrences, and passionctl maintain: quests made once per
 * occurrence (also when two runs race), catch-up bounded by the
 * horizon, expired sessions, tokens, windows and stale focus swept.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "harness.h"
#include "../common/run.h"

static char		 bob[128];

static void
setup(void)
{
	suite_start("sched", "job_workers = 0\n");
	suite_user("bob@example.org", bob,
	    sizeof(bob));
}

static void
teardown(void)
{
	suite_stop();
}

/* passionctl maintain against the stack's database; its exit status. */
static int
maintain(const char *out)
{
	return harness_passionctl(&suite_st, "maintain", out);
}

/* A user in zone tz with a rule made days ago; its id in id. */
static void
rule_user(const char *email, const char *tz, const char *rule, int days,
    char *cookie, size_t len, char *id, size_t idlen)
{
	struct resp	 r;
	char		 body[256], sql[512];

	suite_user(email, cookie, len);
	snprintf(body, sizeof(body), "{\"settingsJson\":{\"timeZone\":\"%s\"}}",
	    tz);
	ck_assert_int_eq(api_status("PATCH", "/api/settings", cookie, body),
	    200);
	ck_assert_int_eq(api_req("POST", "/api/schedule-rules", cookie, rule, &r),
	    201);
	snprintf(id, idlen, "%s", resp_str(&r, "id"));
	resp_free(&r);
	snprintf(sql, sizeof(sql), "UPDATE schedule_rules SET created_at = "
	    "now() - interval '%d days' WHERE id = '%s'", days, id);
	suite_sql(sql);
}

START_TEST(rules_are_checked_as_a_whole)
{
	static const struct {
		const char *body, *field, *says;
	} bad[] = {
		{ "{\"name\":\"c\",\"domainId\":\"d\",\"recurrence\":\"custom\","
		    "\"questTemplate\":{\"title\":\"t\"}}", "customCron",
		    "needs a cron" },
		{ "{\"name\":\"c\",\"domainId\":\"d\",\"recurrence\":\"custom\","
		    "\"customCron\":\"0 25 * * *\",\"questTemplate\":{\"title\":"
		    "\"t\"}}", "customCron", "hour" },
		{ "{\"name\":\"c\",\"domainId\":\"d\",\"recurrence\":\"custom\","
		    "\"customCron\":\"0 9 * *\",\"questTemplate\":{\"title\":"
		    "\"t\"}}", "customCron", "five fields" },
		{ "{\"name\":\"c\",\"domainId\":\"d\",\"recurrence\":\"custom\","
		    "\"customCron\":\"0 0 31 feb *\",\"questTemplate\":{\"title\":"
		    "\"t\"}}", "customCron", "never" },
		{ "{\"name\":\"w\",\"domainId\":\"d\",\"recurrence\":\"weekly\","
		    "\"daysOfWeek\":[1,7],\"questTemplate\":{\"title\":\"t\"}}",
		    "daysOfWeek[1]", "0 to 6" },
		{ "{\"name\":\"w\",\"domainId\":\"d\",\"recurrence\":\"weekly\","
		    "\"daysOfWeek\":[2,2],\"questTemplate\":{\"title\":\"t\"}}",
		    "daysOfWeek[1]", "twice" },
		{ "{\"name\":\"m\",\"domainId\":\"d\",\"recurrence\":\"monthly\","
		    "\"questTemplate\":{\"title\":\"t\"}}", "dayOfMonth",
		    "monthly" },
		{ "{\"name\":\"m\",\"domainId\":\"d\",\"recurrence\":\"daily\","
		    "\"questTemplate\":{\"priority\":\"urgent\",\"title\":\"t\"}}",
		    "questTemplate.priority", "one of" },
		{ "{\"name\":\"m\",\"domainId\":\"d\",\"recurrence\":\"daily\","
		    "\"questTemplate\":{\"title\":\"t\",\"status\":\"x\"}}",
		    "questTemplate.status", "no such field" },
	};
	char		 c[128], path[256];
	struct resp	 r;
	size_t		 i;

	suite_user("checks@example.org", c,
	    sizeof(c));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(api_req("POST", "/api/schedule-rules", c,
		    bad[i].body, &r), 422);
		ck_assert_str_eq(resp_str(&r, "error.field"), bad[i].field);
		ck_assert_msg(strstr(resp_str(&r, "error.message"),
		    bad[i].says) != NULL, "%s", resp_str(&r, "error.message"));
		resp_free(&r);
	}
	/* A PATCH that would leave the rule without its cron: refused,
	 * and the rule stays as it was. */
	ck_assert_int_eq(api_req("POST", "/api/schedule-rules", c, "{\"name\":"
	    "\"d\",\"domainId\":\"d\",\"recurrence\":\"daily\","
	    "\"questTemplate\":{\"title\":\"t\"}}", &r), 201);
	snprintf(path, sizeof(path), "/api/schedule-rules/%s",
	    resp_str(&r, "id"));
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", path, c, "{\"recurrence\":\"custom\"}",
	    &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "customCron");
	resp_free(&r);
	ck_assert_int_eq(api_req("PATCH", path, c, "{\"recurrence\":\"custom\","
	    "\"customCron\":\"*/15 9-17 * * mon-fri\"}", &r), 200);
	ck_assert_str_eq(resp_str(&r, "customCron"), "*/15 9-17 * * mon-fri");
	resp_free(&r);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM schedule_rules WHERE "
	    "recurrence = 'custom'"), 1);
}
END_TEST

/* The wall-clock times of a zone as the database makes them instants. */
START_TEST(wall_clock_to_instants_across_dst)
{
	static const struct {
		const char *local, *utc;
	} berlin[] = {
		{ "2026-03-29 00:00", "2026-03-28T23:00:00.000Z" },	/* CET */
		/* 02:30 does not exist that night: the instant after the
		 * gap, by the standard offset (03:30 CEST). */
		{ "2026-03-29 02:30", "2026-03-29T01:30:00.000Z" },
		{ "2026-03-30 00:00", "2026-03-29T22:00:00.000Z" },	/* CEST */
		/* 02:30 comes twice on 25 October: once, the second. */
		{ "2026-10-25 02:30", "2026-10-25T01:30:00.000Z" },
		{ "2026-10-26 00:00", "2026-10-25T23:00:00.000Z" },
	};
	struct model_civil	 t[5];
	struct db		 d;
	struct db_limits	 lim;
	struct arena		 a;
	const char		**at;
	int			 nat;
	char			 c[128], conninfo[512], uid[64];
	size_t			 i;

	suite_user("berlin@example.org", c,
	    sizeof(c));
	ck_assert_int_eq(api_status("PATCH", "/api/settings", c,
	    "{\"settingsJson\":{\"timeZone\":\"Europe/Berlin\"}}"), 200);
	snprintf(uid, sizeof(uid), "%s", suite_sql("SELECT id FROM users "
	    "WHERE email = 'berlin@example.org'"));
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(model_civil_parse(berlin[i].local, &t[i]), 0);
	memset(&lim, 0, sizeof(lim));
	lim.connect_s = 5;
	snprintf(conninfo, sizeof(conninfo), "host=%s dbname=%s "
	    "user=passion_app", harness_pghost(), suite_db);
	db_init(&d, conninfo, NULL, &lim);
	arena_init(&a, 4096);
	ck_assert_int_eq(db_tx_begin(&d, uid), DB_OK);
	ck_assert_int_eq(db_local_instants(&d, &a, uid, t, 5, 0, &at, &nat),
	    DB_OK);
	ck_assert_int_eq(nat, 5);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(at[i], berlin[i].utc);
	db_tx_rollback(&d);
	arena_cleanup(&a);
	db_cleanup(&d);
}
END_TEST

START_TEST(next_occurrences)
{
	char		 c[128], id[64], path[256];
	struct resp	 r;
	struct json_object *d;
	size_t		 i;

	rule_user("next@example.org", "Asia/Kolkata", "{\"name\":\"n\","
	    "\"domainId\":\"d\",\"recurrence\":\"daily\",\"questTemplate\":"
	    "{\"title\":\"t\"}}", 0, c, sizeof(c), id, sizeof(id));
	snprintf(path, sizeof(path), "/api/schedule-rules/%s/next?count=3", id);
	ck_assert_int_eq(api_req("GET", path, c, NULL, &r), 200);
	d = json_object_object_get(r.json, "data");
	ck_assert_int_eq(json_object_array_length(d), 3);
	for (i = 0; i < 3; i++) {
		char sql[256];
		const char *x = json_object_get_string(
		    json_object_array_get_idx(d, i));

		/* Midnight in Kolkata (UTC+05:30), after now, a day apart. */
		ck_assert_str_eq(x + 10, "T18:30:00.000Z");
		snprintf(sql, sizeof(sql), "SELECT ('%s'::timestamptz > now() "
		    "AND '%s'::timestamptz < now() + interval '%zu days')::int",
		    x, x, i + 2);
		ck_assert_int_eq(suite_count(sql), 1);
	}
	resp_free(&r);
	ck_assert_int_eq(api_status("GET", path, bob, NULL), 404);
	snprintf(path, sizeof(path), "/api/schedule-rules/%s/next?count=51",
	    id);
	ck_assert_int_eq(api_status("GET", path, c, NULL), 400);
	snprintf(path, sizeof(path), "/api/schedule-rules/%s/next?limit=5", id);
	ck_assert_int_eq(api_status("GET", path, c, NULL), 400);
	/* A leap-day cron: its next one is up to four years away. */
	ck_assert_int_eq(api_req("POST", "/api/schedule-rules", c, "{\"name\":"
	    "\"leap\",\"domainId\":\"d\",\"recurrence\":\"custom\","
	    "\"customCron\":\"0 12 29 2 *\",\"questTemplate\":{\"title\":"
	    "\"t\"}}", &r), 201);
	snprintf(path, sizeof(path), "/api/schedule-rules/%s/next?count=2",
	    resp_str(&r, "id"));
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", path, c, NULL, &r), 200);
	d = json_object_object_get(r.json, "data");
	ck_assert_int_eq(json_object_array_length(d), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(d,
	    0)) + 4, "-02-29T06:30:00.000Z");
	resp_free(&r);
}
END_TEST

static int
maintain_racer(int i, void *arg)
{
	(void)i;
	(void)arg;
	return maintain(NULL);
}

START_TEST(maintain_makes_each_occurrence_once)
{
	char		 c[128], id[64], out[256];
	int		 codes[2];

	/* Made three days ago: that day's midnight, two more, today's. */
	rule_user("daily@example.org", "America/New_York", "{\"name\":"
	    "\"Daily\",\"domainId\":\"planner\",\"recurrence\":\"daily\","
	    "\"questTemplate\":{\"title\":\"Journal\",\"xpValue\":5,"
	    "\"priority\":\"high\",\"tags\":[\"habit\"]}}", 3, c, sizeof(c),
	    id, sizeof(id));
	/* The earlier tests' rules (one every 15 minutes on weekdays) could
	 * fall due between the two runs: only this user's rules are on. */
	suite_sql("UPDATE schedule_rules SET enabled = false WHERE user_id <> "
	    OF("daily@example.org"));
	harness_race(2, maintain_racer, NULL, codes);
	ck_assert_int_eq(codes[0], 0);
	ck_assert_int_eq(codes[1], 0);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "user_id = " OF("daily@example.org")), 4);
	/* Each at midnight in New York, on four days in a row. */
	ck_assert_int_eq(suite_count("SELECT count(DISTINCT (due_date AT TIME "
	    "ZONE 'America/New_York')::date) FROM quests WHERE user_id = "
	    OF("daily@example.org") " AND (due_date AT TIME ZONE "
	    "'America/New_York')::time = '00:00' AND title = 'Journal' AND "
	    "priority = 'high' AND xp_value = 5 AND tags = '[\"habit\"]' AND "
	    "domain_id = 'planner' AND content_hash ~ '^[0-9a-f]{64}$'"), 4);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM log_events WHERE "
	    "user_id = " OF("daily@example.org") " AND event_type = "
	    "'quest.created'"), 4);
	/* Again: nothing new. */
	snprintf(out, sizeof(out), "%s/maintain.out", suite_st.dir);
	ck_assert_int_eq(maintain(out), 0);
	ck_assert(harness_file_has(out, "quests made from schedule rules: 0",
	    0));
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "user_id = " OF("daily@example.org")), 4);
	/* They are the user's quests like any other. */
	{
		struct resp r;

		ck_assert_int_eq(api_req("GET", "/api/quests/due", c, NULL, &r),
		    200);
		ck_assert_int_eq(json_object_array_length(
		    json_object_object_get(r.json, "data")), 4);
		resp_free(&r);
	}
}
END_TEST

START_TEST(maintain_catches_up_to_the_horizon)
{
	char		 c[128], id[64];

	/* Made 30 days ago, maintain never ran: the last 7 days only. */
	rule_user("behind@example.org", "UTC", "{\"name\":\"b\",\"domainId\":"
	    "\"d\",\"recurrence\":\"daily\",\"questTemplate\":{\"title\":"
	    "\"t\"}}", 30, c, sizeof(c), id, sizeof(id));
	/* A disabled rule makes nothing. */
	ck_assert_int_eq(api_status("POST", "/api/schedule-rules", c, "{\"name\":"
	    "\"off\",\"domainId\":\"d\",\"recurrence\":\"daily\",\"enabled\":"
	    "false,\"questTemplate\":{\"title\":\"off\"}}"), 201);
	suite_sql("UPDATE schedule_rules SET created_at = now() - interval "
	    "'30 days' WHERE user_id = " OF("behind@example.org"));
	ck_assert_int_eq(maintain(NULL), 0);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "user_id = " OF("behind@example.org")), 7);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "title = 'off'"), 0);
}
END_TEST

/*
 * What rules may generate is bounded (sql/0014, docs/api.md): a rule of
 * more than 96 a day is 422, the 101st rule is 422 too_many, and a run
 * makes at most 500 quests a user, going on from the last one the
 * next run (a quest deleted is not made again).
 */
START_TEST(schedule_rules_are_bounded)
{
	struct resp	 r;
	char		 c[128], id[64], out[256];

	suite_user("many@example.org", c, sizeof(c));
	ck_assert_int_eq(api_req("POST", "/api/schedule-rules", c, "{\"name\":"
	    "\"m\",\"domainId\":\"d\",\"recurrence\":\"custom\","
	    "\"customCron\":\"* * * * *\",\"questTemplate\":{\"title\":"
	    "\"t\"}}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "customCron");
	ck_assert(strstr(resp_str(&r, "error.message"), "1440 times a day") !=
	    NULL);
	resp_free(&r);
	/* 99 rules of every 15 minutes, made three days ago, and one more
	 * through the API; the 101st is refused. */
	rule_user("many@example.org", "UTC", "{\"name\":\"m\",\"domainId\":"
	    "\"d\",\"recurrence\":\"custom\",\"customCron\":\"*/15 * * * *\","
	    "\"questTemplate\":{\"title\":\"t\"}}", 3, c, sizeof(c), id,
	    sizeof(id));
	suite_sql("INSERT INTO schedule_rules (id, user_id, name, domain_id, "
	    "recurrence, custom_cron, quest_template, created_at, updated_at, "
	    "content_hash) SELECT 'many-' || i, user_id, name, domain_id, "
	    "recurrence, custom_cron, quest_template, created_at, updated_at, "
	    "content_hash FROM schedule_rules, generate_series(1, 99) i WHERE "
	    "user_id = " OF("many@example.org"));
	ck_assert_int_eq(api_req("POST", "/api/schedule-rules", c, "{\"name\":"
	    "\"one more\",\"domainId\":\"d\",\"recurrence\":\"daily\","
	    "\"questTemplate\":{\"title\":\"t\"}}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.code"), "too_many");
	ck_assert(strstr(resp_str(&r, "error.message"), "at most 100 schedule "
	    "rules") != NULL);
	resp_free(&r);
	/* 28 800 occurrences: 500 a run. */
	snprintf(out, sizeof(out), "%s/many.out", suite_st.dir);
	ck_assert_int_eq(maintain(out), 0);
	ck_assert(harness_file_has(out, "users with more quests to make next "
	    "run (500 a run): 1", 0));
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "user_id = " OF("many@example.org")), 500);
	suite_sql("DELETE FROM quests WHERE id = (SELECT id FROM quests WHERE "
	    "user_id = " OF("many@example.org") " ORDER BY occurrence LIMIT 1)");
	ck_assert_int_eq(maintain(NULL), 0);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests WHERE "
	    "user_id = " OF("many@example.org")), 999);
}
END_TEST

START_TEST(maintain_sweeps_what_expired)
{
	char	 c[128], out[256];

	suite_user("sweep@example.org", c,
	    sizeof(c));
	suite_sql("INSERT INTO sessions (session_token, user_id, expires) "
	    "VALUES (repeat('a', 64), " OF("sweep@example.org") ", now() - "
	    "interval '1 minute')");
	/* A token is kept a day past its expiry (then expired_token, not
	 * invalid_token): one past that goes, a fresher one stays. */
	suite_sql("INSERT INTO verification_tokens (identifier, token, "
	    "expires) VALUES ('x@example.org', repeat('b', 64), now() - "
	    "interval '25 hours'), ('y@example.org', repeat('c', 64), now() - "
	    "interval '1 minute')");
	suite_sql("INSERT INTO rate_limits (key, window_start, count) VALUES "
	    "('ip:192.0.2.1', now() - interval '2 days', 3), ('ip:192.0.2.2', "
	    "now(), 1)");
	ck_assert_int_eq(api_status("POST", "/api/focus", c, "{\"plannedDuration"
	    "\":60}"), 201);
	suite_sql("UPDATE focus_sessions SET started_at = now() - interval "
	    "'1 hour' WHERE user_id = " OF("sweep@example.org"));
	snprintf(out, sizeof(out), "%s/sweep.out", suite_st.dir);
	ck_assert_int_eq(maintain(out), 0);
	ck_assert(harness_file_has(out, "sessions deleted: 1", 0));
	ck_assert(harness_file_has(out, "magic-link tokens deleted: 1", 0));
	ck_assert(harness_file_has(out, "rate-limit windows deleted: 1", 0));
	ck_assert(harness_file_has(out, "stale focus sessions abandoned: 1",
	    0));
	ck_assert_int_eq(suite_count("SELECT count(*) FROM rate_limits"), 1);
	/* The live session still works. */
	ck_assert_int_eq(api_status("GET", "/api/me", c, NULL), 200);
}
END_TEST

START_TEST(maintain_fails_loudly)
{
	char	 cmd[1024];
	int	 rc;

	/* No database: non-zero, and says why. */
	snprintf(cmd, sizeof(cmd), "sed 's/^database_url = .*/database_url = "
	    "host=\\/nonexistent dbname=x/' %s > %s/bad.conf && %s/passionctl "
	    "-c %s/bad.conf maintain > %s/bad.out 2>&1", suite_st.conf, suite_st.dir,
	    getenv("abs_top_builddir"), suite_st.dir, suite_st.dir);
	rc = system(cmd);
	ck_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
	snprintf(cmd, sizeof(cmd), "%s/bad.out", suite_st.dir);
	ck_assert(harness_file_has(cmd, "passionctl: maintain:", 0));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("schedule");
	TCase	*tc = tcase_create("schedule");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rules_are_checked_as_a_whole);
	tcase_add_test(tc, wall_clock_to_instants_across_dst);
	tcase_add_test(tc, next_occurrences);
	tcase_add_test(tc, maintain_makes_each_occurrence_once);
	tcase_add_test(tc, maintain_catches_up_to_the_horizon);
	tcase_add_test(tc, maintain_sweeps_what_expired);
	tcase_add_test(tc, schedule_rules_are_bounded);
	tcase_add_test(tc, maintain_fails_loudly);
	harness_add_no_crash(tc, &suite_st);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
