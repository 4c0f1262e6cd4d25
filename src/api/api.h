/*
 * api.h - the glue between http/ and db/: the worker's application
 * context, the request entry point and one thin handler per route.
 */
#ifndef PASSION_API_H
#define PASSION_API_H

#include "auth/auth.h"
#include "auth/oidc.h"
#include "conf/conf.h"
#include "db/db.h"
#include "http/http.h"
#include "net/net.h"
#include "storage/storage.h"

/*
 * Sessions seen by this worker: token hash → user. Only the user is
 * kept (a token never changes hands); whether a session is still good
 * is asked of the database on every request.
 */
#define API_SESSION_MEMO	64
struct session_memo {
	char	 hash[65];
	char	 user_id[37];
};

/* What one worker keeps for its whole life. */
struct app {
	const struct config	*cfg;
	struct db		 db;
	struct net		 net;
	struct storage		 store;		/* the object store */
	struct auth_keys	 keys;
	struct oidc		 oidc;
	int			 secure;	/* public_origin is https */
	struct session_memo	 memo[API_SESSION_MEMO];
	struct share		 share;		/* of the workers, per user */
};

/* Prepare the worker's context (the connection opens on first use). */
void	 api_app_init(struct app *app, const struct config *cfg);
/* Close the connection and free the context. */
void	 api_app_cleanup(struct app *app);
/* Route req through the table and answer it; always replies. */
void	 api_handle(struct app *app, struct http_request *req);
/* The worker's context of a request. */
static inline struct app *
api_app(struct http_request *req)
{
	return req->app;
}

/* --- reply.c: what the routes of every file share --- */

/* A hit for key against limit per window seconds, or 429 rate_limited. */
int	 api_rate_or_reply(struct http_request *req, const char *key,
	    long window, long limit, const char *message);
/* 413 quota_exceeded: what ("blob", "bundle") of size does not fit. */
void	 api_reply_over_quota(struct http_request *req, const char *what,
	    long long size);
/* One of the user's share of the workers for a costly request, or 429. */
int	 api_share_or_reply(struct http_request *req);

/*
 * Answer a failed database call: 503 + Retry-After, 404, 409, 412, 422,
 * 401 (the session went bad: session.c forgets it) or 500.
 */
void	 api_reply_db_error(struct http_request *req, enum db_status st);
/* 503 when no store is configured; 0 when one is. */
int	 api_store_or_reply(struct http_request *req);
/* Answer a failed call to the store (logged: the reason is ours). */
void	 api_reply_store_error(struct http_request *req,
	    enum storage_status st);
/* A file name's check: printable, no control characters. */
int	 api_name_ok(const char *s);
/* An ISO 8601 time secs from now (seconds since the epoch). */
const char *api_expires_at(struct arena *a, long long now, long secs);
/* Content-Disposition of type (inline, attachment) for file name. */
const char *api_disposition(struct arena *a, const char *type,
	    const char *name);
/* A byte count for people: "200 MB" style (decimal, as stores bill). */
const char *api_bytes_text(struct arena *a, long long n);

/* --- session.c --- */

/* The auth hook for protected routes: session cookie -> req->user_id. */
int	 api_session_auth(struct http_request *req);
/*
 * The request's session, checked: a session remembered by this worker is
 * checked with the first statement (api_tx_begin); a handler that needs
 * its fields before that (or without a transaction) asks here, which
 * looks it up now. NULL: not good any more (nothing replied, but a 503).
 */
const struct db_session *api_session(struct http_request *req);
/*
 * BEGIN the request's transaction as its user; a session not yet
 * checked is checked in the same round trip as the first statement.
 */
enum db_status api_tx_begin(struct http_request *req);
/*
 * Start a session for user_id and set its cookie: DB_OK, or the failure
 * (nothing replied: the caller answers either way).
 */
enum db_status api_session_start(struct http_request *req,
	    const char *user_id);
/* Clear the session cookie (the reply's Set-Cookie). */
void	 api_session_cookie_clear(struct http_request *req);
/* "Set-Cookie" for name=value (Max-Age seconds; 0 clears it). */
void	 api_cookie_set(struct http_request *req, const char *name,
	    const char *value, long max_age);
/*
 * The cookie name: "__Host-passion.<base>" over https, else
 * "passion.<base>".
 */
const char *api_cookie_name(struct http_request *req, const char *base);

/* GET /api/auth/session */
void	 api_auth_session_get(struct http_request *req);
/* POST /api/auth/signout */
void	 api_auth_signout(struct http_request *req);
/* GET /api/auth/sessions */
void	 api_auth_sessions_list(struct http_request *req);
/* DELETE /api/auth/sessions/{id} */
void	 api_auth_sessions_delete(struct http_request *req);
/* DELETE /api/auth/sessions (all but the current one) */
void	 api_auth_sessions_delete_others(struct http_request *req);
/* GET /api/auth/providers */
void	 api_auth_providers(struct http_request *req);
/* GET /api/auth/signin/{provider} */
void	 api_auth_signin(struct http_request *req);
/* GET /api/auth/callback/{provider} */
void	 api_auth_callback(struct http_request *req);
/* POST /api/auth/email */
void	 api_auth_email(struct http_request *req);
/* GET /api/auth/callback/email */
void	 api_auth_email_callback(struct http_request *req);

