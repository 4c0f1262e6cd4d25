/*
 * db.h - PostgreSQL for a worker: one lazily opened libpq connection,
 * named prepared statements, the per-request transaction that carries
 * passion.user_id for row-level security, and the migrations.
 */
#ifndef PASSION_DB_H
#define PASSION_DB_H

#include <stdint.h>
#include <stdio.h>

#include "model/model.h"
#include "util/util.h"

enum db_status {
	DB_OK = 0,
	DB_NOTFOUND,		/* no row */
	DB_CONFLICT,		/* unique violation */
	DB_FOREIGN,		/* foreign-key violation: refers to nothing */
	DB_STALE,		/* If-Match did not match the stored entity */
	DB_DENIED,		/* privilege or row-level security refused it */
	DB_UNAVAILABLE,		/* cannot reach the server: answer 503 */
	DB_TIMEOUT,		/* statement_timeout or lock_timeout: 503 */
	DB_UNAUTHENTICATED,	/* the session checked with the statement is
				   not valid (db_tx_begin_checked): 401 */
	DB_ERROR		/* anything else: a bug or bad data */
};

/* Every prepared statement has a slot here and a row in statements.c. */
enum db_stmt {
	DB_STMT_PING,
	DB_STMT_SET_USER,
	DB_STMT_USER_BY_EMAIL,
	DB_STMT_USER_CREATE,
	DB_STMT_USER_VERIFY,
	DB_STMT_ACCOUNT_FIND,
	DB_STMT_ACCOUNT_CREATE,
	DB_STMT_ACCOUNT_TOKENS,
	DB_STMT_SESSION_CREATE,
	DB_STMT_SESSION_LOOKUP,
	DB_STMT_SESSION_AUTH,
	DB_STMT_SESSION_ROLL,
	DB_STMT_SESSION_DELETE,
	DB_STMT_SESSION_LIST,
	DB_STMT_SESSION_DELETE_OTHERS,
	DB_STMT_VTOKEN_CREATE,
	DB_STMT_VTOKEN_CONSUME,
	DB_STMT_RATE_HIT,
	DB_STMT_JOB_ENQUEUE,
	DB_STMT_JOB_CLAIM,
	DB_STMT_JOB_DONE,
	DB_STMT_JOB_RETRY,
	DB_STMT_JOBS_REQUEUE_STALE,
	DB_STMT_JOBS_NEXT_DUE,
	DB_STMT_JOBS_PURGE,
	DB_STMT_JOBS_QUEUE,
	DB_STMT_DEBUG_SLEEP,
	DB_STMT_EVENT_APPEND,
	DB_STMT_REWARD_APPEND,
	DB_STMT_SKILL_XP_ADD,
	DB_STMT_COUNT
};

/* What every connection is opened with (0: no limit). */
struct db_limits {
	long		 connect_s;	/* libpq connect_timeout */
	long		 statement_ms;	/* statement_timeout */
	long		 lock_ms;	/* lock_timeout */
	const char	*app_name;	/* application_name */
};

#define DB_ADHOC_MAX	512

/* A statement made at run time, prepared: 128 bits of its text's hash. */
struct db_adhoc {
	uint64_t	 a, b;		/* a == 0: a free slot */
};

struct pg_conn;		/* libpq's connection: only db/ looks inside */
struct pg_result;	/* and its result */
struct db_session;

#define DB_AHEAD_PARAMS	4

struct db {
	struct pg_conn	*conn;
	char		*conninfo;
	char		*password;
	struct db_limits limits;
	unsigned char	 prepared[DB_STMT_COUNT];
	/* Statements made at run time, prepared on this connection: the
	 * hashes of their text (0: free), so each is parsed once. */
	struct db_adhoc	 adhoc[DB_ADHOC_MAX];
	int		 in_tx;
	/*
	 * Pipeline mode (db_tx_begin_checked): a statement waits for the
	 * next one and goes with it ([BEGIN,] it, the next), and its decide
	 * function rules on its result first (pipeline.c).
	 */
	int		 piped;
	enum db_stmt	 piped_stmt;
	const char	*piped_params[DB_AHEAD_PARAMS];	/* in the arena */
	enum db_status	(*piped_decide)(struct db *, struct arena *,
			    struct pg_result *, void *);
	void		*piped_ud;
	int		 commit_next;	/* the next statement ends the tx */
	int		 sent;		/* a statement in flight (vault.c) */
	int64_t		 sent_us;	/* since (time_mono_us) */
	unsigned long	 opens;		/* connections opened so far */
	/* The cluster, database and timeline of connection place_of (sync.c). */
	char		 place[64];
	unsigned long	 place_of;
	int		 goodbye;	/* the server sent FATAL: it is closing */
	char		 errstr[256];	/* last failure, for the log */
	char		 constraint[64]; /* the constraint it broke, or "" */
	/* Its HINT, which our own triggers set to say why ("blob_used"),
	 * and its message alone (for a HINT of "user_limit": the user's). */
	char		 hint[64];
	char		 message[256];
};

