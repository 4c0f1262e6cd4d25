/*
 * link.c - the worker's connection itself: opened lazily, reopened after
 * the server went away, statements prepared on it once, results
 * classified. A broken link is reported as DB_UNAVAILABLE (503), never a
 * crash. What runs on it is conn.c's (a statement at a time) and
 * pipeline.c's (two in one round trip).
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
	/* Times come back as UTC ISO text (db_time_iso reads them). No
	 * JIT: it compiles for a statement whose estimate is high (a
	 * generic plan's may be), 100 ms and more for a statement that
	 * runs in one; every statement here is short. */
	snprintf(options, sizeof(options), "-c statement_timeout=%ld "
	    "-c lock_timeout=%ld -c TimeZone=UTC -c DateStyle=ISO "
	    "-c plan_cache_mode=force_generic_plan -c jit=off",
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
	if (db->opens++ > 0)
		stats_count(&stats_mine->db_reconnects);
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
	state = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	snprintf(db->hint, sizeof(db->hint), "%s", state != NULL ? state : "");
	state = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	snprintf(db->message, sizeof(db->message), "%s", state != NULL ?
	    state : "");
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

int
db_server_ended(const PGresult *res)
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
	*ended = res == NULL || db_server_ended(res) || db->goodbye;
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
