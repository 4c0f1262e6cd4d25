/*
 * auth.c - the auth tables: users, accounts, sessions, verification
 * tokens and rate-limit counters. These tables carry no row-level
 * security (a session is found before its user is known); every query
 * here names its key exactly.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

static int
flag(PGresult *r, int col)
{
	return strcmp(PQgetvalue(r, 0, col), "t") == 0;
}

static enum db_status
user_row(struct db *db, struct arena *a, enum db_stmt stmt,
    const char *const *params, struct db_user *u)
{
	PGresult	*r;
	enum db_status	 st;

	st = db_exec_row(db, a, stmt, params, &r);
	if (st != DB_OK)
		return st;
	u->id = PQgetvalue(r, 0, 0);
	u->disabled = flag(r, 1);
	u->verified = flag(r, 2);
	return DB_OK;
}

enum db_status
db_user_by_email(struct db *db, struct arena *a, const char *email,
    struct db_user *u)
{
	const char	*p[1] = { email };

	return user_row(db, a, DB_STMT_USER_BY_EMAIL, p, u);
}

enum db_status
db_user_create(struct db *db, struct arena *a, const char *email,
    int verified, const char *name, const char *image, const char **id)
{
	const char	*p[4] = { email, verified ? "true" : "false", name,
	    image };
	PGresult	*r;
	enum db_status	 st;

	st = db_exec_row(db, a, DB_STMT_USER_CREATE, p, &r);
	if (st == DB_OK)
		*id = PQgetvalue(r, 0, 0);
	return st;
}

enum db_status
db_user_verify(struct db *db, const char *user_id)
{
	const char	*p[1] = { user_id };

	return db_exec(db, NULL, DB_STMT_USER_VERIFY, p, NULL);
}

enum db_status
db_account_find(struct db *db, struct arena *a, const char *provider,
    const char *subject, struct db_user *u)
{
	const char	*p[2] = { provider, subject };

	return user_row(db, a, DB_STMT_ACCOUNT_FIND, p, u);
}

enum db_status
db_account_create(struct db *db, const char *user_id, const char *provider,
    const char *subject, const char *const tokens[3], const char *expires_at,
    const char *token_type, const char *scope)
{
	const char	*p[9] = { user_id, provider, subject, tokens[0],
	    tokens[1], tokens[2], expires_at, token_type, scope };

	return db_exec(db, NULL, DB_STMT_ACCOUNT_CREATE, p, NULL);
}

enum db_status
db_account_tokens(struct db *db, const char *provider, const char *subject,
    const char *const tokens[3], const char *expires_at)
{
	const char	*p[6] = { provider, subject, tokens[0], tokens[1],
	    tokens[2], expires_at };

	return db_exec(db, NULL, DB_STMT_ACCOUNT_TOKENS, p, NULL);
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
		*id = PQgetvalue(r, 0, 0);
		*expires = PQgetvalue(r, 0, 1);
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
	db_session_row(r, s);
	return DB_OK;
}

void
db_session_row(PGresult *r, struct db_session *s)
{
	s->checked = 1;
	s->id = PQgetvalue(r, 0, 0);
	s->user_id = PQgetvalue(r, 0, 1);
	s->expires = PQgetvalue(r, 0, 2);
	s->valid = flag(r, 3);
	s->enabled = flag(r, 4);
	s->roll_due = flag(r, 5);
	s->name = PQgetvalue(r, 0, 6);
	s->email = PQgetvalue(r, 0, 7);
	s->image = PQgetvalue(r, 0, 8);
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
		*expires = PQgetvalue(r, 0, 0);
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

enum db_status
db_vtoken_create(struct db *db, const char *identifier,
    const char *token_hash, long ttl, const char *callback)
{
	char		 secs[32];
	const char	*p[4] = { identifier, token_hash, secs, callback };

	snprintf(secs, sizeof(secs), "%ld", ttl);
	return db_exec(db, NULL, DB_STMT_VTOKEN_CREATE, p, NULL);
}

enum db_status
db_vtoken_consume(struct db *db, struct arena *a, const char *identifier,
    const char *token_hash, int *expired, const char **callback)
{
	const char	*p[2] = { identifier, token_hash };
	PGresult	*r;
	enum db_status	 st;

	st = db_exec_row(db, a, DB_STMT_VTOKEN_CONSUME, p, &r);
	if (st == DB_OK) {
		*expired = flag(r, 0);
		*callback = PQgetvalue(r, 0, 1);
	}
	return st;
}

enum db_status
db_rate_hit(struct db *db, struct arena *a, const char *key, long window,
    long *count, long *retry_after)
{
	const char	*p[2] = { key, db_num(a, window) };
	PGresult	*r;
	enum db_status	 st;

	st = db_exec_row(db, a, DB_STMT_RATE_HIT, p, &r);
	if (st == DB_OK) {
		*count = atol(PQgetvalue(r, 0, 0));
		*retry_after = atol(PQgetvalue(r, 0, 1));
	}
	return st;
}
