/*
 * statements.c - the text of every prepared statement, by enum db_stmt.
 */
#include "config.h"

#include "db/db_internal.h"

const struct db_stmt_def db_stmt_defs[DB_STMT_COUNT] = {
	[DB_STMT_PING] = { "ping", "SELECT 1", 0 },
	[DB_STMT_SET_USER] = { "set_user",
	    "SELECT set_config('passion.user_id', $1, true)", 1 },
};
