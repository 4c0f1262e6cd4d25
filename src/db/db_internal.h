/*
 * db_internal.h - shared between the files of db/ only.
 */
#ifndef PASSION_DB_INTERNAL_H
#define PASSION_DB_INTERNAL_H

#include <libpq-fe.h>

#include "db/db.h"

/* A timestamptz as ISO 8601 UTC with milliseconds, in SQL. */
#define DB_ISO(col)	"to_char(" col " AT TIME ZONE 'UTC', " \
			"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The same with microseconds: the exact key a list cursor carries. */
#define DB_ISO_US(col)	"to_char(" col " AT TIME ZONE 'UTC', " \
			"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

struct db_stmt_def {
	const char	*name;
	const char	*sql;
	int		 nparams;
	/*
	 * Reads only: safe to run again on a fresh connection when the
	 * link was lost under it, whatever the server did meanwhile.
	 */
	int		 read_only;
};
extern const struct db_stmt_def	db_stmt_defs[DB_STMT_COUNT];

/*
 * Run a statement made at run time (d->name for the log; not prepared),
 * with db_exec's timeouts, retries and result handling.
 */
enum db_status	 db_query(struct db *db, struct arena *a,
		    const struct db_stmt_def *d, const char *const *params,
		    PGresult **out);
/*
 * d sent inside the open transaction without waiting for it (one at a
 * time), so that the caller works while the server does; its result is
 * read by db_query_wait (DB_OK when nothing is in flight), or dropped by
 * a rollback (a commit waits for it first).
 */
enum db_status	 db_query_send(struct db *db, const struct db_stmt_def *d,
		    const char *const *params);
enum db_status	 db_query_wait(struct db *db, struct arena *a,
		    PGresult **out);
/* --- link.c, for conn.c and pipeline.c --- */

/* PQclear for arena_defer. */
void		 db_pgresult_clear(void *p);
/* 57P01-03: did the server end this session (shutdown, terminate)? */
int		 db_server_ended(const PGresult *res);
/* Prepare stmt on this connection once; *ended: the server ended it. */
enum db_status	 db_prepare(struct db *db, enum db_stmt stmt, int *ended);
/*
 * The slot of d's text in the table of statements made at run time and
 * prepared, and its name: *known when prepared already; -1 (name "")
 * when the table is full.
 */
long		 db_adhoc_slot(struct db *db, const struct db_stmt_def *d,
		    char name[40], int *known);
/* Note d's text as prepared in slot i. */
void		 db_adhoc_keep(struct db *db, long i,
		    const struct db_stmt_def *d);

/* --- pipeline.c --- */

/*
 * Run d (slot as for exec_once: a DB_STMT_ slot, -1 made at run time,
 * -2 plain text) in pipeline mode, after the queued BEGIN and session
 * check if any, with COMMIT if asked (db->commit_next).
 */
enum db_status	 db_run_piped(struct db *db, struct arena *a,
		    const struct db_stmt_def *d, int slot,
		    const char *const *params, PGresult **out);
/* Drop a pipeline never read; 0, or -1 when the link had to go. */
int		 db_pipeline_abandon(struct db *db);

/* What rules on the result of a statement sent ahead: DB_OK lets the
 * next statement's own result stand. */
typedef enum db_status (*db_decide_fn)(struct db *db, struct arena *a,
		    PGresult *r, void *ud);
/*
 * Queue prepared stmt with params (its nparams, at most DB_AHEAD_PARAMS,
 * living as long as the arena) to go ahead of the next statement, in its
 * round trip and transaction: decide(db, a, its result, ud) then rules
 * first. Nothing is sent yet.
 */
enum db_status	 db_pipe_ahead(struct db *db, struct arena *a,
		    enum db_stmt stmt, const char *const *params,
		    db_decide_fn decide, void *ud);
/* db_query of sql, named name, with n parameters p. */
enum db_status	 db_sql(struct db *db, struct arena *a, const char *name,
		    const char *sql, int n, const char *const *p, int read_only,
		    PGresult **out);

/* Writes within the user's storage quota wait for each other (blobs.c). */
enum db_status	 db_quota_lock(struct db *db, struct arena *a,
		    const char *user_id);

/* The user's ($1) time zone: settingsJson.timeZone, else UTC. */
#define DB_USER_ZONE	"coalesce((SELECT settings_json->>'timeZone' FROM " \
			"user_settings WHERE user_id = $1), 'UTC')"

/*
 * The user's one row of a singleton entity (settings, the skill tree),
 * or fallback's entity when there is none (caller owns *out).
 */
enum db_status	 db_entity_singleton(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    struct json_object *(*fallback)(struct arena *),
		    struct json_object **out);
/* m's columns as a SELECT or RETURNING list, in field order. */
const char	*db_entity_columns(struct arena *a,
		    const struct model_entity *m);
