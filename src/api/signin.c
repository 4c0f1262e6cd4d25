/*
 * signin.c - the ways in: OpenID Connect (code + PKCE, state and nonce in
 * a sealed 15-minute cookie bound to the provider) and email magic links.
 * Both end in a session (api_session_start); every failure in
 * signin_fail, which logs the reason and creates nothing.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "jobs/jobs.h"

#define STATE_COOKIE	"oidc"
#define STATE_TTL	900

static const struct conf_provider *
provider_find(struct http_request *req, const char *id, size_t *idx)
{
	const struct config	*cfg = api_app(req)->cfg;
	size_t			 i;

	for (i = 0; id != NULL && i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].id, id) == 0) {
			*idx = i;
			return &cfg->providers[i];
		}
	return NULL;
}

static int
wants_json(struct http_request *req)
{
	const char	*acc = http_header_get(req, "Accept");

	return acc != NULL && strstr(acc, "application/json") != NULL &&
	    strstr(acc, "text/html") == NULL;
}

/*
 * A sign-in failure: logged with reason, then 302 to auth_error_url with
 * ?error=code, or a JSON error for clients that ask for JSON.
 */
static void
signin_fail(struct http_request *req, const char *code,
    const char *reason)
{
	const struct config	*cfg = api_app(req)->cfg;
	const char		*url = cfg->auth_error_url;

	log_msg(LOG_WARN, arena_printf(req->arena, "error=%s", code),
	    "sign-in refused: %s", reason);
	api_cookie_set(req, api_cookie_name(req, STATE_COOKIE), "", 0);
	if (wants_json(req)) {
		/* A link's failures say what to do next. */
		http_reply_error(req, strcmp(code, "server_error") == 0 ? 500 :
		    strcmp(code, "provider_unavailable") == 0 ? 502 : 400,
		    code, "%s", strcmp(code, "expired_token") == 0 ?
		    "this sign-in link has expired: ask for a new one" :
		    strcmp(code, "invalid_token") == 0 ? "this sign-in link is "
		    "unknown or was used already: ask for a new one" :
		    arena_printf(req->arena, "sign-in failed: %s", code));
		return;
	}
	http_header_add(req, "Location", arena_printf(req->arena,
	    "%s%cerror=%s", url, strchr(url, '?') ? '&' : '?', code));
	http_reply(req, 302, NULL, "", 0);
}

/* A session for uid, and back to callback; or the failure. */
static void
signed_in(struct http_request *req, const char *uid, const char *callback)
{
	if (api_session_start(req, uid) != DB_OK) {
		signin_fail(req, "server_error", api_app(req)->db.errstr);
		return;
	}
	http_header_add(req, "Location", callback);
	http_reply(req, 302, NULL, "", 0);
}

static int
keys_or_reply(struct http_request *req)
{
	if (api_app(req)->keys.ready)
		return 0;
	http_reply_error(req, 503, "signin_not_configured",
	    "sign-in is not configured on this server (secret_key)");
	return -1;
}

/*
 * The callbackUrl query (body: 0) or body value, checked; NULL after
 * replying (a query's 400, a body field's 422 as every field rule's).
 */
static const char *
callback_or_reply(struct http_request *req, const char *cb, int body)
{
	if (cb == NULL || *cb == '\0')
		return "/";
	if (strlen(cb) > 2048 || !auth_same_origin_url(cb,
	    api_app(req)->cfg->public_origin)) {
		if (body)
			http_reply_invalid(req, 422, "callbackUrl", "callbackUrl: "
			    "must be a path or URL on this site");
		else
			http_reply_error(req, 400, "invalid_field", "callbackUrl: "
			    "must be a path or URL on this site");
		return NULL;
	}
	return cb;
}

