/*
 * check_db.c - the db/ room against real PostgreSQL: the per-request
 * transaction carries passion.user_id and forgets it at commit, failures
 * are classified for the API, a connection killed under a worker is
 * replaced on the next call, the vault jobs' queue is fair, an
 * object rows share leaves the store with the last of them, and an
 * import's check of the user's ids reads one key per id.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db_internal.h"	/* db_exec, db_result_status */
#include "model/model.h"
#include "harness.h"
#include "../common/run.h"

static char	 db_name[64], conninfo[512], user_a[64];
/* Short limits, so the timeout cases are quick. */
static const struct db_limits lim = { 3, 1500, 500, "check_db" };

static void
setup(void)
{
	PGconn	*c;

	snprintf(db_name, sizeof(db_name), "passion_db_%d", (int)getpid());
	harness_db_create(harness_pghost(), db_name);
	snprintf(conninfo, sizeof(conninfo), "host=%s dbname=%s "
	    "user=passion_app", harness_pghost(), db_name);
	c = harness_pg(harness_pghost(), db_name, "passion_app");
	snprintf(user_a, sizeof(user_a), "%s", harness_sql(c,
	    "INSERT INTO users (email) VALUES ('db-a@example.org') "
	    "RETURNING id"));
	PQfinish(c);
}

/* One value from the db's own connection. */
static char *
value(struct db *d, const char *sql)
{
	static char	 out[256];
	PGresult	*r = PQexec(d->conn, sql);

	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQresultErrorMessage(r));
	snprintf(out, sizeof(out), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return out;
}

START_TEST(transaction_carries_and_forgets_the_user)
{
	struct db	 d;

	db_init(&d, conninfo, "", &lim);
	ck_assert_int_eq(db_tx_begin(&d, user_a), DB_OK);
	ck_assert_str_eq(value(&d, "SELECT current_setting('passion.user_id')"),
	    user_a);
	ck_assert_int_eq(db_tx_commit(&d), DB_OK);
	/* Transaction-local: the next request on this connection is nobody. */
	ck_assert_str_eq(value(&d, "SELECT coalesce(current_setting("
	    "'passion.user_id', true), '')"), "");
	ck_assert_int_eq(db_tx_begin(&d, NULL), DB_OK);
	ck_assert_str_eq(value(&d, "SELECT count(*) FROM quests"), "0");
	db_tx_rollback(&d);
	ck_assert_int_eq(d.in_tx, 0);
	db_tx_rollback(&d);	/* harmless when nothing is open */
	db_cleanup(&d);
}
END_TEST

static const struct {
	const char	*sql;
	enum db_status	 want;
} status_cases[] = {
	{ "SELECT 1", DB_OK },
	{ "INSERT INTO users (email) VALUES ('db-a@example.org')",
	    DB_CONFLICT },
	{ "INSERT INTO projects (id, user_id, name, created_at, updated_at, "
	    "content_hash) VALUES ('p', gen_random_uuid(), 'n', now(), now(), "
	    "'h')", DB_DENIED },
	{ "UPDATE log_events SET event_type = 'x'", DB_DENIED },
	{ "SELECT 1/0", DB_ERROR },
	{ "SELECT * FROM no_such_table", DB_ERROR },
	{ "SELECT pg_sleep(5)", DB_TIMEOUT },
};

START_TEST(failures_are_classified)
{
	struct db	 d;
	PGresult	*r;

	db_init(&d, conninfo, "", &lim);
	ck_assert_int_eq(db_tx_begin(&d, user_a), DB_OK);
	db_tx_rollback(&d);
	r = PQexec(d.conn, status_cases[_i].sql);
	ck_assert_msg(db_result_status(&d, r) == status_cases[_i].want,
	    "%s: %s", status_cases[_i].sql, d.errstr);
	PQclear(r);
	db_cleanup(&d);
}
END_TEST

