/*
 * worker.c - the jobs worker process. One loop: make sure the connection
 * LISTENs, requeue what dead workers left running (at start and every
 * SWEEP_MS), take one due job and run it, or sleep in ppoll on the
 * connection's socket until a NOTIFY, the next retry's time or a signal.
 * No busy polling: an idle worker wakes once per SWEEP_MS.
 *
 * Signals are the request workers' (worker_signals_init): TERM and USR1
 * are blocked except in ppoll, so a stop never cuts a job short; the master
 * kills a job that runs past job_timeout, and the sweep requeues it.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "jobs/jobs.h"

#define SWEEP_MS	10000	/* requeue stale jobs at least this often */
#define DOWN_WAIT_MS	1000	/* database unreachable: try again after */
#define PURGE_DAYS	7	/* finished jobs kept this long */
#define ARENA_BLOCK	(16 * 1024)

static const struct job_kind kinds[] = {
	{ "mail", jobs_mail_run },
	{ "blob_delete", jobs_blob_delete_run },
	{ "vault_import", jobs_vault_import_run },
	{ "vault_export", jobs_vault_export_run },
};

/* The kinds a vault jobs worker takes (and the others leave to it). */
#define VAULT_KINDS	"{vault_import,vault_export}"


long
jobs_backoff(const struct config *cfg, int attempts)
{
	long	 d = cfg->job_retry_base;
	int	 i;

	for (i = 1; i < attempts && d < cfg->job_retry_max; i++)
		d *= 2;
	return d < cfg->job_retry_max ? d : cfg->job_retry_max;
}

/* Sleep until fd is readable (fd -1: none), ms passes, or a signal. */
static void
wait_for(const struct config *cfg, int fd, long long ms)
{
	struct pollfd	 p = { fd, POLLIN, 0 };
	struct timespec	 ts = { (time_t)(ms / 1000), (long)(ms % 1000) *
	    1000000L };
	sigset_t	 none;

	/* TERM and USR1 are taken here only (worker_signals_init). */
	sigemptyset(&none);
	(void)ppoll(&p, fd >= 0 ? 1 : 0, &ts, &none);
	worker_log_reopen(cfg);
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
run(struct jobs_ctx *ctx, struct worker_slot *slot, const struct db_job *j)
{
	const struct job_kind	*k = kind_find(j->kind);
	struct json_object	*payload;
	enum job_result		 res;
	char			 err[512] = "";
	long			 delay = jobs_backoff(ctx->cfg, j->attempts);
	int			 failed = 0;
	enum db_status		 st;

	snprintf(slot->method, sizeof(slot->method), "JOB");
	snprintf(slot->path, sizeof(slot->path), "%s %lld", j->kind, j->id);
	__atomic_store_n(&slot->req_start_ms, time_mono_ms(),
	    __ATOMIC_RELEASE);
	ctx->job_user = j->user_id;
	slot->job_limit = strncmp(j->kind, "vault_", 6) == 0 ?
	    ctx->cfg->vault_timeout : 0;
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
	__atomic_store_n(&slot->req_start_ms, 0, __ATOMIC_RELEASE);
	slot->job_limit = 0;
	__atomic_add_fetch(&slot->served, 1, __ATOMIC_RELAXED);
	if (res == JOB_DONE) {
		st = db_job_done(&ctx->db, &ctx->arena, j->id);
		log_info("job %lld (%s) done on attempt %d", j->id, j->kind,
		    j->attempts);
	} else {
		st = db_job_retry(&ctx->db, &ctx->arena, j->id, delay, err,
		    res == JOB_FAIL, &failed);
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

/* One turn: a job run, or a wait. */
static void
step(struct jobs_ctx *ctx, struct worker_slot *slot, unsigned long *listened,
    int64_t *swept)
{
	struct db_job	 j;
	long long	 due = -1, wait;
	enum db_status	 st;

	if (db_jobs_listen(&ctx->db, listened) != DB_OK) {
		wait_for(ctx->cfg, -1, DOWN_WAIT_MS);
		return;
	}
	if (time_mono_ms() - *swept >= SWEEP_MS) {
		sweep(ctx);
		*swept = time_mono_ms();
	}
	st = db_job_claim(&ctx->db, &ctx->arena, &ctx->lane, &j);
	if (st == DB_OK) {
		run(ctx, slot, &j);
		return;
	}
	if (st != DB_NOTFOUND || db_jobs_next_due(&ctx->db, &ctx->arena,
	    &ctx->lane, &due) != DB_OK) {
		wait_for(ctx->cfg, -1, DOWN_WAIT_MS);
		return;
	}
	/* A NOTIFY read along with a result: look again at once. */
	if (db_notifies_drain(&ctx->db))
		return;
	/* Due but held by another worker's claim: a moment, not a spin. */
	if (due == 0)
		due = 50;
	wait = SWEEP_MS - (time_mono_ms() - *swept);
	if (due > 0 && due < wait)
		wait = due;
	if (wait > 0 && db_socket(&ctx->db) >= 0)
		wait_for(ctx->cfg, db_socket(&ctx->db), wait);
	db_notifies_drain(&ctx->db);
}

void
jobs_worker_run(const struct config *cfg, struct worker_slot *slot)
{
	struct jobs_ctx		 ctx;
	struct db_limits	 lim = { cfg->db_connect_timeout,
	    cfg->batch_statement_timeout * 1000,
	    cfg->batch_lock_timeout * 1000, "passiond-jobs" };
	unsigned long		 listened = 0;
	int64_t			 swept;
	sigset_t		 wait_mask;

	log_set_component(slot->jobs == 2 ? "vault" : "jobs");
	prctl(PR_SET_NAME, slot->jobs == 2 ? "passiond-vault" : "passiond-jobs");
	worker_signals_init(&wait_mask);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/*
	 * It holds opened secrets for a job's run (a vault passphrase, a
	 * magic link): no core dump, no ptrace by the same user.
	 */
	prctl(PR_SET_DUMPABLE, 0);
	if (getppid() == 1)
		_exit(0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	db_init(&ctx.db, cfg->database_url, cfg->database_password, &lim);
	db_init(&ctx.progress, cfg->database_url, cfg->database_password, &lim);
	/* A vault lane takes only vault jobs; then the others leave them. */
	ctx.lane.kinds = slot->jobs == 2 || cfg->vault_workers > 0 ?
	    VAULT_KINDS : "{}";
	ctx.lane.only = slot->jobs == 2;
	net_init(&ctx.net, cfg->outbound_connect_timeout, cfg->smtp_timeout);
	net_init(&ctx.store_net, cfg->outbound_connect_timeout,
	    cfg->outbound_timeout);
	storage_init(&ctx.store, cfg);
	if (*cfg->secret_key != '\0' &&
	    auth_keys_derive(&ctx.keys, cfg->secret_key) != 0)
		log_error("secret_key: cannot derive keys");
	arena_init(&ctx.arena, ARENA_BLOCK);
	swept = time_mono_ms() - SWEEP_MS;
	log_info("jobs worker ready");
	while (!worker_stop_flag) {
		step(&ctx, slot, &listened, &swept);
		arena_reset(&ctx.arena);
	}
	arena_cleanup(&ctx.arena);
	explicit_bzero(&ctx.keys, sizeof(ctx.keys));
	net_cleanup(&ctx.net);
	net_cleanup(&ctx.store_net);
	db_cleanup(&ctx.db);
	db_cleanup(&ctx.progress);
	log_info("jobs worker stopped");
	log_flush();
	_exit(0);
}
