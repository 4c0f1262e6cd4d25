/*
 * passionctl.c - the operator's tool: check-config, migrate, users and the
 * jobs queue. It links the same library as passiond and reads the same
 * configuration.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "auth/auth.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "storage/storage.h"
#include "util/util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: passionctl [-c PATH] COMMAND\n"
	    "\n"
	    "commands:\n"
	    "  check-config        validate the configuration and print it\n"
	    "  migrate             apply pending database migrations\n"
	    "  migrate --status    list migrations, applied or pending\n"
	    "  user list           every user: email, created, disabled\n"
	    "  user create EMAIL   add a user (email taken as verified)\n"
	    "  user disable EMAIL  refuse sign-in; ends their sessions now\n"
	    "  user enable EMAIL   allow sign-in again\n"
	    "  user delete EMAIL   delete the user and everything theirs\n"
	    "  jobs [--failed]     the newest 50 jobs (or failed ones): id,\n"
	    "                      kind, state, attempts, next run, last error\n"
	    "  maintain            delete expired sessions, tokens and rate\n"
	    "                      windows; abandon stale focus sessions; make\n"
	    "                      the quests schedule rules have come due;\n"
	    "                      sweep the object store (stale uploads,\n"
	    "                      objects with no row) and empty its queue;\n"
	    "                      remove vault exports past vault_export_age\n"
	    "  import FILE --user EMAIL [--passphrase-file F]\n"
	    "                      import a vault bundle (.vault or\n"
	    "                      .vault.zip) into the user's account, all or\n"
	    "                      nothing; the passphrase is read from F or\n"
	    "                      asked for (PASSION_VAULT_PASSPHRASE also)\n"
	    "  export --user EMAIL -o FILE [--passphrase-file F]\n"
	    "                      write everything the user owns as a vault\n"
	    "                      bundle (zip) to FILE\n"
	    "  presign --method GET|PUT --key KEY [--expires S]\n"
	    "          [--date YYYYMMDDTHHMMSSZ] [--content-type T]\n"
	    "          [--content-length N] [--query NAME=VALUE]...\n"
	    "                      print a presigned URL of the object store\n"
	    "                      (--date: as if signed then, reproducible;\n"
	    "                      --query: response-content-type and such)\n"
	    "\n"
	    "  -c, --config PATH   configuration file (default %s)\n"
	    "  -h, --help          this text\n"
	    "  -V, --version       print the version\n",
	    CONF_DEFAULT_PATH);
}

/* passionctl's sessions: the longer batch limits. */
static const struct db_limits *
ctl_limits(const struct config *cfg)
{
	static struct db_limits	 lim;

	lim.connect_s = cfg->db_connect_timeout;
	lim.statement_ms = cfg->batch_statement_timeout * 1000;
	lim.lock_ms = cfg->batch_lock_timeout * 1000;
	lim.app_name = "passionctl";
	return &lim;
}

/*
 * What maintain, import and export work with: the runtime role's
 * connection (with the batch limits), an arena, the store and a client
 * with the outbound timeouts.
 */
static void
ctl_open(const struct config *cfg, struct db *db, struct arena *a,
    struct storage *store, struct net *net)
{
	db_init(db, cfg->database_url, cfg->database_password,
	    ctl_limits(cfg));
	arena_init(a, 64 * 1024);
	storage_init(store, cfg);
	net_init(net, cfg->outbound_connect_timeout, cfg->outbound_timeout);
}

static void
ctl_close(struct db *db, struct arena *a, struct net *net)
{
	arena_cleanup(a);
	net_cleanup(net);
	db_cleanup(db);
}

static int
cmd_migrate(const struct config *cfg, int argc, char **argv)
{
	PGconn	*conn;
	char	 err[512];
	int	 status = 0, rc;

	if (argc == 2 && strcmp(argv[1], "--status") == 0)
		status = 1;
	else if (argc != 1) {
		usage(stderr);
		return 2;
	}
	conn = db_open(cfg->migrate_database_url,
	    cfg->migrate_database_password, ctl_limits(cfg), err, sizeof(err));
	if (conn == NULL) {
		fprintf(stderr, "passionctl: cannot connect "
		    "(migrate_database_url): %s\n", err);
		return 1;
	}
	rc = status ? db_migrate_status(conn, stdout, err, sizeof(err)) :
	    db_migrate(conn, stdout, err, sizeof(err));
	PQfinish(conn);
	if (rc != 0) {
		fprintf(stderr, "passionctl: migrate failed: %s\n", err);
		return 1;
	}
	return 0;
}

