/*
 * conn.c - the worker's connection: opened lazily, reopened after the
 * server went away, statements prepared on first use per connection.
 * A broken link is reported as DB_UNAVAILABLE (503), never a crash.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "db/db_internal.h"


static void	notice_drop(void *arg, const char *message);
static int	link_broken(struct db *db, const PGresult *res);

PGconn *
db_open(const char *conninfo, const char *password,
    const struct db_limits *lim, char *err, size_t errlen)
{
	const char	*keys[6], *vals[6];
	char		 timeout[16], options[160];
	PGconn		*conn;
	int		 n = 0;

	snprintf(timeout, sizeof(timeout), "%ld", lim->connect_s);
	/* Times come back as UTC ISO text (db_time_iso reads them). */
	snprintf(options, sizeof(options), "-c statement_timeout=%ld "
	    "-c lock_timeout=%ld -c TimeZone=UTC -c DateStyle=ISO "
	    "-c plan_cache_mode=force_generic_plan",
	    lim->statement_ms, lim->lock_ms);
	/* Later keywords override the conninfo, earlier ones are defaults. */
	keys[n] = "connect_timeout";	vals[n++] = timeout;
	keys[n] = "application_name";	vals[n++] = lim->app_name;
	keys[n] = "dbname";		vals[n++] = conninfo;
	keys[n] = "options";		vals[n++] = options;
	if (password != NULL && *password != '\0') {
		keys[n] = "password";	vals[n++] = password;
	}
	keys[n] = NULL;			vals[n] = NULL;
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL)
		fatal("PQconnectdbParams: out of memory");
	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(conn));
		err[strcspn(err, "\n")] = '\0';
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, notice_drop, NULL);
	return conn;
}

/* NOTICEs ("already exists, skipping") are not for the operator. */
static void
notice_drop(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

void
db_init(struct db *db, const char *conninfo, const char *password,
    const struct db_limits *lim)
{
	memset(db, 0, sizeof(*db));
	db->limits = *lim;
	db->conninfo = strdup(conninfo);
	db->password = strdup(password ? password : "");
	if (db->conninfo == NULL || db->password == NULL)
		fatal("db_init: out of memory");
}

void
db_cleanup(struct db *db)
{
	db_disconnect(db);
	free(db->conninfo);
	explicit_bzero(db->password, strlen(db->password));
	free(db->password);
	memset(db, 0, sizeof(*db));
}

void
db_disconnect(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->in_tx = 0;
	db->piped = 0;
	db->commit_next = 0;
	db->goodbye = 0;
	memset(db->prepared, 0, sizeof(db->prepared));
	memset(db->adhoc, 0, sizeof(db->adhoc));
}

/*
 * Whether an idle connection is still good. A server that went away
 * while we were idle left its last words (FATAL 57P01) and then EOF in
 * the socket: read what is waiting, without a round trip. LISTEN
 * notifications are read here too and kept for PQnotifies.
 */
static int
idle_link_ok(PGconn *c)
{
	struct pollfd	 p;
	int		 i;

	p.fd = PQsocket(c);
	p.events = POLLIN;
	for (i = 0; i < 4; i++) {
		if (PQstatus(c) != CONNECTION_OK)
			return 0;
		p.revents = 0;
		if (poll(&p, 1, 0) <= 0)
			return 1;
		if (PQconsumeInput(c) == 0)
			return 0;
	}
	return PQstatus(c) == CONNECTION_OK;
}

/*
 * A FATAL from the server outside a query's result (it ended the session
 * while we were idle, or as we sent) means nothing more will run here.
 */
static void
notice_seen(void *arg, const PGresult *res)
{
	struct db	*db = arg;
	const char	*sev;

	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	if (sev != NULL && (strcmp(sev, "FATAL") == 0 ||
	    strcmp(sev, "PANIC") == 0))
		db->goodbye = 1;
}

enum db_status
db_connect(struct db *db)
{
	if (db->conn != NULL && (db->in_tx || (!db->goodbye &&
	    idle_link_ok(db->conn) && !db->goodbye)))
		return DB_OK;
	if (db->conn != NULL)
		log_msg(LOG_INFO, NULL, "%s: the server closed the idle "
		    "connection; reconnecting", __func__);
	db_disconnect(db);
	db->conn = db_open(db->conninfo, db->password, &db->limits,
	    db->errstr, sizeof(db->errstr));
	if (db->conn == NULL) {
		log_msg(LOG_WARN, NULL, "%s: database unavailable: %s",
		    __func__, db->errstr);
		return DB_UNAVAILABLE;
	}
	PQsetNoticeReceiver(db->conn, notice_seen, db);
	db->opens++;
	return DB_OK;
}

static int
link_broken(struct db *db, const PGresult *res)
{
	const char	*state;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return 1;
	if (res == NULL)
		return 1;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	/* 08: connection exception; 57P0x: the server is going down. */
	return state != NULL && (strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57P", 3) == 0);
}

enum db_status
db_result_status(struct db *db, const PGresult *res)
{
	const char	*state;

	if (link_broken(db, res)) {
		snprintf(db->errstr, sizeof(db->errstr), "%s",
		    db->conn ? PQerrorMessage(db->conn) : "not connected");
		db->errstr[strcspn(db->errstr, "\n")] = '\0';
		db_disconnect(db);
		return DB_UNAVAILABLE;
	}
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		return DB_OK;
	default:
		break;
	}
	snprintf(db->errstr, sizeof(db->errstr), "%s",
	    PQresultErrorMessage(res));
	db->errstr[strcspn(db->errstr, "\n")] = '\0';
	state = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	snprintf(db->constraint, sizeof(db->constraint), "%s",
	    state != NULL ? state : "");
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state == NULL)
		return DB_ERROR;
	if (strcmp(state, "23505") == 0)
		return DB_CONFLICT;
	if (strcmp(state, "23503") == 0)
		return DB_FOREIGN;
	if (strcmp(state, "42501") == 0)
		return DB_DENIED;
	/* statement_timeout (57014) and lock_timeout (55P03). */
	if (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0)
		return DB_TIMEOUT;
	return DB_ERROR;
}

