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

/* The SELECT list of m's columns, in field order, into the arena. */
static const char *
select_list(struct arena *a, const struct model_entity *m)
{
	struct buf	 b;
	const char	*out;
	size_t		 i;

	buf_init(&b, 64 * 1024);
	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];

		if (i > 0)
			buf_puts(&b, ", ");
		switch (f->type) {
		case MT_TIME:
			buf_printf(&b, DB_ISO("%s"), f->column);
			break;
		case MT_TAGS:
		case MT_OBJECT:
		case MT_ARRAY:
			buf_printf(&b, "%s::text", f->column);
			break;
		default:
			buf_puts(&b, f->column);
			break;
		}
	}
	out = arena_strndup(a, b.data ? b.data : "", b.len);
	buf_cleanup(&b);
	return out;
}

struct json_object *
db_entity_row(const struct model_entity *m, PGresult *r, int row)
{
	struct json_object	*o = json_object_new_object(), *v;
	const char		*s;
	size_t			 i;

	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];

		s = PQgetvalue(r, row, (int)i);
		if (PQgetisnull(r, row, (int)i))
			v = NULL;
		else if (f->type == MT_INT)
			v = json_object_new_int64(atoll(s));
		else if (f->type == MT_BOOL)
			v = json_object_new_boolean(strcmp(s, "t") == 0);
		else if (f->type == MT_TAGS || f->type == MT_OBJECT ||
		    f->type == MT_ARRAY)
			v = json_tokener_parse(s);
		else
			v = json_object_new_string(s);
		json_object_object_add(o, f->json, v);
	}
	return o;
}

enum db_status
db_entity_get(struct db *db, struct arena *a, const struct model_entity *m,
    const char *user_id, const char *id, struct json_object **out)
{
	struct db_stmt_def	 d;
	const char		*p[2] = { user_id, id };
	PGresult		*r;
	enum db_status		 st;

	memset(&d, 0, sizeof(d));
	d.name = arena_printf(a, "%s_get", m->table);
	d.sql = arena_printf(a, "SELECT %s FROM %s WHERE user_id = $1 AND "
	    "id = $2", select_list(a, m), m->table);
	d.nparams = 2;
	d.read_only = 1;
	*out = NULL;
	st = db_query(db, a, &d, p, &r);
	if (st == DB_OK && PQntuples(r) == 0)
		st = DB_NOTFOUND;
	if (st == DB_OK)
		*out = db_entity_row(m, r, 0);
	return st;
}