static PGconn *
admin_open(const struct config *cfg)
{
	PGconn	*conn;
	char	 err[512];

	conn = db_open(cfg->migrate_database_url,
	    cfg->migrate_database_password, ctl_limits(cfg), err, sizeof(err));
	if (conn == NULL)
		fprintf(stderr, "passionctl: cannot connect "
		    "(migrate_database_url): %s\n", err);
	return conn;
}

/* Each row of r, its columns tab-separated, one line a row. */
static void
print_rows(PGresult *r, long n)
{
	int	 i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < PQnfields(r); j++)
			printf("%s%c", PQgetvalue(r, i, j),
			    j + 1 < PQnfields(r) ? '\t' : '\n');
}

/* Run one statement with one parameter; rows affected, or -1. */
static long
admin_exec(PGconn *conn, const char *sql, const char *param, PGresult **out)
{
	const char	*params[1] = { param };
	PGresult	*r;
	long		 n;

	r = PQexecParams(conn, sql, param ? 1 : 0, NULL, params, NULL, NULL,
	    0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "passionctl: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) :
	    atol(PQcmdTuples(r));
	if (out != NULL)
		*out = r;
	else
		PQclear(r);
	return n;
}

static const struct {
	const char	*verb;
	const char	*sql;
	const char	*done;
} user_verbs[] = {
	{ "create", "INSERT INTO users (email, email_verified) VALUES ($1, "
	    "now()) ON CONFLICT (email) DO NOTHING", "created" },
	{ "disable", "WITH u AS (UPDATE users SET disabled_at = now(), "
	    "updated_at = now() WHERE email = $1 RETURNING id), "
	    "s AS (DELETE FROM sessions WHERE user_id IN (SELECT id FROM u)) "
	    "SELECT id FROM u", "disabled" },
	{ "enable", "UPDATE users SET disabled_at = NULL, updated_at = now() "
	    "WHERE email = $1", "enabled" },
	{ "delete", "DELETE FROM users WHERE email = $1", "deleted" },
};

static int
cmd_user(const struct config *cfg, int argc, char **argv)
{
	struct arena	 a;
	PGconn		*conn;
	PGresult	*r;
	const char	*email;
	size_t		 i;
	long		 n;
	int		 rc = 1;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		conn = admin_open(cfg);
		if (conn == NULL)
			return 1;
		n = admin_exec(conn, "SELECT coalesce(email, '-'), "
		    "to_char(created_at AT TIME ZONE 'UTC', "
		    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
		    "CASE WHEN disabled_at IS NULL THEN 'active' "
		    "ELSE 'disabled' END, id FROM users ORDER BY created_at, id",
		    NULL, &r);
		print_rows(r, n);
		if (n >= 0)
			PQclear(r);
		PQfinish(conn);
		return n < 0;
	}
	for (i = 0; argc == 3 && i < sizeof(user_verbs) /
	    sizeof(user_verbs[0]); i++)
		if (strcmp(argv[1], user_verbs[i].verb) == 0)
			break;
	if (argc != 3 || i == sizeof(user_verbs) / sizeof(user_verbs[0])) {
		usage(stderr);
		return 2;
	}
	arena_init(&a, 1024);
	email = auth_email_normalize(&a, argv[2]);
	if (email == NULL) {
		fprintf(stderr, "passionctl: '%s' is not an email address\n",
		    argv[2]);
		arena_cleanup(&a);
		return 2;
	}
	conn = admin_open(cfg);
	if (conn != NULL) {
		n = admin_exec(conn, user_verbs[i].sql, email, NULL);
		if (n == 0)
			fprintf(stderr, "passionctl: %s: %s\n", email,
			    i == 0 ? "already exists" : "no such user");
		else if (n > 0) {
			printf("%s %s\n", email, user_verbs[i].done);
			rc = 0;
		}
		PQfinish(conn);
	}
	arena_cleanup(&a);
	return rc;
}

