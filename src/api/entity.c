/*
 * entity.c - the handlers every entity shares, driven by the route's
 * entity description (route data): create and read for now. Each is
 * parse → validate → one transaction under the user → reply; the entity
 * files keep only their own rules.
 */
#include "config.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define LIMIT_DEFAULT	50
#define LIMIT_MAX	100

static const struct model_entity *
entity(struct http_request *req)
{
	return req->route->data;
}

void
api_reply_entity(struct http_request *req, int status, struct json_object *e)
{
	struct json_object	*h;

	if (json_object_object_get_ex(e, "contentHash", &h) && h != NULL)
		http_header_add(req, "ETag", arena_printf(req->arena,
		    "\"%s\"", json_object_get_string(h)));
	http_reply_json(req, status, e);
}

/*
 * The reference in body a DB_FOREIGN is about: the one whose column the
 * broken constraint names ("reference_tracks_blob_id_fkey"), else the
 * first one present; NULL when body has none.
 */
static const struct model_field *
foreign_field(struct http_request *req, struct json_object *body)
{
	const struct model_entity	*m = entity(req);
	const struct model_field	*first = NULL;
	const char			*c = api_app(req)->db.constraint;
	size_t				 i;

	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];

		if ((f->flags & MF_REF) == 0 ||
		    json_object_object_get(body, f->json) == NULL)
			continue;
		if (*c != '\0' && strstr(c, arena_printf(req->arena, "_%s_",
		    f->column)) != NULL)
			return f;
		if (first == NULL)
			first = f;
	}
	return first;
}

/*
 * Why the blob field f names will not do, as the database's trigger
 * said (sql/0008: its HINT); another user's blob is a missing one.
 */
static const char *
blob_refused(struct http_request *req, const struct model_field *f,
    struct json_object *body)
{
	const char	*why = api_app(req)->db.hint;
	const char	*id = json_object_get_string(json_object_object_get(body,
	    f->json));

	if (strcmp(why, "blob_kind") == 0)
		return arena_printf(req->arena, "%s: blob %s is not an %s blob",
		    f->json, id, f->blob_kind);
	if (strcmp(why, "blob_pending") == 0)
		return arena_printf(req->arena, "%s: blob %s is not ready: "
		    "complete its upload first", f->json, id);
	if (strcmp(why, "blob_used") == 0)
		return arena_printf(req->arena, "%s: blob %s is used by "
		    "another track or project already (a blob is used once)",
		    f->json, id);
	return arena_printf(req->arena, "%s: no %s blob %s of yours",
	    f->json, f->blob_kind, id);
}

/* A failed write, said in the entity's terms. */
static void
write_error(struct http_request *req, struct json_object *body,
    enum db_status st)
{
	const struct model_entity	*m = entity(req);
	const struct model_field	*f;

	if (st == DB_CONFLICT) {
		http_reply_error(req, 409, "conflict", "%s %s with this id "
		    "already exists", model_article(m), m->name);
		return;
	}
	/* A limit of the user's a trigger keeps (sql/0014): its words. */
	if (st == DB_ERROR && strcmp(api_app(req)->db.hint, "user_limit") == 0) {
		http_reply_error(req, 422, "too_many", "%s",
		    api_app(req)->db.message);
		return;
	}
	/* A reference that is not one of the user's: name the field. */
	if (st == DB_FOREIGN && (f = foreign_field(req, body)) != NULL) {
		http_reply_invalid(req, 422, f->json, f->ref == &model_blobs ?
		    blob_refused(req, f, body) : arena_printf(req->arena,
		    "%s: no such %s of yours", f->json, f->values[0]));
		return;
	}
	api_reply_db_error(req, st);
}

/* Append "<event>.<what>" with a payload, if the entity logs events. */
static enum db_status
event(struct http_request *req, const char *what, struct json_object *e,
    struct json_object *payload)
{
	return db_entity_event(&api_app(req)->db, req->arena, entity(req),
	    req->user_id, what, e, payload, NULL);
}

int
api_entity_commit_or_reply(struct http_request *req, struct json_object *body,
    enum db_status st)
{
	struct app	*app = api_app(req);

	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st == DB_OK)
		return 0;
	db_tx_rollback(&app->db);
	if (st == DB_NOTFOUND)
		http_reply_error(req, 404, "not_found", "no such %s",
		    entity(req)->name);
	else
		write_error(req, body, st);
	return -1;
}

