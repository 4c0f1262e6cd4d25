/*
 * status.c - the master's own listener (status_listen): GET /metrics
 * (Prometheus text 0.0.4) and GET /status (JSON; ?full: each worker too),
 * answered by the master itself, so they answer while every worker is
 * busy or stalled. One connection at a time, HTTP/1.0 style: read the
 * request line and headers, answer, close. Reading and writing each get
 * BUDGET_MS, so a slow or silent client costs the master that and no
 * more; what it sends past the headers is never read.
 *
 * Why not libmicrohttpd: this is one request line, no body, no keep-
 * alive; MHD's timeouts are whole seconds and it would bring its own
 * event loop into the master's (docs/dependencies.md).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/server.h"

#define BUDGET_MS	100
#define HEAD_MAX	8192		/* request line and headers */
#define BODY_MAX	(8 << 20)

/* Wait for events on fd until due (monotonic ms): 1 ready, 0 not. */
static int
wait_fd(int fd, short events, int64_t due)
{
	struct pollfd	 p = { fd, events, 0 };
	int64_t		 left;
	int		 rc;

	for (;;) {
		left = due - time_mono_ms();
		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 1;
		if (rc == 0 || errno != EINTR)
			return 0;
	}
}

/* The request's head into buf (NUL-terminated): its length, or -1. */
static ssize_t
read_head(int fd, char *buf, size_t size)
{
	int64_t	 due = time_mono_ms() + BUDGET_MS;
	size_t	 got = 0;
	ssize_t	 n;

	while (got < size - 1) {
		n = read(fd, buf + got, size - 1 - got);
		if (n > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL ||
			    strstr(buf, "\n\n") != NULL)
				return (ssize_t)got;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR) ||
		    !wait_fd(fd, POLLIN, due))
			return -1;
	}
	return (ssize_t)got;	/* too long: answered 431 */
}

static void
write_all(int fd, const char *p, size_t n)
{
	int64_t	 due = time_mono_ms() + BUDGET_MS;
	ssize_t	 w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno != EAGAIN && errno != EINTR)
			return;
		if (!wait_fd(fd, POLLOUT, due))
			return;
	}
}

static void
reply(int fd, int status, const char *type, const char *extra,
    const struct buf *body, int head_only)
{
	char		 head[512];
	const char	*reason = status == 200 ? "OK" : status == 400 ?
	    "Bad Request" : status == 404 ? "Not Found" : status == 405 ?
	    "Method Not Allowed" : status == 431 ?
	    "Request Header Fields Too Large" : "Internal Server Error";
	int		 n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: "
	    "%s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
	    "Connection: close\r\n%s\r\n", status, reason, type, body->len,
	    extra);
	write_all(fd, head, (size_t)n);
	if (!head_only)
		write_all(fd, body->data, body->len);
}

/* An error as the API says them, {"error":{"code","message"}}. */
static void
reply_error(int fd, int status, const char *code, const char *message,
    const char *extra)
{
	struct buf	 b;

	buf_init(&b, 1024);
	buf_printf(&b, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
	    code, message);
	reply(fd, status, "application/json", extra, &b, 0);
	buf_cleanup(&b);
}

/* Whether query ("a&full&b=1") names parameter name. */
static int
query_has(const char *query, const char *name)
{
	size_t		 n = strlen(name);
	const char	*p;

	for (p = query; p != NULL && *p != '\0'; p = strchr(p, '&'),
	    p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 &&
		    (p[n] == '\0' || p[n] == '&' || p[n] == '='))
			return 1;
	return 0;
}

/* Route the request line in head and answer it. */
static void
answer(int fd, char *head, const struct status_view *v)
{
	char		 method[16], target[256], *query;
	struct buf	 b;
	int		 rc, head_only, metrics;

	if (sscanf(head, "%15s %255s HTTP/", method, target) != 2) {
		reply_error(fd, 400, "bad_request", "not an HTTP request", "");
		return;
	}
	query = strchr(target, '?');
	if (query != NULL)
		*query++ = '\0';
	metrics = strcmp(target, "/metrics") == 0;
	if (!metrics && strcmp(target, "/status") != 0) {
		reply_error(fd, 404, "not_found", "no such resource here: "
		    "GET /metrics or /status", "");
		return;
	}
	head_only = strcmp(method, "HEAD") == 0;
	if (!head_only && strcmp(method, "GET") != 0) {
		reply_error(fd, 405, "method_not_allowed", "only GET and HEAD "
		    "are allowed here", "Allow: GET, HEAD\r\n");
		return;
	}
	buf_init(&b, BODY_MAX);
	rc = metrics ? render_metrics(&b, v) :
	    render_status(&b, v, query_has(query, "full"));
	if (rc != 0)
		reply_error(fd, 500, "internal", "the answer would be too large",
		    "");
	else
		reply(fd, 200, metrics ? "text/plain; version=0.0.4; "
		    "charset=utf-8" : "application/json", "", &b, head_only);
	buf_cleanup(&b);
}

void
status_answer(int lfd, const struct status_view *v)
{
	char	 head[HEAD_MAX];
	ssize_t	 n;
	int	 fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd == -1)
		return;
	n = read_head(fd, head, sizeof(head));
	if (n > 0 && (size_t)n >= sizeof(head) - 1)
		reply_error(fd, 431, "headers_too_large", "the request's "
		    "headers are too large", "");
	else if (n > 0)
		answer(fd, head, v);
	close(fd);
}