/* 57P01-03: the server ended this session (shutdown, terminate). */
static int
server_ended_session(const PGresult *res)
{
	const char	*state;

	if (res == NULL)
		return 0;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return state != NULL && strncmp(state, "57P0", 4) == 0;
}

void
db_pgresult_clear(void *p)
{
	PQclear(p);
}

/*
 * Prepare stmt on this connection once. *ended is set when the server
 * ended the session under it (then nothing ran, and the caller may try a
 * fresh connection).
 */
enum db_status
db_prepare(struct db *db, enum db_stmt stmt, int *ended)
{
	const struct db_stmt_def	*d = &db_stmt_defs[stmt];
	PGresult			*res;
	enum db_status			 st;

	if (db->prepared[stmt])
		return DB_OK;
	db->goodbye = 0;
	res = PQprepare(db->conn, d->name, d->sql, d->nparams, NULL);
	*ended = res == NULL || server_ended_session(res) || db->goodbye;
	st = db_result_status(db, res);
	PQclear(res);
	if (st == DB_OK)
		db->prepared[stmt] = 1;
	else if (st == DB_ERROR || st == DB_DENIED)
		log_error("%s: %s: %s", __func__, d->name, db->errstr);
	return st;
}

/*
 * The name of a statement made at run time: 128 bits of the SHA-256 of
 * its text (two statements that share a name would run each other).
 */
static void
text_hash(const char *s, struct db_adhoc *h)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), md);
	memcpy(&h->a, md, 8);
	memcpy(&h->b, md + 8, 8);
	if (h->a == 0)
		h->a = 1;	/* 0 marks a free slot */
}

/*
 * The slot of d's text in the table of statements prepared at run time,
 * and its name: *known when prepared already; -1 (and name "") when the
 * table is full.
 */
long
db_adhoc_slot(struct db *db, const struct db_stmt_def *d, char name[40],
    int *known)
{
	struct db_adhoc	 h;
	size_t		 i, k;

	text_hash(d->sql, &h);
	snprintf(name, 40, "q%016llx%016llx", (unsigned long long)h.a,
	    (unsigned long long)h.b);
	*known = 0;
	for (k = 0; k < DB_ADHOC_MAX; k++) {
		i = (h.a + k) % DB_ADHOC_MAX;
		if (db->adhoc[i].a == h.a && db->adhoc[i].b == h.b)
			*known = 1;
		if (*known || db->adhoc[i].a == 0)
			return (long)i;
	}
	name[0] = '\0';
	return -1;
}

/* Note d's text as prepared in slot i. */
void
db_adhoc_keep(struct db *db, long i, const struct db_stmt_def *d)
{
	text_hash(d->sql, &db->adhoc[i]);
}

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
	*ended = res == NULL || server_ended_session(res) || db->goodbye;
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
	*ended = *res == NULL || server_ended_session(*res) || db->goodbye ||
	    (d->read_only && PQstatus(db->conn) != CONNECTION_OK);
	return db_result_status(db, *res);
}

static enum db_status
run(struct db *db, struct arena *a, const struct db_stmt_def *d, int slot,
    const char *const *params, PGresult **out)
{
	PGresult	*res;
	enum db_status	 st;
	int		 ended, in_tx = db->in_tx;

	if (out != NULL)
		*out = NULL;
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

	res = PQexec(db->conn, sql);
	st = db_result_status(db, res);
	PQclear(res);
	return st;
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
	st = simple(db, "COMMIT");
	db->in_tx = 0;
	return st;
}

void
db_tx_rollback(struct db *db)
{
	db->commit_next = 0;
	if (db->piped && db->conn != NULL && db_pipeline_abandon(db) != 0)
		return;
	if (!db->in_tx || db->conn == NULL)
		return;
	db->in_tx = 0;
	if (simple(db, "ROLLBACK") != DB_OK)
		log_warn("%s: %s", __func__, db->errstr);
}
