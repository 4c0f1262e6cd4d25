/*
 * vault.c - what a vault import writes in bulk: a batch of rows of one
 * entity in one statement (jsonb_populate_recordset: the rows as one
 * JSON parameter, keyed by column), each row written once, with the
 * contentHash the import computed from the row as it will be stored
 * (vault/import_write.c, model_as_stored). A batch is sent without
 * waiting for it: the next one is made while the server writes it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

enum db_status
db_vault_insert(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, const char *columns, const char *rows)
{
	struct db_stmt_def	 d;
	struct buf		 sel;
	const char		*p[2] = { user_id, rows }, *c;
	enum db_status		 st;

	/* The batch before, which the server wrote while this was made. */
	if ((st = db_query_wait(db, NULL, NULL)) != DB_OK)
		return st;
	/* "r.col, r.col…" of the columns named. */
	buf_init(&sel, 64 * 1024);
	for (c = columns; *c != '\0'; ) {
		size_t len = strcspn(c, ",");

		buf_printf(&sel, "%sr.%.*s", sel.len ? ", " : "", (int)len, c);
		c += len;
		c += strspn(c, ", ");
	}
	d.name = arena_printf(a, "vault_%s", m->table);
	d.sql = arena_printf(a, "INSERT INTO %s (user_id, %s) SELECT $1, %s "
	    "FROM jsonb_populate_recordset(NULL::%s, $2::jsonb) r", m->table,
	    columns, sel.data, m->table);
	d.nparams = 2;
	d.read_only = 0;
	buf_cleanup(&sel);
	return db_query_send(db, &d, p);
}

enum db_status
db_vault_insert_wait(struct db *db)
{
	return db_query_wait(db, NULL, NULL);
}

enum db_status
db_vault_has(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, int *has)
{
	const char	*p[1] = { user_id };
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, arena_printf(a, "vault_has_%s", m->table),
	    arena_printf(a, "SELECT 1 FROM %s WHERE user_id = $1 LIMIT 1",
	    m->table), 1, p, 1, &r);
	*has = st == DB_OK && PQntuples(r) > 0;
	return st;
}

enum db_status
db_vault_ids(struct db *db, struct arena *a, const struct model_entity *m,
    const char *ids, void (*fn)(void *, const char *, int), void *ud)
{
	const char	*p[1] = { ids };
	PGresult	*r;
	enum db_status	 st;
	int		 i;

	/* Found by the id alone, as the owner (sql/0022). */
	st = db_sql(db, a, arena_printf(a, "vault_held_%s", m->table),
	    arena_printf(a, "SELECT h.id, h.mine FROM vault_ids_held('%s', "
	    "$1::%s[]) h", m->table, model_field(m, "id")->type == MT_UUID ?
	    "uuid" : "text"), 1, p, 1, &r);
	for (i = 0; st == DB_OK && i < PQntuples(r); i++)
		fn(ud, db_col(r, i, "id"), db_col_true(r, i, "mine"));
	return st;
}

enum db_status
db_vault_begin(struct db *db, struct arena *a, const char *user_id)
{
	enum db_status	 st;

	if ((st = db_tx_begin(db, user_id)) != DB_OK)
		return st;
	/*
	 * Its statements find rows by key. The tables' statistics may say
	 * they are nearly empty (an import rolled back, then analyzed), and a
	 * scan of every row per batch would make an import quadratic.
	 */
	if ((st = db_sql(db, a, "vault_deferred", "SET CONSTRAINTS ALL "
	    "DEFERRED", 0, NULL, 0, NULL)) != DB_OK)
		return st;
	return db_sql(db, a, "vault_by_key", "SET LOCAL enable_seqscan = off",
	    0, NULL, 0, NULL);
}

enum db_status
db_vault_blobs(struct db *db, struct arena *a, const char *user_id,
    const char *rows)
{
	const char	*p[2] = { user_id, rows };

	return db_sql(db, a, "vault_blobs", "INSERT INTO blobs (id, user_id, "
	    "kind, name, object_key, mime_type, size_bytes, sha256, state, "
	    "created_at, ready_at) SELECT b.id, $1, b.kind, b.name, "
	    "b.object_key, b.mime_type, b.size_bytes, b.sha256, 'ready', "
	    "coalesce(b.created_at, now()), now() FROM "
	    "jsonb_populate_recordset(NULL::blobs, $2::jsonb) b", 2, p, 0,
	    NULL);
}

