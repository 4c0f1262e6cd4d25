/*
 * conn.c - statements on the worker's connection (link.c), one round trip
 * each, or handed to the pipeline (pipeline.c) when one waits; retried
 * once on a fresh connection when the server ended the session under a
 * statement that ran alone; and the request's transaction.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

static enum db_status	run_uncounted(struct db *db, struct arena *a,
			    const struct db_stmt_def *d, int slot,
			    const char *const *params, PGresult **out);

/*
 * Prepare d (made at run time) on this connection once, under a name
 * from its text (*name; "" when the table of them is full: then it is
 * sent with its text). *ended as for prepare.
 */
static enum db_status
prepare_adhoc(struct db *db, const struct db_stmt_def *d, char name[40],
    int *ended)
{
	PGresult	*res;
	enum db_status	 st;
	long		 i;
	int		 known;

	i = db_adhoc_slot(db, d, name, &known);
	if (i < 0 || known)
		return DB_OK;
	db->goodbye = 0;
	res = PQprepare(db->conn, name, d->sql, d->nparams, NULL);
	*ended = res == NULL || db_server_ended(res) || db->goodbye;
	st = db_result_status(db, res);
	PQclear(res);
	if (st == DB_OK)
		db_adhoc_keep(db, i, d);
	else if (st == DB_ERROR || st == DB_DENIED)
		log_error("%s: %s: %s", __func__, d->name, db->errstr);
	return st;
}

/*
 * One try of statement d: prepared once per connection (a DB_STMT_ slot,
 * or, slot -1, one made at run time, named by its text). *ended as for
 * prepare.
 */
static enum db_status
exec_once(struct db *db, const struct db_stmt_def *d, int slot,
    const char *const *params, PGresult **res, int *ended)
{
	enum db_status	 st;
	char		 name[40];

	*res = NULL;
	*ended = 0;
	st = db_connect(db);
	if (st == DB_OK && slot >= 0)
		st = db_prepare(db, (enum db_stmt)slot, ended);
	else if (st == DB_OK)
		st = prepare_adhoc(db, d, name, ended);
	if (st != DB_OK)
		return st;
	db->goodbye = 0;
	if (slot >= 0)
		*res = PQexecPrepared(db->conn, d->name, d->nparams, params,
		    NULL, NULL, 0);
	else if (name[0] != '\0')
		*res = PQexecPrepared(db->conn, name, d->nparams, params,
		    NULL, NULL, 0);
	else
		*res = PQexecParams(db->conn, d->sql, d->nparams, NULL, params,
		    NULL, NULL, 0);
	/*
	 * NULL: not sent at all. 57P0x or a FATAL notice: the server was
	 * ending the session, so the statement did not run or was rolled
	 * back. A read may run again whenever the link was lost.
	 */
	*ended = *res == NULL || db_server_ended(*res) || db->goodbye ||
	    (d->read_only && PQstatus(db->conn) != CONNECTION_OK);
	return db_result_status(db, *res);
}

/*
 * What a round trip that began at t0 (time_mono_us) came to, counted
 * (util/stats.c): its time, whether the server answered, its error's
 * class. Returns st.
 */
static enum db_status
counted(enum db_status st, int64_t t0)
{
	struct stats	*s = stats_mine;
	int64_t		 now = time_mono_us();

	stats_observe(&s->db_duration, now - t0);
	stats_db_seen(st != DB_UNAVAILABLE, now / 1000);
	if (st == DB_TIMEOUT)
		stats_count(&s->db_errors[STATS_DB_TIMEOUT]);
	else if (st == DB_UNAVAILABLE)
		stats_count(&s->db_errors[STATS_DB_UNAVAILABLE]);
	else if (st == DB_ERROR || st == DB_DENIED)
		stats_count(&s->db_errors[STATS_DB_OTHER]);
	return st;
}

static enum db_status
run(struct db *db, struct arena *a, const struct db_stmt_def *d, int slot,
    const char *const *params, PGresult **out)
{
	int64_t	 t0 = time_mono_us();

	return counted(run_uncounted(db, a, d, slot, params, out), t0);
}