/* m's rule over the whole entity; -1 after replying 422. */
static int
check_or_reply(struct http_request *req, const struct model_entity *m,
    struct json_object *e)
{
	struct model_error	 err;

	if (m->check == NULL || m->check(e, &err) == 0)
		return 0;
	http_reply_invalid(req, err.status, err.field, err.message);
	return -1;
}

void
api_entity_create(struct http_request *req)
{
	static const struct api_create plain;

	api_entity_create_with(req, &plain);
}

/*
 * After a create under a parent failed on a reference (its transaction
 * rolled back here): is it the parent that is not the user's? Another
 * reference (a track's blob) may have failed first; the parent is
 * asked again then, so that someone else's parent is a 404 whatever
 * else the body says.
 */
static int
parent_missing(struct http_request *req, const struct api_create *how,
    struct json_object *body)
{
	struct app		*app = api_app(req);
	struct json_object	*p = NULL;
	enum db_status		 st;

	db_tx_rollback(&app->db);
	if (foreign_field(req, body) == model_field(entity(req), how->field))
		return 1;
	st = api_tx_begin(req);
	db_tx_commit_with_next(&app->db);
	if (st == DB_OK)
		st = db_entity_get(&app->db, req->arena, how->parent,
		    req->user_id, http_param(req, 0), &p);
	json_object_put(p);
	db_tx_rollback(&app->db);
	return st == DB_NOTFOUND;
}

void
api_entity_create_with(struct http_request *req, const struct api_create *how)
{
	const char		*field = how->field;
	struct app		*app = api_app(req);
	struct json_object	*body, *e = NULL, *v;
	struct model_error	 err;
	struct api_key		 k = { NULL, NULL };
	const char		*location = NULL;
	enum db_status		 st;

	if (http_body_json_or_reply(req, &body) != 0)
		return;
	if (field != NULL) {
		/* The parent is the path's; a body may only repeat it. */
		if (json_object_object_get_ex(body, field, &v) && (v == NULL ||
		    strcmp(json_object_get_string(v), http_param(req, 0)))) {
			http_reply_invalid(req, 422, field, arena_printf(
			    req->arena, "%s: is the %s of the path", field,
			    how->parent->name));
			return;
		}
		json_object_object_add(body, field,
		    json_object_new_string(http_param(req, 0)));
	}
	if (model_validate(entity(req), body, MODEL_CREATE, &err) != 0 ||
	    model_self_ref(entity(req), body, json_object_get_string(
	    json_object_object_get(body, "id")), &err) != 0) {
		http_reply_invalid(req, err.status, err.field, err.message);
		return;
	}
	model_nulls_to_defaults(entity(req), body);
	if (check_or_reply(req, entity(req), body) != 0)
		return;
	st = api_tx_begin(req);
	if (st == DB_OK && api_key_claim_or_reply(req, &k) != 0)
		return;
	/* A keyed create commits with its answer (api_key_keep). */
	if (st == DB_OK)
		st = db_entity_create(&app->db, req->arena, entity(req),
		    req->user_id, body, &e, how->after == NULL &&
		    k.key == NULL);
	http_json_own(req, e);
	if (st == DB_FOREIGN && field != NULL && parent_missing(req, how,
	    body)) {
		http_reply_error(req, 404, "not_found", "no such %s",
		    how->parent->name);
		return;
	}
	if (st == DB_OK && how->after != NULL)
		st = how->after(req, body, &e);
	if (st == DB_OK) {
		location = arena_printf(req->arena, "%s/%s", how->items != NULL ?
		    how->items : req->path, net_escape(req->arena,
		    json_object_get_string(json_object_object_get(e, "id"))));
		st = api_key_keep(req, &k, 201, location, e);
	}
	if (api_entity_commit_or_reply(req, body, st) != 0)
		return;
	http_header_add(req, "Location", location);
	api_reply_entity(req, 201, e);
}

void
api_entity_get(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*e = NULL;
	enum db_status		 st;

	st = api_tx_begin(req);
	db_tx_commit_with_next(&app->db);	/* a read: one round trip */
	if (st == DB_OK)
		st = db_entity_get(&app->db, req->arena, entity(req),
		    req->user_id, http_param(req, 0), &e);
	http_json_own(req, e);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_entity(req, 200, e);
}