enum db_status
db_vault_import_done(struct db *db, struct arena *a, const char *id,
    const char *result, long long entities)
{
	const char	*p[3] = { id, result, db_num(a, entities) };

	return db_sql(db, a, "vault_import_done", "UPDATE vault_imports SET "
	    "state = 'done', result = $2::jsonb, entities_done = $3::bigint, "
	    "bytes_done = size_bytes, error_code = NULL, error = NULL, "
	    "finished_at = now() WHERE id = $1", 3, p, 0, NULL);
}

enum db_status
db_vault_forget_objects(struct db *db, struct arena *a, const char *keys)
{
	const char	*p[1] = { keys };

	return db_sql(db, a, "vault_orphans", "INSERT INTO blob_deletions "
	    "(object_key) SELECT jsonb_array_elements_text($1::jsonb) "
	    "ON CONFLICT DO NOTHING", 1, p, 0, NULL);
}

enum db_status
db_vault_import_create(struct db *db, struct arena *a, const char *user_id,
    const char *id, const char *name, long long size, const char *key,
    const char *state, long long quota, int *over)
{
	const char	*p[7] = { id, user_id, name, db_num(a, size), key,
	    state, db_num(a, quota) };
	PGresult	*r;
	enum db_status	 st;

	*over = 0;
	if (quota > 0 && (st = db_quota_lock(db, a, user_id)) != DB_OK)
		return st;
	st = db_sql(db, a, "vault_import_create", "INSERT INTO vault_imports "
	    "(id, user_id, name, size_bytes, object_key, state, started_at) "
	    "SELECT $1, $2, $3, $4::bigint, $5, $6, CASE WHEN $6 = 'running' "
	    "THEN now() END WHERE $7::bigint = 0 OR storage_used($2) + "
	    "$4::bigint <= $7::bigint RETURNING id", 7, p, 0, &r);
	if (st == DB_OK && PQntuples(r) == 0)
		*over = 1;
	return st;
}




enum db_status
db_vault_import_start(struct db *db, struct arena *a, const char *user_id,
    const char *id, const char *payload, long max_attempts)
{
	const char	*p[4] = { user_id, id, payload, db_num(a, max_attempts) };

	/* Started again after a failure: its last verdict is forgotten. */
	return db_sql(db, a, "vault_import_start", "WITH j AS (INSERT INTO "
	    "jobs (kind, user_id, payload, max_attempts) VALUES "
	    "('vault_import', $1, $3::jsonb, $4::integer) RETURNING id) "
	    "UPDATE vault_imports SET state = 'queued', job_id = (SELECT id "
	    "FROM j), bytes_done = 0, entities_done = 0, result = NULL, "
	    "error_code = NULL, error = NULL, started_at = NULL, "
	    "finished_at = NULL WHERE user_id = $1 AND id = $2", 4, p, 0,
	    NULL);
}

enum db_status
db_vault_passphrase_misses(struct db *db, struct arena *a,
    const char *user_id, long window, long *n, long *retry)
{
	const char	*p[2] = { user_id, db_num(a, window) };
	PGresult	*r;
	enum db_status	 st;

	*n = *retry = 0;
	st = db_sql(db, a, "vault_passphrase_misses", "SELECT count(*) AS n, "
	    "coalesce(ceil(extract(epoch FROM min(at) + make_interval(secs => "
	    "$2::bigint) - now())), 0)::bigint AS retry FROM "
	    "vault_passphrase_misses WHERE user_id = $1 AND at > now() - "
	    "make_interval(secs => $2::bigint)", 2, p, 1, &r);
	if (st == DB_OK) {
		*n = atol(db_col(r, 0, "n"));
		*retry = atol(db_col(r, 0, "retry"));
	}
	return st;
}

enum db_status
db_vault_import_progress(struct db *db, struct arena *a, const char *id,
    long long bytes, long long entities)
{
	const char	*p[3] = { id, db_num(a, bytes), db_num(a, entities) };

	return db_sql(db, a, "vault_import_progress", "UPDATE vault_imports "
	    "SET bytes_done = $2::bigint, entities_done = $3::bigint WHERE "
	    "id = $1 AND state = 'running'", 3, p, 0, NULL);
}

enum db_status
db_vault_import_failed(struct db *db, struct arena *a, const char *id,
    const char *code, const char *error, const char *result)
{
	const char	*p[5] = { id, code, error, result,
	    db_num(a, VAULT_MISS_KEEP) };

	/* A wrong passphrase is counted (misses past their hour go). */
	return db_sql(db, a, "vault_import_failed", "WITH i AS (UPDATE "
	    "vault_imports SET state = 'failed', error_code = $2, error = "
	    "left($3, 1000), result = $4::jsonb, finished_at = now() WHERE "
	    "id = $1 RETURNING user_id), old AS (DELETE FROM "
	    "vault_passphrase_misses WHERE user_id = (SELECT user_id FROM i) "
	    "AND at < now() - make_interval(secs => $5::bigint)) INSERT INTO "
	    "vault_passphrase_misses (user_id) SELECT user_id FROM i WHERE "
	    "$2 = 'bad_passphrase'", 5, p, 0, NULL);
}