/* Remember how to connect (lim is copied); connects nothing yet. */
void		 db_init(struct db *db, const char *conninfo,
		    const char *password, const struct db_limits *lim);
/* Close the connection and forget the secrets. */
void		 db_cleanup(struct db *db);
/*
 * Open the connection if it is not open, or if the server dropped it
 * while it sat idle (restart, pg_terminate_backend): that is seen without
 * a round trip, so no request pays for a connection that died before its
 * statement was sent. DB_UNAVAILABLE when the server cannot be reached.
 */
enum db_status	 db_connect(struct db *db);
/* Drop the connection (it is reopened by the next db_connect). */
void		 db_disconnect(struct db *db);
/* Round trip to the server, reconnecting once if the link went stale. */
enum db_status	 db_ping(struct db *db);
/*
 * BEGIN and set passion.user_id (transaction-local) to user_id, or to ""
 * when user_id is NULL, which row-level security reads as no user.
 */
enum db_status	 db_tx_begin(struct db *db, const char *user_id);
/* The same, read only, every statement seeing one snapshot (exports). */
enum db_status	 db_tx_begin_snapshot(struct db *db, const char *user_id);
/*
 * Begin the request's transaction for user_id, whose session (token
 * hash, idle and absolute limits in s_max_age / roll seconds) is checked
 * by the database in the same round trip as the first statement that
 * follows: BEGIN, the check (which sets passion.user_id only for a
 * valid session of user_id) and that statement go in one pipeline — a
 * read that commits with its statement (db_tx_commit_with_next) needs
 * no BEGIN: the check and it are the pipeline's implicit transaction.
 * Then *s is filled, and every call answers DB_UNAUTHENTICATED if the
 * session was not good. Nothing is sent before that first statement.
 */
enum db_status	 db_tx_begin_checked(struct db *db, struct arena *a,
		    const char *user_id, const char *token_hash, long max_age,
		    long roll, struct db_session *s);
/* The next statement commits too, in its round trip (reads only). */
void		 db_tx_commit_with_next(struct db *db);
/* COMMIT the open transaction. */
enum db_status	 db_tx_commit(struct db *db);
/* ROLLBACK if a transaction is open; safe to call at any time. */
void		 db_tx_rollback(struct db *db);
/* pg_sleep of ms milliseconds (decimal text) on the server (debug_routes). */
enum db_status	 db_debug_sleep(struct db *db, struct arena *a,
		    const char *ms);

/* --- auth.c: users, accounts, sessions, tokens, rate limits --- */

/* A user as sign-in sees it. */
struct db_user {
	const char	*id;
	int		 disabled;
	int		 verified;	/* email_verified is set */
};

/* A session found by its token hash. */
struct db_session {
	int		 checked;	/* 0: still to be checked (pipeline) */
	const char	*id;
	const char	*user_id;
	const char	*expires;	/* ISO 8601 */
	int		 valid;		/* before idle expiry and absolute cap */
	int		 enabled;	/* the user is not disabled */
	int		 roll_due;	/* last roll older than session_roll */
	const char	*name, *email, *image;
};

/* Find a user by (normalised) email: DB_OK, DB_NOTFOUND. */
enum db_status	 db_user_by_email(struct db *db, struct arena *a,
		    const char *email, struct db_user *u);
/* Create a user; *id set. email may be NULL. */
enum db_status	 db_user_create(struct db *db, struct arena *a,
		    const char *email, int verified, const char *name,
		    const char *image, const char **id);
/* Set email_verified if it is not set yet. */
enum db_status	 db_user_verify(struct db *db, const char *user_id);
/* The user of (provider, subject): DB_OK, DB_NOTFOUND. */
enum db_status	 db_account_find(struct db *db, struct arena *a,
		    const char *provider, const char *subject,
		    struct db_user *u);
