/*
 * check.c - --check-config for both programs: the configuration as it
 * will run, what keeps it from serving users, and (asked) whether the
 * database answers. It starts nothing.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "conf/conf.h"
#include "db/db.h"
#include "server/server.h"

int
server_check_config(const struct config *cfg, int connect)
{
	struct db_limits	 lim = { cfg->db_connect_timeout,
	    cfg->db_statement_timeout * 1000, cfg->db_lock_timeout * 1000,
	    "passiond-check" };
	struct db		 db;
	int			 n;

	conf_dump(cfg, STDOUT_FILENO);
	fflush(stdout);
	n = conf_warnings(cfg, stdout);
	if (connect) {
		db_init(&db, cfg->database_url, cfg->database_password, &lim);
		if (db_ping(&db) != DB_OK) {
			printf("warning: database_url: cannot connect: %s\n",
			    db.errstr);
			n++;
		}
		db_cleanup(&db);
	}
	if (n > 0) {
		printf("configuration valid, but it cannot serve users: %d "
		    "problem%s above\n", n, n == 1 ? "" : "s");
		return 1;
	}
	printf("configuration OK\n");
	return 0;
}