enum db_status
db_vault_import_delete(struct db *db, struct arena *a, const char *user_id,
    const char *id)
{
	const char	*p[2] = { user_id, id };

	return db_sql(db, a, "vault_import_delete", "DELETE FROM vault_imports "
	    "WHERE user_id = $1 AND id = $2", 2, p, 0, NULL);
}

enum db_status
db_vault_each(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, void (*fn)(void *, const struct db_row *), void *ud)
{
	const char	*p[1] = { user_id };
	struct db_row	 row;
	const char	**v;
	PGresult	*r;
	enum db_status	 st;
	int		 i;

	st = db_sql(db, a, arena_printf(a, "vault_rows_%s", m->table),
	    arena_printf(a, "SELECT %s FROM %s WHERE user_id = $1 ORDER BY %s",
	    db_entity_columns(a, m), m->table, model_field(m, "id") ? "id" :
	    "user_id"), 1, p, 1, &r);
	/* One row's values at a time: the result holds the texts. */
	v = arena_calloc(a, sizeof(*v) * (m->nfields + 1));
	for (i = 0; st == DB_OK && i < PQntuples(r); i++) {
		db_row_at(m, r, i, v, &row);
		fn(ud, &row);
	}
	return st;
}

enum db_status
db_vault_blob_list(struct db *db, struct arena *a, const char *user_id,
    struct db_blob **out, int *n)
{
	const char	*p[1] = { user_id };
	PGresult	*r;
	enum db_status	 st;
	int		 i;

	*out = NULL;
	*n = 0;
	st = db_sql(db, a, "vault_blob_list", arena_printf(a, "SELECT %s FROM "
	    "blobs WHERE user_id = $1 AND state = 'ready' ORDER BY "
	    "created_at, id", db_entity_columns(a, &model_blobs)), 1, p, 1,
	    &r);
	if (st != DB_OK)
		return st;
	*n = PQntuples(r);
	*out = arena_calloc(a, sizeof(**out) * (size_t)(*n + 1));
	for (i = 0; i < *n; i++)
		db_blob_from_row(a, r, i, &(*out)[i]);
	return DB_OK;
}

enum db_status
db_vault_export_create(struct db *db, struct arena *a, const char *user_id,
    const char *id, const char *key, const char *payload, long max_attempts)
{
	const char	*p[5] = { user_id, id, key, payload,
	    db_num(a, max_attempts) };

	return db_sql(db, a, "vault_export_create", "WITH j AS (INSERT INTO "
	    "jobs (kind, user_id, payload, max_attempts) VALUES "
	    "('vault_export', $1, $4::jsonb, $5::integer) RETURNING id) "
	    "INSERT INTO vault_exports (id, user_id, object_key, job_id) "
	    "SELECT $2, $1, $3, id FROM j", 5, p, 0, NULL);
}




enum db_status
db_vault_export_upload(struct db *db, struct arena *a, const char *id,
    const char *upload_id)
{
	const char	*p[2] = { id, upload_id };

	return db_sql(db, a, "vault_export_upload", "UPDATE vault_exports SET "
	    "upload_id = $2 WHERE id = $1", 2, p, 0, NULL);
}

enum db_status
db_vault_export_progress(struct db *db, struct arena *a, const char *id,
    long long bytes, long long entities)
{
	const char	*p[3] = { id, db_num(a, bytes), db_num(a, entities) };

	return db_sql(db, a, "vault_export_progress", "UPDATE vault_exports "
	    "SET bytes_done = $2::bigint, entities_done = $3::bigint WHERE "
	    "id = $1 AND state = 'running'", 3, p, 0, NULL);
}

enum db_status
db_vault_export_done(struct db *db, struct arena *a, const char *id,
    long long size, long long entities, const char *result)
{
	const char	*p[4] = { id, db_num(a, size), result,
	    db_num(a, entities) };

	return db_sql(db, a, "vault_export_done", "UPDATE vault_exports SET "
	    "state = 'done', size_bytes = $2::bigint, bytes_done = $2::bigint, "
	    "entities_done = $4::bigint, result = $3::jsonb, upload_id = NULL, "
	    "error_code = NULL, error = NULL, finished_at = now() WHERE id = $1",
	    4, p, 0, NULL);
}

