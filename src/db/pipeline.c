/*
 * pipeline.c - libpq pipeline mode: a statement queued ahead (the session
 * check: sessions.c) and the request's first statement sent together and
 * read together, so that an authenticated request pays one round trip
 * for them (docs/architecture.md, "A request"). This is transport: what
 * the statement ahead means is its decide function's. A write's transaction is opened by a BEGIN in the same
 * pipeline; a read (its COMMIT asked with the statement) needs none: the
 * check and the statement run as PostgreSQL's implicit transaction of
 * the pipeline, ended by its sync, which is two statements fewer.
 */
#include "config.h"

#include <string.h>

#include "db/db_internal.h"

/* The result of the next command of the pipeline (its NULL read too). */
static PGresult *
piped_result(struct db *db)
{
	PGresult	*res = PQgetResult(db->conn), *more;

	if (res != NULL && PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		while ((more = PQgetResult(db->conn)) != NULL)
			PQclear(more);
	return res;
}

/*
 * Send d (slot as for exec_once; -2: plain text such as COMMIT) after the
 * BEGIN and the statement db_pipe_ahead queued (if any), with COMMIT when
 * asked, then read them all: one round trip. The statement ahead's
 * decide function rules first: its status unless DB_OK. Long (about
 * 110 lines) on purpose: sending and reading one pipeline is one
 * sequence whose results are told apart by their place in it; split, the
 * places would be passed around.
 */
enum db_status
db_run_piped(struct db *db, struct arena *a, const struct db_stmt_def *d,
    int slot, const char *const *params, PGresult **out)
{
	PGresult	*res[6] = { NULL };
	enum db_status	 st = DB_OK;
	char		 name[40] = "";
	const char	*send = d->name;
	long		 adhoc = -1;
	int		 n = 0, i, stmt, commit = db->commit_next, known = 1;
	int		 sent = 1, head = 0, implicit = 0;

	if (db->piped) {
		/* A read in an implicit transaction: no BEGIN, no COMMIT. */
		implicit = commit;
		head = implicit ? 1 : 2;
		if (!implicit)
			sent = PQsendQueryParams(db->conn, "BEGIN", 0, NULL, NULL,
			    NULL, NULL, 0);
		sent = sent && PQsendQueryPrepared(db->conn,
		    db_stmt_defs[db->piped_stmt].name,
		    db_stmt_defs[db->piped_stmt].nparams, db->piped_params,
		    NULL, NULL, 0);
		commit = commit && !implicit;
	}
	db->piped = 0;
	db->commit_next = 0;
	/* Not begun in a pipeline: a statement and its COMMIT only. */
	if (head == 0 && (db->conn == NULL ||
	    PQenterPipelineMode(db->conn) != 1)) {
		snprintf(db->errstr, sizeof(db->errstr), "pipeline: %s",
		    db->conn ? PQerrorMessage(db->conn) : "not connected");
		db_disconnect(db);
		return DB_UNAVAILABLE;
	}
	if (slot >= 0)
		known = db->prepared[slot];
	else if (slot == -1) {
		adhoc = db_adhoc_slot(db, d, name, &known);
		send = name;
	}
	if (!known && (slot >= 0 || adhoc >= 0))
		sent = sent && PQsendPrepare(db->conn, send, d->sql, d->nparams,
		    NULL);
	stmt = head + !known;
	if (slot >= 0 || adhoc >= 0)
		sent = sent && PQsendQueryPrepared(db->conn, send, d->nparams,
		    params, NULL, NULL, 0);
	else
		sent = sent && PQsendQueryParams(db->conn, d->sql, d->nparams,
		    NULL, params, NULL, NULL, 0);
	if (commit)
		sent = sent && PQsendQueryParams(db->conn, "COMMIT", 0, NULL,
		    NULL, NULL, NULL, 0);
	sent = sent && PQpipelineSync(db->conn);
	n = stmt + 1 + commit;
	/* [[BEGIN,] the check], [the prepare], the statement, [COMMIT]. */
	for (i = 0; sent && i < n; i++)
		if ((res[i] = piped_result(db)) == NULL)
			break;
	if (sent && i == n) {
		PGresult *sync = piped_result(db);

		sent = sync != NULL && PQresultStatus(sync) ==
		    PGRES_PIPELINE_SYNC;
		PQclear(sync);
	}
	if (!sent || i < n || PQexitPipelineMode(db->conn) != 1) {
		for (i = 0; i < n; i++)
			PQclear(res[i]);
		snprintf(db->errstr, sizeof(db->errstr), "pipeline: %s",
		    PQerrorMessage(db->conn));
		db->errstr[strcspn(db->errstr, "\n")] = '\0';
		db_disconnect(db);
		return DB_UNAVAILABLE;
	}
	/* [BEGIN,] then the statement ahead, which decides first. */
	if (head > 0) {
		st = db_result_status(db, res[0]);
		if (st == DB_OK && head == 2)
			st = db_result_status(db, res[1]);
		if (st == DB_OK) {
			arena_defer(a, db_pgresult_clear, res[head - 1]);
			st = db->piped_decide(db, a, res[head - 1],
			    db->piped_ud);
			res[head - 1] = NULL;
		}
	}
	/* Prepared whatever else happened (a statement outlives its tx). */
	if (!known && PQresultStatus(res[head]) == PGRES_COMMAND_OK) {
		if (slot >= 0)
			db->prepared[slot] = 1;
		else
			db_adhoc_keep(db, adhoc, d);
	} else if (!known && st == DB_OK)
		st = db_result_status(db, res[head]);
	if (st == DB_OK)
		st = db_result_status(db, res[stmt]);
	if (implicit || (commit && PQresultStatus(res[stmt + 1]) ==
	    PGRES_COMMAND_OK))
		db->in_tx = 0;		/* ended, whatever was decided */
	if (st == DB_OK && commit)
		st = db_result_status(db, res[stmt + 1]);
	if (st == DB_TIMEOUT)
		log_warn("statement %s: %s", d->name, db->errstr);
	for (i = 0; i < n; i++)
		if (i != stmt || st != DB_OK || out == NULL)
			PQclear(res[i]);
	if (st == DB_OK && out != NULL) {
		arena_defer(a, db_pgresult_clear, res[stmt]);
		*out = res[stmt];
	}
	return st;
}

enum db_status
db_pipe_ahead(struct db *db, struct arena *a, enum db_stmt stmt,
    const char *const *params, db_decide_fn decide, void *ud)
{
	enum db_status	 st;
	int		 ended = 0, i;

	(void)a;
	/* Prepared beforehand (once per connection), so that the pipeline
	 * holds nothing but [BEGIN,] it and the statement. */
	st = db_connect(db);
	if (st == DB_OK)
		st = db_prepare(db, stmt, &ended);
	if (st != DB_OK && ended)
		st = db_connect(db) == DB_OK ? db_prepare(db, stmt, &ended) :
		    DB_UNAVAILABLE;
	if (st != DB_OK)
		return st;
	if (PQenterPipelineMode(db->conn) != 1) {
		snprintf(db->errstr, sizeof(db->errstr), "pipeline: %s",
		    PQerrorMessage(db->conn));
		db->errstr[strcspn(db->errstr, "\n")] = '\0';
		db_disconnect(db);
		return DB_UNAVAILABLE;
	}
	/* Sent with the statement (db_run_piped), which decides whether a
	 * BEGIN goes first; the parameters live as long as the arena. */
	for (i = 0; i < db_stmt_defs[stmt].nparams && i < DB_AHEAD_PARAMS;
	    i++)
		db->piped_params[i] = params[i];
	db->piped = 1;
	db->piped_stmt = stmt;
	db->piped_decide = decide;
	db->piped_ud = ud;
	db->in_tx = 1;
	return DB_OK;
}

void
db_tx_commit_with_next(struct db *db)
{
	db->commit_next = db->in_tx;
}

int
db_pipeline_abandon(struct db *db)
{
	PGresult	*res;

	/* Never read: end the pipeline; the caller rolls back as usual. */
	db->piped = 0;
	if (PQpipelineSync(db->conn) == 1)
		while ((res = PQgetResult(db->conn)) != NULL) {
			int sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;

			PQclear(res);
			if (sync)
				break;
			/* each command ends with a NULL */
			while ((res = PQgetResult(db->conn)) != NULL)
				PQclear(res);
		}
	if (PQexitPipelineMode(db->conn) != 1) {
		db_disconnect(db);
		return -1;
	}
	return 0;
}
