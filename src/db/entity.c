/*
 * entity.c - rows of the entities of model/ as JSON. The SELECT list is
 * written from the entity's description (times in UTC with milliseconds,
 * JSON columns as JSON, flags as booleans), and a row becomes a JSON
 * object field by field. Every statement names user_id: the
 * application's guard; row-level security is the database's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"


static enum db_status	set_hash(struct db *db, struct arena *a,
			    const struct model_entity *m, const char *user_id,
			    struct json_object *entity);

/*
 * Run sql (named name for the log) and take its one row as m's entity:
 * DB_OK with *out (caller owns it), or DB_NOTFOUND when no row came.
 */
static enum db_status
one_entity(struct db *db, struct arena *a, const struct model_entity *m,
    const char *name, const char *sql, int nparams, const char *const *p,
    int read_only, struct json_object **out)
{
	struct db_stmt_def	 d;
	PGresult		*r;
	enum db_status		 st;

	memset(&d, 0, sizeof(d));
	d.name = arena_printf(a, "%s_%s", m->table, name);
	d.sql = sql;
	d.nparams = nparams;
	d.read_only = read_only;
	*out = NULL;
	st = db_query(db, a, &d, p, &r);
	if (st == DB_OK && PQntuples(r) == 0)
		st = DB_NOTFOUND;
	if (st == DB_OK)
		*out = db_entity_row(m, r, 0);
	return st;
}

/* Set the stored hash of *out; on failure *out is freed and NULL. */
static enum db_status
with_hash(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, enum db_status st, struct json_object **out)
{
	if (st != DB_OK || model_field(m, "contentHash") == NULL)
		return st;
	st = set_hash(db, a, m, user_id, *out);
	if (st != DB_OK) {
		json_object_put(*out);
		*out = NULL;
	}
	return st;
}



/* A JSON value as a statement parameter (text), or NULL for null. */
static const char *
param(struct arena *a, struct json_object *v)
{
	if (v == NULL)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string(v);
	case json_type_boolean:
		return json_object_get_boolean(v) ? "true" : "false";
	case json_type_int:
		return db_num(a, json_object_get_int64(v));
	default:
		return arena_strdup(a, json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN));
	}
}

static const char *
cast(enum model_type t)
{
	if (MODEL_TYPE_JSON(t))
		return "::jsonb";
	switch (t) {
	case MT_TIME:
		return "::timestamptz";
	case MT_INT:
		return "::bigint";
	case MT_BOOL:
		return "::boolean";
	case MT_UUID:
		return "::uuid";
	default:
		return "::text";
	}
}

static enum db_status
set_hash(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, struct json_object *entity)
{
	struct db_stmt_def	 d;
	struct json_object	*id = json_object_object_get(entity, "id");
	const char		*hash = model_content_hash(a, m, entity);
	const char		*p[3] = { user_id, hash,
	    json_object_get_string(id) };

	memset(&d, 0, sizeof(d));
	d.name = arena_printf(a, "%s_hash", m->table);
	/* A singleton (settings) is the user's one row. */
	d.sql = arena_printf(a, "UPDATE %s SET content_hash = $2 WHERE "
	    "user_id = $1%s", m->table, model_field(m, "id") != NULL ?
	    " AND id = $3" : "");
	d.nparams = model_field(m, "id") != NULL ? 3 : 2;
	json_object_object_add(entity, "contentHash",
	    json_object_new_string(hash));
	return db_query(db, a, &d, p, NULL);
}