/* Link (provider, subject) to user_id with sealed tokens (hex bytea). */
enum db_status	 db_account_create(struct db *db, const char *user_id,
		    const char *provider, const char *subject,
		    const char *const tokens[3], const char *expires_at,
		    const char *token_type, const char *scope);
/* Replace the sealed tokens of an existing account. */
enum db_status	 db_account_tokens(struct db *db, const char *provider,
		    const char *subject, const char *const tokens[3],
		    const char *expires_at);
/* New session for token_hash; *id and *expires set. */
enum db_status	 db_session_create(struct db *db, struct arena *a,
		    const char *token_hash, const char *user_id,
		    long idle, long max_age, const char *user_agent,
		    const char **id, const char **expires);
/* Look a session up by token hash: DB_OK, DB_NOTFOUND. */
enum db_status	 db_session_lookup(struct db *db, struct arena *a,
		    const char *token_hash, long max_age, long roll,
		    struct db_session *s);
/* Push idle expiry to now + idle (never past the absolute cap). */
enum db_status	 db_session_roll(struct db *db, struct arena *a,
		    const char *id, long idle, long max_age,
		    const char **expires);
/* Delete session id of user_id (NULL user: any): DB_OK or DB_NOTFOUND. */
enum db_status	 db_session_delete(struct db *db, struct arena *a,
		    const char *id, const char *user_id);
/*
 * The user's live sessions, newest first (at most 100), as the API shows
 * them: a new array of {"id","createdAt","lastSeenAt","userAgent",
 * "current"} (current: the one whose id is current_id), the caller's.
 */
enum db_status	 db_session_list(struct db *db, struct arena *a,
		    const char *user_id, const char *current_id,
		    struct json_object **list);
/* Delete every session of user_id but keep_id; *n set to the count. */
enum db_status	 db_session_delete_others(struct db *db, struct arena *a,
		    const char *user_id, const char *keep_id, long *n);
/* Store a magic-link token hash for identifier. */
enum db_status	 db_vtoken_create(struct db *db, const char *identifier,
		    const char *token_hash, long ttl, const char *callback);
/*
 * Take (delete) a token: DB_NOTFOUND when unknown or used; *expired and
 * *callback set otherwise.
 */
enum db_status	 db_vtoken_consume(struct db *db, struct arena *a,
		    const char *identifier, const char *token_hash,
		    int *expired, const char **callback);
/* Count one hit on key in a window; *count and *retry_after (s) set. */
enum db_status	 db_rate_hit(struct db *db, struct arena *a, const char *key,
		    long window, long *count, long *retry_after);

/* --- jobs.c: the queue of the jobs worker --- */

/* Connect; LISTEN passion_jobs if the link is new since *listened (opens). */
enum db_status	 db_jobs_listen(struct db *db, unsigned long *listened);
/* Read and drop the notifications waiting; 1 if there were any. */
int		 db_notifies_drain(struct db *db);
/* The connection's socket, to wait on; -1 when not connected. */
int		 db_socket(const struct db *db);

/* A job taken by this connection (state running). */
struct db_job {
	long long	 id;
	const char	*kind;
	const char	*payload;	/* JSON text */
	int		 attempts;	/* this one included */
	int		 max_attempts;
	int		 expired;	/* past expires_at */
	const char	*user_id;	/* whose it is, or NULL */
};

/*
 * Queue a job of kind with a JSON payload, tried at most max_attempts
 * times and given up ttl seconds from now (0: never). Part of the
 * caller's transaction; the jobs worker is woken at commit.
 */
enum db_status	 db_job_enqueue(struct db *db, struct arena *a,
		    const char *kind, const char *payload, long max_attempts,
		    long ttl);
/* Which kinds a jobs worker takes: those in kinds, or all but those. */
struct db_lane {
	const char	*kinds;		/* a text[] literal: "{a,b}" */
	int		 only;		/* 1: only these; 0: all but these */
};

/*
 * Take a due job of lane l (SKIP LOCKED), fairly (sql/0013: users in
 * turn, none while one of theirs runs), and mark it running under this
 * session: DB_OK or DB_NOTFOUND.
 */
enum db_status	 db_job_claim(struct db *db, struct arena *a,
		    const struct db_lane *l, struct db_job *j);
