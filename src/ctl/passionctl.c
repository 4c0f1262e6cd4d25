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
#include "server/server.h"
#include "storage/storage.h"
#include "util/util.h"

/* The configuration, loaded once a command's arguments are known good. */
struct ctl {
	const char	*path;		/* -c, or NULL: the default */
	struct config	 cfg;
	int		 loaded;
	int		 rc;		/* conf_load_main's, when it failed */
};

/* ctl's configuration, loaded now; NULL (ctl->rc says why) on failure. */
static const struct config *
ctl_conf(struct ctl *ctl)
{
	if (!ctl->loaded) {
		ctl->rc = conf_load_main(&ctl->cfg, "passionctl", ctl->path);
		ctl->loaded = 1;
	}
	return ctl->rc == 0 ? &ctl->cfg : NULL;
}

/* One command: its synopsis, what it does, and its function. */
struct command {
	const char	*name;
	const char	*synopsis;	/* after "passionctl [-c PATH] " */
	const char	*help;		/* indented lines */
	int		(*run)(struct ctl *, int, char **);
};

static int	cmd_check_config(struct ctl *, int, char **);
static int	cmd_migrate(struct ctl *, int, char **);
static int	cmd_user(struct ctl *, int, char **);
static int	cmd_jobs(struct ctl *, int, char **);
static int	cmd_maintain(struct ctl *, int, char **);
static int	cmd_import(struct ctl *, int, char **);
static int	cmd_export(struct ctl *, int, char **);
static int	cmd_presign(struct ctl *, int, char **);

static const struct command commands[] = {
	{ "check-config", "check-config [--connect]",
	    "validate the configuration and print it (secrets hidden) with\n"
	    "what keeps it from serving users; --connect: also connect to\n"
	    "database_url. Exit 0 ready, 1 not, 2 invalid", cmd_check_config },
	{ "migrate", "migrate [--status]",
	    "apply pending database migrations as the owner role\n"
	    "(migrate_database_url); --status: list them, applied or\n"
	    "pending", cmd_migrate },
	{ "user", "user list | create|disable|enable|delete EMAIL",
	    "list: every user (email, created, state, id); create: add one\n"
	    "(email taken as verified); disable: refuse sign-in and end\n"
	    "their sessions now; enable; delete: the user and everything\n"
	    "theirs", cmd_user },
	{ "jobs", "jobs [--failed]",
	    "the newest 50 jobs (or failed ones): id, kind, state,\n"
	    "attempts, next run, last error", cmd_jobs },
	{ "maintain", "maintain",
	    "delete expired sessions, tokens and rate windows; abandon stale\n"
	    "focus sessions; make the quests schedule rules have come due;\n"
	    "sweep the object store (stale uploads, objects with no row) and\n"
	    "empty its queue; remove vault exports past vault_export_age",
	    cmd_maintain },
	{ "import", "import FILE --user EMAIL [--passphrase-file F]",
	    "import a vault bundle (.vault or .vault.zip) into the user's\n"
	    "account, all or nothing; the passphrase is read from F or asked\n"
	    "for (PASSION_VAULT_PASSPHRASE also)", cmd_import },
	{ "export", "export --user EMAIL -o FILE [--passphrase-file F]",
	    "write everything the user owns as a vault bundle (zip) to FILE",
	    cmd_export },
	{ "presign", "presign --method GET|PUT --key KEY [--expires S]\n"
	    "    [--date YYYYMMDDTHHMMSSZ] [--content-type T]\n"
	    "    [--content-length N] [--query NAME=VALUE]...",
	    "print a presigned URL of the object store (--date: as if signed\n"
	    "then, reproducible; --query: response-content-type and such)",
	    cmd_presign },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

/* Each line of text, after indent. */
static void
print_indented(FILE *f, const char *indent, const char *text)
{
	const char	*nl;

	for (; *text != '\0'; text = nl + 1) {
		nl = strchr(text, '\n');
		if (nl == NULL)
			nl = text + strlen(text);
		fprintf(f, "%s%.*s\n", indent, (int)(nl - text), text);
		if (*nl == '\0')
			break;
	}
}

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: passionctl [-c PATH] COMMAND [ARGS]\n"
	    "       passionctl COMMAND --help\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++) {
		print_indented(f, "  ", commands[i].synopsis);
		print_indented(f, "        ", commands[i].help);
	}
	fprintf(f, "\n"
	    "  -c, --config PATH   configuration file (default %s)\n"
	    "  -h, --help          this text\n"
	    "  -V, --version       print the version\n"
	    "See passionctl(8).\n", CONF_DEFAULT_PATH);
}

