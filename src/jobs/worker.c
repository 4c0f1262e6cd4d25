/*
 * worker.c - what a jobs worker does, one turn at a time: make sure the
 * connection LISTENs, requeue what dead workers left running (at start
 * and every SWEEP_MS), take one due job and run it; or say what to wait
 * on — the connection's socket until a NOTIFY, or the next retry's time.
 * Every QUEUE_MS it reads the queue by kind for the metrics (the master
 * shows the freshest reading of its jobs workers). No busy polling: an
 * idle worker wakes once per QUEUE_MS. The process
 * around it (signals, the master's slot, the wait) is server/'s
 * (worker_jobs.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jobs.h"

#define SWEEP_MS	10000	/* requeue stale jobs at least this often */
#define QUEUE_MS	5000	/* read the queue for the metrics so often */
#define DOWN_WAIT_MS	1000	/* database unreachable: try again after */
#define PURGE_DAYS	7	/* finished jobs kept this long */
#define ARENA_BLOCK	(16 * 1024)

/* The kinds a vault jobs worker takes (and the others leave to it). */
#define VAULT_KINDS	"{vault_import,vault_export}"

static const struct job_kind	*kind_find(const char *name);

static const struct job_kind kinds[] = {
	{ "mail", jobs_mail_run },
	{ "blob_delete", jobs_blob_delete_run },
	{ "vault_import", jobs_vault_import_run },
	{ "vault_export", jobs_vault_export_run },
};

_Static_assert(sizeof(kinds) / sizeof(kinds[0]) < STATS_KINDS,
    "stats: job kinds");

const char *
jobs_kind_name(size_t i)
{
	if (i < sizeof(kinds) / sizeof(kinds[0]))
		return kinds[i].name;
	return i == STATS_KINDS - 1 ? "unknown" : NULL;
}

const char *
jobs_kind_lane(size_t i, const struct config *cfg)
{
	const char	*name = jobs_kind_name(i);
	size_t		 n = name != NULL ? strlen(name) : 0;
	const char	*p = name != NULL ? strstr(VAULT_KINDS, name) : NULL;

	/* The kinds a vault worker takes, when there is one. */
	return p != NULL && (p[n] == ',' || p[n] == '}') &&
	    (p[-1] == '{' || p[-1] == ',') && cfg->vault_workers > 0 ?
	    "vault" : "jobs";
}

/* The index of a kind in the counts. */
static size_t
kind_index(const struct job_kind *k)
{
	return k != NULL ? (size_t)(k - kinds) : STATS_KINDS - 1;
}

/* The queue by kind, into this process's gauges for the metrics. */
static void
read_queue(struct jobs_ctx *ctx)
{
	struct stats_live	*l = &stats_mine->live;
	struct db_queue_row	*rows;
	size_t			 i, n, k;

	if (db_jobs_queue(&ctx->db, &ctx->arena, &rows, &n) != DB_OK)
		return;
	for (k = 0; k < STATS_KINDS; k++) {
		l->queued[k] = 0;
		l->oldest_due_s[k] = -1;
	}
	for (i = 0; i < n; i++) {
		k = kind_index(kind_find(rows[i].kind));
		l->queued[k] += rows[i].queued;
		if (rows[i].oldest_due_s > l->oldest_due_s[k])
			l->oldest_due_s[k] = rows[i].oldest_due_s;
	}
	__atomic_store_n(&l->queue_ms, time_mono_ms(), __ATOMIC_RELEASE);
}


long
jobs_backoff(const struct config *cfg, int attempts)
{
	long	 d = cfg->job_retry_base;
	int	 i;

	for (i = 1; i < attempts && d < cfg->job_retry_max; i++)
		d *= 2;
	return d < cfg->job_retry_max ? d : cfg->job_retry_max;
}

static void
sweep(struct jobs_ctx *ctx)
{
	long	 n = 0;

	if (db_jobs_requeue_stale(&ctx->db, &ctx->arena, &n) == DB_OK &&
	    n > 0)
		log_warn("requeued %ld job(s) whose worker stopped while "
		    "running them", n);
	if (db_jobs_purge(&ctx->db, &ctx->arena, PURGE_DAYS, &n) == DB_OK &&
	    n > 0)
		log_info("purged %ld job(s) finished over %d days ago", n,
		    PURGE_DAYS);
}

static const struct job_kind *
kind_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