/*
 * The If-Match header: NULL when absent or "*" (*hash NULL: any), the
 * hash of a strong ETag; -1 after replying 400 to anything else.
 */
int
api_if_match_or_reply(struct http_request *req, const char **hash)
{
	const char	*v = http_header_get(req, "If-Match");
	size_t		 n;

	*hash = NULL;
	if (v == NULL || strcmp(v, "*") == 0)
		return 0;
	n = strlen(v);
	if (n == 66 && v[0] == '"' && v[65] == '"' &&
	    strspn(v + 1, "0123456789abcdef") == 64) {
		*hash = arena_strndup(req->arena, v + 1, 64);
		return 0;
	}
	http_reply_error(req, 400, "invalid_header", "If-Match: must be an "
	    "ETag this server sent (\"<contentHash>\") or *");
	return -1;
}

void
api_reply_stale(struct http_request *req, struct json_object *current)
{
	struct json_object	*o;

	/* Changed since the client read it: here is what it is now. */
	o = http_json_own(req, http_error_new("precondition_failed",
	    "the entity changed since this ETag; here it is now"));
	json_object_object_add(o, "current", json_object_get(current));
	http_reply_json(req, 412, o);
}

/*
 * Whether current already holds every field of the validated PATCH body:
 * the write it asks for changes nothing, so a 412 for its old ETag is a
 * retry of a PATCH that committed (its answer lost), not a conflict.
 */
static int
patch_applied(struct json_object *body, struct json_object *current)
{
	struct json_object	*v;

	if (current == NULL)
		return 0;
	json_object_object_foreach(body, key, want)
		if (!json_object_object_get_ex(current, key, &v) ||
		    !json_object_equal(want, v))
			return 0;
	return 1;
}

/*
 * If-Match (*hash), the JSON body, validated as w of m (and, with check,
 * m's rule over the body). -1 after replying.
 */
static int
write_body_or_reply(struct http_request *req, const struct model_entity *m,
    enum model_write w, int check, const char **hash,
    struct json_object **body)
{
	struct model_error	 err;

	if (api_if_match_or_reply(req, hash) != 0 ||
	    http_body_json_or_reply(req, body) != 0)
		return -1;
	if (model_validate(m, *body, w, &err) == 0 && (!check ||
	    m->check == NULL || m->check(*body, &err) == 0) &&
	    model_self_ref(m, *body, w == MODEL_UPDATE ? http_param(req, 0) :
	    json_object_get_string(json_object_object_get(*body, "id")),
	    &err) == 0) {
		model_nulls_to_defaults(m, *body);
		return 0;
	}
	http_reply_invalid(req, err.status, err.field, err.message);
	return -1;
}

void
api_entity_update(struct http_request *req)
{
	api_entity_update_then(req, NULL);
}

void
api_entity_update_then(struct http_request *req, api_after_fn after)
{
	const struct model_entity *m = entity(req);
	struct app		*app = api_app(req);
	struct json_object	*body, *e = NULL;
	struct model_error	 err;
	const char		*hash;
	enum db_status		 st;

	/* The whole entity's rule is checked once written (below). */
	if (write_body_or_reply(req, m, MODEL_UPDATE, 0, &hash, &body) != 0)
		return;
	st = api_tx_begin(req);
	if (st == DB_OK)
		st = db_entity_update(&app->db, req->arena, entity(req),
		    req->user_id, http_param(req, 0), body, hash, &e);
	http_json_own(req, e);
	if (st == DB_STALE) {
		db_tx_rollback(&app->db);
		/* A retry whose first attempt committed: its answer again. */
		if (patch_applied(body, e))
			api_reply_entity(req, 200, e);
		else
			api_reply_stale(req, e);
		return;
	}
	if (st == DB_OK && m->check != NULL && m->check(e, &err) != 0) {
		/* Fields that depend on each other, as they would be stored. */
		db_tx_rollback(&app->db);
		http_reply_invalid(req, err.status, err.field, err.message);
		return;
	}
	/* The hash and the event in one statement; COMMIT with them when
	 * nothing follows. */
	if (st == DB_OK)
		st = db_entity_finish(&app->db, req->arena, m, req->user_id, e,
		    "updated", body, after == NULL);
	if (st == DB_OK && after != NULL) {
		struct json_object *before = e;

		/* The arena owns e already; a new one it must own too. */
		st = after(req, body, &e);
		if (e != before)
			http_json_own(req, e);
	}
	if (api_entity_commit_or_reply(req, body, st) == 0)
		api_reply_entity(req, 200, e);
}

