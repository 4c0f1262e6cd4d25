/*
 * blobs.c - the rows of the objects in the store: made pending with
 * the upload's URL, made ready once the object is there, counted
 * against a quota, and dropped (their objects queued for deletion in
 * the same transaction when something else takes them along).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

#define M	(&model_blobs)

void
db_blob_from_row(struct arena *a, PGresult *r, int row, struct db_blob *b)
{
	struct db_row	*w = &b->row;
	char		 iso[32];

	memset(b, 0, sizeof(*b));
	db_row_read(a, M, r, row, w);
	b->id = db_row_text(w, "id");
	b->kind = db_row_text(w, "kind");
	b->name = db_row_text(w, "name");
	b->mime_type = db_row_text(w, "mimeType");
	b->size = db_row_int(w, "sizeBytes");
	b->sha256 = db_row_text(w, "sha256");
	b->state = db_row_text(w, "state");
	b->object_key = db_row_text(w, "objectKey");
	b->upload_id = db_row_text(w, "uploadId");
	b->part_size = db_row_int(w, "partSize");
	b->created_at = arena_strdup(a, db_time_iso(iso,
	    db_row_text(w, "createdAt"), 3));
}

const char *
db_blob_used_sql(struct arena *a, const char *alias)
{
	const char	*s = "";
	size_t		 k, i;

	for (k = 0; model_entities[k] != NULL; k++)
		for (i = 0; i < model_entities[k]->nfields; i++)
			if (model_entities[k]->fields[i].ref == M)
				s = arena_printf(a, "%s%sEXISTS (SELECT 1 FROM "
				    "%s u WHERE u.%s = %s.id)", s, *s ? " OR " :
				    "", model_entities[k]->table,
				    model_entities[k]->fields[i].column, alias);
	return *s ? arena_printf(a, "(%s)", s) : "false";
}

/*
 * Run sql (M's columns first) and take its one row into b: DB_OK, or
 * DB_NOTFOUND; *r the result (NULL: not wanted).
 */
static enum db_status
blob_one(struct db *db, struct arena *a, const char *name, const char *sql,
    int read_only, const char *const *p, struct db_blob *b, PGresult **r)
{
	PGresult	*res;
	enum db_status	 st;

	st = db_sql(db, a, name, sql, 2, p, read_only, &res);
	if (st == DB_OK && PQntuples(res) == 0)
		st = DB_NOTFOUND;
	if (st != DB_OK)
		return st;
	db_blob_from_row(a, res, 0, b);
	if (r != NULL)
		*r = res;
	return DB_OK;
}

/* Run a write of n parameters: DB_NOTFOUND when it changed no row. */
static enum db_status
write_one(struct db *db, struct arena *a, const char *name, const char *sql,
    int n, const char *const *p)
{
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, name, sql, n, p, 0, &r);
	if (st == DB_OK && atol(PQcmdTuples(r)) == 0)
		st = DB_NOTFOUND;
	return st;
}

/* Run a write of n parameters; *count the rows it changed. */
static enum db_status
write_count(struct db *db, struct arena *a, const char *name,
    const char *sql, int n, const char *const *p, long *count)
{
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, name, sql, n, p, 0, &r);
	*count = st == DB_OK ? atol(PQcmdTuples(r)) : 0;
	return st;
}

enum db_status
db_storage_used(struct db *db, struct arena *a, const char *user_id,
    const char *import_id, long long *used)
{
	const char	*p[2] = { user_id, import_id };
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, "storage_used", "SELECT storage_used($1) - "
	    "coalesce((SELECT size_bytes FROM vault_imports WHERE user_id = $1 "
	    "AND id = $2::uuid AND vault_bundle_kept(state, error_code)), 0) "
	    "AS used", 2, p, 1, &r);
	if (st == DB_OK)
		*used = strtoll(db_col(r, 0, "used"), NULL, 10);
	return st;
}

/*
 * One write within the quota at a time per user (a blob, an import's
 * bundle), so that two cannot both fit in what is left (each statement
 * then sees the other's row: READ COMMITTED takes a snapshot per
 * statement).
 */
enum db_status
db_quota_lock(struct db *db, struct arena *a, const char *user_id)
{
	const char	*p[1] = { user_id };

	return db_sql(db, a, "blob_quota_lock", "SELECT "
	    "pg_advisory_xact_lock(hashtextextended('blobs:' || $1, 0))", 1,
	    p, 0, NULL);
}

enum db_status
db_blob_create(struct db *db, struct arena *a, const char *user_id,
    struct db_blob *b, long long quota, int *over)
{
	const char	*p[11];
	PGresult	*r;
	enum db_status	 st;

