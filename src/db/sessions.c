/*
 * sessions.c - the sessions table: made at sign-in, found by the hash of
 * the cookie's token, rolled, listed and ended; and the check of a
 * request's session, sent ahead of its first statement in one round
 * trip (db_tx_begin_checked, over pipeline.c). No row-level security
 * here: a session is found before its user is known.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

/*
 * A session from row 0 of a lookup's result (it must outlive s); its
 * expiry made ISO 8601 here, which costs the server less than to_char.
 */
static void
session_row(struct arena *a, PGresult *r, struct db_session *s)
{
	char	 iso[32];

	s->checked = 1;
	s->id = db_col(r, 0, "id");
	s->user_id = db_col(r, 0, "user_id");
	s->expires = arena_strdup(a, db_time_iso(iso, db_col(r, 0, "expires"),
	    3));
	s->valid = db_col_true(r, 0, "valid");
	s->enabled = db_col_true(r, 0, "enabled");
	s->roll_due = db_col_true(r, 0, "roll_due");
	s->name = db_col(r, 0, "name");
	s->email = db_col(r, 0, "email");
	s->image = db_col(r, 0, "image");
}

enum db_status
db_session_create(struct db *db, struct arena *a, const char *token_hash,
    const char *user_id, long idle, long max_age, const char *user_agent,
    const char **id, const char **expires)
{
	const char	*p[5] = { token_hash, user_id, db_num(a, idle),
	    db_num(a, max_age), user_agent };
	PGresult	*r;
	enum db_status	 st;

	st = db_exec_row(db, a, DB_STMT_SESSION_CREATE, p, &r);
	if (st == DB_OK) {
		*id = db_col(r, 0, "id");
		*expires = db_col(r, 0, "expires");
	}
	return st;
}

enum db_status
db_session_lookup(struct db *db, struct arena *a, const char *token_hash,
    long max_age, long roll, struct db_session *s)
{
	const char	*p[3] = { token_hash, db_num(a, max_age), db_num(a, roll) };
	PGresult	*r;
	enum db_status	 st;

	st = db_exec_row(db, a, DB_STMT_SESSION_LOOKUP, p, &r);
	if (st != DB_OK)
		return st;
	session_row(a, r, s);
	return DB_OK;
}

enum db_status
db_session_roll(struct db *db, struct arena *a, const char *id, long idle,
    long max_age, const char **expires)
{
	const char	*p[3] = { id, db_num(a, idle), db_num(a, max_age) };
	PGresult	*r;
	enum db_status	 st;

	st = db_exec_row(db, a, DB_STMT_SESSION_ROLL, p, &r);
	if (st == DB_OK)
		*expires = db_col(r, 0, "expires");
	return st;
}

enum db_status
db_session_delete(struct db *db, struct arena *a, const char *id,
    const char *user_id)
{
	const char	*p[2] = { id, user_id };
	PGresult	*r;

	return db_exec_row(db, a, DB_STMT_SESSION_DELETE, p, &r);
}

enum db_status
db_session_list(struct db *db, struct arena *a, const char *user_id,
    const char *current_id, struct json_object **list)
{
	static const struct {
		const char	*column, *json;
	} fields[] = {
		{ "id", "id" }, { "created", "createdAt" },
		{ "last_seen", "lastSeenAt" }, { "user_agent", "userAgent" },
	};
	const char		*p[1] = { user_id };
	struct json_object	*e;
	PGresult		*r;
	enum db_status		 st;
	size_t			 f;
	int			 i;

	*list = NULL;
	st = db_exec(db, a, DB_STMT_SESSION_LIST, p, &r);
	if (st != DB_OK)
		return st;
	*list = json_object_new_array();
	for (i = 0; i < PQntuples(r); i++) {
		e = json_object_new_object();
		for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			json_object_object_add(e, fields[f].json,
			    json_object_new_string(db_col(r, i,
			    fields[f].column)));
		json_object_object_add(e, "current", json_object_new_boolean(
		    strcmp(db_col(r, i, "id"), current_id) == 0));
		json_object_array_add(*list, e);
	}
	return DB_OK;
}

enum db_status
db_session_delete_others(struct db *db, struct arena *a, const char *user_id,
    const char *keep_id, long *n)
{
	const char	*p[2] = { user_id, keep_id };
	PGresult	*r;
	enum db_status	 st;

	st = db_exec(db, a, DB_STMT_SESSION_DELETE_OTHERS, p, &r);
	if (st == DB_OK)
		*n = atol(PQcmdTuples(r));
	return st;
}

/* The check's verdict: the session's row into s, and is it the user's? */
static enum db_status
session_decide(struct db *db, struct arena *a, PGresult *r, void *ud)
{
	struct db_session	*s = ud;

	(void)db;
	if (PQntuples(r) != 1)
		return DB_UNAUTHENTICATED;	/* no such session now */
	session_row(a, r, s);
	return db_col_true(r, 0, "authorized") ? DB_OK : DB_UNAUTHENTICATED;
}

enum db_status
db_tx_begin_checked(struct db *db, struct arena *a, const char *user_id,
    const char *token_hash, long max_age, long roll, struct db_session *s)
{
	const char	*p[4] = { token_hash, user_id, db_num(a, max_age),
	    db_num(a, roll) };

	s->checked = 0;
	return db_pipe_ahead(db, a, DB_STMT_SESSION_AUTH, p, session_decide,
	    s);
}