void
api_auth_providers(struct http_request *req)
{
	const struct config	*cfg = api_app(req)->cfg;
	struct json_object	*o, *list, *e;
	size_t			 i;

	o = http_json_own(req, json_object_new_object());
	list = json_object_new_array();
	for (i = 0; i < cfg->nproviders; i++) {
		const struct conf_provider *p = &cfg->providers[i];

		e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(p->id));
		json_object_object_add(e, "name", json_object_new_string(
		    p->name ? p->name : p->id));
		json_object_object_add(e, "type", json_object_new_string(
		    "oidc"));
		json_object_object_add(e, "signinUrl", json_object_new_string(
		    arena_printf(req->arena, "/api/auth/signin/%s", p->id)));
		json_object_array_add(list, e);
	}
	if (*cfg->smtp_url != '\0') {
		e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string("email"));
		json_object_object_add(e, "name", json_object_new_string(
		    "Email"));
		json_object_object_add(e, "type", json_object_new_string(
		    "email"));
		json_object_object_add(e, "signinUrl", json_object_new_string(
		    "/api/auth/email"));
		json_object_array_add(list, e);
	}
	json_object_object_add(o, "providers", list);
	http_reply_json(req, 200, o);
}

/* The route's provider, with sign-in configured; NULL after replying. */
static const struct conf_provider *
provider_or_reply(struct http_request *req, size_t *idx)
{
	const struct conf_provider	*p;

	p = provider_find(req, http_param(req, 0), idx);
	if (p == NULL) {
		http_reply_error(req, 404, "not_found", "no such provider");
		return NULL;
	}
	return keys_or_reply(req) == 0 ? p : NULL;
}

static const char *
redirect_uri(struct http_request *req, const char *provider)
{
	return arena_printf(req->arena, "%s/api/auth/callback/%s",
	    api_app(req)->cfg->public_origin, provider);
}

void
api_auth_signin(struct http_request *req)
{
	struct app			*app = api_app(req);
	const struct conf_provider	*p;
	struct json_object		*st;
	const char			*cb, *state, *nonce, *verifier, *json;
	unsigned char			*sealed;
	size_t				 idx, n;
	char				 err[256];

	p = provider_or_reply(req, &idx);
	if (p == NULL)
		return;
	cb = callback_or_reply(req, http_query_get(req, "callbackUrl"), 0);
	if (cb == NULL)
		return;
	if (oidc_discover(&app->oidc, &app->net, req->arena, p, idx, err,
	    sizeof(err)) != 0) {
		signin_fail(req, "provider_unavailable", err);
		return;
	}
	state = auth_token_new(req->arena);
	nonce = auth_token_new(req->arena);
	verifier = auth_token_new(req->arena);
	st = http_json_own(req, json_object_new_object());
	json_object_object_add(st, "p", json_object_new_string(p->id));
	json_object_object_add(st, "s", json_object_new_string(state));
	json_object_object_add(st, "n", json_object_new_string(nonce));
	json_object_object_add(st, "v", json_object_new_string(verifier));
	json_object_object_add(st, "c", json_object_new_string(cb));
	json_object_object_add(st, "e", json_object_new_int64(
	    (int64_t)time(NULL) + STATE_TTL));
	json = json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN);
	/* Sealed, and bound to the provider through the AAD. */
	sealed = auth_seal(req->arena, app->keys.cookie, json, strlen(json),
	    arena_printf(req->arena, "oidc:%s", p->id), &n);
	api_cookie_set(req, api_cookie_name(req, STATE_COOKIE),
	    b64url_encode(req->arena, sealed, n), STATE_TTL);
	http_header_add(req, "Location", oidc_authorize_url(&app->oidc,
	    req->arena, p, idx, redirect_uri(req, p->id), state, nonce,
	    verifier));
	http_reply(req, 302, NULL, "", 0);
}

struct flow {
	const char	*state, *nonce, *verifier, *callback;
};

/* Open and check the state cookie; 0 or -1 after failing the sign-in. */
static int
flow_open(struct http_request *req, const struct conf_provider *p,
    struct flow *f)
{
	struct app		*app = api_app(req);
	struct json_object	*o, *v;
	const char		*c, *state = http_query_get(req, "state");
	unsigned char		*raw, *plain;
	size_t			 n, pn;

