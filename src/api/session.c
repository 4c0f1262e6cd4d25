/*
 * session.c - database sessions in a cookie. The cookie holds 32 random
 * bytes (base64url); the database holds only their SHA-256, so a copy of
 * the table opens no session. Idle expiry rolls at most once per
 * session_roll; the absolute cap (session_max_age) never moves.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define SESSION_COOKIE	"session"
#define UA_MAX		512

const char *
api_cookie_name(struct http_request *req, const char *base)
{
	/* __Host- needs Secure: over plain http (dev) the prefix goes too. */
	return arena_printf(req->arena, "%spassion.%s",
	    api_app(req)->secure ? "__Host-" : "", base);
}

void
api_cookie_set(struct http_request *req, const char *name, const char *value,
    long max_age)
{
	http_header_add(req, "Set-Cookie", arena_printf(req->arena,
	    "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s", name,
	    value, max_age, api_app(req)->secure ? "; Secure" : ""));
}

static const char *
token_hash(struct http_request *req, const char *token)
{
	return sha256_hex(req->arena, token, strlen(token), NULL, 0);
}

/* What this request knows of its session: on its arena, in req->local. */
struct req_session {
	struct db_session	 s;
	const char		*token;		/* the cookie's */
	const char		*hash;		/* its SHA-256: the key */
};

static struct req_session *
req_session(struct http_request *req)
{
	return req->local;
}

static void	roll(struct http_request *, const char *, struct db_session *);

/* The memo of token hash → user of this worker (api.h, struct app). */
static struct session_memo *
memo_slot(struct app *app, const char *hash)
{
	unsigned long	 h = strtoul((char[9]){ hash[0], hash[1], hash[2],
	    hash[3], hash[4], hash[5], hash[6], hash[7], '\0' }, NULL, 16);

	return &app->memo[h % API_SESSION_MEMO];
}

/* A session looked up now, in its own round trip: 0, or -1. */
static int
session_lookup(struct http_request *req, const char *tok, const char *hash,
    struct db_session *s)
{
	struct app		*app = api_app(req);
	const struct config	*cfg = app->cfg;
	const char		*name = api_cookie_name(req, SESSION_COOKIE);
	enum db_status		 st;

	st = db_session_lookup(&app->db, req->arena, hash, cfg->session_max_age,
	    cfg->session_roll, s);
	if (st == DB_NOTFOUND)
		return -1;
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return -1;
	}
	if (!s->valid) {
		/* Expired (idle or absolute): gone for good, now. */
		db_session_delete(&app->db, req->arena, s->id, NULL);
		api_cookie_set(req, name, "", 0);
		s->id = NULL;
		return -1;
	}
	if (!s->enabled)
		return -1;
	if (s->roll_due)
		roll(req, tok, s);
	return 0;
}

/* Extend a session due for it: its cookie too. */
static void
roll(struct http_request *req, const char *tok, struct db_session *s)
{
	struct app		*app = api_app(req);
	const struct config	*cfg = app->cfg;
	const char		*expires;

	if (db_session_roll(&app->db, req->arena, s->id, cfg->session_idle,
	    cfg->session_max_age, &expires) == DB_OK) {
		s->expires = expires;
		api_cookie_set(req, api_cookie_name(req, SESSION_COOKIE), tok,
		    cfg->session_idle);
	}
	s->roll_due = 0;
}

/*
 * Before the reply of a request that came with a session. A 401 (the
 * session went bad: found so now, or by the pipeline's check) forgets
 * it on this worker, and deletes an expired one for good; otherwise a
 * session the pipeline checked is rolled if due, outside the request's
 * transaction (it has ended).
 */
static void
session_on_reply(struct http_request *req, int status)
{
	struct app		*app = api_app(req);
	struct req_session	*rs = req_session(req);
	struct db_session	*s = &rs->s;

	/* The user's share is free before the answer goes out: a large
	 * one reaches the client while the handler still writes, and the
	 * client's next request may come to another worker at once. */
	share_release(&app->share);
	if (status == 401) {
		memo_slot(app, rs->hash)->hash[0] = '\0';
		db_tx_rollback(&app->db);
		if (s->checked && s->id != NULL && !s->valid) {
			db_session_delete(&app->db, req->arena, s->id, NULL);
			api_cookie_set(req, api_cookie_name(req,
			    SESSION_COOKIE), "", 0);
		}
		s->roll_due = 0;
		return;
	}
	if (s->checked && s->valid && s->enabled && s->roll_due &&
	    !app->db.in_tx)
		roll(req, rs->token, s);
}

