/*
 * account.c - a user's settings (one row, defaults when absent), what
 * they own (counts) and their deletion with everything theirs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

#define S	(&model_settings)

struct json_object *
db_settings_default(struct arena *a)
{
	/* The data model's column defaults (sql/0001_schema.sql). */
	struct json_object	*o = json_tokener_parse("{\"theme\":\"system\","
	    "\"selectedProduct\":null,\"keyboardLayout\":\"mac\","
	    "\"notificationsEnabled\":true,\"focusDefaultDuration\":1500,"
	    "\"focusBreakDuration\":300,\"focusLongBreakDuration\":900,"
	    "\"settingsJson\":null,\"updatedAt\":null}");

	json_object_object_add(o, "contentHash", json_object_new_string(
	    model_content_hash(a, S, o)));
	return o;
}

enum db_status
db_settings_get(struct db *db, struct arena *a, const char *user_id,
    struct json_object **out)
{
	return db_entity_singleton(db, a, S, user_id, db_settings_default,
	    out);
}

enum db_status
db_zone_known(struct db *db, struct arena *a, const char *name, int *known)
{
	const char	*p[1] = { name };
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, "zone_known", "SELECT EXISTS (SELECT 1 FROM "
	    "pg_timezone_names WHERE name = $1) AS known", 1, p, 1, &r);
	*known = st == DB_OK && db_col_true(r, 0, "known");
	return st;
}

enum db_status
db_settings_patch(struct db *db, struct arena *a, const char *user_id,
    struct json_object *body, const char *if_match, struct json_object **out)
{
	struct buf	 cols, vals;
	const char	**p, *set;
	enum db_status	 st;
	size_t		 i;
	int		 n = 2, first;

	p = arena_calloc(a, sizeof(*p) * (S->nfields + 3));
	p[0] = user_id;
	p[1] = if_match;
	first = n;
	set = db_entity_set_list(a, S, body, p, &n);
	/* The same parameters make the new row's values. */
	buf_init(&cols, 16 * 1024);
	buf_init(&vals, 16 * 1024);
	for (i = 0; i < S->nfields; i++) {
		const struct model_field *f = &S->fields[i];

		if ((f->flags & MF_SERVER) != 0 ||
		    !json_object_object_get_ex(body, f->json, NULL))
			continue;
		buf_printf(&cols, ", %s", f->column);
		buf_printf(&vals, ", $%d::%s", ++first, MODEL_TYPE_JSON(f->type)
		    ? "jsonb" : f->type == MT_INT ? "integer" : f->type ==
		    MT_BOOL ? "boolean" : "text");
	}
	st = db_entity_one(db, a, S, "patch", arena_printf(a, "INSERT INTO "
	    "user_settings AS s (user_id%s, updated_at, content_hash) VALUES "
	    "($1%s, now(), '') ON CONFLICT (user_id) DO UPDATE SET %s WHERE "
	    "$2::text IS NULL OR s.content_hash = $2 RETURNING %s",
	    cols.data ? cols.data : "", vals.data ? vals.data : "", set,
	    db_entity_columns(a, S)), n, p, out);
	buf_cleanup(&cols);
	buf_cleanup(&vals);
	if (st == DB_NOTFOUND) {
		st = db_settings_get(db, a, user_id, out);
		return st == DB_OK ? DB_STALE : st;
	}
	return st;
}

enum db_status
db_me_get(struct db *db, struct arena *a, const char *user_id,
    struct json_object **out)
{
	const char		*p[1] = { user_id };
	struct json_object	*user, *counts;
	struct buf		 b;
	PGresult		*r;
	enum db_status		 st;
	int			 i;

	buf_init(&b, 16 * 1024);
	buf_puts(&b, "SELECT u.id, u.name, u.email, " DB_ISO("u.created_at")
	    " AS created");
	for (i = 0; model_entities[i] != NULL; i++)
		buf_printf(&b, ", (SELECT count(*) FROM %s WHERE user_id = $1) "
		    "AS %s", model_entities[i]->table,
		    model_entities[i]->table);
	buf_puts(&b, " FROM users u WHERE u.id = $1");
	st = db_sql(db, a, "me_get", arena_strdup(a, b.data), 1, p, 1, &r);
	buf_cleanup(&b);
	if (st == DB_OK && PQntuples(r) == 0)
		st = DB_NOTFOUND;
	if (st != DB_OK)
		return st;
	*out = json_object_new_object();
	user = json_object_new_object();
	counts = json_object_new_object();
	json_object_object_add(user, "id", json_object_new_string(
	    db_col(r, 0, "id")));
	json_object_object_add(user, "name", db_col_null(r, 0, "name") ?
	    json_object_new_string(db_col(r, 0, "name")) : NULL);
	json_object_object_add(user, "email", db_col_null(r, 0, "email") ?
	    json_object_new_string(db_col(r, 0, "email")) : NULL);
	json_object_object_add(user, "createdAt", json_object_new_string(
	    db_col(r, 0, "created")));
	for (i = 0; model_entities[i] != NULL; i++)
		json_object_object_add(counts, model_entities[i]->vault,
		    json_object_new_int64(strtoll(db_col(r, 0,
		    model_entities[i]->table), NULL, 10)));
	json_object_object_add(*out, "user", user);
	json_object_object_add(*out, "counts", counts);
	return DB_OK;
}

enum db_status
db_me_delete(struct db *db, struct arena *a, const char *user_id)
{
	const char	*p[1] = { user_id };
	PGresult	*r;
	enum db_status	 st;

	/* Everything theirs goes with the row (ON DELETE CASCADE), sessions
	 * included, in the caller's transaction. */
	st = db_sql(db, a, "me_delete", "DELETE FROM users WHERE id = $1 "
	    "RETURNING id", 1, p, 0, &r);
	if (st == DB_OK && PQntuples(r) == 0)
		st = DB_NOTFOUND;
	return st;
}
