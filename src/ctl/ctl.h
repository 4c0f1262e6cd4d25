/*
 * ctl.h - passionctl's rooms: what its commands share, and the commands.
 * Each command takes its arguments (argv[0] is its name), checks them,
 * and only then loads the configuration with ctl_conf; it returns the
 * exit status (0, 1 failed, 2 usage).
 */
#ifndef PASSION_CTL_H
#define PASSION_CTL_H

#include <stdint.h>

#include "conf/conf.h"

struct arena;
struct db;
struct db_limits;
struct net;
struct storage;

/* The configuration, loaded once a command's arguments are known good. */
struct ctl {
	const char	*path;		/* -c, or NULL: the default */
	struct config	 cfg;
	int		 loaded;
	int		 rc;		/* conf_load_main's, when it failed */
};

/* ctl's configuration, loaded now; NULL (ctl->rc says why) on failure. */
const struct config	*ctl_conf(struct ctl *ctl);
/*
 * A command's arguments do not fit: say why (and which one, when arg is
 * not NULL), then the command's usage. Returns 2, a usage error's status.
 */
int	 ctl_bad_usage(const char *name, const char *why, const char *arg);
/* The first argument that is no option of the command, or a bad one. */
int	 ctl_bad_arg(const char *name, const char *arg);
/* passionctl's sessions: the batch limits. */
const struct db_limits	*ctl_limits(const struct config *cfg);
/*
 * What maintain, import and export work with: the runtime role's
 * connection (with the batch limits), an arena, the store and a client
 * with the outbound timeouts; ctl_close ends them.
 */
void	 ctl_open(const struct config *cfg, struct db *db, struct arena *a,
	    struct storage *store, struct net *net);
void	 ctl_close(struct db *db, struct arena *a, struct net *net);

/* The owner role's connection (migrate_database_url), not yet opened. */
void	 ctl_owner_init(const struct config *cfg, struct db *db);
/* The backup role's (backup_database_url), not yet opened. */
void	 ctl_backup_init(const struct config *cfg, struct db *db);

/* Progress on stderr: a bar on a terminal, a line a second otherwise. */
struct ctl_bar {
	int		 tty;
	long long	 total;		/* bytes */
	int64_t		 last;
};
/* bytes of b->total done, and what else to say ("12 entities"). */
void	 ctl_bar_show(struct ctl_bar *b, long long bytes, const char *what);

/* The commands (passionctl(8)). */
int	 cmd_check_config(struct ctl *ctl, int argc, char **argv);
int	 cmd_migrate(struct ctl *ctl, int argc, char **argv);
int	 cmd_user(struct ctl *ctl, int argc, char **argv);
int	 cmd_jobs(struct ctl *ctl, int argc, char **argv);
int	 cmd_maintain(struct ctl *ctl, int argc, char **argv);
int	 cmd_import(struct ctl *ctl, int argc, char **argv);
int	 cmd_export(struct ctl *ctl, int argc, char **argv);
int	 cmd_presign(struct ctl *ctl, int argc, char **argv);
int	 cmd_status(struct ctl *ctl, int argc, char **argv);
int	 cmd_backup(struct ctl *ctl, int argc, char **argv);
int	 cmd_restore(struct ctl *ctl, int argc, char **argv);

#endif