static int
cmd_jobs(const struct config *cfg, int argc, char **argv)
{
	PGconn		*conn;
	PGresult	*r;
	long		 n;
	int		 failed = argc == 2 && strcmp(argv[1], "--failed") == 0;

	if (argc > 2 || (argc == 2 && !failed)) {
		usage(stderr);
		return 2;
	}
	conn = admin_open(cfg);
	if (conn == NULL)
		return 1;
	n = admin_exec(conn, "SELECT id, kind, state, attempts || '/' || "
	    "max_attempts, to_char(run_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(last_error, '-') "
	    "FROM jobs WHERE NOT $1::boolean OR state = 'failed' "
	    "ORDER BY id DESC LIMIT 50", failed ? "true" : "false", &r);
	print_rows(r, n);
	if (n >= 0)
		PQclear(r);
	PQfinish(conn);
	return n < 0;
}

/*
 * maintain: safe beside a serving passiond (the runtime role, one short
 * transaction per user, every occurrence made once by a unique index).
 */
static int
cmd_maintain(const struct config *cfg, int argc, char **argv)
{
	struct db		 db;
	struct arena		 a;
	struct db_sweep		 sw;
	struct db_maintained	 m;
	struct storage		 store;
	struct net		 net;
	struct jobs_blob_sweep	 bs;
	PGresult		*users;
	enum db_status		 st;
	long			 failed = 0, removed = 0, unremoved = 0;
	long			 waiting = 0, expired = 0, n = 0;
	int			 i, sweep;
	char			 err[512];

	(void)argv;
	if (argc != 1) {
		usage(stderr);
		return 2;
	}
	memset(&m, 0, sizeof(m));
	memset(&bs, 0, sizeof(bs));
	ctl_open(cfg, &db, &a, &store, &net);
	sweep = storage_enabled(&store);
	st = db_maintain_sweep(&db, &a, cfg->rate_window, &sw);
	if (st == DB_OK)
		st = db_maintain_users(&db, &a, &users);
	for (i = 0; st == DB_OK && i < PQntuples(users); i++) {
		const char *uid = PQgetvalue(users, i, 0);
		struct arena ua;

		arena_init(&ua, 64 * 1024);
		st = db_tx_begin(&db, uid);
		if (st == DB_OK)
			st = db_maintain_user(&db, &ua, uid,
			    cfg->schedule_horizon, &m);
		if (st == DB_OK)
			st = db_vault_exports_expire(&db, &ua, uid,
			    cfg->vault_export_age, &n);
		expired += n;
		if (st == DB_OK && sweep && jobs_blob_sweep_user(&db, &store,
		    &net, &ua, uid, cfg->storage_sweep_age, &bs, err,
		    sizeof(err)) != 0) {
			/* The store's trouble: the others' sweeps wait too. */
			fprintf(stderr, "passionctl: maintain: blobs of user "
			    "%s: %s\n", uid, err);
			failed++;
			sweep = 0;
		}
		if (st == DB_OK)
			st = db_tx_commit(&db);
		if (st != DB_OK) {
			/* One user's trouble does not stop the others'. */
			db_tx_rollback(&db);
			fprintf(stderr, "passionctl: maintain: user %s: %s\n",
			    uid, db.errstr);
			failed++;
			st = st == DB_UNAVAILABLE ? st : DB_OK;
		}
		arena_cleanup(&ua);
	}
	/* Objects whose rows are gone leave the store. */
	if (st == DB_OK && storage_enabled(&store)) {
		if (jobs_blob_drain(&db, &store, &net, &a, &removed,
		    &unremoved, err, sizeof(err)) != 0) {
			fprintf(stderr, "passionctl: maintain: removing "
			    "objects: %s\n", err);
			failed++;
		}
		st = db_blob_deletions_count(&db, &a, &waiting);
	}
	if (st == DB_OK) {
		printf("sessions deleted: %ld\n", sw.sessions);
		printf("magic-link tokens deleted: %ld\n", sw.tokens);
		printf("rate-limit windows deleted: %ld\n", sw.windows);
		printf("users: %d\n", PQntuples(users));
		printf("stale focus sessions abandoned: %ld\n", m.focus);
		printf("quests made from schedule rules: %ld (rules: %ld)\n",
		    m.quests, m.rules);
		if (m.invalid > 0)
			printf("rules that could not be read: %ld\n",
			    m.invalid);
		printf("vault exports past vault_export_age, removed: %ld\n",
		    expired);
		if (storage_enabled(&store)) {
			printf("blobs left pending, removed: %ld\n", bs.stale);
			printf("objects with no blob, queued: %ld\n",
			    bs.orphans);
			printf("objects removed from the store: %ld (failed: "
			    "%ld, still waiting: %ld)\n", removed, unremoved,
			    waiting);
		}
	} else
		fprintf(stderr, "passionctl: maintain: %s\n", db.errstr);
	ctl_close(&db, &a, &net);
	return st != DB_OK || failed > 0;
}