START_TEST(killed_connection_is_replaced)
{
	struct db	 d;
	PGconn		*su;
	char		 sql[256], pid[32];

	db_init(&d, conninfo, "", &lim);
	ck_assert_int_eq(db_ping(&d), DB_OK);
	snprintf(pid, sizeof(pid), "%d", PQbackendPID(d.conn));
	su = harness_pg(harness_pghost(), "postgres", "postgres");
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)", pid);
	ck_assert_str_eq(harness_sql(su, sql), "t");
	PQfinish(su);
	harness_sleep_ms(100);
	/* Seen before the statement is sent: no retry, no failure. */
	ck_assert_int_eq(db_exec(&d, NULL, DB_STMT_PING, NULL, NULL), DB_OK);
	ck_assert_int_ne(PQbackendPID(d.conn), atoi(pid));
	/* The same for a transaction. */
	snprintf(pid, sizeof(pid), "%d", PQbackendPID(d.conn));
	su = harness_pg(harness_pghost(), "postgres", "postgres");
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)", pid);
	harness_sql(su, sql);
	PQfinish(su);
	harness_sleep_ms(100);
	ck_assert_int_eq(db_tx_begin(&d, user_a), DB_OK);
	ck_assert_int_eq(db_tx_commit(&d), DB_OK);
	db_cleanup(&d);
}
END_TEST

START_TEST(session_limits_are_set)
{
	struct db	 d;

	db_init(&d, conninfo, "", &lim);
	ck_assert_int_eq(db_ping(&d), DB_OK);
	ck_assert_str_eq(value(&d, "SHOW statement_timeout"), "1500ms");
	ck_assert_str_eq(value(&d, "SHOW lock_timeout"), "500ms");
	ck_assert_str_eq(value(&d, "SHOW application_name"), "check_db");
	db_cleanup(&d);
}
END_TEST

/* A lock held elsewhere costs lock_timeout, then DB_TIMEOUT; not more. */
START_TEST(lock_wait_is_bounded)
{
	struct db	 d;
	PGconn		*owner;
	const char	*params[3] = { "x", "60", "60" };
	int64_t		 t0;

	owner = harness_pg(harness_pghost(), db_name, "passion_owner");
	harness_sql(owner, "BEGIN");
	harness_sql(owner, "LOCK TABLE sessions");
	db_init(&d, conninfo, "", &lim);
	t0 = time_mono_ms();
	ck_assert_int_eq(db_exec(&d, NULL, DB_STMT_SESSION_LOOKUP, params,
	    NULL), DB_TIMEOUT);
	ck_assert_int_lt(time_mono_ms() - t0, 1400);
	ck_assert_ptr_nonnull(strstr(d.errstr, "lock timeout"));
	/* The connection is still good for the next request. */
	ck_assert_int_eq(db_exec(&d, NULL, DB_STMT_PING, NULL, NULL), DB_OK);
	harness_sql(owner, "ROLLBACK");
	PQfinish(owner);
	db_cleanup(&d);
}
END_TEST

/* A row of the model's description comes back as typed JSON. */
START_TEST(entity_row_as_json)
{
	struct db		 d;
	struct arena		 a;
	struct json_object	*q = NULL, *v;
	PGconn			*owner;
	char			 sql[1024];

	owner = harness_pg(harness_pghost(), db_name, "passion_owner");
	/* FORCE ROW LEVEL SECURITY binds the owner too. */
	snprintf(sql, sizeof(sql), "SELECT set_config('passion.user_id', '%s', "
	    "false)", user_a);
	harness_sql(owner, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO quests (id, user_id, title, "
	    "domain_id, status, priority, due_date, created_at, updated_at, "
	    "tags, xp_value, content_hash) VALUES ('q-json', '%s', "
	    "'Write \"it\"', 'music', 'pending', 'high', "
	    "'2026-01-02 13:00:00.5+01', now(), now(), '[\"a\",\"b\"]', 50, "
	    "'h') ON CONFLICT DO NOTHING", user_a);
	harness_sql(owner, sql);
	PQfinish(owner);
	arena_init(&a, 4096);
	db_init(&d, conninfo, "", &lim);
	ck_assert_int_eq(db_tx_begin(&d, user_a), DB_OK);
	ck_assert_int_eq(db_entity_get(&d, &a, &model_quests, user_a, "q-json",
	    &q), DB_OK);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(q,
	    "title")), "Write \"it\"");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(q,
	    "dueDate")), "2026-01-02T12:00:00.500Z");
	v = json_object_object_get(q, "xpValue");
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert_int_eq(json_object_get_int64(v), 50);
	v = json_object_object_get(q, "tags");
	ck_assert(json_object_is_type(v, json_type_array));
	ck_assert_int_eq(json_object_array_length(v), 2);
	/* Absent optional fields are there, as null. */
	ck_assert(json_object_object_get_ex(q, "description", &v));
	ck_assert_ptr_null(v);
	ck_assert(json_object_object_get_ex(q, "completedAt", &v));
	ck_assert_ptr_null(v);
	json_object_put(q);
	/* Another user's id answers exactly like a missing one. */
	ck_assert_int_eq(db_entity_get(&d, &a, &model_quests,
	    "00000000-0000-0000-0000-000000000000", "q-json", &q),
	    DB_NOTFOUND);
	ck_assert_int_eq(db_entity_get(&d, &a, &model_quests, user_a,
	    "no-such", &q), DB_NOTFOUND);
	db_tx_rollback(&d);
	/* Row-level security alone: no passion.user_id, no row. */
	ck_assert_int_eq(db_tx_begin(&d, NULL), DB_OK);
	ck_assert_int_eq(db_entity_get(&d, &a, &model_quests, user_a,
	    "q-json", &q), DB_NOTFOUND);
	db_tx_rollback(&d);
	db_cleanup(&d);
	arena_cleanup(&a);
}
END_TEST