	c = http_cookie_get(req, api_cookie_name(req, STATE_COOKIE));
	if (c == NULL || *c == '\0') {
		signin_fail(req, "missing_state", "no state cookie");
		return -1;
	}
	raw = b64url_decode(req->arena, c, &n);
	plain = raw ? auth_open(req->arena, app->keys.cookie, raw, n,
	    arena_printf(req->arena, "oidc:%s", p->id), &pn) : NULL;
	o = plain ? http_json_own(req, json_tokener_parse((char *)plain)) :
	    NULL;
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		signin_fail(req, "invalid_state", "state cookie does not "
		    "open for this provider");
		return -1;
	}
	f->state = json_object_object_get_ex(o, "s", &v) ?
	    json_object_get_string(v) : "";
	f->nonce = json_object_object_get_ex(o, "n", &v) ?
	    json_object_get_string(v) : "";
	f->verifier = json_object_object_get_ex(o, "v", &v) ?
	    json_object_get_string(v) : "";
	f->callback = json_object_object_get_ex(o, "c", &v) ?
	    json_object_get_string(v) : "/";
	if (!json_object_object_get_ex(o, "e", &v) ||
	    json_object_get_int64(v) < (int64_t)time(NULL)) {
		signin_fail(req, "expired_state", "state cookie expired");
		return -1;
	}
	if (state == NULL || !auth_str_eq(state, f->state)) {
		signin_fail(req, "invalid_state", "state does not match");
		return -1;
	}
	return 0;
}

/* "\x…" hex of a sealed token for a bytea parameter, or NULL. */
static const char *
seal_hex(struct http_request *req, const char *token, const char *aad)
{
	struct app	*app = api_app(req);
	unsigned char	*s;
	char		*hex;
	size_t		 n, i;

	if (token == NULL)
		return NULL;
	s = auth_seal(req->arena, app->keys.tokens, token, strlen(token), aad,
	    &n);
	hex = arena_alloc(req->arena, 2 * n + 3);
	memcpy(hex, "\\x", 2);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 + 2 * i, 3, "%02x", s[i]);
	return hex;
}

/*
 * Who is signing in: the linked account's user, or (verified email only)
 * the user with that email, or a new user if signup allows. NULL after
 * failing the sign-in.
 */
static const char *
oidc_user(struct http_request *req, const struct conf_provider *p,
    const struct oidc_identity *id, const struct oidc_tokens *t)
{
	struct app	*app = api_app(req);
	struct db	*db = &app->db;
	struct db_user	 u;
	const char	*email = NULL, *uid, *tokens[3], *aad, *exp = NULL;
	enum db_status	 st;

	aad = arena_printf(req->arena, "%s:%s", p->id, id->subject);
	tokens[0] = seal_hex(req, t->access_token, aad);
	tokens[1] = seal_hex(req, t->refresh_token, aad);
	tokens[2] = seal_hex(req, t->id_token, aad);
	if (t->expires_in > 0)
		exp = arena_printf(req->arena, "%lld",
		    (long long)time(NULL) + t->expires_in);
	st = db_account_find(db, req->arena, p->id, id->subject, &u);
	if (st == DB_OK) {
		if (u.disabled) {
			signin_fail(req, "account_disabled", u.id);
			return NULL;
		}
		db_account_tokens(db, p->id, id->subject, tokens, exp);
		return u.id;
	}
	if (st != DB_NOTFOUND)
		goto dberr;
	if (id->email != NULL)
		email = auth_email_normalize(req->arena, id->email);
	st = email ? db_user_by_email(db, req->arena, email, &u) : DB_NOTFOUND;
	if (st == DB_OK) {
		/* Link only on a verified address, never on a claimed one. */
		if (!id->email_verified) {
			signin_fail(req, "account_not_linked",
			    "unverified email matches an existing user");
			return NULL;
		}
		if (u.disabled) {
			signin_fail(req, "account_disabled", u.id);
			return NULL;
		}
		uid = u.id;
	} else if (st == DB_NOTFOUND) {
		if (email == NULL || !auth_signup_allowed(app->cfg, email,
		    id->email_verified)) {
			signin_fail(req, "signup_not_allowed", email ?
			    email : "no email");
			return NULL;
		}
		/*
		 * An unverified address is not claimed: otherwise whoever
		 * typed someone's address at some provider would own the
		 * account its real owner later signs in to.
		 */
		st = db_user_create(db, req->arena, id->email_verified ?
		    email : NULL, id->email_verified, id->name, id->picture,
		    &uid);
		if (st != DB_OK)
			goto dberr;
	} else
		goto dberr;
	st = db_account_create(db, uid, p->id, id->subject, tokens, exp,
	    t->token_type, t->scope);
	if (st != DB_OK)
		goto dberr;
	return uid;
dberr:
	signin_fail(req, "server_error", db->errstr);
	return NULL;
}

