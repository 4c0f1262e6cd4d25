/*
 * check_rls.c - the database guard, asserted as the runtime role sees it:
 * passion_app owns nothing and bypasses nothing, every user-owned table
 * forces row-level security, another user's rows are invisible and cannot
 * be written, append-only tables refuse UPDATE and DELETE; plus the
 * migration bookkeeping and the schema's own constraints.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "../common/run.h"

static char	 db[64];
static char	 user_a[64], user_b[64];

static const char *const owned_tables[] = {
	"log_events", "quests", "schedule_rules", "plan_templates",
	"skill_trees", "reward_ledger", "focus_sessions", "projects",
	"reference_libraries", "reference_tracks", "infobase_entries",
	"lane_templates", "user_settings", "blobs",
};
#define NOWNED	((int)(sizeof(owned_tables) / sizeof(owned_tables[0])))

static void
setup(void)
{
	PGconn	*c;

	snprintf(db, sizeof(db), "passion_rls_%d", (int)getpid());
	harness_db_create(harness_pghost(), db);
	c = harness_pg(harness_pghost(), db, "passion_app");
	snprintf(user_a, sizeof(user_a), "%s", harness_sql(c,
	    "INSERT INTO users (email) VALUES ('a@example.org') RETURNING id"));
	snprintf(user_b, sizeof(user_b), "%s", harness_sql(c,
	    "INSERT INTO users (email) VALUES ('b@example.org') RETURNING id"));
	PQfinish(c);
}

/* As passion_app inside a transaction acting for user (NULL: nobody). */
static PGconn *
app_as(const char *user)
{
	PGconn	*c = harness_pg(harness_pghost(), db, "passion_app");
	char	 sql[256];

	harness_sql(c, "BEGIN");
	snprintf(sql, sizeof(sql), "SELECT set_config('passion.user_id', "
	    "'%s', true)", user ? user : "");
	harness_sql(c, sql);
	return c;
}

/* Run sql expecting failure with SQLSTATE state. */
static void
sql_fails(PGconn *c, const char *sql, const char *state)
{
	PGresult	*r = PQexec(c, sql);
	const char	*got = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	ck_assert_msg(PQresultStatus(r) == PGRES_FATAL_ERROR, "%s succeeded",
	    sql);
	ck_assert_msg(got && strcmp(got, state) == 0, "%s: %s, want %s (%s)",
	    sql, got ? got : "-", state, PQresultErrorMessage(r));
	PQclear(r);
}

static void
insert_quest(PGconn *c, const char *id, const char *user, const char *parent)
{
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO quests (id, user_id, title, "
	    "domain_id, created_at, updated_at, content_hash, parent_id) "
	    "VALUES ('%s', '%s', 'q', 'd', now(), now(), 'h', %s%s%s)",
	    id, user, parent ? "'" : "", parent ? parent : "NULL",
	    parent ? "'" : "");
	harness_sql(c, sql);
}

START_TEST(runtime_role_owns_and_bypasses_nothing)
{
	PGconn	*c = harness_pg(harness_pghost(), db, "passion_owner");

	ck_assert_str_eq(harness_sql(c, "SELECT rolsuper OR rolbypassrls "
	    "FROM pg_roles WHERE rolname = 'passion_app'"), "f");
	ck_assert_str_eq(harness_sql(c, "SELECT count(*) FROM pg_class c "
	    "JOIN pg_roles r ON r.oid = c.relowner "
	    "WHERE r.rolname = 'passion_app'"), "0");
	ck_assert_str_eq(harness_sql(c, "SELECT count(*) FROM pg_namespace n "
	    "JOIN pg_roles r ON r.oid = n.nspowner "
	    "WHERE r.rolname = 'passion_app'"), "0");
	PQfinish(c);
}
END_TEST