/* Run a claimed job and record how it went. */
static void
run(struct jobs_ctx *ctx, const struct db_job *j)
{
	const struct job_kind	*k = kind_find(j->kind);
	struct json_object	*payload;
	enum job_result		 res;
	char			 err[512] = "";
	long			 delay = jobs_backoff(ctx->cfg, j->attempts);
	int			 failed = 0;
	enum db_status		 st;

	if (ctx->job_start != NULL)
		ctx->job_start(ctx->hook_ud, j->kind, j->id, strncmp(j->kind,
		    "vault_", 6) == 0 ? ctx->cfg->vault_timeout : 0);
	ctx->job_user = j->user_id;
	payload = json_tokener_parse(j->payload);
	if (k == NULL || payload == NULL) {
		snprintf(err, sizeof(err), "unknown kind or bad payload");
		res = JOB_FAIL;
	} else if (j->expired) {
		snprintf(err, sizeof(err), "expired before it could run");
		res = JOB_FAIL;
	} else
		res = k->run(ctx, payload, err, sizeof(err));
	json_object_put(payload);
	ctx->job_user = NULL;
	if (ctx->job_end != NULL)
		ctx->job_end(ctx->hook_ud);
	if (res == JOB_DONE)
		stats_count(&stats_mine->jobs_done[kind_index(k)]);
	if (res == JOB_DONE) {
		/* A job done may say what it came to, in err. */
		st = db_job_done(&ctx->db, &ctx->arena, j->id, err);
		log_info("job %lld (%s) done on attempt %d%s%s", j->id, j->kind,
		    j->attempts, err[0] ? ": " : "", err);
	} else {
		st = db_job_retry(&ctx->db, &ctx->arena, j->id, delay, err,
		    res == JOB_FAIL, &failed);
		if (failed)
			stats_count(&stats_mine->jobs_failed[kind_index(k)]);
		if (failed)
			log_error("job %lld (%s) failed for good on attempt "
			    "%d: %s", j->id, j->kind, j->attempts, err);
		else
			log_warn("job %lld (%s) failed on attempt %d of %d, "
			    "next in %ld s: %s", j->id, j->kind, j->attempts,
			    j->max_attempts, delay, err);
	}
	if (st != DB_OK)
		log_warn("job %lld: could not record the outcome (it will "
		    "be requeued): %s", j->id, ctx->db.errstr);
}

void
jobs_step(struct jobs_ctx *ctx, struct jobs_wait *w)
{
	struct db_job	 j;
	long long	 due = -1, wait;
	enum db_status	 st;

	arena_reset(&ctx->arena);
	w->fd = -1;
	w->ms = 0;
	if (db_jobs_listen(&ctx->db, &ctx->listened) != DB_OK) {
		w->ms = DOWN_WAIT_MS;
		return;
	}
	/* What woke the last wait is read; what comes now wakes the next. */
	db_notifies_drain(&ctx->db);
	if (time_mono_ms() - ctx->swept >= SWEEP_MS) {
		sweep(ctx);
		ctx->swept = time_mono_ms();
	}
	if (time_mono_ms() - ctx->counted >= QUEUE_MS) {
		read_queue(ctx);
		ctx->counted = time_mono_ms();
	}
	st = db_job_claim(&ctx->db, &ctx->arena, &ctx->lane, &j);
	if (st == DB_OK) {
		run(ctx, &j);
		return;
	}
	if (st != DB_NOTFOUND || db_jobs_next_due(&ctx->db, &ctx->arena,
	    &ctx->lane, &due) != DB_OK) {
		w->ms = DOWN_WAIT_MS;
		return;
	}
	/* A NOTIFY read along with a result: look again at once. */
	if (db_notifies_drain(&ctx->db))
		return;
	/* Due but held by another worker's claim: a moment, not a spin. */
	if (due == 0)
		due = 50;
	wait = SWEEP_MS - (time_mono_ms() - ctx->swept);
	if (QUEUE_MS - (time_mono_ms() - ctx->counted) < wait)
		wait = QUEUE_MS - (time_mono_ms() - ctx->counted);
	if (due > 0 && due < wait)
		wait = due;
	if (wait > 0 && db_socket(&ctx->db) >= 0) {
		w->fd = db_socket(&ctx->db);
		w->ms = wait;
	}
}

void
jobs_init(struct jobs_ctx *ctx, const struct config *cfg, int vault_only)
{
	struct db_limits	 lim = { cfg->db_connect_timeout,
	    cfg->batch_statement_timeout * 1000,
	    cfg->batch_lock_timeout * 1000, "passiond-jobs" };

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	db_init(&ctx->db, cfg->database_url, cfg->database_password, &lim);
	db_init(&ctx->progress, cfg->database_url, cfg->database_password,
	    &lim);
	/* A vault lane takes only vault jobs; then the others leave them. */
	ctx->lane.kinds = vault_only || cfg->vault_workers > 0 ? VAULT_KINDS :
	    "{}";
	ctx->lane.only = vault_only;
	net_init(&ctx->net, cfg->outbound_connect_timeout, cfg->smtp_timeout);
	net_init(&ctx->store_net, cfg->outbound_connect_timeout,
	    cfg->outbound_timeout);
	storage_init(&ctx->store, cfg);
	if (*cfg->secret_key != '\0' &&
	    auth_keys_derive(&ctx->keys, cfg->secret_key) != 0)
		log_error("secret_key: cannot derive keys");
	arena_init(&ctx->arena, ARENA_BLOCK);
	ctx->swept = time_mono_ms() - SWEEP_MS;
	ctx->counted = ctx->swept;
}

void
jobs_cleanup(struct jobs_ctx *ctx)
{
	arena_cleanup(&ctx->arena);
	explicit_bzero(&ctx->keys, sizeof(ctx->keys));
	net_cleanup(&ctx->net);
	net_cleanup(&ctx->store_net);
	db_cleanup(&ctx->db);
	db_cleanup(&ctx->progress);
}
