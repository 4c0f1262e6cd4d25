/*
 * worker.c - one worker process: wait for a connection, serve one request,
 * reset the arena, repeat, until told to stop or max_requests is reached.
 *
 * Signals (TERM, USR1) stay blocked except while the worker waits in
 * ppoll, which unblocks them atomically. So a stop request never cuts a
 * request short (libfcgi's reads give up on EINTR), and never races the
 * wait: a TERM that comes during a request is delivered at the next wait.
 * The listening socket is non-blocking, so a worker that lost the race for
 * a connection gets EAGAIN from accept and waits again.
 *
 * Log lines are held in the slot while connections are waiting (a ppoll
 * that does not wait) and written when the worker would wait: under load
 * one write(2) serves many requests; the master writes out the lines of
 * a worker that died holding some.
 */
#include "config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "server/server.h"

#define ARENA_BLOCK	(64 * 1024)

volatile sig_atomic_t	worker_stop_flag;
volatile sig_atomic_t	worker_reopen_flag;

static struct worker_slot	*me;	/* for route_seen */

static void	on_stop(int sig);
static void	on_reopen(int sig);
static void	serve(struct app *app, FCGX_Request *fr, struct arena *a,
		    struct worker_slot *slot, int64_t accepted_ms,
		    int64_t t0_us);

static void
on_stop(int sig)
{
	(void)sig;
	worker_stop_flag = 1;
}

static void
on_reopen(int sig)
{
	(void)sig;
	worker_reopen_flag = 1;
}

void
worker_signals_init(sigset_t *wait_mask)
{
	struct sigaction	 sa;
	sigset_t		 block;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: ppoll must return EINTR */
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_reopen;
	sigaction(SIGUSR1, &sa, NULL);
	/* The master decides about INT, QUIT and HUP for everyone. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_SETMASK, &block, NULL);
	sigemptyset(wait_mask);
}

/* The slot says a state, since now. */
static void
set_state(struct worker_slot *slot, enum worker_state state)
{
	__atomic_store_n(&slot->state_ms, time_mono_ms(), __ATOMIC_RELAXED);
	__atomic_store_n(&slot->state, (int)state, __ATOMIC_RELEASE);
}

/* The route is known: /status may show which one runs. */
static void
route_seen(struct http_request *req)
{
	__atomic_store_n(&me->route, (int)api_route_index(req->route),
	    __ATOMIC_RELAXED);
}

static void
serve(struct app *app, FCGX_Request *fr, struct arena *a,
    struct worker_slot *slot, int64_t accepted_ms, int64_t t0_us)
{
	struct http_request	 req;
	struct http_io		 io;
	size_t			 route;

	fcgi_io_init(&io, fr);
	http_request_init(&req, a, fr->envp, &io);
	req.start_ms = accepted_ms;
	req.on_route = route_seen;
	strncpy(slot->method, req.method, sizeof(slot->method) - 1);
	strncpy(slot->path, req.path, sizeof(slot->path) - 1);
	api_handle(app, &req);
	fcgi_finish(fr);
	/* Counted as the answer is out, by its route and status class. */
	route = api_route_index(req.route);
	stats_count(&slot->stats->requests[route][stats_class(req.status)]);
	stats_observe(&slot->stats->duration[route], time_mono_us() - t0_us);
	set_state(slot, WORKER_IDLE);
	http_log_access(&req);
	__atomic_store_n(&slot->req_start_ms, 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&slot->served, 1, __ATOMIC_RELAXED);
	arena_reset(a);
}

/*
 * Take a waiting connection and serve its request: 1 served, 0 none
 * waiting (or the peer dropped), -1 accept failed (errno).
 */
static int
take(struct app *app, FCGX_Request *fr, struct arena *a,
    struct worker_slot *slot, int listen_fd, long read_ms)
{
	int64_t	 accepted_ms = 0, t0_us;
	int	 rc;

	/* The request's clock starts at accept, before any read. */
	memset(slot->method, 0, sizeof(slot->method));
	memset(slot->path, 0, sizeof(slot->path));
	slot->route = (int)api_route_index(NULL);
	t0_us = time_mono_us();
	set_state(slot, WORKER_READING);
	rc = fcgi_accept(fr, listen_fd, read_ms, &accepted_ms);
	if (rc != 1) {
		set_state(slot, WORKER_IDLE);
		return rc;
	}
	__atomic_store_n(&slot->req_start_ms, accepted_ms, __ATOMIC_RELEASE);
	set_state(slot, WORKER_BUSY);
	serve(app, fr, a, slot, accepted_ms, t0_us);
	return 1;
}

void
worker_log_reopen(const struct config *cfg)
{
	if (!worker_reopen_flag)
		return;
	worker_reopen_flag = 0;
	log_release();
	if (log_open(cfg->log_file) != 0)
		log_error("cannot reopen %s: %s", cfg->log_file,
		    strerror(errno));
}

void
worker_run(const struct config *cfg, int listen_fd, struct worker_slot *slot,
    const struct share *share)
{
	FCGX_Request	 fr;
	struct app	 app;
	struct arena	 arena;
	struct pollfd	 pfd;
	sigset_t	 wait_mask;
	unsigned long	 served = 0;
	const struct timespec no_wait = { 0, 0 };
	int		 rc;

	log_set_component("worker");
	prctl(PR_SET_NAME, "passiond-worker");
	worker_signals_init(&wait_mask);
	/* Die with the master rather than serve on unsupervised. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	if (FCGX_Init() != 0) {
		log_error("FCGX_Init failed");
		_exit(3);
	}
	/* fcgi.c accepts; libfcgi only reads (listen_sock -1). */
	if (FCGX_InitRequest(&fr, -1, 0) != 0) {
		log_error("FCGX_InitRequest failed");
		_exit(3);
	}
	fcgi_deadline_init();
	log_hold(&slot->log);
	me = slot;
	stats_use(slot->stats);
	api_app_init(&app, cfg);
	app.share = *share;
	arena_init(&arena, ARENA_BLOCK);

	while (!worker_stop_flag) {
		if (cfg->max_requests > 0 &&
		    served >= (unsigned long)cfg->max_requests) {
			log_info("recycling after %lu requests", served);
			break;
		}
		pfd.fd = listen_fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = ppoll(&pfd, 1, log_holding() ? &no_wait : NULL,
		    &wait_mask);
		worker_log_reopen(cfg);
		if (rc == 0) {
			/* Nothing waiting: out with the held lines, then wait. */
			log_release();
			continue;
		}
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			log_error("ppoll: %s", strerror(errno));
			break;
		}
		if (worker_stop_flag)
			break;
		rc = take(&app, &fr, &arena, slot, listen_fd,
		    cfg->read_timeout * 1000);
		if (rc == -1) {
			log_error("accept: %s", strerror(errno));
			break;
		}
		served += (unsigned long)rc;
	}
	FCGX_Free(&fr, 1);
	arena_cleanup(&arena);
	api_app_cleanup(&app);
	log_flush();
	_exit(0);
}