/* Job id done (its payload's "secret" dropped); outcome (NULL or "":
 * none) says what it came to. */
enum db_status	 db_job_done(struct db *db, struct arena *a, long long id,
		    const char *outcome);
/*
 * The job failed with error: queued again delay seconds from now, or
 * failed for good (give_up, attempts spent, or past its expiry), which
 * sets *failed.
 */
enum db_status	 db_job_retry(struct db *db, struct arena *a, long long id,
		    long delay, const char *error, int give_up, int *failed);
/*
 * Queue again every running job whose session is gone (its worker died);
 * *n set to how many.
 */
enum db_status	 db_jobs_requeue_stale(struct db *db, struct arena *a,
		    long *n);
/* Milliseconds until lane l's next job is due (0: now), -1: none. */
enum db_status	 db_jobs_next_due(struct db *db, struct arena *a,
		    const struct db_lane *l, long long *ms);
/* Delete jobs finished more than days ago; *n set. */
enum db_status	 db_jobs_purge(struct db *db, struct arena *a, long days,
		    long *n);
/* Queued jobs by kind: how many, and the oldest due one's age in seconds
 * (-1: none due yet). */
struct db_queue_row { const char *kind; long long queued, oldest_due_s; };
enum db_status	 db_jobs_queue(struct db *db, struct arena *a,
		    struct db_queue_row **rows, size_t *n);

/* --- row.c: rows read by their entity's description --- */

/*
 * A row of m: v[i] the text of m->fields[i] as the server sent it (NULL:
 * null), living as long as the arena of the call that read it.
 */
struct db_row {
	const struct model_entity *m;
	const char *const	*v;
};
/* The row as the API shows it (no MF_HIDDEN field; caller owns it). */
struct json_object *db_row_json(const struct db_row *row);
/* Field json's text (hidden ones too), or NULL; aborts on a name m lacks. */
const char	*db_row_text(const struct db_row *row, const char *json);
/* Field json as a number (null: 0). */
long long	 db_row_int(const struct db_row *row, const char *json);

/* --- entity.c: the entities of model/, as JSON --- */
/*
 * Update the fields present in body (validated) of entity id, only if
 * its contentHash is if_match (NULL: any) — checked by the same
 * statement that writes. *out: the stored entity, its hash still to set
 * (db_entity_finish); with DB_STALE, the current one. DB_NOTFOUND,
 * DB_FOREIGN.
 */
enum db_status	 db_entity_update(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    const char *id, struct json_object *body,
		    const char *if_match, struct json_object **out);
/*
 * The "col = $n, …" of the writable fields present in body (and
 * updated_at = now()), their values appended to p from *n on.
 */
const char	*db_entity_set_list(struct arena *a,
		    const struct model_entity *m, struct json_object *body,
		    const char **p, int *n);
/*
 * Append "<m's event>.<what>" with payload (domainId from e) when m logs
 * events; *id (may be NULL) its id.
 */
enum db_status	 db_entity_event(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    const char *what, struct json_object *e,
		    struct json_object *payload, const char **id);
/*
 * Finish a write of e: set its contentHash (into e too) when m has one
 * and append "<event>.<what>" with payload when m logs events, in one
 * statement; with commit, COMMIT goes in the same round trip.
 */
enum db_status	 db_entity_finish(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    struct json_object *e, const char *what,
		    struct json_object *payload, int commit);
/*
 * Insert an entity for user_id from row (validated; JSON names; an absent
 * "id" is made by the server), then finish it ("created"); *out is the
 * stored entity (caller owns it). DB_CONFLICT: the id is taken;
 * DB_FOREIGN: a reference (parentId) is not the user's. With commit,
 * the transaction ends with it.
 */
enum db_status	 db_entity_create(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    struct json_object *row, struct json_object **out,
		    int commit);
/* Delete entity id; *out: what it was. DB_OK or DB_NOTFOUND. */
enum db_status	 db_entity_delete(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    const char *id, struct json_object **out);
#define DB_LIST_FILTERS	16

/* What a list asks for. */
struct db_list {
	const char		*key, *after_id;	/* the cursor, or NULL */
	long			 limit;
	/* Narrowed by these (values checked: model_filter_check). */
	const struct model_filter *filters[DB_LIST_FILTERS];
	const char		*values[DB_LIST_FILTERS];
	int			 nfilters;
	/* The rows under one parent (tracks of a library), or NULL. */
	const char		*scope_column, *scope_value;
	/* Full-text search (the table's search column), ranked; or NULL. */
	const char		*search;
};

