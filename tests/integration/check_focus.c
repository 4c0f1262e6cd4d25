/*
 * check_focus.c - the focus timer through nginx: one active session per
 * user (the database refuses the second, also when two starts race),
 * completion's XP once, the other end refused, stale sessions abandoned
 * on the next read, durations from settings, stats, another user's
 * session → 404.
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

static char		 bob[128];

static void
setup(void)
{
	suite_start("focus", "job_workers = 0\n");
	suite_user("bob@example.org", bob,
	    sizeof(bob));
}

static void
teardown(void)
{
	suite_stop();
}

/* A user of their own per test; cookie filled. */
static void
user(const char *email, char *cookie, size_t len)
{
	suite_user(email, cookie, len);
}

START_TEST(one_active_session)
{
	char		 c[128], item[256];
	struct resp	 r;

	user("one@example.org", c, sizeof(c));
	ck_assert_int_eq(api_req("GET", "/api/focus/active", c, NULL, &r), 200);
	ck_assert_str_eq(r.body, "{\"session\":null}");
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", "/api/focus", c, "{}", &r), 201);
	ck_assert_str_eq(resp_str(&r, "mode"), "focus");
	ck_assert_str_eq(resp_str(&r, "status"), "active");
	ck_assert_str_eq(resp_str(&r, "plannedDuration"), "1500");
	ck_assert_ptr_null(resp_str(&r, "endedAt"));
	snprintf(item, sizeof(item), "/api/focus/%s", resp_str(&r, "id"));
	ck_assert_ptr_nonnull(strstr(resp_header(&r, "Location"), item));
	resp_free(&r);
	/* A second start: 409 with the running one. */
	ck_assert_int_eq(api_req("POST", "/api/focus", c, "{\"mode\":\"break\"}",
	    &r), 409);
	ck_assert_str_eq(resp_str(&r, "error.code"), "focus_active");
	ck_assert_str_eq(resp_str(&r, "active.id"), item + 11);
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/focus/active", c, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "session.id"), item + 11);
	resp_free(&r);
	/* Bob sees none of it and cannot end it. */
	ck_assert_int_eq(api_req("GET", "/api/focus/active", bob, NULL, &r), 200);
	ck_assert_str_eq(r.body, "{\"session\":null}");
	resp_free(&r);
	{
		char path[300];

		snprintf(path, sizeof(path), "%s/complete", item);
		ck_assert_int_eq(api_status("POST", path, bob, "{}"), 404);
		snprintf(path, sizeof(path), "%s/abandon", item);
		ck_assert_int_eq(api_status("POST", path, bob, "{}"), 404);
		ck_assert_int_eq(api_status("GET", item, bob, NULL), 404);
		ck_assert_int_eq(api_status("DELETE", item, bob, NULL), 404);
		/* Abandon, then a new one may start. */
		snprintf(path, sizeof(path), "%s/abandon", item);
		ck_assert_int_eq(api_req("POST", path, c, "{}", &r), 200);
		ck_assert_str_eq(resp_str(&r, "status"), "abandoned");
		ck_assert_ptr_nonnull(resp_str(&r, "endedAt"));
		resp_free(&r);
		/* Again: harmless. Completing it now: a conflict. */
		ck_assert_int_eq(api_status("POST", path, c, "{}"), 200);
		snprintf(path, sizeof(path), "%s/complete", item);
		ck_assert_int_eq(api_req("POST", path, c, "{}", &r), 409);
		ck_assert_str_eq(resp_str(&r, "current.status"), "abandoned");
		resp_free(&r);
	}
	ck_assert_int_eq(api_status("POST", "/api/focus", c, "{\"mode\":"
	    "\"break\"}"), 201);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM log_events WHERE "
	    "user_id = " OF("one@example.org") " AND event_type IN "
	    "('focus.created', 'focus.abandoned')"), 3);
	/* Not editable: a session is started and ended. */
	ck_assert_int_eq(api_status("PATCH", item, c, "{}"), 405);
}
END_TEST