START_TEST(unreachable_server_is_unavailable)
{
	struct db	 d;

	db_init(&d, "host=/nonexistent dbname=x user=y", "", &lim);
	ck_assert_int_eq(db_ping(&d), DB_UNAVAILABLE);
	ck_assert_int_eq(db_tx_begin(&d, user_a), DB_UNAVAILABLE);
	ck_assert_ptr_null(d.conn);
	ck_assert_ptr_nonnull(strstr(d.errstr, "/nonexistent"));
	db_cleanup(&d);
}
END_TEST


/* The user of the job w claims next (its id in *id), or "none". */
static const char *
claim(struct db *w, struct arena *a, long long *id)
{
	static const struct db_lane	 vault = {
	    "{vault_import,vault_export}", 1 };
	struct db_job			 j;
	enum db_status			 st = db_job_claim(w, a, &vault, &j);

	ck_assert(st == DB_OK || st == DB_NOTFOUND);
	if (st == DB_NOTFOUND)
		return "none";
	*id = j.id;
	return j.user_id;
}

/*
 * Vault jobs are fair (sql/0013): users in turn, not first in first
 * out; none of a user while one of theirs runs; three open at most.
 */
START_TEST(vault_jobs_are_fair)
{
	struct db	 w1, w2;
	struct arena	 a;
	PGconn		*c;
	PGresult	*r;
	char		 ua[64], ub[64], q[512];
	long long	 j1 = 0, j2 = 0;
	int		 i;

	arena_init(&a, 16 * 1024);
	c = harness_pg(harness_pghost(), db_name, "passion_app");
	snprintf(ua, sizeof(ua), "%s", harness_sql(c, "INSERT INTO users "
	    "(email) VALUES ('fair-a@example.org') RETURNING id"));
	snprintf(ub, sizeof(ub), "%s", harness_sql(c, "INSERT INTO users "
	    "(email) VALUES ('fair-b@example.org') RETURNING id"));
	/* Alice queues three, then Bob one. */
	for (i = 0; i < 4; i++) {
		snprintf(q, sizeof(q), "INSERT INTO jobs (kind, user_id, "
		    "max_attempts, run_at) VALUES ('vault_import', '%s', 3, "
		    "now() - interval '%d seconds')", i < 3 ? ua : ub, 10 - i);
		harness_sql(c, q);
	}
	/* A fourth of hers is refused, with the hint passiond reads. */
	snprintf(q, sizeof(q), "INSERT INTO jobs (kind, user_id, max_attempts) "
	    "VALUES ('vault_export', '%s', 3)", ua);
	r = PQexec(c, q);
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	ck_assert_str_eq(PQresultErrorField(r, PG_DIAG_MESSAGE_HINT),
	    "vault_jobs_full");
	PQclear(r);
	db_init(&w1, conninfo, "", &lim);
	db_init(&w2, conninfo, "", &lim);
	ck_assert_str_eq(claim(&w1, &a, &j1), ua);
	/* Hers runs: the other worker takes Bob's, then nothing. */
	ck_assert_str_eq(claim(&w2, &a, &j2), ub);
	ck_assert_str_eq(claim(&w2, &a, &j2), "none");
	ck_assert_int_eq(db_job_done(&w2, &a, j2, NULL), DB_OK);
	ck_assert_str_eq(claim(&w2, &a, &j2), "none");
	/* Bob queues one more while her first is still running: when it
	 * is done, Bob's goes before her second (his last start is older). */
	snprintf(q, sizeof(q), "INSERT INTO jobs (kind, user_id, max_attempts) "
	    "VALUES ('vault_export', '%s', 3)", ub);
	harness_sql(c, q);
	ck_assert_str_eq(claim(&w2, &a, &j2), ub);
	ck_assert_int_eq(db_job_done(&w2, &a, j2, NULL), DB_OK);
	ck_assert_int_eq(db_job_done(&w1, &a, j1, NULL), DB_OK);
	ck_assert_str_eq(claim(&w1, &a, &j1), ua);
	/* Two of hers running at once is against the database's rule. */
	snprintf(q, sizeof(q), "UPDATE jobs SET state = 'running', locked_pid "
	    "= 1 WHERE user_id = '%s' AND state = 'queued'", ua);
	r = PQexec(c, q);
	ck_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23505");
	PQclear(r);
	db_cleanup(&w1);
	db_cleanup(&w2);
	PQfinish(c);
	arena_cleanup(&a);
}
END_TEST