	*over = 0;
	p[0] = user_id;
	if (quota > 0 && (st = db_quota_lock(db, a, user_id)) != DB_OK)
		return st;
	p[1] = b->id;
	p[2] = b->kind;
	p[3] = b->object_key;
	p[4] = b->mime_type;
	p[5] = db_num(a, b->size);
	p[6] = b->sha256;
	p[7] = b->name;
	p[8] = b->upload_id;
	p[9] = b->part_size > 0 ? db_num(a, b->part_size) : NULL;
	p[10] = db_num(a, quota);
	st = db_sql(db, a, "blob_create", arena_printf(a, "INSERT INTO blobs "
	    "(id, user_id, kind, object_key, mime_type, size_bytes, sha256, "
	    "name, upload_id, part_size) SELECT $2, $1, $3, $4, $5, $6, $7, "
	    "$8, $9, $10 WHERE $11::bigint = 0 OR storage_used($1) + "
	    "$6::bigint <= $11::bigint RETURNING %s", db_entity_columns(a, M)),
	    11, p, 0,
	    &r);
	if (st != DB_OK)
		return st;
	if (PQntuples(r) == 0) {
		*over = 1;
		return DB_OK;
	}
	db_blob_from_row(a, r, 0, b);
	return DB_OK;
}

enum db_status
db_blob_get(struct db *db, struct arena *a, const char *user_id,
    const char *id, struct db_blob *b)
{
	const char	*p[2] = { user_id, id };

	return blob_one(db, a, "blob_get", arena_printf(a, "SELECT %s FROM "
	    "blobs WHERE user_id = $1 AND id = $2", db_entity_columns(a, M)),
	    1, p, b, NULL);
}

enum db_status
db_blob_lock(struct db *db, struct arena *a, const char *user_id,
    const char *id, struct db_blob *b)
{
	const char	*p[2] = { user_id, id };
	PGresult	*r;
	enum db_status	 st;

	st = blob_one(db, a, "blob_lock", arena_printf(a, "SELECT %s, %s AS "
	    "used, EXISTS (SELECT 1 FROM blobs o WHERE o.user_id = $1 AND "
	    "o.object_key = b.object_key AND o.id <> b.id) AS shared FROM "
	    "blobs b WHERE user_id = $1 AND id = $2 FOR UPDATE OF b",
	    db_entity_columns(a, M), db_blob_used_sql(a, "b")), 0, p, b, &r);
	if (st != DB_OK)
		return st;
	b->shared = db_col_true(r, 0, "shared");
	return db_col_true(r, 0, "used") ? DB_FOREIGN : DB_OK;
}

enum db_status
db_blob_ready(struct db *db, struct arena *a, const char *user_id,
    struct db_blob *b)
{
	const char	*p[2] = { user_id, b->id };

	return blob_one(db, a, "blob_ready", arena_printf(a, "UPDATE blobs "
	    "SET state = 'ready', ready_at = coalesce(ready_at, now()), "
	    "upload_id = NULL WHERE user_id = $1 AND id = $2 RETURNING %s",
	    db_entity_columns(a, M)), 0, p, b, NULL);
}

enum db_status
db_blob_set_upload(struct db *db, struct arena *a, const char *user_id,
    const char *id, const char *upload_id)
{
	const char	*p[3] = { user_id, id, upload_id };

	return write_one(db, a, "blob_set_upload", "UPDATE blobs SET "
	    "upload_id = $3 WHERE user_id = $1 AND id = $2", 3, p);
}

enum db_status
db_blob_delete(struct db *db, struct arena *a, const char *user_id,
    const char *id, const char *removed)
{
	const char	*p[3] = { user_id, id, removed };

	/*
	 * A blob a track or a project uses: DB_FOREIGN (23503). The object
	 * removed already is not queued for removal (blobs_gone, 0006).
	 */
	return write_one(db, a, "blob_delete", "WITH s AS (SELECT set_config("
	    "'passion.object_removed', coalesce($3, ''), true)) DELETE FROM "
	    "blobs WHERE user_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM s)",
	    3, p);
}