/* A bar on a terminal, a line a second otherwise. */
struct bar {
	int		 tty;
	long long	 total;
	int64_t		 last;
};

static void
bar_show(void *ud, long long bytes, long long entities)
{
	struct bar	*b = ud;
	int64_t		 now = time_mono_ms();
	int		 pct = b->total > 0 ? (int)(bytes * 100 / b->total) : 0;

	if (now - b->last < (b->tty ? 100 : 1000))
		return;
	b->last = now;
	if (b->tty) {
		char	 fill[41];

		memset(fill, '#', (size_t)(pct * 40 / 100));
		memset(fill + pct * 40 / 100, '.', 40 - (size_t)(pct * 40 /
		    100));
		fill[40] = '\0';
		fprintf(stderr, "\r[%s] %3d%% %lld of %lld bytes, %lld "
		    "entities", fill, pct, bytes, b->total, entities);
	} else
		fprintf(stderr, "progress: %d%% bytes %lld of %lld, entities "
		    "%lld\n", pct, bytes, b->total, entities);
}

/* The passphrase: from a file (its first line), the environment, or asked. */
static char *
passphrase(const char *file)
{
	char	 line[1024], *p;
	FILE	*f;

	if (file != NULL) {
		if ((f = fopen(file, "r")) == NULL)
			return NULL;
		p = fgets(line, sizeof(line), f);
		fclose(f);
		if (p == NULL)
			return NULL;
	} else if ((p = getenv("PASSION_VAULT_PASSPHRASE")) != NULL) {
		snprintf(line, sizeof(line), "%s", p);
	} else {
		if ((p = getpass("vault passphrase: ")) == NULL)
			return NULL;
		snprintf(line, sizeof(line), "%s", p);
		explicit_bzero(p, strlen(p));
	}
	line[strcspn(line, "\r\n")] = '\0';
	p = strdup(line);
	explicit_bzero(line, sizeof(line));
	return p;
}

/* The id of the user with email, or NULL (said). */
static const char *
user_of(struct db *db, struct arena *a, const char *email)
{
	struct db_user	 u;
	const char	*e = auth_email_normalize(a, email);

	if (e == NULL || db_user_by_email(db, a, e, &u) != DB_OK) {
		fprintf(stderr, "passionctl: %s: no such user (%s)\n", email,
		    db->errstr[0] ? db->errstr : "not found");
		return NULL;
	}
	return u.id;
}