/* Insert row for user_id; the stored entity, its hash still to set. */
static enum db_status
insert_row(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, struct json_object *row, struct json_object **out)
{
	struct buf		 cols, vals;
	const char		**p, *sql;
	struct json_object	*v;
	size_t			 i;
	int			 n = 1;

	p = arena_calloc(a, sizeof(*p) * (m->nfields + 2));
	p[0] = user_id;
	buf_init(&cols, 64 * 1024);
	buf_init(&vals, 64 * 1024);
	buf_puts(&cols, "user_id");
	buf_puts(&vals, "$1");
	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];

		if ((f->flags & MF_SERVER) != 0) {
			/* Stamped here; the hash is set below; others default. */
			if (strcmp(f->column, "created_at") == 0 ||
			    strcmp(f->column, "updated_at") == 0) {
				buf_printf(&cols, ", %s", f->column);
				buf_puts(&vals, ", now()");
			} else if (strcmp(f->column, "content_hash") == 0) {
				buf_printf(&cols, ", %s", f->column);
				buf_puts(&vals, ", ''");
			}
			continue;
		}
		if (strcmp(f->json, "id") == 0) {
			v = NULL;
			json_object_object_get_ex(row, "id", &v);
			p[n++] = param(a, v);
			buf_puts(&cols, ", id");
			buf_printf(&vals, ", coalesce($%d, "
			    "gen_random_uuid()::text)", n);
			continue;
		}
		if (!json_object_object_get_ex(row, f->json, &v))
			continue;
		p[n++] = param(a, v);
		buf_printf(&cols, ", %s", f->column);
		buf_printf(&vals, ", $%d%s", n, cast(f->type));
	}
	sql = arena_printf(a, "INSERT INTO %s (%s) VALUES (%s) RETURNING %s",
	    m->table, cols.data, vals.data, db_entity_columns(a, m));
	buf_cleanup(&cols);
	buf_cleanup(&vals);
	return one_entity(db, a, m, "insert", sql, n, p, 0, out);
}

enum db_status
db_event_append(struct db *db, struct arena *a, const char *user_id,
    const char *type, const char *domain_id, const char *payload,
    const char **id)
{
	const char	*p[4] = { user_id, type, payload, domain_id };
	PGresult	*r;
	enum db_status	 st;

	st = db_exec_row(db, a, DB_STMT_EVENT_APPEND, p, &r);
	if (st == DB_OK && id != NULL)
		*id = db_col(r, 0, "id");
	return st;
}


enum db_status
db_entity_one(struct db *db, struct arena *a, const struct model_entity *m,
    const char *name, const char *sql, int nparams, const char *const *p,
    struct json_object **out)
{
	return with_hash(db, a, m, p[0], one_entity(db, a, m, name, sql,
	    nparams, p, 0, out), out);
}

enum db_status
db_entity_singleton(struct db *db, struct arena *a,
    const struct model_entity *m, const char *user_id,
    struct json_object *(*fallback)(struct arena *), struct json_object **out)
{
	const char	*p[1] = { user_id };
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, arena_printf(a, "%s_get", m->table), arena_printf(a,
	    "SELECT %s FROM %s WHERE user_id = $1", db_entity_columns(a, m),
	    m->table), 1, p, 1, &r);
	if (st == DB_OK)
		*out = PQntuples(r) == 1 ? db_entity_row(m, r, 0) : fallback(a);
	return st;
}

enum db_status
db_entity_get(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, const char *id, struct json_object **out)
{
	const char	*p[2] = { user_id, id };

	return one_entity(db, a, m, "get", arena_printf(a, "SELECT %s FROM %s "
	    "WHERE user_id = $1 AND id = $2", db_entity_columns(a, m), m->table), 2,
	    p, 1, out);
}

const char *
db_entity_set_list(struct arena *a, const struct model_entity *m,
    struct json_object *body, const char **p, int *n)
{
	struct buf		 set;
	struct json_object	*v;
	const char		*out;
	size_t			 i;

	buf_init(&set, 64 * 1024);
	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];

		if (strcmp(f->column, "updated_at") == 0) {
			buf_printf(&set, "%supdated_at = now()",
			    set.len ? ", " : "");
			continue;
		}
		if ((f->flags & (MF_SERVER | MF_CREATE_ONLY)) != 0 ||
		    !json_object_object_get_ex(body, f->json, &v))
			continue;
		p[(*n)++] = param(a, v);
		buf_printf(&set, "%s%s = $%d%s", set.len ? ", " : "",
		    f->column, *n, cast(f->type));
	}
	out = arena_strdup(a, set.data ? set.data : "id = id");
	buf_cleanup(&set);
	return out;
}