START_TEST(every_owned_table_forces_rls)
{
	PGconn	*c = harness_pg(harness_pghost(), db, "passion_owner");
	char	 sql[512];

	snprintf(sql, sizeof(sql), "SELECT relrowsecurity AND "
	    "relforcerowsecurity AND EXISTS (SELECT 1 FROM pg_policies p "
	    "WHERE p.tablename = '%s' AND p.qual LIKE '%%passion.user_id%%' "
	    "AND p.with_check LIKE '%%passion.user_id%%') "
	    "FROM pg_class WHERE relname = '%s'", owned_tables[_i],
	    owned_tables[_i]);
	ck_assert_msg(strcmp(harness_sql(c, sql), "t") == 0,
	    "%s lacks forced RLS with a passion.user_id policy",
	    owned_tables[_i]);
	PQfinish(c);
}
END_TEST

START_TEST(other_users_rows_are_invisible)
{
	PGconn	*a, *b, *nobody;

	b = app_as(user_b);
	insert_quest(b, "rls-b-1", user_b, NULL);
	harness_sql(b, "COMMIT");
	PQfinish(b);
	a = app_as(user_a);
	insert_quest(a, "rls-a-1", user_a, NULL);
	ck_assert_str_eq(harness_sql(a, "SELECT count(*) FROM quests"), "1");
	ck_assert_str_eq(harness_sql(a, "SELECT id FROM quests"), "rls-a-1");
	ck_assert_str_eq(harness_sql(a, "SELECT count(*) FROM quests "
	    "WHERE id = 'rls-b-1'"), "0");
	/* Updates and deletes of B's row touch nothing. */
	harness_sql(a, "UPDATE quests SET title = 'x' WHERE id = 'rls-b-1'");
	{
		PGresult *r = PQexec(a, "DELETE FROM quests "
		    "WHERE id = 'rls-b-1'");

		ck_assert_str_eq(PQcmdTuples(r), "0");
		PQclear(r);
	}
	harness_sql(a, "COMMIT");
	PQfinish(a);
	/* Without passion.user_id nothing is visible at all. */
	nobody = app_as(NULL);
	ck_assert_str_eq(harness_sql(nobody, "SELECT count(*) FROM quests"),
	    "0");
	PQfinish(nobody);
	b = app_as(user_b);
	ck_assert_str_eq(harness_sql(b, "SELECT title FROM quests "
	    "WHERE id = 'rls-b-1'"), "q");
	PQfinish(b);
}
END_TEST

START_TEST(insert_with_other_users_id_fails)
{
	PGconn	*a = app_as(user_a);
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO projects (id, user_id, name, "
	    "created_at, updated_at, content_hash) VALUES ('rls-p', '%s', "
	    "'p', now(), now(), 'h')", user_b);
	sql_fails(a, sql, "42501");
	PQfinish(a);
	a = app_as(user_a);
	/* Nor can a row be moved to another user. */
	insert_quest(a, "rls-a-move", user_a, NULL);
	snprintf(sql, sizeof(sql), "UPDATE quests SET user_id = '%s' "
	    "WHERE id = 'rls-a-move'", user_b);
	sql_fails(a, sql, "42501");
	PQfinish(a);
}
END_TEST