/* What an import says, on stdout: per kind, then the errors. */
static void
print_result(struct json_object *res)
{
	struct json_object	*kinds, *errors, *warnings;
	size_t			 i;

	if (res == NULL)
		return;
	kinds = json_object_object_get(res, "kinds");
	json_object_object_foreach(kinds, kind, counts) {
		printf("%s:", kind);
		json_object_object_foreach(counts, what, n)
			printf(" %s %lld", what, (long long)
			    json_object_get_int64(n));
		printf("\n");
	}
	errors = json_object_object_get(res, "errors");
	for (i = 0; i < json_object_array_length(errors); i++) {
		struct json_object *e = json_object_array_get_idx(errors, i);

		printf("error: %s: %s\n", json_object_get_string(
		    json_object_object_get(e, "path")), json_object_get_string(
		    json_object_object_get(e, "message")));
	}
	warnings = json_object_object_get(res, "warnings");
	printf("warnings: %lld\n", (long long)json_object_get_int64(
	    json_object_object_get(res, "warningCount")));
	for (i = 0; i < json_object_array_length(warnings) && i < 5; i++) {
		struct json_object *e = json_object_array_get_idx(warnings, i);

		printf("warning: %s: %s\n", json_object_get_string(
		    json_object_object_get(e, "path")), json_object_get_string(
		    json_object_object_get(e, "message")));
	}
}

