/*
 * fcgi.c - the only place that knows libfcgi: it accepts a connection,
 * reads the request's params under a deadline, and turns the request into
 * the http_io the http/ room reads and writes.
 *
 * The deadline. libfcgi reads params inside FCGX_Accept_r with blocking
 * reads, so a peer that connects and sends one byte would hold a worker
 * forever. We accept the connection ourselves and arm a timer for
 * read_timeout; when it fires, its handler shuts down the reading side of
 * that one socket, so every read on it (params, body, libfcgi's drain on
 * close) returns end-of-file at once and the peer is dropped. The timer is
 * disarmed after the connection is closed. The handler is installed with
 * SA_RESTART: it interrupts nothing else the worker does.
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

static volatile sig_atomic_t	 conn_fd = -1;
static volatile sig_atomic_t	 expired;

static void
on_deadline(int sig)
{
	int	 saved = errno;

	(void)sig;
	expired = 1;
	if (conn_fd >= 0)
		shutdown(conn_fd, SHUT_RD);
	errno = saved;
}

static void
arm(long ms)
{
	struct itimerval	 it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
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
	*at_ms = time_mono_ms();
	expired = 0;
	conn_fd = fd;
	arm(read_ms);
	fr->ipcFd = fd;
	fr->keepConnection = 1;
	fr->listen_sock = -1;
	rc = FCGX_Accept_r(fr);
	if (rc == 0)
		return 1;
	/* libfcgi closed the connection already. */
	arm(0);
	conn_fd = -1;
	if (expired)
		log_msg(LOG_WARN, NULL, "dropped a FastCGI peer that sent no "
		    "whole request within read_timeout");
	else
		log_msg(LOG_WARN, NULL, "dropped a FastCGI peer that sent a "
		    "malformed request");
	return 0;
}

void
fcgi_finish(FCGX_Request *fr)
{
	/* The deadline stays armed through libfcgi's drain on close. */
	FCGX_Finish_r(fr);
	arm(0);
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
