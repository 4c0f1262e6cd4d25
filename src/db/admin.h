/*
 * admin.h - db/admin.c, passionctl's own statements, run as the owner
 * role: migrations, users, the jobs table. Only src/ctl/ includes it.
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

#endif