int
api_session_auth(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct session_memo	*m;
	struct req_session	*rs;
	struct db_session	*s;
	const char		*name = api_cookie_name(req, SESSION_COOKIE);
	const char		*tok = http_cookie_get(req, name), *hash;

	/* Tokens are 32 bytes in base64url: anything else is not ours. */
	if (tok == NULL || strlen(tok) != 43 ||
	    strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") != 43)
		return -1;
	rs = arena_calloc(req->arena, sizeof(*rs));
	s = &rs->s;
	hash = token_hash(req, tok);
	m = memo_slot(app, hash);
	rs->token = tok;
	rs->hash = hash;
	req->local = rs;
	req->on_reply = session_on_reply;
	if (strcmp(m->hash, hash) == 0) {
		/*
		 * Seen on this worker: its user is known (a token never
		 * changes hands); whether it is still good is checked by the
		 * database with the request's first statement (api_tx_begin).
		 */
		s->user_id = arena_strdup(req->arena, m->user_id);
		s->checked = 0;
	} else {
		if (session_lookup(req, tok, hash, s) != 0)
			return -1;
		snprintf(m->hash, sizeof(m->hash), "%s", hash);
		snprintf(m->user_id, sizeof(m->user_id), "%s", s->user_id);
	}
	req->user_id = s->user_id;
	/* A costly route holds one of the user's share of the workers. */
	if ((req->route->flags & HTTP_ROUTE_COSTLY) != 0)
		return api_share_or_reply(req);
	return 0;
}

const struct db_session *
api_session(struct http_request *req)
{
	struct app		*app = api_app(req);
	struct req_session	*rs = req_session(req);

	if (rs == NULL || rs->s.checked)
		return rs ? &rs->s : NULL;
	if (session_lookup(req, rs->token, rs->hash, &rs->s) == 0)
		return &rs->s;
	memo_slot(app, rs->hash)->hash[0] = '\0';
	return NULL;
}

/* The checked session, or NULL after replying (401 or 503). */
static const struct db_session *
session_or_reply(struct http_request *req)
{
	const struct db_session	*s = api_session(req);

	if (s == NULL)
		api_reply_db_error(req, DB_UNAUTHENTICATED);
	return s;
}

enum db_status
api_tx_begin(struct http_request *req)
{
	struct app		*app = api_app(req);
	const struct config	*cfg = app->cfg;
	struct req_session	*rs = req_session(req);

	if (rs != NULL && !rs->s.checked && req->user_id != NULL)
		return db_tx_begin_checked(&app->db, req->arena, req->user_id,
		    rs->hash, cfg->session_max_age, cfg->session_roll, &rs->s);
	return db_tx_begin(&app->db, req->user_id);
}

enum db_status
api_session_start(struct http_request *req, const char *user_id)
{
	struct app		*app = api_app(req);
	const struct config	*cfg = app->cfg;
	const char		*ua = http_header_get(req, "User-Agent");
	const char		*tok, *id, *expires;
	enum db_status		 st;

	/* A new token at every sign-in: no session fixation. */
	tok = auth_token_new(req->arena);
	st = db_session_create(&app->db, req->arena, token_hash(req, tok),
	    user_id, cfg->session_idle, cfg->session_max_age,
	    ua ? arena_strndup(req->arena, ua, strnlen(ua, UA_MAX)) : "",
	    &id, &expires);
	if (st != DB_OK)
		return st;
	req->user_id = user_id;
	log_msg(LOG_INFO, arena_printf(req->arena, "user_id=%s session_id=%s",
	    user_id, id), "signed in");
	api_cookie_set(req, api_cookie_name(req, SESSION_COOKIE), tok,
	    cfg->session_idle);
	return DB_OK;
}

void
api_auth_session_get(struct http_request *req)
{
	const struct db_session	*s = session_or_reply(req);
	struct json_object	*o, *u;

	if (s == NULL)
		return;
	o = http_json_own(req, json_object_new_object());
	u = json_object_new_object();
	json_object_object_add(u, "id", json_object_new_string(s->user_id));
	json_object_object_add(u, "name", *s->name ?
	    json_object_new_string(s->name) : NULL);
	json_object_object_add(u, "email", *s->email ?
	    json_object_new_string(s->email) : NULL);
	json_object_object_add(u, "image", *s->image ?
	    json_object_new_string(s->image) : NULL);
	json_object_object_add(o, "user", u);
	json_object_object_add(o, "expires", json_object_new_string(
	    s->expires));
	http_reply_json(req, 200, o);
}

void
api_session_cookie_clear(struct http_request *req)
{
	api_cookie_set(req, api_cookie_name(req, SESSION_COOKIE), "", 0);
}

void
api_auth_signout(struct http_request *req)
{
	struct app		*app = api_app(req);
	const struct db_session	*s;

	/* Idempotent: signing out without a session still clears cookies. */
	if (api_session_auth(req) == 0 && (s = api_session(req)) != NULL)
		db_session_delete(&app->db, req->arena, s->id, s->user_id);
	if (req->status != 0)
		return;
	api_session_cookie_clear(req);
	http_reply(req, 204, NULL, "", 0);
}

void
api_auth_sessions_list(struct http_request *req)
{
	struct app		*app = api_app(req);
	const struct db_session	*s = session_or_reply(req);
	struct json_object	*o, *list;
	enum db_status		 st;

	if (s == NULL)
		return;
	st = db_session_list(&app->db, req->arena, req->user_id, s->id,
	    &list);
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return;
	}
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "data", list);
	json_object_object_add(o, "nextCursor", NULL);
	http_reply_json(req, 200, o);
}

void
api_auth_sessions_delete(struct http_request *req)
{
	struct app		*app = api_app(req);
	const struct db_session	*s = session_or_reply(req);
	const char		*id = http_param(req, 0);
	enum db_status		 st = DB_NOTFOUND;

	if (s == NULL)
		return;
	if (str_is_uuid(id))
		st = db_session_delete(&app->db, req->arena, id, req->user_id);
	if (st == DB_NOTFOUND) {
		/* Someone else's session answers like a missing one. */
		http_reply_error(req, 404, "not_found", "session not found");
		return;
	}
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return;
	}
	if (strcmp(id, s->id) == 0)
		api_cookie_set(req, api_cookie_name(req, SESSION_COOKIE), "",
		    0);
	http_reply(req, 204, NULL, "", 0);
}

void
api_auth_sessions_delete_others(struct http_request *req)
{
	struct app		*app = api_app(req);
	const struct db_session	*s = session_or_reply(req);
	struct json_object	*o;
	enum db_status		 st;
	long			 n = 0;

	if (s == NULL)
		return;
	st = db_session_delete_others(&app->db, req->arena, req->user_id,
	    s->id, &n);
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return;
	}
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "revoked", json_object_new_int64(n));
	http_reply_json(req, 200, o);
}
