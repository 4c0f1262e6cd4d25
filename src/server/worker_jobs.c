/*
 * worker_jobs.c - the process of a jobs worker: its name, signals and
 * slot, and the wait between jobs/'s turns (jobs_step). Signals are the
 * request workers' (worker_signals_init): TERM and USR1 are blocked
 * except in ppoll, so a stop never cuts a job short; the master kills a
 * job that runs past job_timeout (the slot says when it started), and
 * the next sweep requeues it.
 */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "jobs/jobs.h"
#include "server/server.h"

/* A job starts: the master's view of this worker says which, and since. */
static void
job_start(void *ud, const char *kind, long long id, long limit)
{
	struct worker_slot	*slot = ud;

	snprintf(slot->method, sizeof(slot->method), "JOB");
	snprintf(slot->path, sizeof(slot->path), "%s %lld", kind, id);
	__atomic_store_n(&slot->req_start_ms, time_mono_ms(),
	    __ATOMIC_RELEASE);
	slot->job_limit = limit;
	slot->state_ms = time_mono_ms();
	__atomic_store_n(&slot->state, WORKER_BUSY, __ATOMIC_RELEASE);
}

static void
job_end(void *ud)
{
	struct worker_slot	*slot = ud;

	__atomic_store_n(&slot->req_start_ms, 0, __ATOMIC_RELEASE);
	slot->job_limit = 0;
	slot->state_ms = time_mono_ms();
	__atomic_store_n(&slot->state, WORKER_IDLE, __ATOMIC_RELEASE);
	__atomic_add_fetch(&slot->served, 1, __ATOMIC_RELAXED);
}

/* Sleep until w's fd is readable (fd -1: none), its ms pass, or a signal. */
static void
wait_for(const struct config *cfg, const struct jobs_wait *w)
{
	struct pollfd	 p = { w->fd, POLLIN, 0 };
	struct timespec	 ts = { (time_t)(w->ms / 1000), (long)(w->ms % 1000) *
	    1000000L };
	sigset_t	 none;

	/* TERM and USR1 are taken here only (worker_signals_init). */
	sigemptyset(&none);
	(void)ppoll(&p, w->fd >= 0 ? 1 : 0, &ts, &none);
	worker_log_reopen(cfg);
}

void
worker_jobs_run(const struct config *cfg, struct worker_slot *slot)
{
	struct jobs_ctx		 ctx;
	struct jobs_wait	 w;
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
	stats_use(slot->stats);
	jobs_init(&ctx, cfg, slot->jobs == 2);
	ctx.job_start = job_start;
	ctx.job_end = job_end;
	ctx.hook_ud = slot;
	log_info("jobs worker ready");
	while (!worker_stop_flag) {
		jobs_step(&ctx, &w);
		if (w.ms > 0 && !worker_stop_flag)
			wait_for(cfg, &w);
	}
	jobs_cleanup(&ctx);
	log_info("jobs worker stopped");
	log_flush();
	_exit(0);
}