/*
 * Run sql (returning db_entity_columns) with p (p[0] the user id) and
 * take its one row as m's entity, its hash then set: DB_OK with *out
 * (caller owns it), or DB_NOTFOUND.
 */
enum db_status	 db_entity_one(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *name,
		    const char *sql, int nparams, const char *const *p,
		    struct json_object **out);
/* v as decimal text in the arena, for a statement parameter. */
const char	*db_num(struct arena *a, long long v);
/* Run stmt (result on the arena in *r); DB_NOTFOUND when no row came. */
enum db_status	 db_exec_row(struct db *db, struct arena *a, enum db_stmt stmt,
		    const char *const *params, PGresult **r);
/* Run stmt; *n = the rows it returned, or else the rows it changed. */
enum db_status	 db_exec_count(struct db *db, struct arena *a,
		    enum db_stmt stmt, const char *const *params, long *n);

/*
 * Row row's value of the column called name. A name the statement does
 * not select is a bug of db/'s own: it aborts, naming it, rather than
 * read another column or none.
 */
const char	*db_col(const PGresult *r, int row, const char *name);
/* The same, NULL for a null. */
const char	*db_col_null(const PGresult *r, int row, const char *name);
/* Is the boolean column name true? */
int		 db_col_true(const PGresult *r, int row, const char *name);

/* db_local_instants' result set (column "at"), for db/'s own callers. */
enum db_status	 db_local_instants_result(struct db *db, struct arena *a,
		    const char *user_id, const struct model_civil *t, int n,
		    int after_now, PGresult **out);

/*
 * Run prepared statement stmt with params (text format). The result, when
 * out is not NULL, is registered on arena a and freed with it.
 */
enum db_status	 db_exec(struct db *db, struct arena *a, enum db_stmt stmt,
		    const char *const *params, PGresult **out);
/* Classify a finished result (NULL counts as unavailable). */
enum db_status	 db_result_status(struct db *db, const PGresult *res);
/*
 * Connect with conninfo, an optional password and the limits (timeouts
 * are set for the session, overriding any in conninfo); NULL with err.
 */
PGconn		*db_open(const char *conninfo, const char *password,
		    const struct db_limits *lim, char *err, size_t errlen);
/*
 * Apply pending migrations on conn (the owner role), each in its own
 * transaction, recorded in schema_migrations, under an advisory lock.
 * Progress goes to out. 0 or -1 with err set.
 */
int		 db_migrate(PGconn *conn, FILE *out, char *err, size_t errlen);
/* Print every migration with "applied <time>" or "pending". */
int		 db_migrate_status(PGconn *conn, FILE *out, char *err,
		    size_t errlen);

/* --- blobs.c --- */

/*
 * "(EXISTS … OR …)": does a row of any entity name blob alias.id (the
 * fields whose ref is model_blobs)? "false" when none does.
 */
const char	*db_blob_used_sql(struct arena *a, const char *alias);
/* Row row of r (model_blobs' select list) into b, in the arena. */
void		 db_blob_from_row(struct arena *a, PGresult *r, int row,
		    struct db_blob *b);

/* --- row.c --- */

/*
 * A timestamptz as the server sends it (TimeZone UTC, DateStyle ISO) in
 * ISO 8601 with digits of fraction and Z: "2026-01-02T12:00:00.000Z".
 */
const char	*db_time_iso(char out[32], const char *s, int digits);
/* Row row of r (selected in m's field order) as a JSON object (caller
 * owns it): times as ISO 8601 UTC strings, JSON columns as JSON. */
struct json_object *db_entity_row(const struct model_entity *m, PGresult *r,
		    int row);
/* Row row of r (selected in m's field order) into out, in the arena. */
void		 db_row_read(struct arena *a, const struct model_entity *m,
		    PGresult *r, int row, struct db_row *out);
/* The same into v, the caller's m->nfields pointers (reused per row). */
void		 db_row_at(const struct model_entity *m, PGresult *r, int row,
		    const char **v, struct db_row *out);
/* The exact sort key of row: m's order column with microseconds. */
const char	*db_rows_key(struct arena *a, const struct model_entity *m,
		    PGresult *r, int row);
/*
 * The first n rows of r as a JSON array of m's entities, written
 * straight from the result (a page is the hot path: no JSON objects are
 * built), as db_entity_row would; in the arena.
 */
const char	*db_rows_json(struct arena *a, const struct model_entity *m,
		    PGresult *r, int n);
/*
 * An SQL expression of m's row alias as the same JSON object (the
 * change feed's, which reads rows of every kind in one statement).
 */
const char	*db_entity_json_sql(struct arena *a,
		    const struct model_entity *m, const char *alias);

#endif