static enum db_status
run_uncounted(struct db *db, struct arena *a, const struct db_stmt_def *d,
    int slot, const char *const *params, PGresult **out)
{
	PGresult	*res;
	enum db_status	 st;
	int		 ended, in_tx = db->in_tx;

	if (out != NULL)
		*out = NULL;
	/* One sent ahead (db_query_send) is read first: its failure rules. */
	if (db->sent && (st = db_query_wait(db, NULL, NULL)) != DB_OK)
		return st;
	if (db->piped || db->commit_next)
		return db_run_piped(db, a, d, slot, params, out);
	st = exec_once(db, d, slot, params, &res, &ended);
	/*
	 * The server ended the session before or under a statement that ran
	 * alone, outside a transaction block: it never ran or was rolled
	 * back, so it is safe to run once more on a fresh connection.
	 */
	if (ended && !in_tx) {
		PQclear(res);
		st = exec_once(db, d, slot, params, &res, &ended);
	}
	if (st == DB_TIMEOUT)
		log_warn("statement %s: %s", d->name, db->errstr);
	if (st != DB_OK || out == NULL) {
		PQclear(res);
		return st;
	}
	arena_defer(a, db_pgresult_clear, res);
	*out = res;
	return DB_OK;
}

enum db_status
db_exec(struct db *db, struct arena *a, enum db_stmt stmt,
    const char *const *params, PGresult **out)
{
	return run(db, a, &db_stmt_defs[stmt], (int)stmt, params, out);
}

enum db_status
db_query(struct db *db, struct arena *a, const struct db_stmt_def *d,
    const char *const *params, PGresult **out)
{
	return run(db, a, d, -1, params, out);
}

enum db_status
db_query_send(struct db *db, const struct db_stmt_def *d,
    const char *const *params)
{
	enum db_status	 st;
	char		 name[40];
	int		 ended, sent;

	if (db->sent || db->piped || db->commit_next || !db->in_tx)
		fatal("%s: %s: not in a transaction of its own", __func__,
		    d->name);
	st = db_connect(db);
	if (st == DB_OK)
		st = prepare_adhoc(db, d, name, &ended);
	if (st != DB_OK)
		return st;
	db->goodbye = 0;
	sent = name[0] != '\0' ? PQsendQueryPrepared(db->conn, name,
	    d->nparams, params, NULL, NULL, 0) : PQsendQueryParams(db->conn,
	    d->sql, d->nparams, NULL, params, NULL, NULL, 0);
	if (!sent)
		return db_result_status(db, NULL);
	db->sent = 1;
	db->sent_us = time_mono_us();
	return DB_OK;
}

enum db_status
db_query_wait(struct db *db, struct arena *a, PGresult **out)
{
	PGresult	*res, *last = NULL;
	enum db_status	 st;

	if (out != NULL)
		*out = NULL;
	if (!db->sent)
		return DB_OK;
	db->sent = 0;
	/* Its result (statement_timeout bounds it), then libpq's NULL. */
	while ((res = PQgetResult(db->conn)) != NULL) {
		PQclear(last);
		last = res;
	}
	st = counted(db_result_status(db, last), db->sent_us);
	if (st != DB_OK || out == NULL) {
		PQclear(last);
		return st;
	}
	arena_defer(a, db_pgresult_clear, last);
	*out = last;
	return DB_OK;
}

const char *
db_num(struct arena *a, long long v)
{
	return arena_printf(a, "%lld", v);
}

enum db_status
db_sql(struct db *db, struct arena *a, const char *name, const char *sql,
    int n, const char *const *p, int read_only, PGresult **out)
{
	struct db_stmt_def	 d;

	d.name = name;
	d.sql = sql;
	d.nparams = n;
	d.read_only = read_only;
	return db_query(db, a, &d, p, out);
}

