/*
 * jobs.c - the queue of the jobs worker in PostgreSQL: enqueue (inside
 * the caller's transaction), claim with FOR UPDATE SKIP LOCKED, finish,
 * retry with a delay, and requeue what a dead worker left running.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

enum db_status
db_job_enqueue(struct db *db, struct arena *a, const char *kind,
    const char *payload, long max_attempts, long ttl)
{
	const char	*p[4] = { kind, payload, db_num(a, max_attempts),
	    db_num(a, ttl) };

	return db_exec(db, a, DB_STMT_JOB_ENQUEUE, p, NULL);
}

enum db_status
db_job_claim(struct db *db, struct arena *a, const struct db_lane *l,
    struct db_job *j)
{
	const char	*p[2] = { l->kinds, l->only ? "true" : "false" };
	PGresult	*r;
	enum db_status	 st;

	st = db_exec(db, a, DB_STMT_JOB_CLAIM, p, &r);
	/* Another worker took a job of the same user at this very moment
	 * (sql/0013: one running vault job per user): none for us now. */
	if (st == DB_CONFLICT)
		return DB_NOTFOUND;
	if (st != DB_OK)
		return st;
	if (PQntuples(r) == 0)
		return DB_NOTFOUND;
	j->id = atoll(db_col(r, 0, "id"));
	j->kind = db_col(r, 0, "kind");
	j->payload = db_col(r, 0, "payload");
	j->attempts = atoi(db_col(r, 0, "attempts"));
	j->max_attempts = atoi(db_col(r, 0, "max_attempts"));
	j->expired = db_col_true(r, 0, "expired");
	j->user_id = db_col_null(r, 0, "user_id");
	return DB_OK;
}

enum db_status
db_job_done(struct db *db, struct arena *a, long long id,
    const char *outcome)
{
	const char	*p[2] = { db_num(a, id), outcome != NULL &&
	    outcome[0] != '\0' ? outcome : NULL };

	return db_exec(db, a, DB_STMT_JOB_DONE, p, NULL);
}

enum db_status
db_job_retry(struct db *db, struct arena *a, long long id, long delay,
    const char *error, int give_up, int *failed)
{
	const char	*p[4] = { db_num(a, id), db_num(a, delay), error,
	    give_up ? "true" : "false" };
	PGresult	*r;
	enum db_status	 st;

	*failed = 0;
	st = db_exec(db, a, DB_STMT_JOB_RETRY, p, &r);
	if (st == DB_OK && PQntuples(r) == 1)
		*failed = strcmp(db_col(r, 0, "state"), "failed") == 0;
	return st;
}

enum db_status
db_jobs_requeue_stale(struct db *db, struct arena *a, long *n)
{
	return db_exec_count(db, a, DB_STMT_JOBS_REQUEUE_STALE, NULL, n);
}

enum db_status
db_jobs_next_due(struct db *db, struct arena *a, const struct db_lane *l,
    long long *ms)
{
	const char	*p[2] = { l->kinds, l->only ? "true" : "false" };
	PGresult	*r;
	enum db_status	 st;

	st = db_exec_row(db, a, DB_STMT_JOBS_NEXT_DUE, p, &r);
	if (st == DB_OK)
		*ms = atoll(db_col(r, 0, "ms"));
	return st;
}

enum db_status
db_jobs_purge(struct db *db, struct arena *a, long days, long *n)
{
	const char	*p[1] = { db_num(a, days) };

	return db_exec_count(db, a, DB_STMT_JOBS_PURGE, p, n);
}

enum db_status
db_jobs_queue(struct db *db, struct arena *a, struct db_queue_row **rows,
    size_t *n)
{
	PGresult	*r;
	enum db_status	 st;
	int		 i;

	*rows = NULL;
	*n = 0;
	st = db_exec(db, a, DB_STMT_JOBS_QUEUE, NULL, &r);
	if (st != DB_OK)
		return st;
	*rows = arena_calloc(a, sizeof(**rows) * ((size_t)PQntuples(r) + 1));
	for (i = 0; i < PQntuples(r); i++) {
		(*rows)[i].kind = db_col(r, i, "kind");
		(*rows)[i].queued = atoll(db_col(r, i, "queued"));
		(*rows)[i].oldest_due_s = atoll(db_col(r, i, "oldest"));
	}
	*n = (size_t)PQntuples(r);
	return DB_OK;
}

enum db_status
db_jobs_listen(struct db *db, unsigned long *listened)
{
	PGresult	*r;
	enum db_status	 st;

	st = db_connect(db);
	if (st != DB_OK || *listened == db->opens)
		return st;
	r = PQexec(db->conn, "LISTEN passion_jobs");
	st = db_result_status(db, r);
	PQclear(r);
	if (st == DB_OK)
		*listened = db->opens;
	else
		log_warn("LISTEN passion_jobs: %s", db->errstr);
	return st;
}

int
db_notifies_drain(struct db *db)
{
	PGnotify	*n;
	int		 any = 0;

	if (db->conn == NULL)
		return 0;
	PQconsumeInput(db->conn);
	for (n = PQnotifies(db->conn); n != NULL; n = PQnotifies(db->conn)) {
		PQfreemem(n);
		any = 1;
	}
	return any;
}

int
db_socket(const struct db *db)
{
	return db->conn != NULL ? PQsocket(db->conn) : -1;
}
