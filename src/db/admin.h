/*
 * admin.h - passionctl's own statements: db/admin.c's, run as the owner
 * role (migrations, users, the jobs table), and db/maintain.c's, run as
 * passiond's role. Only src/ctl/ includes it (and db/ itself).
 */
#ifndef PASSION_DB_ADMIN_H
#define PASSION_DB_ADMIN_H

#include "db/db.h"

/* db_migrate, or with status_only db_migrate_status, on db. 0 or -1. */
int		 db_migrate_run(struct db *db, int status_only, FILE *out,
		    char *err, size_t errlen);
/* A user as passionctl user list prints it (strings in the arena). */
struct db_user_info {
	const char	*email, *created, *state, *id;
};
typedef void	(*db_user_fn)(void *ud, const struct db_user_info *u);
/* Every user, oldest first, one call of fn each. */
enum db_status	 db_users_list(struct db *db, struct arena *a, db_user_fn fn,
		    void *ud);
enum db_user_verb {
	DB_USER_CREATE,		/* email taken as verified */
	DB_USER_DISABLE,	/* and their sessions end now */
	DB_USER_ENABLE,
	DB_USER_DELETE		/* and everything theirs (cascades) */
};
/* Do verb to the user with that (normalised) email; *changed: rows. */
enum db_status	 db_user_admin(struct db *db, struct arena *a,
		    enum db_user_verb verb, const char *email, long *changed);
/*
 * A job as passionctl jobs prints it; outcome: what a job that is done
 * came to ("import failed (bad_passphrase): …"), else its last error.
 */
struct db_job_info {
	const char	*id, *kind, *state, *attempts, *run_at, *outcome;
};
typedef void	(*db_job_fn)(void *ud, const struct db_job_info *j);
/* The newest 50 jobs (or failed ones), newest first. */
enum db_status	 db_jobs_list(struct db *db, struct arena *a, int failed_only,
		    db_job_fn fn, void *ud);

/* --- backup.c: passionctl backup and restore --- */

/*
 * Begin a REPEATABLE READ, READ ONLY transaction and export its snapshot:
 * *snapshot (in a) is pg_dump's --snapshot. db_tx_rollback ends it.
 */
enum db_status	 db_backup_begin(struct db *db, struct arena *a,
		    const char **snapshot);
/* Whether this role reads every row past row-level security. */
enum db_status	 db_backup_can_read_all(struct db *db, struct arena *a,
		    int *yes);
/* An object key a row names: its size, SHA-256 (NULL: not known), the
 * table ("blob", "import", "export"), and whether it must be there. */
struct db_object {
	const char	*key, *sha256, *source;
	long long	 size;
	int		 expected;
};
typedef void	(*db_object_fn)(void *ud, const struct db_object *o);
/* Every object the rows name, by key, once each. */
enum db_status	 db_backup_objects(struct db *db, struct arena *a,
		    db_object_fn fn, void *ud);
/* How many tables the public schema has (a restore wants 0). */
enum db_status	 db_restore_tables(struct db *db, struct arena *a,
		    long *tables);

/* --- maintain.c: passionctl maintain --- */

struct db_sweep {
	long	 sessions, tokens, windows;
};
/* Delete expired sessions and tokens, and windows past rate_window. */
enum db_status	 db_maintain_sweep(struct db *db, struct arena *a,
		    long rate_window, struct db_sweep *out);
/* The ids of users who are not disabled, in the arena: *ids[0..*n). */
enum db_status	 db_maintain_users(struct db *db, struct arena *a,
		    const char ***ids, size_t *n);

struct db_maintained {
	long	 quests;	/* made from occurrences */
	long	 rules;		/* rules that had occurrences */
	long	 invalid;	/* rules that could not be read */
	long	 focus;		/* stale focus sessions abandoned */
	long	 capped;	/* users with more to make next run */
	long	 tombstones;	/* the feed's, past DB_SYNC_TOMBSTONE_DAYS */
	long	 keys;		/* Idempotency-Keys past DB_KEY_HOURS */
};
/*
 * In the user's transaction: abandon a stale focus session, and make
 * the quests of enabled rules' occurrences since the last run (catching
 * up at most horizon seconds, not before the day a rule was made), 500
 * at most.
 */
enum db_status	 db_maintain_user(struct db *db, struct arena *a,
		    const char *user_id, long horizon,
		    struct db_maintained *out);

#endif
