/*
 * auth.c - the auth tables: users, accounts, verification tokens and
 * rate-limit counters (sessions: sessions.c). These tables carry no row-level
 * security (a session is found before its user is known); every query
 * here names its key exactly.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

static enum db_status
user_row(struct db *db, struct arena *a, enum db_stmt stmt,
    const char *const *params, struct db_user *u)
{
	PGresult	*r;
	enum db_status	 st;

	st = db_exec_row(db, a, stmt, params, &r);
	if (st != DB_OK)
		return st;
	u->id = db_col(r, 0, "id");
	u->disabled = db_col_true(r, 0, "disabled");
	u->verified = db_col_true(r, 0, "verified");
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
		*id = db_col(r, 0, "id");
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
		*expired = db_col_true(r, 0, "expired");
		*callback = db_col(r, 0, "callback_url");
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
		*count = atol(db_col(r, 0, "count"));
		*retry_after = atol(db_col(r, 0, "retry_after"));
	}
	return st;
}