static const struct command *
command_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
command_usage(const struct command *c, FILE *f)
{
	fprintf(f, "usage: passionctl [-c PATH] ");
	print_indented(f, "", c->synopsis);
	fputc('\n', f);
	print_indented(f, "  ", c->help);
}

/*
 * A command's arguments do not fit: say which one, then the command's
 * usage. Returns 2, the exit status of a usage error.
 */
static int
bad_usage(const char *name, const char *why, const char *arg)
{
	if (arg != NULL)
		fprintf(stderr, "passionctl %s: %s '%s'\n", name, why, arg);
	else
		fprintf(stderr, "passionctl %s: %s\n", name, why);
	command_usage(command_find(name), stderr);
	return 2;
}

/* The first argument that is no option of the command, or a bad one. */
static int
bad_arg(const char *name, const char *arg)
{
	return bad_usage(name, arg[0] == '-' ? "unknown option" :
	    "unexpected argument", arg);
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
cmd_migrate(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	PGconn	*conn;
	char	 err[512];
	int	 status = 0, rc;

	status = argc >= 2 && strcmp(argv[1], "--status") == 0;
	if (argc > 1 + status)
		return bad_arg("migrate", argv[1 + status]);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
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
cmd_user(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	struct arena	 a;
	PGconn		*conn;
	PGresult	*r;
	const char	*email;
	size_t		 i;
	long		 n;
	int		 rc = 1;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		cfg = ctl_conf(ctl);
		if (cfg == NULL)
			return ctl->rc;
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
	if (argc < 2)
		return bad_usage("user", "needs list, or a verb and an EMAIL",
		    NULL);
	if (strcmp(argv[1], "list") == 0)
		return bad_arg("user", argv[2]);
	for (i = 0; i < sizeof(user_verbs) / sizeof(user_verbs[0]); i++)
		if (strcmp(argv[1], user_verbs[i].verb) == 0)
			break;
	if (i == sizeof(user_verbs) / sizeof(user_verbs[0]))
		return bad_usage("user", "unknown verb", argv[1]);
	if (argc < 3)
		return bad_usage("user", "needs an EMAIL", NULL);
	if (argc > 3)
		return bad_arg("user", argv[3]);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
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
cmd_jobs(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	PGconn		*conn;
	PGresult	*r;
	long		 n;
	int		 failed = argc >= 2 && strcmp(argv[1], "--failed") == 0;

	if (argc > 1 + failed)
		return bad_arg("jobs", argv[1 + failed]);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
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
cmd_maintain(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
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

	if (argc != 1)
		return bad_arg("maintain", argv[1]);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
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
cmd_import(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
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
		else
			return bad_arg("import", argv[i]);
	}
	if (file == NULL || email == NULL)
		return bad_usage("import", file == NULL ? "needs a FILE" :
		    "needs --user EMAIL", NULL);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
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
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
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
		else
			return bad_arg("export", argv[i]);
	}
	if (email == NULL || out == NULL)
		return bad_usage("export", email == NULL ? "needs --user EMAIL" :
		    "needs -o FILE", NULL);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
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
cmd_presign(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
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
	opterr = 0;	/* bad_arg names the option itself */
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
			return bad_arg("presign", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return bad_arg("presign", argv[optind]);
	if (method == NULL || key == NULL || *key == '\0' ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0)) {
		return bad_usage("presign", "needs --method GET|PUT and --key "
		    "KEY", NULL);
	}
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
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

/* check-config: as passiond --check-config. */
static int
cmd_check_config(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	int	 connect = argc >= 2 && strcmp(argv[1], "--connect") == 0;

	if (argc > 1 + connect)
		return bad_arg("check-config", argv[1 + connect]);
	cfg = ctl_conf(ctl);
	if (cfg == NULL)
		return ctl->rc;
	return server_check_config(cfg, connect);
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
	const struct command	*cmd;
	struct ctl		 ctl;
	int			 ch, i, rc;

	memset(&ctl, 0, sizeof(ctl));

	/* '+': stop at the command so its own options stay its own. */
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctl.path = optarg;
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
	if ((cmd = command_find(argv[optind])) == NULL) {
		fprintf(stderr, "passionctl: unknown command '%s'\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	/* COMMAND --help needs no configuration. */
	for (i = optind + 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			command_usage(cmd, stdout);
			return 0;
		}
	log_set_component("passionctl");
	rc = cmd->run(&ctl, argc - optind, argv + optind);
	if (ctl.loaded)
		conf_free(&ctl.cfg);
	return rc;
}
