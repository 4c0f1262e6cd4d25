/*
 * main.c - passiond: parse argv, load the config, hand off to the master.
 * Secrets never come from argv; see conf/conf.h.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf/conf.h"
#include "server/server.h"
#include "util/util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: passiond [-c PATH] [--check-config [--connect]] [--help]\n"
	    "                [--version]\n"
	    "\n"
	    "  -c, --config PATH   configuration file (default %s)\n"
	    "      --check-config  load and validate the configuration, print\n"
	    "                      it (secrets hidden) and what keeps it from\n"
	    "                      serving users, and exit: 0 ready, 1 not\n"
	    "                      (or the file cannot be read), 2 invalid\n"
	    "      --connect       with --check-config: also connect to\n"
	    "                      database_url\n"
	    "  -h, --help          this text\n"
	    "  -V, --version       print the version and exit\n"
	    "\n"
	    "Every key can be overridden by PASSIOND_<KEY> in the environment;\n"
	    "secrets are read from $CREDENTIALS_DIRECTORY/<key> or\n"
	    "<key>_file = PATH. Signals: TERM/INT drain and stop, HUP reloads,\n"
	    "USR1 reopens the log file. See passiond(8), passiond.conf(5).\n",
	    CONF_DEFAULT_PATH);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "connect", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct config	 cfg;
	const char	*path = NULL;
	int		 ch, check = 0, connect = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'P':
			connect = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("passiond %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "passiond: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	if (connect && !check) {
		fprintf(stderr, "passiond: --connect goes with --check-config\n");
		usage(stderr);
		return 2;
	}
	if ((rc = conf_load_main(&cfg, "passiond", path)) != 0) {
		conf_free(&cfg);
		return rc;
	}
	if (check) {
		rc = server_check_config(&cfg, connect);
		conf_free(&cfg);
		return rc;
	}
	log_set_level((enum log_level)log_level_parse(cfg.log_level));
	if (log_open(cfg.log_file) != 0) {
		fprintf(stderr, "passiond: cannot open log_file %s\n",
		    cfg.log_file);
		conf_free(&cfg);
		return 1;
	}
	rc = server_run(path ? path : CONF_DEFAULT_PATH,
	    conf_credentials_dir(path), &cfg);
	conf_free(&cfg);
	return rc;
}