void
api_auth_callback(struct http_request *req)
{
	struct app			*app = api_app(req);
	const struct conf_provider	*p;
	struct oidc_identity		 id;
	struct oidc_tokens		 t;
	struct flow			 f;
	const char			*code, *uid;
	size_t				 idx;
	char				 err[256];

	p = provider_or_reply(req, &idx);
	if (p == NULL)
		return;
	if (http_query_get(req, "error") != NULL) {
		signin_fail(req, "access_denied", http_query_get(req,
		    "error"));
		return;
	}
	if (flow_open(req, p, &f) != 0)
		return;
	code = http_query_get(req, "code");
	if (code == NULL || *code == '\0') {
		signin_fail(req, "invalid_request", "no code");
		return;
	}
	if (oidc_discover(&app->oidc, &app->net, req->arena, p, idx, err,
	    sizeof(err)) != 0) {
		signin_fail(req, "provider_unavailable", err);
		return;
	}
	if (oidc_exchange(&app->oidc, &app->net, req->arena, p, idx, code,
	    redirect_uri(req, p->id), f.verifier, &t, err, sizeof(err)) != 0) {
		signin_fail(req, "token_exchange_failed", err);
		return;
	}
	if (oidc_verify(&app->oidc, &app->net, req->arena, p, idx,
	    t.id_token, f.nonce, app->cfg->clock_skew, &id, err,
	    sizeof(err)) != 0) {
		signin_fail(req, "invalid_id_token", err);
		return;
	}
	if (db_tx_begin(&app->db, NULL) != DB_OK) {
		signin_fail(req, "server_error", app->db.errstr);
		return;
	}
	uid = oidc_user(req, p, &id, &t);
	if (uid == NULL || db_tx_commit(&app->db) != DB_OK) {
		db_tx_rollback(&app->db);
		if (req->status == 0)
			signin_fail(req, "server_error", app->db.errstr);
		return;
	}
	api_cookie_set(req, api_cookie_name(req, STATE_COOKIE), "", 0);
	signed_in(req, uid, f.callback);
}

/* --- email --- */

static const char *
email_hash(struct http_request *req, const char *token)
{
	struct app	*app = api_app(req);

	return sha256_hex(req->arena, token, strlen(token),
	    app->keys.email, sizeof(app->keys.email));
}

