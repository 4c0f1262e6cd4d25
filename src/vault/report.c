/*
 * report.c - what an import says: per kind, how many rows were imported,
 * skipped as duplicates or as having no home, remapped or invalid; the
 * first errors and warnings with their JSON path ("$.quests[12].status")
 * and how many there were in all.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "vault/vault.h"

void
vault_report_init(struct vault_report *r)
{
	r->kinds = json_object_new_object();
	r->errors = json_object_new_array();
	r->warnings = json_object_new_array();
	r->nerrors = r->nwarnings = 0;
	r->too_large = 0;
}

void
vault_report_free(struct vault_report *r)
{
	json_object_put(r->kinds);
	json_object_put(r->errors);
	json_object_put(r->warnings);
	r->kinds = r->errors = r->warnings = NULL;
}

void
vault_report_count(struct vault_report *r, const char *kind, const char *what,
    long n)
{
	struct json_object	*k, *v;

	if (!json_object_object_get_ex(r->kinds, kind, &k)) {
		k = json_object_new_object();
		json_object_object_add(r->kinds, kind, k);
	}
	if (json_object_object_get_ex(k, what, &v))
		json_object_set_int64(v, json_object_get_int64(v) + n);
	else
		json_object_object_add(k, what, json_object_new_int64(n));
}

static void __attribute__((format(printf, 4, 0)))
add(struct json_object *list, long *count, const char *path, const char *fmt,
    va_list ap)
{
	struct json_object	*o;
	char			 msg[512], ok[512], at[256];

	if ((*count)++ >= VAULT_REPORT_MAX)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A name of the bundle cut to fit may be cut inside a character:
	 * the result must be UTF-8 (PostgreSQL refuses it otherwise). */
	utf8_copy_valid(ok, sizeof(ok), msg);
	utf8_copy_valid(at, sizeof(at), path);
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(at));
	json_object_object_add(o, "message", json_object_new_string(ok));
	json_object_array_add(list, o);
}

int
vault_report_error(struct vault_report *r, const char *path, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	add(r->errors, &r->nerrors, path, fmt, ap);
	va_end(ap);
	return -1;
}

void
vault_report_warn(struct vault_report *r, const char *path, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	add(r->warnings, &r->nwarnings, path, fmt, ap);
	va_end(ap);
}

struct json_object *
vault_report_json(const struct vault_report *r)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "kinds", json_object_get(r->kinds));
	json_object_object_add(o, "errors", json_object_get(r->errors));
	json_object_object_add(o, "errorCount",
	    json_object_new_int64(r->nerrors));
	json_object_object_add(o, "warnings", json_object_get(r->warnings));
	json_object_object_add(o, "warningCount",
	    json_object_new_int64(r->nwarnings));
	return o;
}