enum db_status
db_entity_update(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, const char *id, struct json_object *body,
    const char *if_match, struct json_object **out)
{
	const char		**p, *set;
	enum db_status		 st;
	int			 n = 3;

	p = arena_calloc(a, sizeof(*p) * (m->nfields + 3));
	p[0] = user_id;
	p[1] = id;
	p[2] = if_match;
	set = db_entity_set_list(a, m, body, p, &n);
	/* The If-Match check is part of the write: no read-then-write race. */
	st = one_entity(db, a, m, "update", arena_printf(a, "UPDATE %s SET %s "
	    "WHERE user_id = $1 AND id = $2 AND ($3::text IS NULL OR "
	    "content_hash = $3) RETURNING %s", m->table, set,
	    db_entity_columns(a, m)), n, p, 0, out);
	if (st == DB_NOTFOUND) {
		/* Missing (or another user's), or changed since if_match. */
		st = db_entity_get(db, a, m, user_id, id, out);
		return st == DB_OK ? DB_STALE : st;
	}
	return st;
}

enum db_status
db_entity_event(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, const char *what, struct json_object *e,
    struct json_object *payload, const char **id)
{
	struct json_object	*d = NULL;

	if (m->event == NULL)
		return DB_OK;
	json_object_object_get_ex(e, "domainId", &d);
	return db_event_append(db, a, user_id, arena_printf(a, "%s.%s",
	    m->event, what), d ? json_object_get_string(d) : NULL,
	    json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN),
	    id);
}

enum db_status
db_entity_finish(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, struct json_object *e, const char *what,
    struct json_object *payload, int commit)
{
	struct json_object	*d = NULL;
	const char		*p[6], *hash_sql = NULL, *sql;
	int			 hashed = model_field(m, "contentHash") != NULL;
	int			 keyed = model_field(m, "id") != NULL;

	if (!hashed && m->event == NULL)
		return DB_OK;
	p[0] = user_id;
	if (hashed) {
		p[1] = model_content_hash(a, m, e);
		p[2] = json_object_get_string(json_object_object_get(e, "id"));
		json_object_object_add(e, "contentHash",
		    json_object_new_string(p[1]));
		hash_sql = arena_printf(a, "UPDATE %s SET content_hash = $2 "
		    "WHERE user_id = $1 AND %s", m->table, keyed ? "id = $3" :
		    "$3::text IS NULL");
	} else
		p[1] = p[2] = NULL;
	if (m->event != NULL) {
		json_object_object_get_ex(e, "domainId", &d);
		p[3] = arena_printf(a, "%s.%s", m->event, what);
		p[4] = json_object_to_json_string_ext(payload,
		    JSON_C_TO_STRING_PLAIN);
		p[5] = d ? json_object_get_string(d) : NULL;
	}
	/* One statement: the hash, the event, or both (a CTE). */
	if (m->event == NULL)
		sql = hash_sql;
	else
		sql = arena_printf(a, "%s%s%sINSERT INTO log_events (id, "
		    "user_id, event_type, payload, \"timestamp\", domain_id) "
		    "SELECT gen_random_uuid()::text, $1, $4, $5::jsonb, now(), "
		    "$6::text%s", hashed ? "WITH h AS (" : "", hashed ? hash_sql :
		    "", hashed ? ") " : "", hashed ? "" : " WHERE $2::text IS "
		    "NULL AND $3::text IS NULL");
	if (commit)
		db_tx_commit_with_next(db);
	return db_sql(db, a, arena_printf(a, "%s_%s", m->table, what), sql,
	    m->event != NULL ? 6 : 3, p, 0, NULL);
}

enum db_status
db_entity_create(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, struct json_object *row, struct json_object **out,
    int commit)
{
	enum db_status	 st;

	st = insert_row(db, a, m, user_id, row, out);
	if (st == DB_OK)
		st = db_entity_finish(db, a, m, user_id, *out, "created",
		    *out, commit);
	if (st != DB_OK) {
		json_object_put(*out);
		*out = NULL;
	}
	return st;
}

enum db_status
db_entity_delete(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, const char *id, struct json_object **out)
{
	const char	*p[2] = { user_id, id };

	return one_entity(db, a, m, "delete", arena_printf(a, "DELETE FROM %s "
	    "WHERE user_id = $1 AND id = $2 RETURNING %s", m->table,
	    db_entity_columns(a, m)), 2, p, 0, out);
}