void
api_entity_delete(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct json_object	*e = NULL;
	enum db_status		 st;

	st = api_tx_begin(req);
	if (st == DB_OK)
		st = db_entity_delete(&app->db, req->arena, entity(req),
		    req->user_id, http_param(req, 0), &e);
	http_json_own(req, e);
	if (st == DB_OK)
		st = event(req, "deleted", e, e);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		http_reply(req, 204, NULL, "", 0);
}

/* A cursor's key: a time, or a search's rank (a float). */
static int
cursor_key_ok(const char *key, int ranked)
{
	int64_t	 ms;
	char	*end;
	double	 d;

	if (!ranked)
		return model_time_parse(key, &ms) == 0;
	/* As float4 takes it: 0, or a normal number (1e-50 underflows:
	 * PostgreSQL refused it, a 500); the server's ranks are below 1e30. */
	d = strtod(key, &end);
	return end != key && *end == '\0' && (d == 0 || (d >= FLT_MIN &&
	    d < 1e30));
}

/*
 * ?limit= (1..100, default 50), ?cursor=, and the entity's filters (and
 * updatedSince); a parameter the list does not know is refused, so a
 * typo cannot silently widen a list. -1 after replying 400.
 */
int
api_list_params_or_reply(struct http_request *req,
    const struct model_entity *m, const char *const *extra, struct db_list *l)
{
	const struct model_filter	*q;
	struct model_error		 err;
	const char			**names, *v;
	long long			 n = LIMIT_DEFAULT;
	int				 i, k, nnames;

	memset(l, 0, sizeof(*l));
	nnames = http_query_names(req, &names);
	for (i = 0; i < nnames; i++) {
		for (k = 0; extra != NULL && extra[k] != NULL; k++)
			if (strcmp(extra[k], names[i]) == 0)
				break;
		if (extra != NULL && extra[k] != NULL)
			continue;
		if (strcmp(names[i], "limit") == 0 ||
		    strcmp(names[i], "cursor") == 0)
			continue;
		v = http_query_get(req, names[i]);
		if ((q = model_filter(m, names[i])) == NULL) {
			http_reply_error(req, 400, "invalid_query", "%s: not a "
			    "parameter of this list", names[i]);
			return -1;
		}
		if (v == NULL || model_filter_check(m, q, v, &err) != 0) {
			http_reply_error(req, 400, "invalid_query", "%s",
			    v == NULL ? "a parameter is not valid "
			    "percent-encoding" : err.message);
			return -1;
		}
		if (l->nfilters == DB_LIST_FILTERS) {
			http_reply_error(req, 400, "invalid_query", "at most "
			    "%d filters", DB_LIST_FILTERS);
			return -1;
		}
		l->filters[l->nfilters] = q;
		l->values[l->nfilters++] = v;
	}
	if ((v = http_query_get(req, "limit")) != NULL &&
	    str_to_ll(v, 1, LIMIT_MAX, &n) != 0) {
		http_reply_error(req, 400, "invalid_query", "limit: a whole "
		    "number from 1 to %d", LIMIT_MAX);
		return -1;
	}
	if ((v = http_query_get(req, "cursor")) != NULL &&
	    (model_cursor_decode(req->arena, v, &l->key, &l->after_id) != 0 ||
	    !cursor_key_ok(l->key, http_query_get(req, "q") != NULL))) {
		http_reply_error(req, 400, "invalid_query", "cursor: not a "
		    "cursor from this list; start again without it");
		return -1;
	}
	l->limit = (long)n;
	/* A search, or a page past the default: a costly request. */
	if (n > LIMIT_DEFAULT || http_query_get(req, "q") != NULL)
		return api_share_or_reply(req);
	return 0;
}

