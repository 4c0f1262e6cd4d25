/*
 * passionctl.c - the operator's tool: its command table, usage and main,
 * and what the commands share (the configuration, loaded once their
 * arguments are good; the batch limits; the connection, store and client
 * they work with). The commands are in admin.c (migrate, user, jobs),
 * maintain.c, vault.c (import, export) and presign.c. It links the same
 * library as passiond and reads the same configuration.
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
#include "ctl/ctl.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "server/server.h"
#include "storage/storage.h"
#include "util/util.h"

/* ctl's configuration, loaded now; NULL (ctl->rc says why) on failure. */
const struct config *
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
	{ "status", "status [--json]",
	    "what the running passiond says on status_listen: workers by\n"
	    "state, the listen queue, requests, database, store and jobs,\n"
	    "then each worker; --json: the JSON of GET /status?full",
	    cmd_status },
	{ "jobs", "jobs [--failed]",
	    "the newest 50 jobs (or failed ones): id, kind, state,\n"
	    "attempts, next run, last error", cmd_jobs },
	{ "maintain", "maintain",
	    "delete expired sessions, tokens and rate windows; abandon stale\n"
	    "focus sessions; make the quests schedule rules have come due;\n"
	    "sweep the object store (stale uploads, objects with no row) and\n"
	    "empty its queue; remove vault exports past vault_export_age and\n"
	    "imports left waiting past vault_import_age",
	    cmd_maintain },
	{ "import", "import FILE --user EMAIL [--passphrase-file F]",
	    "import a vault bundle (.vault or .vault.zip) into the user's\n"
	    "account, all or nothing; the passphrase is read from F or asked\n"
	    "for (PASSION_VAULT_PASSPHRASE also)", cmd_import },
	{ "export", "export --user EMAIL -o FILE [--passphrase-file F]",
	    "write everything the user owns as a vault bundle (zip) to FILE",
	    cmd_export },
	{ "backup", "backup --to DIR [--objects]",
	    "write a consistent backup into the new directory DIR: the\n"
	    "database (pg_dump -Fc of one snapshot, as the owner role) and a\n"
	    "manifest of every object key its rows name; --objects: the\n"
	    "objects' bytes too", cmd_backup },
	{ "restore", "restore --from DIR",
	    "restore a backup into an empty database (one transaction), then\n"
	    "check the store against its manifest: objects missing (put back\n"
	    "when the backup has them), objects no row names", cmd_restore },
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
int
ctl_bad_usage(const char *name, const char *why, const char *arg)
{
	if (arg != NULL)
		fprintf(stderr, "passionctl %s: %s '%s'\n", name, why, arg);
	else
		fprintf(stderr, "passionctl %s: %s\n", name, why);
	command_usage(command_find(name), stderr);
	return 2;
}

/* The first argument that is no option of the command, or a bad one. */
int
ctl_bad_arg(const char *name, const char *arg)
{
	return ctl_bad_usage(name, arg[0] == '-' ? "unknown option" :
	    "unexpected argument", arg);
}

/* passionctl's sessions: the longer batch limits. */
const struct db_limits *
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
void
ctl_open(const struct config *cfg, struct db *db, struct arena *a,
    struct storage *store, struct net *net)
{
	db_init(db, cfg->database_url, cfg->database_password,
	    ctl_limits(cfg));
	arena_init(a, 64 * 1024);
	storage_init(store, cfg);
	net_init(net, cfg->outbound_connect_timeout, cfg->outbound_timeout);
}

void
ctl_owner_init(const struct config *cfg, struct db *db)
{
	db_init(db, cfg->migrate_database_url, cfg->migrate_database_password,
	    ctl_limits(cfg));
}

void
ctl_backup_init(const struct config *cfg, struct db *db)
{
	db_init(db, cfg->backup_database_url, cfg->backup_database_password,
	    ctl_limits(cfg));
}

void
ctl_bar_show(struct ctl_bar *b, long long bytes, const char *what)
{
	int64_t	 now = time_mono_ms();
	int	 pct = b->total > 0 ? (int)(bytes * 100 / b->total) : 0;
	char	 fill[41];

	if (now - b->last < (b->tty ? 100 : 1000))
		return;
	b->last = now;
	if (!b->tty) {
		fprintf(stderr, "progress: %d%% bytes %lld of %lld, %s\n", pct,
		    bytes, b->total, what);
		return;
	}
	memset(fill, '#', (size_t)(pct * 40 / 100));
	memset(fill + pct * 40 / 100, '.', 40 - (size_t)(pct * 40 / 100));
	fill[40] = '\0';
	fprintf(stderr, "\r[%s] %3d%% %lld of %lld bytes, %s", fill, pct, bytes,
	    b->total, what);
}

void
ctl_close(struct db *db, struct arena *a, struct net *net)
{
	arena_cleanup(a);
	net_cleanup(net);
	db_cleanup(db);
}

/* check-config: as passiond --check-config. */
int
cmd_check_config(struct ctl *ctl, int argc, char **argv)
{
	const struct config	*cfg;
	int	 connect = argc >= 2 && strcmp(argv[1], "--connect") == 0;

	if (argc > 1 + connect)
		return ctl_bad_arg("check-config", argv[1 + connect]);
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
