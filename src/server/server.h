/*
 * server.h - the prefork server: a master that owns the listening socket
 * and supervises workers, and the workers' FastCGI accept loop. The master
 * never touches the database or a request.
 */
#ifndef PASSION_SERVER_H
#define PASSION_SERVER_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/conf.h"
#include "http/http.h"
#include "util/util.h"

struct FCGX_Request;

/* What a worker is doing, as its slot says (a jobs worker: idle, busy). */
enum worker_state { WORKER_IDLE, WORKER_READING, WORKER_BUSY };

/* What the master knows of one worker, in memory shared with it. */
struct worker_slot {
	pid_t		 pid;		/* 0: free */
	int		 jobs;		/* 1: a jobs worker, 2: for vault
					   jobs only; 0: a request worker */
	long		 job_limit;	/* seconds its job may run (0: the
					   config's job_timeout) */
	unsigned	 generation;	/* config generation it runs */
	int		 retiring;	/* told to stop (reload, shutdown) */
	int		 slow;		/* killed by the master for a deadline */
	int64_t		 started_ms;	/* fork time, monotonic */
	int64_t		 req_start_ms;	/* 0 when idle; written by the worker
					   (a jobs worker: its job's start) */
	unsigned long	 served;	/* requests done; written by the worker */
	int		 state;		/* enum worker_state, by the worker */
	int64_t		 state_ms;	/* since (monotonic) */
	int		 route;		/* api_route_index of the request */
	struct stats	*stats;		/* its counts (util/stats.c), shared */
	char		 method[8];	/* of the request in flight */
	char		 path[120];
	struct log_held	 log;		/* a request worker's held lines */
};

/*
 * Run the master until SIGTERM/SIGINT: open or inherit the socket, fork
 * and supervise workers, reload on SIGHUP. config_path is re-read on
 * reload, with cred_dir as conf_load's. Returns the process exit status.
 */
int	 server_run(const char *config_path, const char *cred_dir,
	    struct config *cfg);
/*
 * --check-config: print cfg (secrets hidden) and what keeps it from
 * serving users (conf_warnings; with connect, also whether both roles'
 * database_url connect), then a verdict line. Returns the exit status:
 * 0 ready, 1 it cannot serve users.
 */
int	 server_check_config(const struct config *cfg, int connect);
/*
 * Open a listening socket at addr (unix with cfg's owner/group/mode, or
 * TCP, with cfg's backlog), non-blocking; or, when systemd, take the
 * one systemd passed (LISTEN_FDS). Sets *owned when we made a unix
 * socket file that we should unlink at exit. -1 with err.
 */
int	 server_listen(const struct config *cfg, const char *addr, int systemd,
	    int *owned, char *err, size_t errlen);

/* Why a worker ended, as the metrics count it. */
enum worker_exit { EXIT_RECYCLED, EXIT_RETIRED, EXIT_DEADLINE, EXIT_SIGNAL,
	EXIT_ERROR, EXIT_REASONS };
#define WORKER_KINDS	3	/* request, jobs, vault jobs: slot->jobs */

/* What the master's status listener shows (status.c, render.c). */
struct status_view {
	const struct config		*cfg;
	const struct worker_slot	*slots;
	size_t				 nslots;
	const struct stats		*retired;	/* dead workers' counts */
	double				 retired_cpu_s[WORKER_KINDS];
	uint64_t			 exits[WORKER_KINDS][EXIT_REASONS];
	int				 listen_fd;
	long				 queue_max;	/* most seen waiting */
	int64_t				 started_ms;	/* wall clock */
};
/*
 * How many connections wait on listen_fd to be accepted, and its
 * backlog: sock_diag for a unix socket, TCP_INFO for TCP. -1 on error.
 */
int	 listen_queue(int listen_fd, long *queue, long *backlog);
/*
 * One connection waiting on the status listener fd: read its request
 * and answer it (GET /metrics, /status, /status?full), each within
 * 100 ms, then close it. Never blocks past those budgets.
 */
void	 status_answer(int fd, const struct status_view *v);
/* The Prometheus text of v into b; -1 past b's cap. */
int	 render_metrics(struct buf *b, const struct status_view *v);
/* The JSON of /status into b (full: each worker too); -1 past b's cap. */
int	 render_status(struct buf *b, const struct status_view *v, int full);
/* Set by TERM and by USR1 in a worker process (request or jobs). */
extern volatile sig_atomic_t	worker_stop_flag;
extern volatile sig_atomic_t	worker_reopen_flag;
/*
 * A worker's signals: TERM and USR1 set the flags above and stay blocked
 * except while waiting with ppoll(..., wait_mask); the master decides
 * about INT, QUIT and HUP. So a stop never cuts a request or job short.
 */
void	 worker_signals_init(sigset_t *wait_mask);
/* Reopen log_file if USR1 asked for it. */
void	 worker_log_reopen(const struct config *cfg);
/* A jobs worker's process: jobs_step until TERM; never returns. */
void	 worker_jobs_run(const struct config *cfg, struct worker_slot *slot)
	    __attribute__((noreturn));
/* The worker process: accept and serve until told to stop; never returns. */
void	 worker_run(const struct config *cfg, int listen_fd,
	    struct worker_slot *slot, const struct share *share)
	    __attribute__((noreturn));
/* Install the read deadline's SIGALRM handler (once per worker). */
void	 fcgi_deadline_init(void);
/*
 * Accept one connection on the non-blocking listen_fd and read its
 * request's params, all within read_ms of the accept (*at_ms, monotonic).
 * 1: a request is in fr; 0: none waiting, or the peer was dropped; -1:
 * accept failed (errno).
 */
int	 fcgi_accept(struct FCGX_Request *fr, int listen_fd, long read_ms,
	    int64_t *at_ms);
/* Reply done: flush and close the connection, disarm the deadline. */
void	 fcgi_finish(struct FCGX_Request *fr);
/*
 * Bind an http_io to a FastCGI request's streams. A read past the
 * deadline fails with errno ETIMEDOUT.
 */
void	 fcgi_io_init(struct http_io *io, struct FCGX_Request *fr);

#endif