START_TEST(completion_awards_once)
{
	char		 c[128], done[300];
	struct resp	 r;

	user("done@example.org", c, sizeof(c));
	ck_assert_int_eq(api_req("POST", "/api/focus", c, "{\"plannedDuration\":"
	    "60,\"metadata\":{\"task\":\"mix\"}}", &r), 201);
	snprintf(done, sizeof(done), "/api/focus/%s/complete",
	    resp_str(&r, "id"));
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", done, c, "{}", &r), 200);
	ck_assert_str_eq(resp_str(&r, "status"), "completed");
	ck_assert_ptr_nonnull(resp_str(&r, "actualDuration"));
	ck_assert_str_eq(resp_str(&r, "metadata.task"), "mix");
	resp_free(&r);
	ck_assert_int_eq(api_status("POST", done, c, "{}"), 200);
	ck_assert_int_eq(suite_count("SELECT total_xp FROM skill_trees WHERE "
	    "user_id = " OF("done@example.org")), 25);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reward_ledger r "
	    "JOIN log_events e ON e.id = r.source_event_id WHERE r.user_id = "
	    OF("done@example.org") " AND e.event_type = 'focus.completed' AND "
	    "r.amount = 25"), 1);
	/* A break earns nothing. */
	ck_assert_int_eq(api_req("POST", "/api/focus", c, "{\"mode\":\"break\"}",
	    &r), 201);
	ck_assert_str_eq(resp_str(&r, "plannedDuration"), "300");
	snprintf(done, sizeof(done), "/api/focus/%s/complete",
	    resp_str(&r, "id"));
	resp_free(&r);
	ck_assert_int_eq(api_status("POST", done, c, "{}"), 200);
	ck_assert_int_eq(suite_count("SELECT total_xp FROM skill_trees WHERE "
	    "user_id = " OF("done@example.org")), 25);
	/* Stats of today: two completed, one of them focus. */
	ck_assert_int_eq(api_req("GET", "/api/focus/stats?period=week", c, NULL,
	    &r), 200);
	ck_assert_str_eq(resp_str(&r, "totalSessions"), "2");
	ck_assert_str_eq(resp_str(&r, "completedSessions"), "2");
	ck_assert_str_eq(resp_str(&r, "abandonedSessions"), "0");
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/focus?mode=break&status=completed",
	    c, NULL, &r), 200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 1);
	resp_free(&r);
	ck_assert_int_eq(api_status("GET", "/api/focus/stats?period=year", c,
	    NULL), 400);
	ck_assert_int_eq(api_req("GET", "/api/focus/stats", bob, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "totalSessions"), "0");
	resp_free(&r);
}
END_TEST

START_TEST(durations_from_settings_and_limits)
{
	char		 c[128];
	struct resp	 r;

	user("settings@example.org", c, sizeof(c));
	ck_assert_int_eq(api_status("PATCH", "/api/settings", c,
	    "{\"focusDefaultDuration\":600,\"focusLongBreakDuration\":1200}"),
	    200);
	ck_assert_int_eq(api_req("POST", "/api/focus", c, "{\"mode\":"
	    "\"long_break\"}", &r), 201);
	ck_assert_str_eq(resp_str(&r, "plannedDuration"), "1200");
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", "/api/focus", c, "{\"status\":"
	    "\"completed\"}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "status");
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", "/api/focus", c, "{\"plannedDuration\":"
	    "0}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "plannedDuration");
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", "/api/focus", c, "{\"mode\":\"nap\"}",
	    &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "mode");
	resp_free(&r);
}
END_TEST

START_TEST(stale_sessions_are_abandoned_on_read)
{
	char		 c[128];
	struct resp	 r;
	PGconn		*pg;

	user("stale@example.org", c, sizeof(c));
	ck_assert_int_eq(api_status("POST", "/api/focus", c, "{\"plannedDuration\""
	    ":60}"), 201);
	/* Two planned durations and a bit ago. */
	pg = harness_pg(harness_pghost(), suite_db, "postgres");
	harness_sql(pg, "UPDATE focus_sessions SET started_at = now() - "
	    "interval '125 seconds' WHERE user_id = " OF("stale@example.org"));
	PQfinish(pg);
	ck_assert_int_eq(api_req("GET", "/api/focus/active", c, NULL, &r), 200);
	ck_assert_str_eq(r.body, "{\"session\":null}");
	resp_free(&r);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM focus_sessions WHERE "
	    "user_id = " OF("stale@example.org") " AND status = 'abandoned' "
	    "AND ended_at = started_at + interval '120 seconds'"), 1);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM log_events WHERE "
	    "user_id = " OF("stale@example.org") " AND event_type = "
	    "'focus.abandoned'"), 1);
	ck_assert_int_eq(api_status("POST", "/api/focus", c, "{}"), 201);
}
END_TEST

START_TEST(concurrent_starts_one_wins)
{
	struct race_req	 q = { "POST", "/api/focus", NULL, NULL, { "{}" } };
	char		 c[128];
	long		 got[2];
	int		 round;

	user("race@example.org", c, sizeof(c));
	q.cookie = c;
	for (round = 0; round < 5; round++) {
		api_race(2, &q, got);
		ck_assert_int_eq(got[0] + got[1], 201 + 409);
		ck_assert(got[0] == 201 || got[1] == 201);
		/* End it for the next round. */
		{
			PGconn *pg = harness_pg(harness_pghost(), suite_db,
			    "postgres");

			harness_sql(pg, "UPDATE focus_sessions SET status = "
			    "'completed', ended_at = now() WHERE status = "
			    "'active'");
			PQfinish(pg);
		}
	}
	ck_assert_int_eq(suite_count("SELECT count(*) FROM focus_sessions WHERE "
	    "user_id = " OF("race@example.org")), 5);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("focus");
	TCase	*tc = tcase_create("focus");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, one_active_session);
	tcase_add_test(tc, completion_awards_once);
	tcase_add_test(tc, durations_from_settings_and_limits);
	tcase_add_test(tc, stale_sessions_are_abandoned_on_read);
	tcase_add_test(tc, concurrent_starts_one_wins);
	harness_add_no_crash(tc, &suite_st);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