enum db_status
db_exec_row(struct db *db, struct arena *a, enum db_stmt stmt,
    const char *const *params, PGresult **r)
{
	enum db_status	 st;

	st = db_exec(db, a, stmt, params, r);
	if (st == DB_OK && PQntuples(*r) == 0)
		return DB_NOTFOUND;
	return st;
}

enum db_status
db_exec_count(struct db *db, struct arena *a, enum db_stmt stmt,
    const char *const *params, long *n)
{
	PGresult	*r;
	enum db_status	 st;

	*n = 0;
	st = db_exec(db, a, stmt, params, &r);
	if (st != DB_OK)
		return st;
	*n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) :
	    atol(PQcmdTuples(r));
	return DB_OK;
}

static enum db_status
simple(struct db *db, const char *sql)
{
	PGresult	*res;
	enum db_status	 st;
	int64_t		 t0 = time_mono_us();

	res = PQexec(db->conn, sql);
	st = db_result_status(db, res);
	PQclear(res);
	return counted(st, t0);
}

enum db_status
db_ping(struct db *db)
{
	enum db_status	 st;
	int		 was_open = db->conn != NULL;

	st = db_exec(db, NULL, DB_STMT_PING, NULL, NULL);
	/* A link opened before a server restart fails once: try a new one. */
	if (st == DB_UNAVAILABLE && was_open)
		st = db_exec(db, NULL, DB_STMT_PING, NULL, NULL);
	return st;
}

enum db_status
db_debug_sleep(struct db *db, struct arena *a, const char *ms)
{
	const char	*p[1] = { ms };

	return db_exec(db, a, DB_STMT_DEBUG_SLEEP, p, NULL);
}

/* BEGIN (begin: its text) and set passion.user_id. */
static enum db_status
tx_begin(struct db *db, const char *user_id, const char *begin)
{
	const char	*params[1] = { user_id ? user_id : "" };
	enum db_status	 st;
	int		 attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		int was_open = db->conn != NULL;

		st = db_connect(db);
		if (st != DB_OK)
			return st;
		st = simple(db, begin);
		if (st == DB_UNAVAILABLE && was_open)
			continue;
		if (st != DB_OK)
			return st;
		db->in_tx = 1;
		st = db_exec(db, NULL, DB_STMT_SET_USER, params, NULL);
		if (st != DB_OK)
			db_tx_rollback(db);
		return st;
	}
	return st;
}

enum db_status
db_tx_begin(struct db *db, const char *user_id)
{
	return tx_begin(db, user_id, "BEGIN");
}

enum db_status
db_tx_begin_snapshot(struct db *db, const char *user_id)
{
	return tx_begin(db, user_id, "BEGIN ISOLATION LEVEL REPEATABLE READ "
	    "READ ONLY");
}

enum db_status
db_tx_commit(struct db *db)
{
	static const struct db_stmt_def commit = { "commit", "COMMIT", 0, 0 };
	enum db_status	 st;
	struct arena	 a;

	if (db->piped) {
		/* Nothing was asked after BEGIN: COMMIT goes with the check. */
		db->commit_next = 0;
		arena_init(&a, 1024);
		st = db_run_piped(db, &a, &commit, -2, NULL, NULL);
		arena_cleanup(&a);
		if (st == DB_OK)
			db->in_tx = 0;
		return st;
	}
	if (!db->in_tx)
		return db->commit_next = 0, DB_OK;
	if (db->sent && (st = db_query_wait(db, NULL, NULL)) != DB_OK) {
		db_tx_rollback(db);
		return st;
	}
	st = simple(db, "COMMIT");
	db->in_tx = 0;
	return st;
}

void
db_tx_rollback(struct db *db)
{
	db->commit_next = 0;
	if (db->sent)
		(void)db_query_wait(db, NULL, NULL);
	if (db->piped && db->conn != NULL && db_pipeline_abandon(db) != 0)
		return;
	if (!db->in_tx || db->conn == NULL)
		return;
	db->in_tx = 0;
	if (simple(db, "ROLLBACK") != DB_OK)
		log_warn("%s: %s", __func__, db->errstr);
}