/* The body's email: normalised, deliverable; NULL after replying. */
static const char *
email_or_reply(struct http_request *req, struct json_object *body,
    const char **deliver_to)
{
	struct json_object	*v;
	const char		*email, *why = NULL;

	if (!json_object_object_get_ex(body, "email", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		http_reply_invalid(req, 422, "email", "email: required, a "
		    "string");
		return NULL;
	}
	email = auth_email_normalize(req->arena, json_object_get_string(v));
	if (email == NULL) {
		http_reply_invalid(req, 422, "email", "email: not an email "
		    "address");
		return NULL;
	}
	*deliver_to = auth_email_deliverable(req->arena, email,
	    (int)api_app(req)->cfg->smtp_utf8, &why);
	if (*deliver_to == NULL) {
		http_reply_error(req, 422, "undeliverable_email", "email: %s",
		    why);
		return NULL;
	}
	return email;
}

/*
 * POST /api/auth/email: rate limits, the token and the mail job in one
 * transaction, then 202 at once; the jobs worker sends the mail.
 */
void
api_auth_email(struct http_request *req)
{
	struct app		*app = api_app(req);
	const struct config	*cfg = app->cfg;
	struct json_object	*body, *v, *o;
	const char		*email, *to, *cb = NULL, *tok, *ip;
	enum db_status		 st;

	if (*cfg->smtp_url == '\0') {
		http_reply_error(req, 503, "email_disabled",
		    "email sign-in is not configured here");
		return;
	}
	if (keys_or_reply(req) != 0 || http_body_json_or_reply(req, &body) != 0)
		return;
	email = email_or_reply(req, body, &to);
	if (email == NULL)
		return;
	if (json_object_object_get_ex(body, "callbackUrl", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_string)) {
			http_reply_invalid(req, 422, "callbackUrl",
			    "callbackUrl: must be a string");
			return;
		}
		cb = json_object_get_string(v);
	}
	cb = callback_or_reply(req, cb, 1);
	if (cb == NULL)
		return;
	st = db_tx_begin(&app->db, NULL);
	if (st != DB_OK) {
		api_reply_db_error(req, st);
		return;
	}
	/* The address's counter moves only for an address the IP may ask. */
	ip = http_env_get(req->envp, "REMOTE_ADDR");
	if (api_rate_or_reply(req, arena_printf(req->arena, "ip:%s", ip ? ip :
	    "-"), cfg->rate_window, cfg->rate_per_ip, "too many sign-in emails "
	    "from this network address; try again later") != 0 ||
	    api_rate_or_reply(req, arena_printf(req->arena, "email:%s", email),
	    cfg->rate_window, cfg->rate_per_address, "too many sign-in emails "
	    "for this address; try again later") != 0) {
		db_tx_rollback(&app->db);
		return;
	}
	/*
	 * Known or not, the same work and the same answer: whether the
	 * address may sign in is decided when the link is used.
	 */
	tok = auth_token_new(req->arena);
	st = db_vtoken_create(&app->db, email, email_hash(req, tok),
	    cfg->email_token_ttl, cb);
	if (st == DB_OK)
		st = db_job_enqueue(&app->db, req->arena, "mail",
		    jobs_mail_payload(req->arena, &app->keys, to, email, tok),
		    cfg->job_max_attempts, cfg->email_token_ttl);
	if (st == DB_OK)
		st = db_tx_commit(&app->db);
	if (st != DB_OK) {
		db_tx_rollback(&app->db);
		api_reply_db_error(req, st);
		return;
	}
	o = http_json_own(req, json_object_new_object());
	json_object_object_add(o, "status", json_object_new_string("queued"));
	json_object_object_add(o, "message", json_object_new_string(
	    "If this address can sign in, a link is on its way."));
	http_reply_json(req, 202, o);
}

void
api_auth_email_callback(struct http_request *req)
{
	struct app	*app = api_app(req);
	const char	*tok = http_query_get(req, "token");
	const char	*raw = http_query_get(req, "email");
	const char	*email, *cb, *uid;
	struct db_user	 u;
	enum db_status	 st;
	int		 expired = 0;

	if (keys_or_reply(req) != 0)
		return;
	email = raw ? auth_email_normalize(req->arena, raw) : NULL;
	if (tok == NULL || email == NULL || strlen(tok) > 64) {
		signin_fail(req, "invalid_token", "malformed link");
		return;
	}
	if (db_tx_begin(&app->db, NULL) != DB_OK) {
		signin_fail(req, "server_error", app->db.errstr);
		return;
	}
	/* Single use: the row is deleted as it is read. */
	st = db_vtoken_consume(&app->db, req->arena, email,
	    email_hash(req, tok), &expired, &cb);
	if (st == DB_NOTFOUND || (st == DB_OK && expired)) {
		db_tx_commit(&app->db);
		signin_fail(req, expired ? "expired_token" :
		    "invalid_token", expired ? "link expired" :
		    "unknown or used link");
		return;
	}
	if (st != DB_OK)
		goto dberr;
	st = db_user_by_email(&app->db, req->arena, email, &u);
	if (st == DB_OK) {
		if (u.disabled) {
			db_tx_commit(&app->db);
			signin_fail(req, "account_disabled", u.id);
			return;
		}
		uid = u.id;
		st = db_user_verify(&app->db, uid);
	} else if (st == DB_NOTFOUND) {
		if (!auth_signup_allowed(app->cfg, email, 1)) {
			db_tx_commit(&app->db);
			signin_fail(req, "signup_not_allowed", email);
			return;
		}
		st = db_user_create(&app->db, req->arena, email, 1, NULL, NULL,
		    &uid);
	}
	if (st != DB_OK || db_tx_commit(&app->db) != DB_OK)
		goto dberr;
	signed_in(req, uid, cb);
	return;
dberr:
	db_tx_rollback(&app->db);
	signin_fail(req, "server_error", app->db.errstr);
}