/* One page: data, a JSON array (arena text); more: rows follow. */
struct db_page {
	const char		*data;
	int			 count;
	int			 more;
	const char		*last_key, *last_id;
};

/* The statement db_entity_list runs, and its parameters (EXPLAIN). */
const char	*db_entity_list_sql(struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    const struct db_list *l, const char ***params,
		    int *nparams);
/*
 * One page of the user's entities in m's order (newest first), after
 * the row (key, id) when key is not NULL, narrowed by l's filters.
 */
enum db_status	 db_entity_list(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    const struct db_list *l, struct db_page *out);
/*
 * Append a log_events row (payload: JSON text) in the transaction; *id
 * (when not NULL) is its id.
 */
enum db_status	 db_event_append(struct db *db, struct arena *a,
		    const char *user_id, const char *type,
		    const char *domain_id, const char *payload,
		    const char **id);

/* --- blobs.c: the rows of the store's objects --- */

/* A blob's row (strings borrowed from the result, or the caller's). */
struct db_blob {
	const char	*id;
	const char	*kind;		/* audio | image */
	const char	*name;		/* the file name it downloads as */
	const char	*mime_type;
	long long	 size;
	const char	*sha256;	/* hex, or NULL */
	const char	*state;		/* pending | ready */
	const char	*object_key;	/* {user_id}/audio/{uuid}.{ext} */
	const char	*upload_id;	/* a multipart upload, or NULL */
	long long	 part_size;	/* its parts' size (0: single PUT) */
	const char	*created_at;	/* ISO 8601 */
	int		 shared;	/* another row holds its object (lock) */
	struct db_row	 row;		/* as read: db_row_json shows it */
};

/*
 * Insert b (pending; id and key made by the caller) and read it back
 * into b, unless the user's blobs and b would pass quota (bytes; 0: no
 * quota): then *over is set and nothing is written.
 */
enum db_status	 db_blob_create(struct db *db, struct arena *a,
		    const char *user_id, struct db_blob *b, long long quota,
		    int *over);
/*
 * Bytes the user has in the store (sql/0015: blobs, pending ones too,
 * and import bundles kept), import_id's bundle aside (NULL: none).
 */
enum db_status	 db_storage_used(struct db *db, struct arena *a,
		    const char *user_id, const char *import_id,
		    long long *used);
/* The user's blob id into b: DB_OK or DB_NOTFOUND. */
enum db_status	 db_blob_get(struct db *db, struct arena *a,
		    const char *user_id, const char *id, struct db_blob *b);
/*
 * The user's blob id into b, its row locked for the transaction:
 * DB_OK, DB_NOTFOUND, or DB_FOREIGN when a track or a project uses it;
 * b->shared when another of the user's rows holds its object (0018).
 */
enum db_status	 db_blob_lock(struct db *db, struct arena *a,
		    const char *user_id, const char *id, struct db_blob *b);
/* Mark b ready (its upload id dropped); b is read back. */
enum db_status	 db_blob_ready(struct db *db, struct arena *a,
		    const char *user_id, struct db_blob *b);
/* Note the multipart upload of blob id. */
enum db_status	 db_blob_set_upload(struct db *db, struct arena *a,
		    const char *user_id, const char *id, const char *upload_id);
/*
 * Delete the row of blob id: DB_OK, DB_NOTFOUND, or DB_FOREIGN when a
 * track or a project uses it. Its object is queued for removal
 * (blob_deletions) unless it is removed, the key of an object the
 * caller removed from the store already (NULL: none).
 */
enum db_status	 db_blob_delete(struct db *db, struct arena *a,
		    const char *user_id, const char *id, const char *removed);
/* An object waiting for removal, and its multipart upload (or NULL). */
struct db_deletion {
	const char	*key;
	const char	*upload_id;
};
/*
 * Up to limit objects waiting for removal (blob_deletions) into *out
 * (*n of them, in the arena), locked for this transaction; those
 * another drain holds skipped.
 */
enum db_status	 db_blob_deletions_take(struct db *db, struct arena *a,
		    long limit, struct db_deletion **out, int *n);
/*
 * Forget the keys in done (a JSON array) and count a failed attempt,
 * with error, for those in failed.
 */