START_TEST(append_only_tables_refuse_update_and_delete)
{
	PGconn	*a = app_as(user_a);
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO log_events (id, user_id, "
	    "event_type, payload, \"timestamp\") VALUES ('ev-1', '%s', "
	    "'quest.created', '{}', now())", user_a);
	harness_sql(a, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO reward_ledger (id, user_id, "
	    "domain_id, reward_type, amount, reason, created_at) VALUES "
	    "('rw-1', '%s', 'd', 'xp', 10, 'r', now())", user_a);
	harness_sql(a, sql);
	harness_sql(a, "SAVEPOINT s");
	sql_fails(a, "UPDATE log_events SET event_type = 'x'", "42501");
	harness_sql(a, "ROLLBACK TO s");
	sql_fails(a, "DELETE FROM log_events", "42501");
	harness_sql(a, "ROLLBACK TO s");
	sql_fails(a, "UPDATE reward_ledger SET amount = 1000", "42501");
	harness_sql(a, "ROLLBACK TO s");
	sql_fails(a, "DELETE FROM reward_ledger", "42501");
	harness_sql(a, "ROLLBACK TO s");
	ck_assert_str_eq(harness_sql(a, "SELECT count(*) FROM log_events"),
	    "1");
	PQfinish(a);
}
END_TEST

START_TEST(parent_must_be_own_quest_and_is_set_null)
{
	PGconn	*a = app_as(user_a), *b;

	insert_quest(a, "par-a", user_a, NULL);
	insert_quest(a, "child-a", user_a, "par-a");
	harness_sql(a, "DELETE FROM quests WHERE id = 'par-a'");
	ck_assert_str_eq(harness_sql(a, "SELECT coalesce(parent_id, 'null') "
	    "FROM quests WHERE id = 'child-a'"), "null");
	harness_sql(a, "COMMIT");
	PQfinish(a);
	/* A foreign key cannot reach into another user's quests. */
	b = app_as(user_b);
	insert_quest(b, "par-b", user_b, NULL);
	harness_sql(b, "COMMIT");
	PQfinish(b);
	a = app_as(user_a);
	{
		char sql[512];

		snprintf(sql, sizeof(sql), "INSERT INTO quests (id, user_id, "
		    "title, domain_id, created_at, updated_at, content_hash, "
		    "parent_id) VALUES ('evil', '%s', 'q', 'd', now(), now(), "
		    "'h', 'par-b')", user_a);
		sql_fails(a, sql, "23503");
	}
	PQfinish(a);
}
END_TEST

/* CHECK constraints and types, each statement expected to fail. */
static const struct {
	const char	*sql;
	const char	*state;
} constraint_cases[] = {
	{ "INSERT INTO quests (id, user_id, title, domain_id, created_at, "
	    "updated_at, content_hash, status) VALUES ('c1', $1::uuid, 't', 'd', "
	    "now(), now(), 'h', 'done')", "23514" },
	{ "INSERT INTO quests (id, user_id, title, domain_id, created_at, "
	    "updated_at, content_hash, priority) VALUES ('c2', $1::uuid, 't', 'd', "
	    "now(), now(), 'h', 'urgent')", "23514" },
	{ "INSERT INTO quests (id, user_id, title, domain_id, created_at, "
	    "updated_at, content_hash, tags) VALUES ('c3', $1::uuid, 't', 'd', "
	    "now(), now(), 'h', '{\"not\":\"array\"}')", "23514" },
	{ "INSERT INTO quests (id, user_id, domain_id, created_at, "
	    "updated_at, content_hash) VALUES ('c4', $1::uuid, 'd', now(), now(), "
	    "'h')", "23502" },
	{ "INSERT INTO quests (id, user_id, title, domain_id, created_at, "
	    "updated_at, content_hash) VALUES ('bad id!', $1::uuid, 't', 'd', "
	    "now(), now(), 'h')", "23514" },
	{ "INSERT INTO focus_sessions (id, user_id, started_at, "
	    "planned_duration, status, mode) VALUES ('f1', $1::uuid, now(), 60, "
	    "'running', 'focus')", "23514" },
	{ "INSERT INTO lane_templates (id, user_id, name, template_type, "
	    "lane_settings, notes, bpm, bars, time_signature, created_at, "
	    "updated_at) VALUES ('l1', $1::uuid, 'n', 'bass', '{}', '[]', 120, 4, "
	    "'[4,4]', now(), now())", "23514" },
	{ "INSERT INTO user_settings (user_id, theme) VALUES ($1::uuid, 'neon')",
	    "23514" },
	{ "INSERT INTO reward_ledger (id, user_id, domain_id, reward_type, "
	    "amount, reason, created_at) VALUES ('r9', $1::uuid, 'd', 'gold', 1, "
	    "'r', now())", "23514" },
	{ "INSERT INTO schedule_rules (id, user_id, name, domain_id, "
	    "recurrence, quest_template, created_at, updated_at, content_hash) "
	    "VALUES ('s1', $1::uuid, 'n', 'd', 'hourly', '{}', now(), now(), 'h')",
	    "23514" },
};

START_TEST(constraints_table)
{
	PGconn		*a = app_as(user_a);
	const char	*params[1] = { user_a };
	PGresult	*r;
	const char	*got;

	/* The user id goes in as $1: no SQL is built from strings here. */
	r = PQexecParams(a, constraint_cases[_i].sql, 1, NULL, params, NULL,
	    NULL, 0);
	got = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	ck_assert_msg(got && strcmp(got, constraint_cases[_i].state) == 0,
	    "%s: %s, want %s", constraint_cases[_i].sql, got ? got : "ok",
	    constraint_cases[_i].state);
	PQclear(r);
	PQfinish(a);
}
END_TEST

START_TEST(sizes_are_bigint)
{
	PGconn	*a = app_as(user_a);
	char	 sql[1024];

	snprintf(sql, sizeof(sql), "INSERT INTO blobs (user_id, kind, "
	    "object_key, mime_type, size_bytes, name) VALUES ('%s', 'audio', "
	    "'%s/audio/x.wav', 'audio/wav', 5368709120, 'x.wav')", user_a,
	    user_a);
	harness_sql(a, sql);
	harness_sql(a, "INSERT INTO reference_libraries (id, user_id, name, "
	    "created_at, updated_at) SELECT 'lib1', user_id, 'l', now(), now() "
	    "FROM blobs LIMIT 1");
	snprintf(sql, sizeof(sql), "INSERT INTO reference_tracks (id, "
	    "library_id, user_id, name, blob_key, mime_type, size_bytes, "
	    "created_at) VALUES ('t1', 'lib1', '%s', 't', 'k', 'audio/wav', "
	    "5000000000, now())", user_a);
	harness_sql(a, sql);
	ck_assert_str_eq(harness_sql(a, "SELECT size_bytes FROM "
	    "reference_tracks WHERE id = 't1'"), "5000000000");
	PQfinish(a);
}
END_TEST

START_TEST(migrate_twice_is_a_noop_and_status_lists)
{
	char	 conf[128], cmd[1024], out[128];
	FILE	*f;

	snprintf(conf, sizeof(conf), "/tmp/passion-mig-%d.conf", (int)getpid());
	snprintf(out, sizeof(out), "/tmp/passion-mig-%d.out", (int)getpid());
	f = fopen(conf, "w");
	fprintf(f, "migrate_database_url = host=%s dbname=%s "
	    "user=passion_owner\n", harness_pghost(), db);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/passionctl -c %s migrate > %s 2>&1",
	    getenv("abs_top_builddir"), conf, out);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert(harness_file_has(out, "database is up to date", 0));
	snprintf(cmd, sizeof(cmd), "%s/passionctl -c %s migrate --status "
	    "> %s 2>&1", getenv("abs_top_builddir"), conf, out);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert(harness_file_has(out, "0001_schema\tapplied 20", 0));
	unlink(conf);
	unlink(out);
}
END_TEST


int
main(void)
{
	Suite	*s = suite_create("rls");
	TCase	*tc = tcase_create("guards");

	harness_pghost();
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, runtime_role_owns_and_bypasses_nothing);
	tcase_add_loop_test(tc, every_owned_table_forces_rls, 0, NOWNED);
	tcase_add_test(tc, other_users_rows_are_invisible);
	tcase_add_test(tc, insert_with_other_users_id_fails);
	tcase_add_test(tc, append_only_tables_refuse_update_and_delete);
	tcase_add_test(tc, parent_must_be_own_quest_and_is_set_null);
	tcase_add_loop_test(tc, constraints_table, 0, N(constraint_cases));
	tcase_add_test(tc, sizes_are_bigint);
	tcase_add_test(tc, migrate_twice_is_a_noop_and_status_lists);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
