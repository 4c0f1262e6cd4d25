/*
 * sync.h - db/'s interface for the change feed (GET /api/sync) and the
 * stored answers of keyed creates (Idempotency-Key). Beside db.h, which
 * holds the rest: its types (struct db, enum db_status) come from there.
 */
#ifndef PASSION_DB_SYNC_H
#define PASSION_DB_SYNC_H

#include "db/db.h"

/* Days a deletion stays in the feed (maintain sweeps it then). */
#define DB_SYNC_TOMBSTONE_DAYS	30

/* A place in a user's feed (sql/0021): the changes had are those of
 * the commits before commit, and of commit those up to seq (0: all of
 * commit's). */
struct db_sync_at {
	long long	 commit;
	long long	 seq;
};

/* A page of the feed: the user's changes after a place. */
struct db_sync {
	/* Where a cursor is good: the cluster, the database, its timeline
	 * and the epoch a restore replaces (hex, in the arena). */
	const char		*epoch;
	long long		 floor;	/* tombstones swept up to this commit */
	long long		 last;	/* the user's last commit */
	/* The changes, oldest first (caller owns): each {kind, id, op,
	 * changedAt[, entity]}. */
	struct json_object	*changes;
	struct db_sync_at	 next;	/* the place of the page's last one */
	int			 more;	/* the page was cut: more follow */
};

/*
 * The user's changes after after, at most limit of them and about
 * max_bytes of entities (one at least), in one statement: one snapshot.
 * full: a first page, which leaves out the tombstones (the client has
 * nothing to delete). Times in UTC with milliseconds.
 */
enum db_status	 db_sync_read(struct db *db, struct arena *a,
		    const char *user_id, struct db_sync_at after, int full,
		    int limit, size_t max_bytes, struct db_sync *out);
/*
 * Forget the user's tombstones older than days, raising the floor of
 * the cursors the feed honours past them, and the commits whose rows
 * all moved on (maintain); *swept: how many tombstones.
 */
enum db_status	 db_sync_sweep(struct db *db, struct arena *a,
		    const char *user_id, long days, long *swept);
/* A new epoch (the owner, after a restore): every cursor given out
 * before answers 409 resync_required. */
enum db_status	 db_sync_epoch_new(struct db *db, struct arena *a);

/* --- keys.c: the answers of keyed creates (sql/0020) --- */

/* Hours a key's answer is kept (maintain forgets it then). */
#define DB_KEY_HOURS	24

/* What a claim found. */
struct db_keyed {
	int		 fresh;		/* the key is this request's now */
	/* Not fresh: the first request's hash and answer (in the arena). */
	const char	*request_hash;
	int		 status;
	const char	*location;	/* NULL: none */
	const char	*body;
};

/*
 * Claim key for the user's request of hash, in the open transaction
 * (its first statement, so the session check goes with it): fresh, or
 * the answer of the request that holds it — waited for, when that one
 * has not committed yet. A key older than DB_KEY_HOURS is claimed anew.
 */
enum db_status	 db_key_claim(struct db *db, struct arena *a,
		    const char *user_id, const char *key, const char *hash,
		    struct db_keyed *out);
/* Store the claimed key's answer, and COMMIT with it (one round trip). */
enum db_status	 db_key_answer_commit(struct db *db, struct arena *a,
		    const char *user_id, const char *key, int status,
		    const char *location, const char *body);
/* Forget the user's keys past DB_KEY_HOURS (maintain); *n: how many. */
enum db_status	 db_key_sweep(struct db *db, struct arena *a,
		    const char *user_id, long *n);

#endif
