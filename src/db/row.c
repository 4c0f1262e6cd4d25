/*
 * row.c - the one mapper between rows and model/'s descriptions. The
 * SELECT list of an entity is written from its description (times as
 * the server sends them, JSON columns as text), so a row's columns are
 * its fields in order; a row becomes JSON field by field (times in UTC
 * with milliseconds, JSON columns as JSON, flags as booleans, MF_HIDDEN
 * fields left out), and its values are read by their field's name.
 * Nothing else in db/ reads a row of an entity by position.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

#define COLUMNS_CACHED	32	/* descriptions whose list is kept */

/* m's SELECT list, built into b. */
static void
columns_build(struct buf *b, const struct model_entity *m)
{
	size_t	 i;

	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];

		if (i > 0)
			buf_puts(b, ", ");
		/* Times as they are: UTC text, made ISO here (db_time_iso);
		 * cheaper than to_char in the server. */
		if (MODEL_TYPE_JSON(f->type))
			buf_printf(b, "%s::text", f->column);
		else
			buf_puts(b, f->column);
	}
}

/*
 * A description never changes while the process lives, so its list is
 * built once (every entity statement names it; the blob 302 is the hot
 * path) and kept; past COLUMNS_CACHED descriptions, into the arena.
 */
const char *
db_entity_columns(struct arena *a, const struct model_entity *m)
{
	static struct {
		const struct model_entity	*m;
		char				*list;
	} kept[COLUMNS_CACHED];
	struct buf	 b;
	const char	*out;
	size_t		 i;

	for (i = 0; i < COLUMNS_CACHED && kept[i].m != NULL; i++)
		if (kept[i].m == m)
			return kept[i].list;
	buf_init(&b, 64 * 1024);
	columns_build(&b, m);
	if (i < COLUMNS_CACHED && (kept[i].list = strdup(b.data ? b.data :
	    "")) != NULL) {
		kept[i].m = m;
		out = kept[i].list;
	} else
		out = arena_strndup(a, b.data ? b.data : "", b.len);
	buf_cleanup(&b);
	return out;
}

const char *
db_time_iso(char out[32], const char *s, int digits)
{
	size_t	 n = strlen(s), i, f = 0;
	char	*o = out;

	/* "YYYY-MM-DD HH:MM:SS[.ffffff]+00" (TimeZone=UTC, DateStyle=ISO). */
	if (n < 22 || s[10] != ' ' || strcmp(s + n - 3, "+00") != 0) {
		snprintf(out, 32, "%s", s);
		return out;
	}
	memcpy(o, s, 10);
	o[10] = 'T';
	memcpy(o + 11, s + 11, 8);
	o += 19;
	*o++ = '.';
	if (s[19] == '.')
		for (i = 20; i < n - 3 && f < (size_t)digits; i++, f++)
			*o++ = s[i];
	for (; f < (size_t)digits; f++)
		*o++ = '0';
	*o++ = 'Z';
	*o = '\0';
	return out;
}

/* The JSON value of field f's text s (NULL: null). */
static struct json_object *
value_json(const struct model_field *f, const char *s)
{
	char	 iso[32];

	if (s == NULL)
		return NULL;
	if (f->type == MT_INT)
		return json_object_new_int64(atoll(s));
	if (f->type == MT_BOOL)
		return json_object_new_boolean(strcmp(s, "t") == 0);
	if (MODEL_TYPE_JSON(f->type))
		return json_tokener_parse(s);
	if (f->type == MT_TIME)
		return json_object_new_string(db_time_iso(iso, s, 3));
	return json_object_new_string(s);
}

struct json_object *
db_entity_row(const struct model_entity *m, PGresult *r, int row)
{
	struct json_object	*o = json_object_new_object();
	size_t			 i;

	for (i = 0; i < m->nfields; i++)
		if ((m->fields[i].flags & MF_HIDDEN) == 0)
			json_object_object_add(o, m->fields[i].json,
			    value_json(&m->fields[i], PQgetisnull(r, row,
			    (int)i) ? NULL : PQgetvalue(r, row, (int)i)));
	return o;
}

void
db_row_at(const struct model_entity *m, PGresult *r, int row,
    const char **v, struct db_row *out)
{
	size_t	 i;

	for (i = 0; i < m->nfields; i++)
		v[i] = PQgetisnull(r, row, (int)i) ? NULL :
		    PQgetvalue(r, row, (int)i);
	out->m = m;
	out->v = v;
}

void
db_row_read(struct arena *a, const struct model_entity *m, PGresult *r,
    int row, struct db_row *out)
{
	db_row_at(m, r, row, arena_calloc(a, sizeof(*out->v) *
	    (m->nfields + 1)), out);
}

