/*
 * admin.c - passionctl migrate, user and jobs: the owner role's commands,
 * through db/admin.c (rows as typed structs; no SQL or result set here).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "conf/conf.h"
#include "ctl/ctl.h"
#include "db/admin.h"
#include "util/util.h"

/* A failed statement, said once: 1, the status of a failed command. */
static int
owner_failed(const char *what, struct db *db)
{
	fprintf(stderr, "passionctl: %s (migrate_database_url): %s\n", what,
	    db->errstr);
	return 1;
}

int
cmd_migrate(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	struct db		 db;
	char			 err[512];
	int			 status, rc;

	status = argc >= 2 && strcmp(argv[1], "--status") == 0;
	if (argc > 1 + status)
		return ctl_bad_arg("migrate", argv[1 + status]);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
	ctl_owner_init(cfg, &db);
	rc = db_migrate_run(&db, status, stdout, err, sizeof(err));
	db_cleanup(&db);
	if (rc != 0) {
		fprintf(stderr, "passionctl: migrate failed "
		    "(migrate_database_url): %s\n", err);
		return 1;
	}
	return 0;
}

static void
user_print(void *ud, const struct db_user_info *u)
{
	(void)ud;
	printf("%s\t%s\t%s\t%s\n", u->email, u->created, u->state, u->id);
}

static const struct {
	const char		*verb;
	enum db_user_verb	 v;
	const char		*done;
} user_verbs[] = {
	{ "create", DB_USER_CREATE, "created" },
	{ "disable", DB_USER_DISABLE, "disabled" },
	{ "enable", DB_USER_ENABLE, "enabled" },
	{ "delete", DB_USER_DELETE, "deleted" },
};
#define NVERBS	(sizeof(user_verbs) / sizeof(user_verbs[0]))

int
cmd_user(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	struct arena		 a;
	struct db		 db;
	const char		*email;
	size_t			 i;
	long			 n = 0;
	int			 rc = 1, list;

	if (argc < 2)
		return ctl_bad_usage("user", "needs list, or a verb and an "
		    "EMAIL", NULL);
	list = strcmp(argv[1], "list") == 0;
	for (i = 0; i < NVERBS; i++)
		if (strcmp(argv[1], user_verbs[i].verb) == 0)
			break;
	if (list && argc > 2)
		return ctl_bad_arg("user", argv[2]);
	if (!list && i == NVERBS)
		return ctl_bad_usage("user", "unknown verb", argv[1]);
	if (!list && argc < 3)
		return ctl_bad_usage("user", "needs an EMAIL", NULL);
	if (!list && argc > 3)
		return ctl_bad_arg("user", argv[3]);
	arena_init(&a, 1024);
	email = list ? NULL : auth_email_normalize(&a, argv[2]);
	if (!list && email == NULL) {
		fprintf(stderr, "passionctl: '%s' is not an email address\n",
		    argv[2]);
		arena_cleanup(&a);
		return 2;
	}
	cfg = ctl_conf(ctl);
	if (cfg == NULL) {
		arena_cleanup(&a);
		return ctl->rc;
	}
	ctl_owner_init(cfg, &db);
	if (list)
		rc = db_users_list(&db, &a, user_print, NULL) == DB_OK ? 0 :
		    owner_failed("user list", &db);
	else if (db_user_admin(&db, &a, user_verbs[i].v, email, &n) != DB_OK)
		rc = owner_failed(argv[1], &db);
	else if (n == 0)
		fprintf(stderr, "passionctl: %s: %s\n", email,
		    user_verbs[i].v == DB_USER_CREATE ? "already exists" :
		    "no such user");
	else {
		printf("%s %s\n", email, user_verbs[i].done);
		rc = 0;
	}
	arena_cleanup(&a);
	db_cleanup(&db);
	return rc;
}

static void
job_print(void *ud, const struct db_job_info *j)
{
	(void)ud;
	printf("%s\t%s\t%s\t%s\t%s\t%s\n", j->id, j->kind, j->state,
	    j->attempts, j->run_at, j->outcome);
}

int
cmd_jobs(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	struct arena		 a;
	struct db		 db;
	int			 failed, rc;

	failed = argc >= 2 && strcmp(argv[1], "--failed") == 0;
	if (argc > 1 + failed)
		return ctl_bad_arg("jobs", argv[1 + failed]);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
	ctl_owner_init(cfg, &db);
	arena_init(&a, 4096);
	rc = db_jobs_list(&db, &a, failed, job_print, NULL) == DB_OK ? 0 :
	    owner_failed("jobs", &db);
	arena_cleanup(&a);
	db_cleanup(&db);
	return rc;
}