static int
cmd_import(const struct config *cfg, int argc, char **argv)
{
	struct jobs_vault_run	 r;
	struct db		 db;
	struct arena		 a;
	struct storage		 store;
	struct net		 net;
	struct bar		 b;
	struct stat		 sb;
	const char		*file = NULL, *email = NULL, *pfile = NULL;
	const char		*uid, *slash;
	char			 id[37], *pass = NULL;
	enum vault_error	 e;
	int			 i, fd = -1, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "--passphrase-file") == 0 &&
		    i + 1 < argc)
			pfile = argv[++i];
		else if (file == NULL && argv[i][0] != '-')
			file = argv[i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (file == NULL || email == NULL) {
		usage(stderr);
		return 2;
	}
	if ((fd = open(file, O_RDONLY)) < 0 || fstat(fd, &sb) != 0) {
		fprintf(stderr, "passionctl: %s: %s\n", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if ((pass = passphrase(pfile)) == NULL) {
		fprintf(stderr, "passionctl: no passphrase\n");
		close(fd);
		return 1;
	}
	ctl_open(cfg, &db, &a, &store, &net);
	memset(&b, 0, sizeof(b));
	b.tty = isatty(STDERR_FILENO);
	b.total = (long long)sb.st_size;
	if ((uid = user_of(&db, &a, email)) == NULL)
		goto out;
	auth_uuid(id);
	slash = strrchr(file, '/');
	if (db_tx_begin(&db, uid) != DB_OK ||
	    db_vault_import_create(&db, &a, uid, id, arena_printf(&a, "%.255s",
	    slash ? slash + 1 : file), (long long)sb.st_size, arena_printf(&a,
	    "%s/imports/%s.vault", uid, id), "running") != DB_OK ||
	    db_tx_commit(&db) != DB_OK) {
		db_tx_rollback(&db);
		fprintf(stderr, "passionctl: import: %s\n", db.errstr);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.db = &db;
	r.arena = &a;
	r.store = &store;
	r.net = &net;
	r.user_id = uid;
	r.import_id = id;
	r.on_progress = bar_show;
	r.ud = &b;
	printf("import %s of %s for %s\n", id, file, email);
	fflush(stdout);
	e = jobs_vault_import(&r, fd, pass);
	b.last = 0;
	if (b.tty)
		fprintf(stderr, "\n");
	print_result(r.result);
	json_object_put(r.result);
	if (e == VAULT_OK) {
		printf("imported\n");
		rc = 0;
	} else if (e == VAULT_UNAVAILABLE) {
		fprintf(stderr, "passionctl: import: %s (nothing written; try "
		    "again)\n", r.err);
		/* The row says so too. */
		if (db_tx_begin(&db, uid) != DB_OK || db_vault_import_failed(&db,
		    &a, id, "unavailable", r.err, NULL) != DB_OK ||
		    db_tx_commit(&db) != DB_OK)
			db_tx_rollback(&db);
	} else
		printf("refused: %s: %s\n", vault_error_code(e), r.err);
out:
	explicit_bzero(pass, strlen(pass));
	free(pass);
	close(fd);
	ctl_close(&db, &a, &net);
	return rc;
}

/* An export's zip into a file. */
struct file_sink {
	int		 fd;
	struct bar	*bar;
	char		*err;
	size_t		 errlen;
};

static int
file_write(void *ud, const void *p, size_t n)
{
	struct file_sink	*f = ud;

	if (fd_write_all(f->fd, p, n) != 0) {
		snprintf(f->err, f->errlen, "writing: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
file_progress(void *ud, long long bytes, long long entities)
{
	struct file_sink	*f = ud;

	bar_show(f->bar, bytes, entities);
}

static int
cmd_export(const struct config *cfg, int argc, char **argv)
{
	struct vault_export	 ex;
	struct file_sink	 fs;
	struct db		 db;
	struct arena		 a;
	struct storage		 store;
	struct net		 net;
	struct bar		 b;
	const char		*email = NULL, *out = NULL, *pfile = NULL, *uid;
	char			*pass = NULL, tmp[4096];
	enum vault_error	 e;
	int			 i, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--passphrase-file") == 0 &&
		    i + 1 < argc)
			pfile = argv[++i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (email == NULL || out == NULL) {
		usage(stderr);
		return 2;
	}
	if ((pass = passphrase(pfile)) == NULL || *pass == '\0') {
		fprintf(stderr, "passionctl: no passphrase\n");
		free(pass);
		return 1;
	}
	/* Written beside, renamed when whole: never half a file at out. */
	snprintf(tmp, sizeof(tmp), "%s.partial", out);
	memset(&fs, 0, sizeof(fs));
	if ((fs.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		fprintf(stderr, "passionctl: %s: %s\n", tmp, strerror(errno));
		free(pass);
		return 1;
	}
	ctl_open(cfg, &db, &a, &store, &net);
	memset(&b, 0, sizeof(b));
	b.tty = isatty(STDERR_FILENO);
	if ((uid = user_of(&db, &a, email)) == NULL)
		goto out;
	memset(&ex, 0, sizeof(ex));
	fs.bar = &b;
	fs.err = ex.err;
	fs.errlen = sizeof(ex.err);
	ex.db = &db;
	ex.arena = &a;
	ex.store = &store;
	ex.net = &net;
	ex.user_id = uid;
	ex.passphrase = pass;
	ex.tmpdir = cfg->vault_tmpdir;
	ex.device_id = jobs_vault_device(&a, uid);
	ex.meta_max = 512LL << 20;
	ex.write = file_write;
	ex.progress = file_progress;
	ex.ud = &fs;
	vault_report_init(&ex.report);
	e = vault_export_run(&ex);
	if (b.tty)
		fprintf(stderr, "\n");
	if (e == VAULT_OK && (fsync(fs.fd) != 0 || rename(tmp, out) != 0)) {
		snprintf(ex.err, sizeof(ex.err), "%s: %s", out,
		    strerror(errno));
		e = VAULT_UNAVAILABLE;
	}
	if (e == VAULT_OK) {
		struct json_object *res = vault_report_json(&ex.report);

		print_result(res);
		json_object_put(res);
		printf("exported %lld bytes to %s\n", ex.bytes, out);
		rc = 0;
	} else
		fprintf(stderr, "passionctl: export: %s: %s\n",
		    vault_error_code(e), ex.err);
	vault_report_free(&ex.report);
out:
	close(fs.fd);
	if (rc != 0)
		unlink(tmp);
	explicit_bzero(pass, strlen(pass));
	free(pass);
	ctl_close(&db, &a, &net);
	return rc;
}

/* "YYYYMMDDTHHMMSSZ" to seconds since the epoch; -1 if it is not one. */
static long long
amz_time(const char *s)
{
	struct tm	 tm;
	char		 back[17];
	const char	*end;
	long long	 t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	t = (long long)timegm(&tm);
	sigv4_amz_date(t, back);
	return strcmp(back, s) == 0 ? t : -1;
}

#define PRESIGN_QUERY_MAX	8

static int
cmd_presign(const struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "expires", required_argument, NULL, 'e' },
		{ "date", required_argument, NULL, 'd' },
		{ "content-type", required_argument, NULL, 't' },
		{ "content-length", required_argument, NULL, 'l' },
		{ "query", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct storage		 st;
	struct arena		 a;
	struct sigv4_pair	 query[PRESIGN_QUERY_MAX];
	const char		*method = NULL, *key = NULL, *ctype = NULL;
	long long		 expires = -1, now = (long long)time(NULL);
	long long		 length = -1;
	char			*url, *eq;
	size_t			 nquery = 0;
	int			 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			method = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'e':
			if (str_to_ll(optarg, 1, SIGV4_EXPIRES_MAX, &expires) !=
			    0) {
				fprintf(stderr, "passionctl: --expires: 1 to %d "
				    "seconds\n", SIGV4_EXPIRES_MAX);
				return 2;
			}
			break;
		case 'd':
			if ((now = amz_time(optarg)) < 0) {
				fprintf(stderr, "passionctl: --date: "
				    "YYYYMMDDTHHMMSSZ, such as 20260102T120000Z\n");
				return 2;
			}
			break;
		case 't':
			ctype = optarg;
			break;
		case 'l':
			if (str_to_ll(optarg, 0, 5368709120LL, &length) != 0) {
				fprintf(stderr, "passionctl: --content-length: 0 "
				    "to 5368709120 bytes\n");
				return 2;
			}
			break;
		case 'q':
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg ||
			    nquery == PRESIGN_QUERY_MAX) {
				fprintf(stderr, "passionctl: --query NAME=VALUE, "
				    "at most %d\n", PRESIGN_QUERY_MAX);
				return 2;
			}
			*eq = '\0';
			query[nquery].name = optarg;
			query[nquery++].value = eq + 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || method == NULL || key == NULL || *key == '\0' ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0)) {
		fprintf(stderr, "passionctl: presign needs --method GET|PUT and "
		    "--key KEY\n");
		return 2;
	}
	storage_init(&st, cfg);
	if (!storage_enabled(&st)) {
		fprintf(stderr, "passionctl: no object store configured "
		    "(storage_endpoint)\n");
		return 1;
	}
	if (expires < 0)
		expires = strcmp(method, "PUT") == 0 ? cfg->storage_upload_ttl :
		    cfg->storage_download_ttl;
	arena_init(&a, 16 * 1024);
	url = storage_presign(&a, &st, method, key, (long)expires, now, ctype,
	    length, query, nquery);
	puts(url);
	arena_cleanup(&a);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct config	 cfg;
	const char	*path = NULL, *cmd;
	char		 err[512];
	int		 ch, rc;

	/* '+': stop at the command so its own options stay its own. */
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("passionctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	log_set_component("passionctl");
	if (conf_load(&cfg, path ? path : CONF_DEFAULT_PATH, path == NULL, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "passionctl: configuration error: %s\n", err);
		conf_free(&cfg);
		return 2;
	}
	if (strcmp(cmd, "check-config") == 0) {
		conf_dump(&cfg, STDOUT_FILENO);
		printf("configuration OK\n");
		rc = 0;
	} else if (strcmp(cmd, "user") == 0) {
		rc = cmd_user(&cfg, argc - optind, argv + optind);
	} else if (strcmp(cmd, "jobs") == 0) {
		rc = cmd_jobs(&cfg, argc - optind, argv + optind);
	} else if (strcmp(cmd, "export") == 0) {
		rc = cmd_export(&cfg, argc - optind, argv + optind);
	} else if (strcmp(cmd, "import") == 0) {
		rc = cmd_import(&cfg, argc - optind, argv + optind);
	} else if (strcmp(cmd, "presign") == 0) {
		rc = cmd_presign(&cfg, argc - optind, argv + optind);
	} else if (strcmp(cmd, "maintain") == 0) {
		rc = cmd_maintain(&cfg, argc - optind, argv + optind);
	} else if (strcmp(cmd, "migrate") == 0) {
		rc = cmd_migrate(&cfg, argc - optind, argv + optind);
	} else {
		fprintf(stderr, "passionctl: unknown command '%s'\n", cmd);
		usage(stderr);
		rc = 2;
	}
	conf_free(&cfg);
	return rc;
}
