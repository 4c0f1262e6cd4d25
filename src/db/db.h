/*
 * db.h - PostgreSQL for a worker: one lazily opened libpq connection,
 * named prepared statements, the per-request transaction that carries
 * passion.user_id for row-level security, and the migrations.
 */
#ifndef PASSION_DB_H
#define PASSION_DB_H

#include <stdio.h>

#include <libpq-fe.h>

#include "util/util.h"

enum db_status {
	DB_OK = 0,
	DB_NOTFOUND,		/* no row */
	DB_CONFLICT,		/* unique or foreign-key violation */
	DB_DENIED,		/* privilege or row-level security refused it */
	DB_UNAVAILABLE,		/* cannot reach the server: answer 503 */
	DB_ERROR		/* anything else: a bug or bad data */
};

/* Every prepared statement has a slot here and a row in statements.c. */
enum db_stmt {
	DB_STMT_PING,
	DB_STMT_SET_USER,
	DB_STMT_COUNT
};

struct db {
	PGconn		*conn;
	char		*conninfo;
	char		*password;
	unsigned char	 prepared[DB_STMT_COUNT];
	int		 in_tx;
	char		 errstr[256];	/* last failure, for the log */
};

/* Remember how to connect; connects nothing yet. */
void		 db_init(struct db *db, const char *conninfo,
		    const char *password);
/* Close the connection and forget the secrets. */
void		 db_cleanup(struct db *db);
/* Open the connection if it is not open (or broken); DB_UNAVAILABLE if not. */
enum db_status	 db_connect(struct db *db);
/* Drop the connection (it is reopened by the next db_connect). */
void		 db_disconnect(struct db *db);
/* Round trip to the server, reconnecting once if the link went stale. */
enum db_status	 db_ping(struct db *db);
/*
 * BEGIN and set passion.user_id (transaction-local) to user_id, or to ""
 * when user_id is NULL, which row-level security reads as no user.
 */
enum db_status	 db_tx_begin(struct db *db, const char *user_id);
/* COMMIT the open transaction. */
enum db_status	 db_tx_commit(struct db *db);
/* ROLLBACK if a transaction is open; safe to call at any time. */
void		 db_tx_rollback(struct db *db);
/*
 * Run prepared statement stmt with params (text format). The result, when
 * out is not NULL, is registered on arena a and freed with it.
 */
enum db_status	 db_exec(struct db *db, struct arena *a, enum db_stmt stmt,
		    const char *const *params, PGresult **out);
/* Classify a finished result (NULL counts as unavailable). */
enum db_status	 db_result_status(struct db *db, const PGresult *res);

/* One embedded sql/NNNN_name.sql file. */
struct db_migration {
	const char	*version;
	const char	*name;
	const char	*sql;
};
extern const struct db_migration	db_migrations[];
extern const size_t			db_migrations_count;

/*
 * Apply pending migrations on conn (the owner role), each in its own
 * transaction, recorded in schema_migrations, under an advisory lock.
 * Progress goes to out. 0 or -1 with err set.
 */
int		 db_migrate(PGconn *conn, FILE *out, char *err, size_t errlen);
/* Print every migration with "applied <time>" or "pending". */
int		 db_migrate_status(PGconn *conn, FILE *out, char *err,
		    size_t errlen);
/* Connect with conninfo and an optional password; NULL with err set. */
PGconn		*db_open(const char *conninfo, const char *password,
		    const char *app_name, char *err, size_t errlen);

#endif