/* The condition of filter q on parameter $n. */
static const char *
filter_sql(struct arena *a, const struct model_entity *m,
    const struct model_filter *q, int n)
{
	const struct model_field *f = model_field(m, q->field);

	switch (q->op) {
	case MQ_TAG:
		return arena_printf(a, " AND %s @> jsonb_build_array($%d::text)",
		    f->column, n);
	case MQ_BEFORE:
		return arena_printf(a, " AND %s <= $%d::timestamptz", f->column,
		    n);
	case MQ_AFTER:
		return arena_printf(a, " AND %s >= $%d::timestamptz", f->column,
		    n);
	case MQ_EQ:
	default:
		return arena_printf(a, " AND %s = $%d%s", f->column, n,
		    cast(f->type));
	}
}



const char *
db_entity_list_sql(struct arena *a, const struct model_entity *m,
    const char *user_id, const struct db_list *l, const char ***params,
    int *nparams)
{
	struct buf	 w;
	const char	**p, *sql, *key, *cond, *from;
	int		 i, np = 2, cut;

	p = arena_calloc(a, sizeof(*p) * (size_t)(l->nfilters + 6));
	p[0] = user_id;
	p[1] = db_num(a, l->limit + 1);
	buf_init(&w, 16 * 1024);
	if (l->scope_column != NULL) {
		p[np++] = l->scope_value;
		buf_printf(&w, " AND %s = $%d", l->scope_column, np);
	}
	for (i = 0; i < l->nfilters; i++) {
		p[np++] = l->values[i];
		buf_puts(&w, filter_sql(a, m, l->filters[i], np));
	}
	/*
	 * Keyset: the rows after (key, id) in (key DESC, id DESC). A first
	 * page has no such condition at all, so that each statement has
	 * one plan that fits it (they are prepared: db_query).
	 */
	key = l->search != NULL ? "s.rank" : m->order;
	if (l->key != NULL) {
		p[np++] = l->key;
		p[np++] = l->after_id;
		buf_printf(&w, " AND (%s, id) < ($%d::%s, $%d)", key, np - 1,
		    l->search != NULL ? "real" : "timestamptz", np);
	}
	cond = w.data ? w.data : "";
	if (l->search != NULL) {
		/* Ranked: title words weigh more (sql/0005), at most 1 000
		 * matches found by the index (sql/0012); the cursor's key is
		 * the rank, which float4 text carries exactly. Without
		 * filters the page is cut from the ranks before any entry is
		 * read (reading all 1 000 first was a quarter of a search's
		 * time); filters are the entries' columns, read first. */
		cut = l->scope_column == NULL && l->nfilters == 0;
		p[np++] = l->search;
		from = cut ? arena_printf(a, "(SELECT id, rank FROM "
		    "infobase_search($%d) AS s WHERE true%s ORDER BY rank DESC, "
		    "id DESC LIMIT $2)", np, cond) :
		    arena_printf(a, "infobase_search($%d)", np);
		sql = arena_printf(a, "SELECT %s, s.rank::text AS rank FROM %s "
		    "AS s JOIN %s USING (id) WHERE user_id = $1%s ORDER BY %s "
		    "DESC, id DESC LIMIT $2", db_entity_columns(a, m), from,
		    m->table, cut ? "" : cond, key);
	} else
		sql = arena_printf(a, "SELECT %s FROM %s WHERE user_id = $1%s "
		    "ORDER BY %s DESC, id DESC LIMIT $2", db_entity_columns(a, m),
		    m->table, cond, key);
	buf_cleanup(&w);
	*params = p;
	*nparams = np;
	return sql;
}

enum db_status
db_entity_list(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, const struct db_list *l, struct db_page *out)
{
	struct db_stmt_def	 d;
	const char		**p;
	PGresult		*r;
	enum db_status		 st;
	int			 n;

	memset(&d, 0, sizeof(d));
	d.name = arena_printf(a, "%s_list", m->table);
	d.sql = db_entity_list_sql(a, m, user_id, l, &p, &d.nparams);
	d.read_only = 1;
	memset(out, 0, sizeof(*out));
	st = db_query(db, a, &d, p, &r);
	if (st != DB_OK)
		return st;
	n = PQntuples(r);
	out->more = n > l->limit;
	if (out->more)
		n = (int)l->limit;
	out->data = db_rows_json(a, m, r, n);
	out->count = n;
	if (n > 0) {
		out->last_key = l->search != NULL ? db_col(r, n - 1, "rank") :
		    db_rows_key(a, m, r, n - 1);
		out->last_id = db_col(r, n - 1, "id");
	}
	return DB_OK;
}