/* --- entity.c: any entity, the route's data naming it --- */

/*
 * End the request's transaction: commit when st is DB_OK, else roll back
 * and answer st in the route entity's terms (404 "no such quest", 409,
 * 422 naming a reference in body, …). 0 when committed.
 */
int	 api_entity_commit_or_reply(struct http_request *req,
	    struct json_object *body, enum db_status st);
/* status with the entity, its contentHash as a strong ETag. */
void	 api_reply_entity(struct http_request *req, int status,
	    struct json_object *e);
/*
 * If-Match: *hash NULL when absent or "*", else the hash of a strong
 * ETag; -1 after replying 400 to anything else.
 */
int	 api_if_match_or_reply(struct http_request *req, const char **hash);
/* 412 with the entity as it is now ("current"). */
void	 api_reply_stale(struct http_request *req, struct json_object *current);
/* POST collection: 201 + Location + ETag; 409 id taken; 422 invalid. */
void	 api_entity_create(struct http_request *req);
/* GET item: 200 + ETag, or 404 (also for another user's id). */
void	 api_entity_get(struct http_request *req);
/* PATCH item: fields present; If-Match → 412 with the current entity. */
void	 api_entity_update(struct http_request *req);
/*
 * An entity's own rule after an update, in its transaction: body as
 * sent, *e the updated entity (may be replaced by a new one).
 */
typedef enum db_status (*api_after_fn)(struct http_request *req,
	    struct json_object *body, struct json_object **e);
/* How a create differs from the plain one (zero: not at all). */
struct api_create {
	/*
	 * Under a parent (/api/reference-libraries/{id}/tracks): the path's
	 * id goes into body[field]; a parent not the user's → 404 naming
	 * parent. Location: items/<id> (NULL: the request's path).
	 */
	const char			*field;
	const struct model_entity	*parent;
	const char			*items;
	/* The entity's own rule after the insert, in its transaction. */
	api_after_fn			 after;
};
void	 api_entity_create_with(struct http_request *req,
	    const struct api_create *how);
/* A create's Idempotency-Key (keys.c): NULL when none was sent. */
struct api_key {
	const char	*key;
	const char	*hash;		/* of the request it was sent with */
};
/*
 * In the create's open transaction, claim the request's key: 0 to go
 * on (k->key NULL: none sent); -1 after replying — the answer the key's
 * first request got (rolled back: nothing written), 422 for a key sent
 * with another request, 400 for a bad key, or the database's error.
 */
int	 api_key_claim_or_reply(struct http_request *req, struct api_key *k);
/* Store the answer (status, Location, entity e) of a claimed key and
 * COMMIT (nothing without a key; the caller's commit then does it). */
enum db_status api_key_keep(struct http_request *req,
	    const struct api_key *k, int status, const char *location,
	    struct json_object *e);
/* PATCH item, then after (NULL: nothing) in the same transaction. */
void	 api_entity_update_then(struct http_request *req, api_after_fn after);
/* DELETE item: 204, or 404. */
void	 api_entity_delete(struct http_request *req);
/* GET collection: {"data":[…],"nextCursor"}, ?limit= and ?cursor=. */
void	 api_entity_list(struct http_request *req);
/*
 * A list's query into l: limit, cursor, m's filters and updatedSince,
 * and the names in extra (NULL-terminated, the caller's own; may be
 * NULL). Anything else → 400 naming it. -1 after replying.
 */
int	 api_list_params_or_reply(struct http_request *req,
	    const struct model_entity *m, const char *const *extra,
	    struct db_list *l);
/* BEGIN under the request's user; -1 after replying 503 (or 500). */
int	 api_begin_or_reply(struct http_request *req);
/* ?name= as a whole number in 1..max (absent: def); -1 after 400. */
int	 api_count_or_reply(struct http_request *req, const char *name,
	    long long max, long long def, long long *n);
/* Only the query parameters in names (NULL-terminated); else 400. */
int	 api_only_params_or_reply(struct http_request *req,
	    const char *const *names);
/* 200 {"data":[…]}; the reply takes data (the arena must not own it). */
void	 api_reply_data(struct http_request *req, struct json_object *data);
/* A read of the user's (one JSON value; caller owns *out). */
typedef enum db_status (*api_read_fn)(struct db *db, struct arena *a,
	    const char *user_id, struct json_object **out);
/* BEGIN, read, COMMIT, 200 with it (its ETag when it has a hash). */
void	 api_read_reply(struct http_request *req, api_read_fn read);
/* A write of the user's checked against If-Match (DB_STALE). */
typedef enum db_status (*api_write_fn)(struct db *db, struct arena *a,
	    const char *user_id, struct json_object *body,
	    const char *if_match, struct json_object **out);
/*
 * If-Match, the body validated as w of m (and m's check), more (may be
 * NULL; -1 after it replied), then BEGIN, write, COMMIT, 200 with the
 * entity — or 412 with the current one.
 */
