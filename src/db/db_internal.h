/*
 * db_internal.h - shared between the files of db/ only.
 */
#ifndef PASSION_DB_INTERNAL_H
#define PASSION_DB_INTERNAL_H

#include "db/db.h"

struct db_stmt_def {
	const char	*name;
	const char	*sql;
	int		 nparams;
};
extern const struct db_stmt_def	db_stmt_defs[DB_STMT_COUNT];

#endif
