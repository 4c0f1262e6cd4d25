/*
 * backup.c - what passionctl backup and restore ask of the database, as
 * the backup role: a snapshot exported for pg_dump (--snapshot), so that
 * the dump and the manifest of object keys read the very same rows; the
 * object keys the rows name; whether the role reads every row (row-level
 * security is forced on the users' tables); whether a database is empty.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/admin.h"
#include "db/db_internal.h"
#include "util/util.h"

enum db_status
db_backup_begin(struct db *db, struct arena *a, const char **snapshot)
{
	PGresult	*r;
	enum db_status	 st;

	*snapshot = NULL;
	st = db_tx_begin_snapshot(db, NULL);
	if (st != DB_OK)
		return st;
	st = db_sql(db, a, "backup_snapshot", "SELECT pg_export_snapshot() AS "
	    "id", 0, NULL, 1, &r);
	if (st == DB_OK)
		*snapshot = db_col(r, 0, "id");
	else
		db_tx_rollback(db);
	return st;
}

enum db_status
db_backup_can_read_all(struct db *db, struct arena *a, int *yes)
{
	PGresult	*r;
	enum db_status	 st;

	*yes = 0;
	st = db_sql(db, a, "backup_role", "SELECT (rolsuper OR rolbypassrls) "
	    "AS yes FROM pg_roles WHERE rolname = current_user", 0, NULL, 1,
	    &r);
	if (st == DB_OK && PQntuples(r) == 1)
		*yes = db_col_true(r, 0, "yes");
	return st;
}

/*
 * Every object a row names, once: blobs (a key several rows share is
 * one object, 0018), import bundles and exports. expected: the row says
 * the bytes are in the store (a ready blob, a bundle uploaded, an
 * export done), not only that they may come.
 */
enum db_status
db_backup_objects(struct db *db, struct arena *a, db_object_fn fn, void *ud)
{
	struct db_object	 o;
	PGresult		*r;
	enum db_status		 st;
	int			 i;

	st = db_sql(db, a, "backup_objects", "SELECT key, size, sha256, "
	    "source, expected FROM ("
	    "SELECT object_key AS key, max(size_bytes) AS size, max(sha256) AS "
	    "sha256, 'blob' AS source, bool_or(state = 'ready') AS expected "
	    "FROM blobs GROUP BY object_key "
	    "UNION ALL SELECT object_key, size_bytes, NULL, 'import', "
	    "state <> 'uploading' FROM vault_imports "
	    "UNION ALL SELECT object_key, coalesce(size_bytes, 0), NULL, "
	    "'export', state = 'done' FROM vault_exports) o ORDER BY key", 0,
	    NULL, 1, &r);
	for (i = 0; st == DB_OK && i < PQntuples(r); i++) {
		o.key = db_col(r, i, "key");
		o.size = atoll(db_col(r, i, "size"));
		o.sha256 = db_col_null(r, i, "sha256");
		o.source = db_col(r, i, "source");
		o.expected = db_col_true(r, i, "expected");
		fn(ud, &o);
	}
	return st;
}

enum db_status
db_restore_tables(struct db *db, struct arena *a, long *tables)
{
	PGresult	*r;
	enum db_status	 st;

	*tables = -1;
	st = db_sql(db, a, "restore_tables", "SELECT count(*) AS n FROM "
	    "pg_tables WHERE schemaname = 'public'", 0, NULL, 1, &r);
	if (st == DB_OK)
		*tables = atol(db_col(r, 0, "n"));
	return st;
}