enum db_status	 db_blob_deletions_settle(struct db *db, struct arena *a,
		    const char *done, const char *failed, const char *error);
/* How many objects wait for removal. */
enum db_status	 db_blob_deletions_count(struct db *db, struct arena *a,
		    long *n);
/*
 * In the user's transaction: drop the user's blobs pending for more than
 * age seconds (their objects and uploads queued for removal); *n set.
 */
enum db_status	 db_blob_sweep_stale(struct db *db, struct arena *a,
		    const char *user_id, long age, long *n);
/* Queue the keys (a JSON array) that no blob row of the user has. */
enum db_status	 db_blob_queue_orphans(struct db *db, struct arena *a,
		    const char *user_id, const char *keys, long *n);
/* {"usedBytes","quotaBytes","kinds":{kind:{count,bytes,pending}}}. */
enum db_status	 db_blob_usage(struct db *db, struct arena *a,
		    const char *user_id, long long quota,
		    struct json_object **out);

/* --- vault.c: what an import writes in bulk --- */

/*
 * Insert rows (a JSON array of objects keyed by column, each with the
 * columns listed, "id, title, …", content_hash among them when m has
 * one) of m for user_id in one statement, in the open transaction. It is
 * sent, not waited for: what it answers is the status of the batch sent
 * before it (all its rows written, or none); db_vault_insert_wait reads
 * the last one's (the next statement, a commit or a rollback would too).
 */
enum db_status	 db_vault_insert(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    const char *columns, const char *rows);
enum db_status	 db_vault_insert_wait(struct db *db);

/* Has the user a row of m (a singleton: skill tree, settings)? */
enum db_status	 db_vault_has(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id, int *has);
/*
 * Of ids (a text[] literal), those of m that are held: fn(ud, id, mine)
 * for each, mine 1 if the transaction's user holds it, 0 if another.
 */
enum db_status	 db_vault_ids(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *ids,
		    void (*fn)(void *ud, const char *id, int mine), void *ud);
/* Begin an import's transaction: references checked at its commit. */
enum db_status	 db_vault_begin(struct db *db, struct arena *a,
		    const char *user_id);
/* Insert ready blob rows (a JSON array keyed by column) for user_id. */
enum db_status	 db_vault_blobs(struct db *db, struct arena *a,
		    const char *user_id, const char *rows);
/* Mark import id done with its result (JSON) and entities written. */
enum db_status	 db_vault_import_done(struct db *db, struct arena *a,
		    const char *id, const char *result, long long entities);
/* Queue objects (a JSON array of keys) for removal by the drain. */
enum db_status	 db_vault_forget_objects(struct db *db, struct arena *a,
		    const char *keys);

/*
 * An import's or an export's row (model_vault_imports, _exports), read in
 * the user's transaction.
 */
struct db_vault_job {
	const char	*state;
	long long	 size;		/* imports: the bundle's bytes */
	const char	*object_key;
	const char	*upload_id;	/* exports: being written, or NULL */
	struct db_row	 row;		/* db_row_json: as the API shows it */
};

/*
 * state: uploading (to come through the store) or running (passionctl).
 * Within quota (0: none; sql/0015), or nothing written and *over set.
 */
enum db_status	 db_vault_import_create(struct db *db, struct arena *a,
		    const char *user_id, const char *id, const char *name,
		    long long size, const char *key, const char *state,
		    long long quota, int *over);
/* The user's import id (locked FOR UPDATE with lock): DB_NOTFOUND. */
enum db_status	 db_vault_import_get(struct db *db, struct arena *a,
		    const char *user_id, const char *id, int lock,
		    struct db_vault_job *out);
/* The user's newest 100 imports as the API shows them (caller's array). */
enum db_status	 db_vault_import_list(struct db *db, struct arena *a,
		    const char *user_id, struct json_object **out);
/*
 * Queue import id's job (payload: JSON) and mark it queued, its last
 * verdict and progress forgotten.
 */
enum db_status	 db_vault_import_start(struct db *db, struct arena *a,
		    const char *user_id, const char *id, const char *payload,
		    long max_attempts);
/* How far a running import is. */
enum db_status	 db_vault_import_progress(struct db *db, struct arena *a,
		    const char *id, long long bytes, long long entities);
/* Delete the user's import id (its object queued for removal). */
enum db_status	 db_vault_import_delete(struct db *db, struct arena *a,
		    const char *user_id, const char *id);