/*
 * An object three blob rows share (an import's, sql/0018) counts once
 * and is queued for removal by the last row to go, and only then: one
 * row deleted leaves it; the other two deleted at once by two
 * transactions (each sees the other's row when it deletes its own)
 * queue it once, because the second waits for the first's commit and
 * asks again.
 */
START_TEST(an_object_goes_with_its_last_row)
{
	PGconn		*a, *b;
	PGresult	*r;
	char		 q[1024], d[256], id[3][64], key[128];
	int		 i;

	a = harness_pg(harness_pghost(), db_name, "passion_app");
	b = harness_pg(harness_pghost(), db_name, "passion_app");
	snprintf(q, sizeof(q), "SELECT set_config('passion.user_id', '%s', "
	    "false)", user_a);
	harness_sql(a, q);
	harness_sql(b, q);
	snprintf(key, sizeof(key), "%s/audio/shared.wav", user_a);
	for (i = 0; i < 3; i++) {
		snprintf(q, sizeof(q), "INSERT INTO blobs (user_id, kind, "
		    "object_key, mime_type, size_bytes, name, state) VALUES "
		    "('%s', 'audio', '%s', 'audio/wav', 1000, 'x%d.wav', "
		    "'ready') RETURNING id", user_a, key, i);
		snprintf(id[i], sizeof(id[i]), "%s", harness_sql(a, q));
	}
	snprintf(q, sizeof(q), "SELECT storage_used('%s')", user_a);
	ck_assert_str_eq(harness_sql(a, q), "1000");
	snprintf(q, sizeof(q), "SELECT count(*) FROM blob_deletions WHERE "
	    "object_key = '%s'", key);
	snprintf(d, sizeof(d), "DELETE FROM blobs WHERE id = '%s'", id[0]);
	harness_sql(a, d);
	ck_assert_str_eq(harness_sql(a, q), "0");
	harness_sql(a, "BEGIN");
	harness_sql(b, "BEGIN");
	snprintf(d, sizeof(d), "DELETE FROM blobs WHERE id = '%s'", id[1]);
	harness_sql(a, d);
	snprintf(d, sizeof(d), "DELETE FROM blobs WHERE id = '%s'", id[2]);
	ck_assert_int_eq(PQsendQuery(b, d), 1);
	harness_sleep_ms(300);
	ck_assert_int_eq(PQconsumeInput(b), 1);
	ck_assert_msg(PQisBusy(b), "the second deletion did not wait");
	harness_sql(a, "COMMIT");
	while ((r = PQgetResult(b)) != NULL) {
		ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
	}
	harness_sql(b, "COMMIT");
	ck_assert_str_eq(harness_sql(a, q), "1");
	snprintf(q, sizeof(q), "SELECT storage_used('%s')", user_a);
	ck_assert_str_eq(harness_sql(a, q), "0");
	PQfinish(a);
	PQfinish(b);
}
END_TEST

/* Counts the ids db_vault_ids says are the user's (mine) and others'. */
static void
count_id(void *ud, const char *id, int mine)
{
	int	*n = ud;

	(void)id;
	n[mine ? 0 : 1]++;
}

