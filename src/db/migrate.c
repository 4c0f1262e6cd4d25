/*
 * migrate.c - apply the embedded sql/ migrations in order, each in its own
 * transaction, recorded in schema_migrations. An advisory lock keeps two
 * migrators from racing; applied migrations are never re-run or edited.
 *
 * A migration that changes what a contentHash covers blanks the hashes
 * it changes (content_hash = ''); they are recomputed here, by
 * model_content_hash, the one definition of the hash (SQL could not
 * write its canonical JSON byte for byte), in the transaction of the
 * last migration applied: the schema is then the one the model
 * describes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

/* pg_advisory_lock key: "passion" in ASCII, any fixed number would do. */
#define MIGRATE_LOCK	"7061737369"

static int	run(PGconn *conn, const char *sql, char *err, size_t errlen);
static void	res_error(const PGresult *res, char *err, size_t errlen);
static int	applied(PGconn *conn, const char *version, char *when,
		    size_t whenlen, char *err, size_t errlen);

/* res's error, its first line, into err. */
static void
res_error(const PGresult *res, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", PQresultErrorMessage(res));
	err[strcspn(err, "\n")] = '\0';
}

static int
run(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult	*res;
	int		 ok;

	res = PQexec(conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok) {
		res_error(res, err, errlen);
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
		res_error(res, err, errlen);
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

#define REHASH_BATCH	"1000"

/* Recompute the blanked hashes of m's rows, in the open transaction. */
static int
rehash_one(PGconn *conn, const struct model_entity *m, char *err,
    size_t errlen)
{
	struct arena	 a;
	struct buf	 tids, hashes;
	PGresult	*res;
	const char	*p[2];
	int		 i, n, rc = -1;

	arena_init(&a, 64 * 1024);
	buf_init(&tids, 64LL * 1024 * 1024);
	buf_init(&hashes, 64LL * 1024 * 1024);
	/* The owner has no policy to write under FORCE: lifted in here. */
	if (run(conn, arena_printf(&a, "ALTER TABLE %s NO FORCE ROW LEVEL "
	    "SECURITY", m->table), err, errlen) != 0 ||
	    run(conn, arena_printf(&a, "DECLARE rehash NO SCROLL CURSOR FOR "
	    "SELECT %s, ctid FROM %s WHERE content_hash = ''",
	    db_entity_columns(&a, m), m->table), err, errlen) != 0)
		goto out;
	do {
		res = PQexec(conn, "FETCH " REHASH_BATCH " FROM rehash");
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			res_error(res, err, errlen);
			PQclear(res);
			goto out;
		}
		n = PQntuples(res);
		tids.len = hashes.len = 0;
		for (i = 0; i < n; i++) {
			struct json_object *e = db_entity_row(m, res, i);

			buf_printf(&tids, "%s\"%s\"", i ? "," : "{",
			    db_col(res, i, "ctid"));
			buf_printf(&hashes, "%s%s", i ? "," : "{",
			    model_content_hash(&a, m, e));
			json_object_put(e);
		}
		PQclear(res);
		if (n == 0)
			break;
		buf_putc(&tids, '}');
		buf_putc(&hashes, '}');
		p[0] = arena_strndup(&a, tids.data, tids.len);
		p[1] = arena_strndup(&a, hashes.data, hashes.len);
		res = PQexecParams(conn, arena_printf(&a, "UPDATE %s t SET "
		    "content_hash = h.hash FROM unnest($1::tid[], $2::text[]) "
		    "AS h(tid, hash) WHERE t.ctid = h.tid", m->table), 2, NULL,
		    p, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			res_error(res, err, errlen);
			PQclear(res);
			goto out;
		}
		PQclear(res);
		arena_reset(&a);
	} while (n > 0);
	if (run(conn, "CLOSE rehash", err, errlen) != 0 ||
	    run(conn, arena_printf(&a, "ALTER TABLE %s FORCE ROW LEVEL "
	    "SECURITY", m->table), err, errlen) != 0)
		goto out;
	rc = 0;
out:
	buf_cleanup(&tids);
	buf_cleanup(&hashes);
	arena_cleanup(&a);
	return rc;
}

/* Every entity's blanked hashes (a migration may have blanked some). */
static int
rehash(PGconn *conn, char *err, size_t errlen)
{
	size_t	 i;

	for (i = 0; model_entities[i] != NULL; i++)
		if (model_field(model_entities[i], "contentHash") != NULL &&
		    rehash_one(conn, model_entities[i], err, errlen) != 0)
			return -1;
	return 0;
}

static int
apply_one(PGconn *conn, const struct db_migration *m, int last, char *err,
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
	if (last && rehash(conn, inner, sizeof(inner)) != 0) {
		snprintf(err, errlen, "%s_%s: recomputing contentHash: %s",
		    m->version, m->name, inner);
		goto fail;
	}
	res = PQexecParams(conn, "INSERT INTO schema_migrations (version, "
	    "name) VALUES ($1, $2)", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		res_error(res, err, errlen);
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
	size_t	 i, count = 0, last = 0;
	int	 rc = -1, st, *pending;

	if ((pending = calloc(db_migrations_count + 1, sizeof(*pending))) ==
	    NULL)
		fatal("calloc: out of memory");
	if (run(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", err,
	    errlen) != 0) {
		free(pending);
		return -1;
	}
	if (ensure_table(conn, err, errlen) != 0)
		goto done;
	/* Which are pending, and the last of them (it rehashes). */
	for (i = 0; i < db_migrations_count; i++) {
		st = applied(conn, db_migrations[i].version, when, sizeof(when),
		    err, errlen);
		if (st < 0)
			goto done;
		if ((pending[i] = st == 0))
			last = i;
	}
	for (i = 0; i < db_migrations_count; i++) {
		const struct db_migration *m = &db_migrations[i];

		if (!pending[i])
			continue;
		if (apply_one(conn, m, i == last, err, errlen) != 0)
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
	free(pending);
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