struct json_object *
db_row_json(const struct db_row *row)
{
	struct json_object	*o = json_object_new_object();
	size_t			 i;

	for (i = 0; i < row->m->nfields; i++)
		if ((row->m->fields[i].flags & MF_HIDDEN) == 0)
			json_object_object_add(o, row->m->fields[i].json,
			    value_json(&row->m->fields[i], row->v[i]));
	return o;
}

const char *
db_row_text(const struct db_row *row, const char *json)
{
	size_t	 i;

	for (i = 0; i < row->m->nfields; i++)
		if (strcmp(row->m->fields[i].json, json) == 0)
			return row->v[i];
	/* A name the description lacks is the code's mistake, not data. */
	fatal("db_row_text: %s has no field %s", row->m->name, json);
}

long long
db_row_int(const struct db_row *row, const char *json)
{
	const char	*s = db_row_text(row, json);

	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

const char *
db_rows_key(struct arena *a, const struct model_entity *m, PGresult *r,
    int row)
{
	char	 iso[32];
	size_t	 i;

	for (i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].column, m->order) == 0)
			break;
	if (i == m->nfields)
		fatal("db_rows_key: %s has no column %s", m->name, m->order);
	return arena_strdup(a, db_time_iso(iso, PQgetvalue(r, row, (int)i),
	    6));
}

const char *
db_col(const PGresult *r, int row, const char *name)
{
	int	 j = PQfnumber(r, name);

	if (j < 0)
		fatal("%s: no column %s in the result", __func__, name);
	return PQgetvalue(r, row, j);
}

const char *
db_col_null(const PGresult *r, int row, const char *name)
{
	const char	*v = db_col(r, row, name);

	return PQgetisnull(r, row, PQfnumber(r, name)) ? NULL : v;
}

int
db_col_true(const PGresult *r, int row, const char *name)
{
	return strcmp(db_col(r, row, name), "t") == 0;
}

/* s as a JSON string, escaped as json-c writes it (no "\/"). */
static void
json_string(struct buf *b, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*run = s;

	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7] = "\\u00";

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_append(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':  buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\b': buf_puts(b, "\\b"); break;
		case '\f': buf_puts(b, "\\f"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			esc[6] = '\0';
			buf_puts(b, esc);
			break;
		}
	}
	buf_append(b, run, (size_t)(s - run));
	buf_putc(b, '"');
}

const char *
db_rows_json(struct arena *a, const struct model_entity *m, PGresult *r,
    int n)
{
	struct buf	 b;
	char		 iso[32];
	int		 row, first;
	size_t		 i;

	buf_init(&b, (size_t)1 << 30);
	buf_putc(&b, '[');
	for (row = 0; row < n; row++) {
		buf_puts(&b, row ? ",{" : "{");
		for (i = 0, first = 1; i < m->nfields; i++) {
			const struct model_field *f = &m->fields[i];
			const char *v = PQgetvalue(r, row, (int)i);

			if ((f->flags & MF_HIDDEN) != 0)
				continue;
			buf_puts(&b, first ? "\"" : ",\"");
			first = 0;
			buf_puts(&b, f->json);
			buf_puts(&b, "\":");
			if (PQgetisnull(r, row, (int)i))
				buf_puts(&b, "null");
			else if (f->type == MT_INT || MODEL_TYPE_JSON(f->type))
				buf_puts(&b, v);
			else if (f->type == MT_BOOL)
				buf_puts(&b, *v == 't' ? "true" : "false");
			else if (f->type == MT_TIME)
				json_string(&b, db_time_iso(iso, v, 3));
			else
				json_string(&b, v);
		}
		buf_putc(&b, '}');
	}
	buf_putc(&b, ']');
	arena_defer(a, free, b.data);
	return b.data;
}

const char *
db_entity_json_sql(struct arena *a, const struct model_entity *m,
    const char *alias)
{
	struct buf	 b;
	const char	*out;
	size_t		 i, n = 0;

	buf_init(&b, 64 * 1024);
	buf_puts(&b, "json_build_object(");
	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];

		if ((f->flags & MF_HIDDEN) != 0)
			continue;
		/* json_build_object takes at most 100 arguments. */
		if (++n > 50)
			fatal("%s: %s has more than 50 fields", __func__,
			    m->name);
		buf_printf(&b, "%s'%s', ", n > 1 ? ", " : "", f->json);
		/* As db_time_iso writes it: milliseconds, cut, not rounded. */
		if (f->type == MT_TIME)
			buf_printf(&b, "to_char(%s.%s AT TIME ZONE 'UTC', "
			    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')", alias,
			    f->column);
		else
			buf_printf(&b, "%s.%s", alias, f->column);
	}
	buf_putc(&b, ')');
	out = arena_strndup(a, b.data, b.len);
	buf_cleanup(&b);
	return out;
}