/*
 * Import id failed with code, error, and its result (JSON); a code
 * bad_passphrase is counted among the user's misses (kept
 * VAULT_MISS_KEEP seconds).
 */
#define VAULT_MISS_KEEP	3600
enum db_status	 db_vault_import_failed(struct db *db, struct arena *a,
		    const char *id, const char *code, const char *error,
		    const char *result);
/*
 * The user's wrong passphrases in the last window seconds (*n), and in
 * how many seconds the oldest of them leaves it (*retry).
 */
enum db_status	 db_vault_passphrase_misses(struct db *db, struct arena *a,
		    const char *user_id, long window, long *n, long *retry);
/*
 * Remove the user's imports older than age seconds that are waiting
 * (uploading, or failed: their bundles are queued for removal); *n.
 */
enum db_status	 db_vault_imports_expire(struct db *db, struct arena *a,
		    const char *user_id, long age, long *n);

/*
 * The user's rows of m (in a snapshot: exports), in id order: fn(ud,
 * row) for each; the row lives until fn returns.
 */
enum db_status	 db_vault_each(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    void (*fn)(void *ud, const struct db_row *row), void *ud);
/*
 * Every ready blob of the user's, used or not, oldest first: *out (*n
 * of them), in the arena.
 */
enum db_status	 db_vault_blob_list(struct db *db, struct arena *a,
		    const char *user_id, struct db_blob **out, int *n);

/* The export rows (vault_exports): as imports, with a job at once. */
enum db_status	 db_vault_export_create(struct db *db, struct arena *a,
		    const char *user_id, const char *id, const char *key,
		    const char *payload, long max_attempts);
enum db_status	 db_vault_export_get(struct db *db, struct arena *a,
		    const char *user_id, const char *id, int lock,
		    struct db_vault_job *out);
enum db_status	 db_vault_export_list(struct db *db, struct arena *a,
		    const char *user_id, struct json_object **out);
/* Note the multipart upload the export is written to (NULL: none). */
enum db_status	 db_vault_export_upload(struct db *db, struct arena *a,
		    const char *id, const char *upload_id);
enum db_status	 db_vault_export_progress(struct db *db, struct arena *a,
		    const char *id, long long bytes, long long entities);
/* Done: its size, the entities written and the result. */
enum db_status	 db_vault_export_done(struct db *db, struct arena *a,
		    const char *id, long long size, long long entities,
		    const char *result);
enum db_status	 db_vault_export_failed(struct db *db, struct arena *a,
		    const char *id, const char *code, const char *error);
enum db_status	 db_vault_export_delete(struct db *db, struct arena *a,
		    const char *user_id, const char *id);
/* Delete the user's exports older than age seconds; *n set. */
enum db_status	 db_vault_exports_expire(struct db *db, struct arena *a,
		    const char *user_id, long age, long *n);

/* --- quests.c: what only quests do --- */

/*
 * Complete quest id: status completed and completedAt set once, then in
 * the same transaction quest.completed, an xp reward of its xpValue
 * (sourced to that event) and the XP added to the skill tree (made if
 * absent). A quest completed already is *awarded 0 and unchanged; a
 * concurrent completion waits on the row and awards nothing. *out: the
 * quest. DB_NOTFOUND for a missing or another user's quest.
 */
enum db_status	 db_quest_complete(struct db *db, struct arena *a,
		    const char *user_id, const char *id,
		    struct json_object **out, int *awarded);
/* --- planner.c: the planner's own rules --- */

/*
 * Append event_type (payload) and an xp reward of xp sourced to it, and
 * add xp to the skill tree's totalXp (the tree made if absent).
 */
enum db_status	 db_award(struct db *db, struct arena *a,
		    const char *user_id, const char *event_type,
		    const char *domain, struct json_object *payload,
		    long long xp, const char *reason);
/* Add xp to the user's skill tree (made if absent). */
enum db_status	 db_skill_xp_add(struct db *db, struct arena *a,
		    const char *user_id, long long xp);
/* A new user's skill tree, as the API shows it (caller owns it). */
struct json_object *db_skill_tree_default(void);
/* The stored tree, or the default one (with its hash). */
enum db_status	 db_skill_tree_get(struct db *db, struct arena *a,
		    const char *user_id, struct json_object **out);