enum db_status
db_vault_export_failed(struct db *db, struct arena *a, const char *id,
    const char *code, const char *error)
{
	const char	*p[3] = { id, code, error };

	return db_sql(db, a, "vault_export_failed", "UPDATE vault_exports SET "
	    "state = 'failed', error_code = $2, error = left($3, 1000), "
	    "finished_at = now() WHERE id = $1", 3, p, 0, NULL);
}

enum db_status
db_vault_export_delete(struct db *db, struct arena *a, const char *user_id,
    const char *id)
{
	const char	*p[2] = { user_id, id };

	return db_sql(db, a, "vault_export_delete", "DELETE FROM vault_exports "
	    "WHERE user_id = $1 AND id = $2", 2, p, 0, NULL);
}

/* Delete the user's rows of table in states older than age: *n. */
static enum db_status
expire(struct db *db, struct arena *a, const char *table, const char *states,
    const char *user_id, long age, long *n)
{
	const char	*p[2] = { user_id, db_num(a, age) };
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, arena_printf(a, "%s_expire", table), arena_printf(a,
	    "DELETE FROM %s WHERE user_id = $1 AND created_at < now() - "
	    "make_interval(secs => $2::bigint) AND state IN (%s) RETURNING id",
	    table, states), 2, p, 0, &r);
	*n = st == DB_OK ? PQntuples(r) : 0;
	return st;
}

enum db_status
db_vault_imports_expire(struct db *db, struct arena *a, const char *user_id,
    long age, long *n)
{
	/* Not done and not at work: a bundle waiting for a start. */
	return expire(db, a, "vault_imports", "'uploading', 'failed'", user_id,
	    age, n);
}

enum db_status
db_vault_exports_expire(struct db *db, struct arena *a, const char *user_id,
    long age, long *n)
{
	return expire(db, a, "vault_exports", "'done', 'failed'", user_id, age,
	    n);
}

/* --- the rows of imports and exports ----------------------------------- */

/* The user's row id of m (locked with lock) into out: DB_NOTFOUND. */
static enum db_status
job_get(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, const char *id, int lock, struct db_vault_job *out)
{
	const char	*p[2] = { user_id, id };
	PGresult	*r;
	enum db_status	 st;

	memset(out, 0, sizeof(*out));
	st = db_sql(db, a, arena_printf(a, "%s_%s", m->table, lock ? "lock" :
	    "get"), arena_printf(a, "SELECT %s FROM %s WHERE user_id = $1 AND "
	    "id = $2%s", db_entity_columns(a, m), m->table, lock ?
	    " FOR UPDATE" : ""), 2, p, !lock, &r);
	if (st == DB_OK && PQntuples(r) == 0)
		return DB_NOTFOUND;
	if (st != DB_OK)
		return st;
	db_row_read(a, m, r, 0, &out->row);
	out->state = db_row_text(&out->row, "state");
	out->size = db_row_int(&out->row, "sizeBytes");
	out->object_key = db_row_text(&out->row, "objectKey");
	out->upload_id = m == &model_vault_exports ?
	    db_row_text(&out->row, "uploadId") : NULL;
	return DB_OK;
}

/* The user's newest 100 rows of m, as the API shows them. */
static enum db_status
job_list(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, struct json_object **out)
{
	const char	*p[1] = { user_id };
	PGresult	*r;
	enum db_status	 st;
	int		 i;

	*out = NULL;
	st = db_sql(db, a, arena_printf(a, "%s_list", m->table), arena_printf(a,
	    "SELECT %s FROM %s WHERE user_id = $1 ORDER BY %s DESC, id DESC "
	    "LIMIT 100", db_entity_columns(a, m), m->table, m->order), 1, p, 1,
	    &r);
	if (st != DB_OK)
		return st;
	*out = json_object_new_array();
	for (i = 0; i < PQntuples(r); i++)
		json_object_array_add(*out, db_entity_row(m, r, i));
	return DB_OK;
}

enum db_status
db_vault_import_get(struct db *db, struct arena *a, const char *user_id,
    const char *id, int lock, struct db_vault_job *out)
{
	return job_get(db, a, &model_vault_imports, user_id, id, lock, out);
}

enum db_status
db_vault_import_list(struct db *db, struct arena *a, const char *user_id,
    struct json_object **out)
{
	return job_list(db, a, &model_vault_imports, user_id, out);
}

enum db_status
db_vault_export_get(struct db *db, struct arena *a, const char *user_id,
    const char *id, int lock, struct db_vault_job *out)
{
	return job_get(db, a, &model_vault_exports, user_id, id, lock, out);
}

enum db_status
db_vault_export_list(struct db *db, struct arena *a, const char *user_id,
    struct json_object **out)
{
	return job_list(db, a, &model_vault_exports, user_id, out);
}
