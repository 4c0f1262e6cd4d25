/*
 * passionctl.c - the operator's tool: check-config and migrate. It links
 * the same library as passiond and reads the same configuration.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "db/db.h"
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
	    "\n"
	    "  -c, --config PATH   configuration file (default %s)\n"
	    "  -h, --help          this text\n"
	    "  -V, --version       print the version\n",
	    CONF_DEFAULT_PATH);
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
	    cfg->migrate_database_password, "passionctl", err, sizeof(err));
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