void	 api_write_reply(struct http_request *req, const struct model_entity *m,
	    enum model_write w, int (*more)(struct http_request *,
	    struct json_object *), api_write_fn write);
/* 200 {"data":[…],"nextCursor":…} of a page. */
void	 api_reply_page(struct http_request *req, struct db_page *pg);

/*
 * POST /api/quests/{id}/complete: 200 with the quest, completed once;
 * the XP is awarded on the first completion only.
 */
void	 api_quest_complete(struct http_request *req);
/* PATCH /api/quests/{id}: status "completed" completes as above. */
void	 api_quest_update(struct http_request *req);

/* GET /api/quests/due: open quests due by the end of the user's today. */
void	 api_quests_due(struct http_request *req);
/* GET /api/schedule-rules/{id}/next?count=N */
void	 api_schedule_next(struct http_request *req);
/* POST /api/plan-templates/{id}/apply {"date"}: its quests, at once. */
void	 api_plan_apply(struct http_request *req);
/* GET and PUT /api/skill-tree (one per user). */
void	 api_skill_tree_get(struct http_request *req);
void	 api_skill_tree_put(struct http_request *req);
/* POST /api/rewards: append; xp adds to the skill tree's totalXp. */
void	 api_reward_create(struct http_request *req);
/* GET /api/rewards/summary: totals by type and by domain. */
void	 api_rewards_summary(struct http_request *req);

/* Focus (focus.c): one active session per user. */
void	 api_focus_list(struct http_request *req);
void	 api_focus_get(struct http_request *req);
void	 api_focus_start(struct http_request *req);
void	 api_focus_active(struct http_request *req);
void	 api_focus_complete(struct http_request *req);
void	 api_focus_abandon(struct http_request *req);
void	 api_focus_stats(struct http_request *req);

/* Producing (producing.c). */
void	 api_tracks_list(struct http_request *req);
void	 api_track_create(struct http_request *req);
/* GET /api/infobase: the list, or ranked full-text search with ?q=. */
void	 api_infobase_list(struct http_request *req);

/* GET /api/sync: the user's changes after a cursor (sync.c). */
void	 api_sync_get(struct http_request *req);

/* Settings and the account (account.c). */
void	 api_settings_get(struct http_request *req);
void	 api_settings_patch(struct http_request *req);
void	 api_me_get(struct http_request *req);
void	 api_me_delete(struct http_request *req);

/* Vault imports (vault.c): bundles uploaded to the store, imported by
 * the jobs worker. */
void	 api_vault_import_create(struct http_request *req);
void	 api_vault_import_start(struct http_request *req);
void	 api_vault_import_get(struct http_request *req);
void	 api_vault_import_list(struct http_request *req);
void	 api_vault_import_delete(struct http_request *req);
/* Vault exports: written by the jobs worker to the store. */
void	 api_vault_export_create(struct http_request *req);
void	 api_vault_export_get(struct http_request *req);
void	 api_vault_export_list(struct http_request *req);
void	 api_vault_export_delete(struct http_request *req);
void	 api_vault_export_download(struct http_request *req);

/* Blobs (blobs.c): rows here, bytes in the object store. */
void	 api_blobs_create(struct http_request *req);
void	 api_blobs_list(struct http_request *req);
void	 api_blobs_usage(struct http_request *req);
/* GET: 302 to a presigned GET (?redirect=false: the URL as JSON);
 * HEAD: the metadata as headers. */
void	 api_blob_get(struct http_request *req);
/* HEAD /api/blobs/{id}: its metadata as headers (200). */
void	 api_blob_head(struct http_request *req);
/* POST /api/blobs/{id}/parts: presigned URLs of a multipart upload. */
void	 api_blob_parts(struct http_request *req);
void	 api_blob_complete(struct http_request *req);
void	 api_blob_delete(struct http_request *req);

/* The route tables (routes.c). */
extern const struct http_route	api_routes[];
extern const size_t		api_routes_count;
/* Test-only routes under /api/_debug/, off unless debug_routes = on. */
extern const struct http_route	api_debug_routes[];
extern const size_t		api_debug_routes_count;
/*
 * Routes as the counts number them (util/stats.c): the API's rows, the
 * debug table's, then one for a request that matched none (r NULL).
 * api_route_at(i) is row i, NULL for that last one.
 */
size_t			 api_route_index(const struct http_route *r);
size_t			 api_route_slots(void);
const struct http_route	*api_route_at(size_t i);

/* GET /api/health */
void	 api_health_get(struct http_request *req);
/* POST /api/_debug/echo (debug_routes only): parse and echo a JSON body. */
void	 api_debug_echo(struct http_request *req);
/* GET /api/_debug/sleep?ms=N (debug_routes only): a slow request. */
void	 api_debug_sleep(struct http_request *req);
/* GET /api/_debug/db-sleep?ms=N (debug_routes only): a slow statement. */
void	 api_debug_db_sleep(struct http_request *req);
/* POST /api/_debug/crash (debug_routes only): the worker aborts. */
void	 api_debug_crash(struct http_request *req);

#endif
