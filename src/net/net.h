/*
 * net.h - outbound calls with the worker's one libcurl handle: HTTPS GET
 * and form POST for OpenID Connect, SMTP for magic links. Bounded bodies,
 * short timeouts; nothing here logs a secret or a token.
 */
#ifndef PASSION_NET_H
#define PASSION_NET_H

#include <stddef.h>

#include "conf/conf.h"
#include "util/util.h"

#define NET_BODY_MAX	(1 << 20)
/*
 * A transfer larger than NET_BODY_MAX (a body sent, a download) has no
 * time limit as a whole: it fails when it moves fewer than NET_PACE_MIN
 * bytes a second for the call's timeout.
 */
#define NET_PACE_MIN	1024L

struct net {
	void	*curl;		/* CURL *, made in net_init */
	long	 connect_s;	/* every call's connect timeout */
	long	 total_s;	/* and its whole-call timeout */
};

struct net_resp {
	long	 status;
	char	*body;		/* NUL-terminated, in the arena */
	size_t	 len;
	char	*headers;	/* net_request only: the header lines */
};

/* Make the handle (once per worker) with the calls' timeouts. */
void	 net_init(struct net *n, long connect_s, long total_s);
void	 net_cleanup(struct net *n);
/* GET url; 0 with r filled (any status), -1 with err on transport errors. */
int	 net_get(struct net *n, struct arena *a, const char *url,
	    struct net_resp *r, char *err, size_t errlen);
/*
 * GET path (plain HTTP) from a listener as passiond.conf names them:
 * "unix:PATH" or "HOST:PORT" (passionctl status). Same contract as
 * net_get.
 */
int	 net_get_at(struct net *n, struct arena *a, const char *addr,
	    const char *path, struct net_resp *r, char *err, size_t errlen);
/*
 * POST form (application/x-www-form-urlencoded) to url, with HTTP Basic
 * credentials when user is not NULL. Same contract as net_get.
 */
int	 net_post_form(struct net *n, struct arena *a, const char *url,
	    const char *form, const char *user, const char *pass,
	    struct net_resp *r, char *err, size_t errlen);
/*
 * method url with headers ("Name: value", NULL-terminated) and body
 * (len bytes; NULL: none); the response's headers kept. Same contract
 * as net_get.
 */
int	 net_request(struct net *n, struct arena *a, const char *method,
	    const char *url, const char *const *headers, const char *body,
	    size_t len, struct net_resp *r, char *err, size_t errlen);
/*
 * GET url with headers into fd, at most max bytes: *status (any) and
 * *got, the bytes written. 0, or -1 with err (transport, too large, or
 * fd could not be written).
 */
int	 net_download(struct net *n, const char *url,
	    const char *const *headers, int fd, long long max, long *status,
	    long long *got, char *err, size_t errlen);
/* A response header of net_request by name (any case), or NULL. */
const char *net_resp_header(struct arena *a, const struct net_resp *r,
	    const char *name);
/* The first header line ("Name: value") whose name starts with prefix. */
const char *net_resp_header_line(struct arena *a, const struct net_resp *r,
	    const char *prefix);
/* Append key=value (both escaped) to a form being built in b. */
void	 net_form_add(struct buf *b, const char *key, const char *value);
/* Percent-encode s for a URL query, into the arena. */
char	*net_escape(struct arena *a, const char *s);
/*
 * Send message (headers + body, CRLF lines) to one recipient by SMTP,
 * within cfg's smtp_timeout. The recipient's domain must be ASCII (IDNA
 * done); a non-ASCII local part needs a relay that offers SMTPUTF8.
 */
int	 net_smtp_send(struct net *n, const struct config *cfg,
	    const char *to, const char *message, char *err, size_t errlen);

#endif
