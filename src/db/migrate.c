/*
 * migrate.c - apply the embedded sql/ migrations in order, each in its own
 * transaction, recorded in schema_migrations. An advisory lock keeps two
 * migrators from racing; applied migrations are never re-run or edited.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

/* pg_advisory_lock key: "passion" in ASCII, any fixed number would do. */
#define MIGRATE_LOCK	"7061737369"

static int	run(PGconn *conn, const char *sql, char *err, size_t errlen);
static int	applied(PGconn *conn, const char *version, char *when,
		    size_t whenlen, char *err, size_t errlen);

static int
run(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult	*res;
	int		 ok;

	res = PQexec(conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		err[strcspn(err, "\n")] = '\0';
	}
	PQclear(res);
	return ok ? 0 : -1;
}

static int
ensure_table(PGconn *conn, char *err, size_t errlen)
{
	return run(conn, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version text PRIMARY KEY,"
	    " name text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())", err, errlen);
}

/* 1 applied (when filled), 0 pending, -1 error. */
static int
applied(PGconn *conn, const char *version, char *when, size_t whenlen,
    char *err, size_t errlen)
{
	const char	*params[1] = { version };
	PGresult	*res;
	int		 rc;

	res = PQexecParams(conn, "SELECT to_char(applied_at AT TIME ZONE "
	    "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS applied FROM "
	    "schema_migrations WHERE version = $1", 1, NULL, params, NULL,
	    NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		err[strcspn(err, "\n")] = '\0';
		rc = -1;
	} else if (PQntuples(res) == 0) {
		rc = 0;
	} else {
		snprintf(when, whenlen, "%s", db_col(res, 0, "applied"));
		rc = 1;
	}
	PQclear(res);
	return rc;
}

static int
apply_one(PGconn *conn, const struct db_migration *m, char *err,
    size_t errlen)
{
	const char	*params[2] = { m->version, m->name };
	PGresult	*res;
	char		 inner[400];

	if (run(conn, "BEGIN", err, errlen) != 0)
		return -1;
	if (run(conn, m->sql, inner, sizeof(inner)) != 0) {
		snprintf(err, errlen, "%s_%s: %s", m->version, m->name, inner);
		goto fail;
	}
	res = PQexecParams(conn, "INSERT INTO schema_migrations (version, "
	    "name) VALUES ($1, $2)", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		err[strcspn(err, "\n")] = '\0';
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (run(conn, "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	run(conn, "ROLLBACK", inner, sizeof(inner));
	return -1;
}

int
db_migrate(PGconn *conn, FILE *out, char *err, size_t errlen)
{
	char	 when[64], inner[256];
	size_t	 i, count = 0;
	int	 rc = -1, st;

	if (run(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", err,
	    errlen) != 0)
		return -1;
	if (ensure_table(conn, err, errlen) != 0)
		goto done;
	for (i = 0; i < db_migrations_count; i++) {
		const struct db_migration *m = &db_migrations[i];

		st = applied(conn, m->version, when, sizeof(when), err, errlen);
		if (st < 0)
			goto done;
		if (st == 1)
			continue;
		if (apply_one(conn, m, err, errlen) != 0)
			goto done;
		fprintf(out, "applied %s_%s\n", m->version, m->name);
		count++;
	}
	if (count == 0)
		fprintf(out, "database is up to date (%zu migrations)\n",
		    db_migrations_count);
	rc = 0;
done:
	run(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")", inner,
	    sizeof(inner));
	return rc;
}

int
db_migrate_status(PGconn *conn, FILE *out, char *err, size_t errlen)
{
	char	 when[64];
	size_t	 i;
	int	 st;

	if (ensure_table(conn, err, errlen) != 0)
		return -1;
	for (i = 0; i < db_migrations_count; i++) {
		const struct db_migration *m = &db_migrations[i];

		st = applied(conn, m->version, when, sizeof(when), err, errlen);
		if (st < 0)
			return -1;
		fprintf(out, "%s_%s\t%s%s\n", m->version, m->name,
		    st ? "applied " : "pending", st ? when : "");
	}
	return 0;
}
