/*
 * statements.c - the text of every prepared statement, by enum db_stmt.
 */
#include "config.h"

#include "db/db_internal.h"

const struct db_stmt_def db_stmt_defs[DB_STMT_COUNT] = {
	[DB_STMT_PING] = { "ping", "SELECT 1", 0, 1 },
	[DB_STMT_SET_USER] = { "set_user",
	    "SELECT set_config('passion.user_id', $1, true)", 1, 0 },
	[DB_STMT_USER_BY_EMAIL] = { "user_by_email",
	    "SELECT id, disabled_at IS NOT NULL AS disabled, email_verified "
	    "IS NOT NULL AS verified FROM users WHERE email = $1", 1, 1 },
	[DB_STMT_USER_CREATE] = { "user_create",
	    "INSERT INTO users (email, email_verified, name, image) VALUES "
	    "($1, CASE WHEN $2::boolean THEN now() END, $3, $4) RETURNING id",
	    4, 0 },
	[DB_STMT_USER_VERIFY] = { "user_verify",
	    "UPDATE users SET email_verified = coalesce(email_verified, now()),"
	    " updated_at = now() WHERE id = $1", 1, 0 },
	[DB_STMT_ACCOUNT_FIND] = { "account_find",
	    "SELECT u.id, u.disabled_at IS NOT NULL AS disabled, "
	    "u.email_verified IS NOT NULL AS verified FROM accounts a "
	    "JOIN users u ON u.id = a.user_id "
	    "WHERE a.provider = $1 AND a.provider_account_id = $2", 2, 1 },
	[DB_STMT_ACCOUNT_CREATE] = { "account_create",
	    "INSERT INTO accounts (user_id, type, provider, "
	    "provider_account_id, access_token, refresh_token, id_token, "
	    "expires_at, token_type, scope) VALUES ($1, 'oidc', $2, $3, "
	    "$4::bytea, $5::bytea, $6::bytea, $7::bigint, $8, $9)", 9, 0 },
	[DB_STMT_ACCOUNT_TOKENS] = { "account_tokens",
	    "UPDATE accounts SET access_token = $3::bytea, "
	    "refresh_token = coalesce($4::bytea, refresh_token), "
	    "id_token = $5::bytea, expires_at = $6::bigint "
	    "WHERE provider = $1 AND provider_account_id = $2", 6, 0 },
	[DB_STMT_SESSION_CREATE] = { "session_create",
	    "INSERT INTO sessions (session_token, user_id, expires, "
	    "user_agent) VALUES ($1, $2, now() + least("
	    "make_interval(secs => $3), make_interval(secs => $4)), $5) "
	    "RETURNING id, " DB_ISO("expires") " AS expires", 5, 0 },
	[DB_STMT_SESSION_LOOKUP] = { "session_lookup",
	    "SELECT s.id, s.user_id, s.expires, "
	    "s.expires > now() AND s.created_at + make_interval(secs => $2) "
	    "> now() AS valid, u.disabled_at IS NULL AS enabled, "
	    "now() - s.last_seen_at >= make_interval(secs => $3) AS roll_due, "
	    "coalesce(u.name, '') AS name, coalesce(u.email, '') AS email, "
	    "coalesce(u.image, '') AS image FROM sessions s "
	    "JOIN users u ON u.id = s.user_id WHERE s.session_token = $1", 3, 1 },
	/*
	 * The same, and for a valid session of the user the request claims
	 * ($2), passion.user_id for this transaction: row-level security
	 * then sees that user and nobody else.
	 */
	[DB_STMT_SESSION_AUTH] = { "session_auth",
	    "SELECT s.id, s.user_id, s.expires, "
	    "s.expires > now() AND s.created_at + make_interval(secs => $3) "
	    "> now() AS valid, u.disabled_at IS NULL AS enabled, "
	    "now() - s.last_seen_at >= make_interval(secs => $4) AS roll_due, "
	    "coalesce(u.name, '') AS name, coalesce(u.email, '') AS email, "
	    "coalesce(u.image, '') AS image, set_config('passion.user_id', "
	    "CASE WHEN s.expires > now() AND s.created_at + make_interval(secs "
	    "=> $3) > now() AND u.disabled_at IS NULL AND s.user_id::text = "
	    "$2::text THEN $2::text ELSE '' END, true) <> '' AS authorized "
	    "FROM sessions s "
	    "JOIN users u ON u.id = s.user_id WHERE s.session_token = $1", 4,
	    0 },
	[DB_STMT_SESSION_ROLL] = { "session_roll",
	    "UPDATE sessions SET last_seen_at = now(), expires = least("
	    "now() + make_interval(secs => $2), "
	    "created_at + make_interval(secs => $3)) WHERE id = $1 "
	    "RETURNING " DB_ISO("expires") " AS expires", 3, 0 },
	[DB_STMT_SESSION_DELETE] = { "session_delete",
	    "DELETE FROM sessions WHERE id = $1 AND "
	    "($2::uuid IS NULL OR user_id = $2::uuid) RETURNING id", 2, 0 },
	[DB_STMT_SESSION_LIST] = { "session_list",
	    "SELECT id, " DB_ISO("created_at") " AS created, "
	    DB_ISO("last_seen_at") " AS last_seen, user_agent FROM sessions "
	    "WHERE user_id = $1 AND expires > now() "
	    "ORDER BY created_at DESC, id LIMIT 100", 1, 1 },
	[DB_STMT_SESSION_DELETE_OTHERS] = { "session_delete_others",
	    "DELETE FROM sessions WHERE user_id = $1 AND id <> $2", 2, 0 },
	[DB_STMT_VTOKEN_CREATE] = { "vtoken_create",
	    "INSERT INTO verification_tokens (identifier, token, expires, "
	    "callback_url) VALUES ($1, $2, now() + make_interval(secs => $3), "
	    "$4)", 4, 0 },
	[DB_STMT_VTOKEN_CONSUME] = { "vtoken_consume",
	    "DELETE FROM verification_tokens WHERE identifier = $1 AND "
	    "token = $2 RETURNING expires <= now() AS expired, callback_url", 2,
	    0 },
	[DB_STMT_RATE_HIT] = { "rate_hit",
	    "INSERT INTO rate_limits AS r (key, window_start, count) "
	    "VALUES ($1, now(), 1) ON CONFLICT (key) DO UPDATE SET "
	    "count = CASE WHEN r.window_start <= now() - "
	    "make_interval(secs => $2) THEN 1 ELSE r.count + 1 END, "
	    "window_start = CASE WHEN r.window_start <= now() - "
	    "make_interval(secs => $2) THEN now() ELSE r.window_start END "
	    "RETURNING count, ceil(extract(epoch FROM r.window_start + "
	    "make_interval(secs => $2) - now()))::bigint AS retry_after", 2,
	    0 },
	[DB_STMT_JOB_ENQUEUE] = { "job_enqueue",
	    "INSERT INTO jobs (kind, payload, max_attempts, expires_at) "
	    "VALUES ($1, $2::jsonb, $3::integer, CASE WHEN $4::bigint > 0 "
	    "THEN now() + make_interval(secs => $4::bigint) END) RETURNING id",
	    4, 0 },
	/* The session that runs a job is named by pid and start time. */
	[DB_STMT_JOB_CLAIM] = { "job_claim",
	    "UPDATE jobs SET state = 'running', attempts = attempts + 1, "
	    "started_at = now(), locked_pid = pg_backend_pid(), "
	    "locked_backend_start = (SELECT backend_start FROM "
	    "pg_stat_activity WHERE pid = pg_backend_pid()) "
	    "WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND "
	    "run_at <= now() AND (kind = ANY($1::text[])) = $2::boolean AND "
	    "NOT jobs_user_running(user_id, $1, $2) "
	    "ORDER BY jobs_user_last_start(user_id, $1, $2) NULLS FIRST, "
	    "run_at, id LIMIT 1 "
	    "FOR UPDATE SKIP LOCKED) RETURNING id, kind, payload::text AS "
	    "payload, attempts, max_attempts, coalesce(expires_at <= now(), "
	    "false) AS expired, user_id", 2, 0 },
	[DB_STMT_JOB_DONE] = { "job_done",
	    "UPDATE jobs SET state = 'done', finished_at = now(), "
	    "last_error = NULL, outcome = left($2, 1000), "
	    "payload = payload - 'secret', "
	    "locked_pid = NULL, locked_backend_start = NULL "
	    "WHERE id = $1 AND state = 'running' AND "
	    "locked_pid = pg_backend_pid()", 2, 0 },
	[DB_STMT_JOB_RETRY] = { "job_retry",
	    "UPDATE jobs j SET state = CASE WHEN g.stop THEN 'failed' "
	    "ELSE 'queued' END, run_at = now() + make_interval(secs => "
	    "$2::bigint), last_error = left($3, 1000), finished_at = "
	    "CASE WHEN g.stop THEN now() END, payload = CASE WHEN g.stop "
	    "THEN j.payload - 'secret' ELSE j.payload END, locked_pid = NULL, "
	    "locked_backend_start = NULL FROM (SELECT id, $4::boolean OR "
	    "attempts >= max_attempts OR coalesce(now() + make_interval(secs "
	    "=> $2::bigint) >= expires_at, false) AS stop FROM jobs WHERE "
	    "id = $1) g WHERE j.id = g.id AND j.state = 'running' AND "
	    "j.locked_pid = pg_backend_pid() RETURNING j.state", 4, 0 },
	[DB_STMT_JOBS_REQUEUE_STALE] = { "jobs_requeue_stale",
	    "UPDATE jobs j SET state = CASE WHEN j.attempts >= j.max_attempts "
	    "THEN 'failed' ELSE 'queued' END, run_at = now(), finished_at = "
	    "CASE WHEN j.attempts >= j.max_attempts THEN now() END, payload = "
	    "CASE WHEN j.attempts >= j.max_attempts THEN j.payload - 'secret' "
	    "ELSE j.payload END, last_error = 'its worker stopped while "
	    "running it', locked_pid = NULL, locked_backend_start = NULL "
	    "WHERE j.state = 'running' AND NOT EXISTS (SELECT 1 FROM "
	    "pg_stat_activity a WHERE a.pid = j.locked_pid AND "
	    "a.backend_start = j.locked_backend_start) RETURNING j.id", 0, 0 },
	[DB_STMT_JOBS_NEXT_DUE] = { "jobs_next_due",
	    /* greatest() skips a NULL: no job must say so before it. */
	    "SELECT CASE WHEN min(run_at) IS NULL THEN -1 ELSE "
	    "greatest(ceil(extract(epoch FROM min(run_at) - now()) * 1000), "
	    "0) END::bigint AS ms FROM jobs WHERE state = "
	    "'queued' AND (kind = ANY($1::text[])) = $2::boolean AND "
	    "NOT jobs_user_running(user_id, $1, $2)", 2, 1 },
	[DB_STMT_JOBS_PURGE] = { "jobs_purge",
	    "DELETE FROM jobs WHERE state IN ('done', 'failed') AND "
	    "finished_at < now() - make_interval(days => $1::integer)", 1, 0 },
	/* For the metrics (jobs/worker.c): the partial index of queued. */
	[DB_STMT_JOBS_QUEUE] = { "jobs_queue",
	    "SELECT kind, count(*) AS queued, coalesce(floor(extract(epoch "
	    "FROM now() - min(run_at) FILTER (WHERE run_at <= now()))), "
	    "-1)::bigint AS oldest FROM jobs WHERE state = 'queued' "
	    "GROUP BY kind", 0, 1 },
	/* For /api/_debug/db-sleep (debug_routes only). */
	[DB_STMT_DEBUG_SLEEP] = { "debug_sleep",
	    "SELECT pg_sleep($1::double precision / 1000)", 1, 1 },
	[DB_STMT_EVENT_APPEND] = { "event_append",
	    "INSERT INTO log_events (id, user_id, event_type, payload, "
	    "\"timestamp\", domain_id) VALUES (gen_random_uuid()::text, $1, $2, "
	    "$3::jsonb, now(), $4) RETURNING id", 4, 0 },
	[DB_STMT_REWARD_APPEND] = { "reward_append",
	    "INSERT INTO reward_ledger (id, user_id, domain_id, reward_type, "
	    "amount, reason, source_event_id, created_at) VALUES "
	    "(gen_random_uuid()::text, $1, $2, $3, $4::integer, $5, $6, now())",
	    6, 0 },
	/* A tree is made on the first award; its hash is the empty tree's. */
	[DB_STMT_SKILL_XP_ADD] = { "skill_xp_add",
	    "INSERT INTO skill_trees (id, user_id, version, nodes, total_xp, "
	    "updated_at, content_hash) VALUES (gen_random_uuid()::text, $1, 1, "
	    "'{}', $2::integer, now(), $3) ON CONFLICT (user_id) DO UPDATE "
	    "SET total_xp = skill_trees.total_xp + excluded.total_xp, "
	    "updated_at = now() RETURNING total_xp", 3, 0 },
};