void
api_reply_page(struct http_request *req, struct db_page *pg)
{
	struct buf	 b;

	/* The page's JSON is written already (db_entity_list); the cursor
	 * is base64url, nothing to escape. */
	buf_init(&b, (size_t)1 << 30);
	buf_puts(&b, "{\"data\":");
	buf_puts(&b, pg->data);
	buf_puts(&b, ",\"nextCursor\":");
	if (pg->more) {
		buf_putc(&b, '"');
		buf_puts(&b, model_cursor_encode(req->arena, pg->last_key,
		    pg->last_id));
		buf_putc(&b, '"');
	} else
		buf_puts(&b, "null");
	buf_putc(&b, '}');
	http_reply(req, 200, "application/json", b.data, b.len);
	buf_cleanup(&b);
}

void
api_entity_list(struct http_request *req)
{
	struct app	*app = api_app(req);
	struct db_list	 l;
	struct db_page	 pg;
	enum db_status	 st;

	if (api_list_params_or_reply(req, entity(req), NULL, &l) != 0)
		return;
	memset(&pg, 0, sizeof(pg));
	st = api_tx_begin(req);
	db_tx_commit_with_next(&app->db);	/* a read: one round trip */
	if (st == DB_OK)
		st = db_entity_list(&app->db, req->arena, entity(req),
		    req->user_id, &l, &pg);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_page(req, &pg);
}

/* A transaction under the user, or a reply; 0 when begun. */
int
api_begin_or_reply(struct http_request *req)
{
	enum db_status	 st = api_tx_begin(req);

	if (st == DB_OK)
		return 0;
	api_reply_db_error(req, st);
	return -1;
}

/* ?name= as a whole number in 1..max (absent: def); -1 after 400. */
int
api_count_or_reply(struct http_request *req, const char *name, long long max,
    long long def, long long *n)
{
	const char	*v = http_query_get(req, name);

	*n = def;
	if (v == NULL || str_to_ll(v, 1, max, n) == 0)
		return 0;
	http_reply_error(req, 400, "invalid_query", "%s: a whole number from 1 "
	    "to %lld", name, max);
	return -1;
}

/* Only the parameters in names; -1 after replying 400 to another. */
int
api_only_params_or_reply(struct http_request *req, const char *const *names)
{
	const char	**q;
	int		 i, k, n = http_query_names(req, &q);

	for (i = 0; i < n; i++) {
		for (k = 0; names[k] != NULL; k++)
			if (strcmp(q[i], names[k]) == 0)
				break;
		if (names[k] == NULL) {
			http_reply_error(req, 400, "invalid_query", "%s: not a "
			    "parameter of this route", q[i]);
			return -1;
		}
	}
	return 0;
}

/* 200 {"data":[…]} of an array the arena does not own yet. */
void
api_reply_data(struct http_request *req, struct json_object *data)
{
	struct json_object	*o = http_json_own(req, json_object_new_object());

	json_object_object_add(o, "data", data);
	http_reply_json(req, 200, o);
}

void
api_read_reply(struct http_request *req, api_read_fn read)
{
	struct app		*app = api_app(req);
	struct json_object	*o = NULL;
	enum db_status		 st;

	if (api_begin_or_reply(req) != 0)
		return;
	db_tx_commit_with_next(&app->db);	/* a read: one round trip */
	st = read(&app->db, req->arena, req->user_id, &o);
	http_json_own(req, o);
	if (api_entity_commit_or_reply(req, NULL, st) == 0)
		api_reply_entity(req, 200, o);
}

void
api_write_reply(struct http_request *req, const struct model_entity *m,
    enum model_write w, int (*more)(struct http_request *,
    struct json_object *), api_write_fn write)
{
	struct app		*app = api_app(req);
	struct json_object	*body, *o = NULL;
	const char		*hash;
	enum db_status		 st;

	if (write_body_or_reply(req, m, w, 1, &hash, &body) != 0)
		return;
	if ((more != NULL && more(req, body) != 0) ||
	    api_begin_or_reply(req) != 0)
		return;
	st = write(&app->db, req->arena, req->user_id, body, hash, &o);
	http_json_own(req, o);
	if (st == DB_STALE) {
		db_tx_rollback(&app->db);
		api_reply_stale(req, o);
		return;
	}
	if (api_entity_commit_or_reply(req, body, st) == 0)
		api_reply_entity(req, 200, o);
}