/*
 * An import asks which of its ids are held already, 5 000 at a time,
 * and each batch reads one key per id whatever the statistics say. As
 * "user_id = $1 AND id = ANY($2)" (passion_app) a user the statistics
 * said had next to nothing had every row read against each batch's
 * ids: a million after 100 000 took 303 s in bench/run. Here the table
 * is analyzed while another user holds 20 000 rows and this one none,
 * then this one gets 20 000 too (four times a batch's ids); the check
 * also runs first on the empty table, more than the five times after
 * which a prepared statement may keep a generic plan. Counted, not
 * timed: the index entries the check read.
 */
START_TEST(the_import_id_check_reads_by_key)
{
	struct db	 d;
	struct arena	 a;
	struct buf	 ids;
	PGconn		*su;
	char		 user[64], q[512];
	int		 i, n[2];

	su = harness_pg(harness_pghost(), db_name, "postgres");
	snprintf(user, sizeof(user), "%s", harness_sql(su, "INSERT INTO "
	    "users (email) VALUES ('db-ids@example.org') RETURNING id"));
	db_init(&d, conninfo, "", &lim);
	arena_init(&a, 64 * 1024);
	for (i = 0; i < 8; i++) {
		n[0] = n[1] = 0;
		ck_assert_int_eq(db_tx_begin(&d, user), DB_OK);
		ck_assert_int_eq(db_vault_ids(&d, &a, &model_quests,
		    "{\"ids-1\",\"other-1\"}", count_id, n), DB_OK);
		db_tx_rollback(&d);
		ck_assert_int_eq(n[0] + n[1], 0);
	}
	/* 20 000 quests of the other user's, analyzed; then this one's. */
	for (i = 0; i < 2; i++) {
		snprintf(q, sizeof(q), "INSERT INTO quests (id, user_id, "
		    "title, domain_id, created_at, updated_at, content_hash) "
		    "SELECT '%s-' || i, '%s', 'q', 'music', now(), now(), "
		    "repeat('0', 64) FROM generate_series(1, 20000) i",
		    i == 0 ? "other" : "ids", i == 0 ? user_a : user);
		harness_sql(su, q);
		if (i == 0)
			harness_sql(su, "ANALYZE quests");
	}
	/* 10 of the user's, 3 of the other user's, the rest nobody's. */
	buf_init(&ids, 1024 * 1024);
	for (i = 0; i < 5000; i++)
		buf_printf(&ids, "%s\"%s-%d\"", i == 0 ? "{" : ",",
		    i >= 10 && i < 13 ? "other" : "ids", i < 13 ?
		    1 + i * 1000 : 100000 + i);
	buf_putc(&ids, '}');
	n[0] = n[1] = 0;
	ck_assert_int_eq(db_tx_begin(&d, user), DB_OK);
	ck_assert_int_eq(db_vault_ids(&d, &a, &model_quests, ids.data,
	    count_id, n), DB_OK);
	ck_assert_int_eq(n[0], 10);
	ck_assert_int_eq(n[1], 3);
	n[0] = atoi(value(&d, "SELECT sum(pg_stat_get_xact_tuples_returned("
	    "indexrelid)) FROM pg_index WHERE indrelid = 'quests'::regclass"));
	ck_assert_msg(n[0] <= 5000, "the check read %d index entries for "
	    "5 000 ids", n[0]);
	db_tx_rollback(&d);
	buf_cleanup(&ids);
	arena_cleanup(&a);
	db_cleanup(&d);
	PQfinish(su);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("db");
	TCase	*tc = tcase_create("conn");

	harness_pghost();
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, transaction_carries_and_forgets_the_user);
	tcase_add_loop_test(tc, failures_are_classified, 0, N(status_cases));
	tcase_add_test(tc, killed_connection_is_replaced);
	tcase_add_test(tc, unreachable_server_is_unavailable);
	tcase_add_test(tc, session_limits_are_set);
	tcase_add_test(tc, lock_wait_is_bounded);
	tcase_add_test(tc, entity_row_as_json);
	tcase_add_test(tc, vault_jobs_are_fair);
	tcase_add_test(tc, an_object_goes_with_its_last_row);
	tcase_add_test(tc, the_import_id_check_reads_by_key);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
