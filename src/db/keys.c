/*
 * keys.c - the answers of keyed creates (Idempotency-Key, sql/0020): a
 * key claimed by the create's transaction, its answer stored with its
 * COMMIT, and read back by a request sent again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"
#include "db/sync.h"

enum db_status
db_key_claim(struct db *db, struct arena *a, const char *user_id,
    const char *key, const char *hash, struct db_keyed *out)
{
	const char	*p[4] = { user_id, key, hash, db_num(a, DB_KEY_HOURS) };
	PGresult	*r;
	enum db_status	 st;

	memset(out, 0, sizeof(*out));
	/* Waits on a key another transaction holds, until it ends. */
	st = db_sql(db, a, "key_claim", "INSERT INTO idempotency_keys AS k "
	    "(user_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT "
	    "(user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, "
	    "status = NULL, location = NULL, body = NULL, created_at = now() "
	    "WHERE k.created_at < now() - make_interval(hours => $4::int) "
	    "RETURNING true AS fresh", 4, p, 0, &r);
	if (st != DB_OK)
		return st;
	if (PQntuples(r) == 1) {
		out->fresh = 1;
		return DB_OK;
	}
	/* Held by a request that committed: a statement of its own sees
	 * what that one wrote (READ COMMITTED). */
	st = db_sql(db, a, "key_answer", "SELECT request_hash, status, "
	    "location, body FROM idempotency_keys WHERE user_id = $1 AND "
	    "key = $2", 2, p, 0, &r);
	if (st != DB_OK)
		return st;
	if (PQntuples(r) != 1 || db_col_null(r, 0, "status") == NULL)
		return DB_UNAVAILABLE;	/* swept meanwhile: try again */
	out->request_hash = db_col(r, 0, "request_hash");
	out->status = atoi(db_col(r, 0, "status"));
	out->location = db_col_null(r, 0, "location");
	out->body = db_col(r, 0, "body");
	return DB_OK;
}

enum db_status
db_key_answer_commit(struct db *db, struct arena *a, const char *user_id,
    const char *key, int status, const char *location, const char *body)
{
	const char	*p[5] = { user_id, key, db_num(a, status), location,
	    body };

	db_tx_commit_with_next(db);
	return db_sql(db, a, "key_keep", "UPDATE idempotency_keys SET status "
	    "= $3::int, location = $4, body = $5 WHERE user_id = $1 AND "
	    "key = $2", 5, p, 0, NULL);
}

enum db_status
db_key_sweep(struct db *db, struct arena *a, const char *user_id, long *n)
{
	const char	*p[2] = { user_id, db_num(a, DB_KEY_HOURS) };
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, "key_sweep", "DELETE FROM idempotency_keys WHERE "
	    "user_id = $1 AND created_at < now() - make_interval(hours => "
	    "$2::int)", 2, p, 0, &r);
	*n = st == DB_OK ? atol(PQcmdTuples(r)) : 0;
	return st;
}
