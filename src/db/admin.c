/*
 * admin.c - what passionctl asks of the database as the owner role:
 * migrations applied or listed, users listed and changed, the jobs
 * queue read. Rows come back as typed structs, read by column name, one
 * callback a row; no result set leaves db/.
 */
#include "config.h"

#include <stdlib.h>

#include <libpq-fe.h>

#include "db/admin.h"
#include "db/db_internal.h"
#include "util/util.h"

int
db_migrate_run(struct db *db, int status_only, FILE *out, char *err,
    size_t errlen)
{
	if (db_connect(db) != DB_OK) {
		snprintf(err, errlen, "cannot connect: %s", db->errstr);
		return -1;
	}
	return status_only ? db_migrate_status(db->conn, out, err, errlen) :
	    db_migrate(db->conn, out, err, errlen);
}

enum db_status
db_users_list(struct db *db, struct arena *a, db_user_fn fn, void *ud)
{
	PGresult		*r;
	struct db_user_info	 u;
	enum db_status		 st;
	int			 i;

	st = db_sql(db, a, "admin_users", "SELECT coalesce(email, '-') AS "
	    "email, to_char(created_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created, "
	    "CASE WHEN disabled_at IS NULL THEN 'active' ELSE 'disabled' END "
	    "AS state, id FROM users ORDER BY created_at, id", 0, NULL, 1, &r);
	for (i = 0; st == DB_OK && i < PQntuples(r); i++) {
		u.email = db_col(r, i, "email");
		u.created = db_col(r, i, "created");
		u.state = db_col(r, i, "state");
		u.id = db_col(r, i, "id");
		fn(ud, &u);
	}
	return st;
}

static const char *const user_sql[] = {
	[DB_USER_CREATE] = "INSERT INTO users (email, email_verified) "
	    "VALUES ($1, now()) ON CONFLICT (email) DO NOTHING",
	[DB_USER_DISABLE] = "WITH u AS (UPDATE users SET disabled_at = now(), "
	    "updated_at = now() WHERE email = $1 RETURNING id), "
	    "s AS (DELETE FROM sessions WHERE user_id IN (SELECT id FROM u)) "
	    "SELECT id FROM u",
	[DB_USER_ENABLE] = "UPDATE users SET disabled_at = NULL, "
	    "updated_at = now() WHERE email = $1",
	[DB_USER_DELETE] = "DELETE FROM users WHERE email = $1",
};

enum db_status
db_user_admin(struct db *db, struct arena *a, enum db_user_verb verb,
    const char *email, long *changed)
{
	static const char *const names[] = {
		[DB_USER_CREATE] = "admin_user_create",
		[DB_USER_DISABLE] = "admin_user_disable",
		[DB_USER_ENABLE] = "admin_user_enable",
		[DB_USER_DELETE] = "admin_user_delete",
	};
	const char	*p[1] = { email };
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, names[verb], user_sql[verb], 1, p, 0, &r);
	if (st == DB_OK)
		*changed = PQresultStatus(r) == PGRES_TUPLES_OK ?
		    PQntuples(r) : atol(PQcmdTuples(r));
	return st;
}

enum db_status
db_jobs_list(struct db *db, struct arena *a, int failed_only, db_job_fn fn,
    void *ud)
{
	const char		*p[1] = { failed_only ? "true" : "false" };
	PGresult		*r;
	struct db_job_info	 j;
	enum db_status		 st;
	int			 i;

	st = db_sql(db, a, "admin_jobs", "SELECT id, kind, state, "
	    "attempts || '/' || max_attempts AS attempts, "
	    "to_char(run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	    "AS run_at, coalesce(CASE state WHEN 'done' THEN outcome ELSE "
	    "last_error END, '-') AS outcome FROM jobs "
	    "WHERE NOT $1::boolean OR state = 'failed' ORDER BY id DESC LIMIT 50",
	    1, p, 1, &r);
	for (i = 0; st == DB_OK && i < PQntuples(r); i++) {
		j.id = db_col(r, i, "id");
		j.kind = db_col(r, i, "kind");
		j.state = db_col(r, i, "state");
		j.attempts = db_col(r, i, "attempts");
		j.run_at = db_col(r, i, "run_at");
		j.outcome = db_col(r, i, "outcome");
		fn(ud, &j);
	}
	return st;
}