enum db_status
db_blob_usage(struct db *db, struct arena *a, const char *user_id,
    long long quota, struct json_object **out)
{
	const char		*p[1] = { user_id };
	struct json_object	*kinds, *k, *imports = NULL;
	PGresult		*r;
	enum db_status		 st;
	long long		 used = 0, n;
	int			 i;

	/* An object rows share (an import's, sql/0018) counts once. */
	st = db_sql(db, a, "blob_usage", "SELECT k.kind, count(b.id) AS count, "
	    "coalesce(sum(b.size_bytes) FILTER (WHERE b.first), 0) AS bytes, "
	    "count(b.id) FILTER (WHERE b.state = 'pending') AS pending FROM "
	    "(VALUES ('audio'), ('image')) AS k (kind) LEFT JOIN (SELECT id, "
	    "kind, size_bytes, state, row_number() OVER (PARTITION BY "
	    "object_key ORDER BY id) = 1 AS first FROM blobs WHERE user_id = "
	    "$1) b ON b.kind = k.kind GROUP BY k.kind UNION ALL SELECT "
	    "'import', count(*), "
	    "coalesce(sum(size_bytes), 0), 0 FROM vault_imports WHERE user_id "
	    "= $1 AND vault_bundle_kept(state, error_code) ORDER BY 1", 1, p, 1,
	    &r);
	if (st != DB_OK)
		return st;
	*out = json_object_new_object();
	kinds = json_object_new_object();
	for (i = 0; i < PQntuples(r); i++) {
		k = json_object_new_object();
		n = strtoll(db_col(r, i, "bytes"), NULL, 10);
		used += n;
		json_object_object_add(k, "count", json_object_new_int64(
		    strtoll(db_col(r, i, "count"), NULL, 10)));
		json_object_object_add(k, "bytes", json_object_new_int64(n));
		/* Import bundles kept in the store count too (sql/0015). */
		if (strcmp(db_col(r, i, "kind"), "import") == 0) {
			imports = k;
			continue;
		}
		json_object_object_add(k, "pending", json_object_new_int64(
		    strtoll(db_col(r, i, "pending"), NULL, 10)));
		json_object_object_add(kinds, db_col(r, i, "kind"), k);
	}
	json_object_object_add(*out, "usedBytes", json_object_new_int64(used));
	json_object_object_add(*out, "quotaBytes", quota > 0 ?
	    json_object_new_int64(quota) : NULL);
	json_object_object_add(*out, "kinds", kinds);
	json_object_object_add(*out, "imports", imports);
	return DB_OK;
}

enum db_status
db_blob_deletions_take(struct db *db, struct arena *a, long limit,
    struct db_deletion **out, int *n)
{
	const char	*p[1] = { db_num(a, limit) };
	PGresult	*r;
	enum db_status	 st;
	int		 i;

	*out = NULL;
	*n = 0;
	/* The least tried first; rows another drain holds are skipped. */
	st = db_sql(db, a, "blob_deletions_take", "SELECT object_key, "
	    "upload_id FROM blob_deletions ORDER BY attempts, queued_at LIMIT "
	    "$1 FOR UPDATE SKIP LOCKED", 1, p, 0, &r);
	if (st != DB_OK)
		return st;
	*n = PQntuples(r);
	*out = arena_calloc(a, sizeof(**out) * (size_t)(*n + 1));
	for (i = 0; i < *n; i++) {
		(*out)[i].key = db_col(r, i, "object_key");
		(*out)[i].upload_id = db_col_null(r, i, "upload_id");
	}
	return DB_OK;
}

enum db_status
db_blob_deletions_settle(struct db *db, struct arena *a, const char *done,
    const char *failed, const char *error)
{
	const char	*p[3] = { done, failed, error };
	PGresult	*r;

	return db_sql(db, a, "blob_deletions_settle", "WITH d AS (DELETE FROM "
	    "blob_deletions WHERE object_key IN (SELECT "
	    "jsonb_array_elements_text($1::jsonb))) UPDATE blob_deletions SET "
	    "attempts = attempts + 1, last_error = left($3, 500) WHERE "
	    "object_key IN (SELECT jsonb_array_elements_text($2::jsonb))", 3,
	    p, 0, &r);
}

enum db_status
db_blob_deletions_count(struct db *db, struct arena *a, long *n)
{
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, "blob_deletions_count", "SELECT count(*) AS n FROM "
	    "blob_deletions", 0, NULL, 1, &r);
	*n = st == DB_OK ? atol(db_col(r, 0, "n")) : 0;
	return st;
}

enum db_status
db_blob_sweep_stale(struct db *db, struct arena *a, const char *user_id,
    long age, long *n)
{
	const char	*p[2] = { user_id, db_num(a, age) };

	/* Their objects and uploads are queued by the blobs_gone trigger. */
	return write_count(db, a, "blob_sweep_stale", arena_printf(a, "DELETE "
	    "FROM blobs WHERE user_id = $1 AND state = 'pending' AND "
	    "created_at < now() - make_interval(secs => $2) AND NOT %s",
	    db_blob_used_sql(a, "blobs")), 2, p, n);
}

enum db_status
db_blob_queue_orphans(struct db *db, struct arena *a, const char *user_id,
    const char *keys, long *n)
{
	const char	*p[2] = { user_id, keys };

	return write_count(db, a, "blob_queue_orphans", "INSERT INTO "
	    "blob_deletions (object_key) SELECT k FROM "
	    "jsonb_array_elements_text($2::jsonb) AS k WHERE NOT EXISTS (SELECT "
	    "1 FROM blobs b WHERE b.user_id = $1 AND b.object_key = k) ON "
	    "CONFLICT (object_key) DO NOTHING", 2, p, n);
}
