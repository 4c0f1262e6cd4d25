/*
 * fcgi.c - the only place that knows libfcgi: it accepts a connection,
 * reads the request's params under a deadline, and turns the request into
 * the http_io the http/ room reads and writes.
 *
 * The deadline. libfcgi reads params inside FCGX_Accept_r with blocking
 * reads, so a peer that connects and sends one byte would hold a worker
 * forever. We accept the connection ourselves and note when; a timer
 * (SIGALRM) whose handler finds the connection past read_timeout shuts
 * down its reading side, so every read on it (params, body, libfcgi's
 * drain on close) returns end-of-file at once and the peer is dropped.
 * The timer costs no system call per request: it is armed at an accept
 * only when it is not running already, and left to fire after the
 * connection is gone; the handler then re-arms it for what is left of
 * the connection being served, if any, or lets it rest. So a worker busy
 * with short requests takes one SIGALRM per read_timeout, an idle one
 * none. The handler is installed with SA_RESTART: it interrupts nothing
 * else the worker does (what polls, libpq and libcurl, retries EINTR).
 *
 * To make libfcgi read from a socket we accepted, the request is handed
 * the descriptor in ipcFd with keepConnection set (so the FCGX_Finish_r
 * that FCGX_Accept_r starts with does not close it), and listen_sock is
 * -1 (so a failed request makes it return instead of accepting again).
 */
#include "config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "server/server.h"

static volatile sig_atomic_t	 conn_fd = -1;	/* being served, or -1 */
static volatile sig_atomic_t	 expired;	/* conn_fd's reads cut */
static volatile sig_atomic_t	 armed;		/* the timer is running */
static int64_t			 conn_due_ms;	/* conn_fd's deadline */
static int			 timed_out;	/* a read of it was cut (counted) */

/* Run the timer for ms (async-signal-safe: setitimer). */
static void
arm(int64_t ms)
{
	struct itimerval	 it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)(ms / 1000);
	it.it_value.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	armed = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void
on_deadline(int sig)
{
	int	 saved = errno;
	int	 fd = conn_fd;
	int64_t	 left;

	(void)sig;
	armed = 0;
	if (fd >= 0) {
		left = __atomic_load_n(&conn_due_ms, __ATOMIC_ACQUIRE) -
		    time_mono_ms();
		if (left <= 0) {
			expired = 1;
			shutdown(fd, SHUT_RD);
		} else
			arm(left);
	}
	errno = saved;
}

void
fcgi_deadline_init(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_deadline;
	sigaction(SIGALRM, &sa, NULL);
}

int
fcgi_accept(FCGX_Request *fr, int listen_fd, long read_ms, int64_t *at_ms)
{
	int	 fd, rc;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			return 0;
		return -1;
	}
	stats_count(&stats_mine->accepted);
	*at_ms = time_mono_ms();
	expired = 0;
	timed_out = 0;
	__atomic_store_n(&conn_due_ms, *at_ms + read_ms, __ATOMIC_RELEASE);
	conn_fd = fd;
	if (!armed)
		arm(read_ms);
	fr->ipcFd = fd;
	fr->keepConnection = 1;
	fr->listen_sock = -1;
	rc = FCGX_Accept_r(fr);
	if (rc == 0)
		return 1;
	/* libfcgi closed the connection already. */
	conn_fd = -1;
	if (expired) {
		stats_count(&stats_mine->read_timeouts);
		log_msg(LOG_WARN, NULL, "dropped a FastCGI peer that sent no "
		    "whole request within read_timeout");
	}
	else
		log_msg(LOG_WARN, NULL, "dropped a FastCGI peer that sent a "
		    "malformed request");
	return 0;
}

void
fcgi_finish(FCGX_Request *fr)
{
	/* The deadline holds through libfcgi's drain on close. */
	FCGX_Finish_r(fr);
	conn_fd = -1;
}

static ssize_t
fcgi_read(void *ctx, char *buf, size_t n)
{
	FCGX_Request	*fr = ctx;
	int		 got;

	if (n > (1 << 30))
		n = 1 << 30;
	got = FCGX_GetStr(buf, (int)n, fr->in);
	if (got < 0 || (got == 0 && FCGX_GetError(fr->in) != 0) ||
	    (expired && got < (int)n)) {
		/* A body that did not come in time counts once. */
		if (expired && !timed_out++)
			stats_count(&stats_mine->read_timeouts);
		errno = expired ? ETIMEDOUT : EIO;
		return -1;
	}
	return got;
}

static int
fcgi_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request	*fr = ctx;

	while (n > 0) {
		int chunk = n > (1 << 30) ? (1 << 30) : (int)n;

		if (FCGX_PutStr(buf, chunk, fr->out) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

void
fcgi_io_init(struct http_io *io, struct FCGX_Request *fr)
{
	io->read = fcgi_read;
	io->write = fcgi_write;
	io->ctx = fr;
}