/* Replace version/nodes/achievements; DB_STALE (*out current). */
enum db_status	 db_skill_tree_put(struct db *db, struct arena *a,
		    const char *user_id, struct json_object *body,
		    const char *if_match, struct json_object **out);
/* The due list's statement ($1 user, $2 limit), for EXPLAIN. */
const char	*db_quests_due_sql(struct arena *a);
/* Open quests due by the end of the user's today, by date then rank. */
enum db_status	 db_quests_due(struct db *db, struct arena *a,
		    const char *user_id, long limit, struct json_object **out);
/* The wall-clock time now in the user's time zone. */
enum db_status	 db_local_now(struct db *db, struct arena *a,
		    const char *user_id, struct model_civil *now);
/*
 * The instants (ISO 8601 UTC, oldest first, distinct: *out[0..*nout), in
 * the arena) of n wall-clock times in the user's zone; after_now: only
 * later ones.
 */
enum db_status	 db_local_instants(struct db *db, struct arena *a,
		    const char *user_id, const struct model_civil *t, int n,
		    int after_now, const char ***out, int *nout);
/* Create plan's quest templates as quests due at the start of date. */
enum db_status	 db_plan_apply(struct db *db, struct arena *a,
		    const char *user_id, struct json_object *plan,
		    const struct model_civil *date, struct json_object **out);
/* {"byType":{t:{amount,count}},"byDomain":{d:{t:{amount,count}}}} */
enum db_status	 db_rewards_summary(struct db *db, struct arena *a,
		    const char *user_id, struct json_object **out);

/* --- focus.c: the focus timer --- */

/*
 * Abandon the user's active session if past twice its planned time;
 * *n (may be NULL) counts those abandoned.
 */
enum db_status	 db_focus_expire(struct db *db, struct arena *a,
		    const char *user_id, long *n);
/*
 * Start a session (body: id?, mode?, plannedDuration?, metadata?).
 * DB_CONFLICT: one is active already (or the id is taken).
 */
enum db_status	 db_focus_start(struct db *db, struct arena *a,
		    const char *user_id, struct json_object *body,
		    struct json_object **out);
/* The active session: DB_OK, DB_NOTFOUND. */
enum db_status	 db_focus_active(struct db *db, struct arena *a,
		    const char *user_id, struct json_object **out);
/*
 * End session id as status ("completed" or "abandoned") if active
 * (*changed 1; a completed focus-mode session earns its XP once), else
 * *out is the session as it is. DB_NOTFOUND.
 */
enum db_status	 db_focus_finish(struct db *db, struct arena *a,
		    const char *user_id, const char *id, const char *status,
		    struct json_object **out, int *changed);
/* The stats of period ("day", "week", "month") in the user's zone. */
enum db_status	 db_focus_stats(struct db *db, struct arena *a,
		    const char *user_id, const char *period,
		    struct json_object **out);

/* --- account.c: settings, the account --- */

/* The settings of a user with no row (with their hash; caller owns). */
struct json_object *db_settings_default(struct arena *a);
/* The user's settings, or the defaults. */
enum db_status	 db_settings_get(struct db *db, struct arena *a,
		    const char *user_id, struct json_object **out);
/* Upsert the fields in body; If-Match as for entities (DB_STALE). */
enum db_status	 db_settings_patch(struct db *db, struct arena *a,
		    const char *user_id, struct json_object *body,
		    const char *if_match, struct json_object **out);
/* Does the database know the time zone name? */
enum db_status	 db_zone_known(struct db *db, struct arena *a,
		    const char *name, int *known);
/* {"user":{id,name,email,createdAt},"counts":{<vault key>: n}} */
enum db_status	 db_me_get(struct db *db, struct arena *a,
		    const char *user_id, struct json_object **out);
/* Delete the user and everything theirs (cascades). DB_NOTFOUND. */
enum db_status	 db_me_delete(struct db *db, struct arena *a,
		    const char *user_id);

/* Entity id of user_id as JSON (caller owns *out): DB_OK, DB_NOTFOUND. */
enum db_status	 db_entity_get(struct db *db, struct arena *a,
		    const struct model_entity *m, const char *user_id,
		    const char *id, struct json_object **out);

/* One embedded sql/NNNN_name.sql file. */
struct db_migration {
	const char	*version;
	const char	*name;
	const char	*sql;
};
extern const struct db_migration	db_migrations[];
extern const size_t			db_migrations_count;

#endif
