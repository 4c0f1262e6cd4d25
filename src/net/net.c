/*
 * net.c - libcurl for the few outbound calls. One handle per worker,
 * reset between calls so no option leaks from one call to the next.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "net/net.h"

struct sink {
	struct buf	 b;
	int		 over;
};

struct source {
	const char	*p;
	size_t		 left;
};

static size_t
sink_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink	*s = ud;

	if (buf_append(&s->b, p, size * nmemb) != 0) {
		s->over = 1;
		return 0;
	}
	return size * nmemb;
}

static size_t
source_read(char *p, size_t size, size_t nmemb, void *ud)
{
	struct source	*s = ud;
	size_t		 n = size * nmemb;

	if (n > s->left)
		n = s->left;
	memcpy(p, s->p, n);
	s->p += n;
	s->left -= n;
	return n;
}

void
net_init(struct net *n, long connect_s, long total_s)
{
	static int	 global;

	if (!global) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global = 1;
	}
	n->connect_s = connect_s;
	n->total_s = total_s;
	n->curl = curl_easy_init();
	if (n->curl == NULL)
		fatal("curl_easy_init failed");
}

void
net_cleanup(struct net *n)
{
	if (n->curl != NULL)
		curl_easy_cleanup(n->curl);
	n->curl = NULL;
}

/* A transfer's bytes are not bounded by time but by pace (see below). */
static void
paced(struct net *n)
{
	curl_easy_setopt(n->curl, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(n->curl, CURLOPT_LOW_SPEED_LIMIT, NET_PACE_MIN);
	curl_easy_setopt(n->curl, CURLOPT_LOW_SPEED_TIME, n->total_s);
}

static void
common(struct net *n, const char *url)
{
	CURL	*c = n->curl;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, n->connect_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, n->total_s);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "passiond/" PACKAGE_VERSION);
}

static int
perform(CURL *c, struct arena *a, struct net_resp *r, char *err,
    size_t errlen)
{
	struct sink	 s;
	CURLcode	 rc;

	buf_init(&s.b, NET_BODY_MAX);
	s.over = 0;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(c);
	memset(r, 0, sizeof(*r));
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", s.over ? "response too large" :
		    curl_easy_strerror(rc));
		buf_cleanup(&s.b);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->len = s.b.len;
	r->body = arena_strndup(a, s.b.data ? s.b.data : "", s.b.len);
	buf_cleanup(&s.b);
	return 0;
}

int
net_get(struct net *n, struct arena *a, const char *url, struct net_resp *r,
    char *err, size_t errlen)
{
	struct curl_slist	*h;
	int			 rc;

	common(n, url);
	h = curl_slist_append(NULL, "Accept: application/json");
	curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, h);
	rc = perform(n->curl, a, r, err, errlen);
	curl_slist_free_all(h);
	return rc;
}

int
net_get_at(struct net *n, struct arena *a, const char *addr,
    const char *path, struct net_resp *r, char *err, size_t errlen)
{
	if (strncmp(addr, "unix:", 5) == 0) {
		common(n, arena_printf(a, "http://localhost%s", path));
		curl_easy_setopt(n->curl, CURLOPT_UNIX_SOCKET_PATH, addr + 5);
	} else
		common(n, arena_printf(a, "http://%s%s", addr, path));
	curl_easy_setopt(n->curl, CURLOPT_PROTOCOLS_STR, "http");
	return perform(n->curl, a, r, err, errlen);
}

int
net_post_form(struct net *n, struct arena *a, const char *url,
    const char *form, const char *user, const char *pass,
    struct net_resp *r, char *err, size_t errlen)
{
	struct curl_slist	*h;
	int			 rc;

	common(n, url);
	h = curl_slist_append(NULL, "Accept: application/json");
	curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(n->curl, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(n->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	if (user != NULL) {
		/* RFC 6749 2.3.1: form-encode id and secret, then Basic. */
		char *u = curl_easy_escape(n->curl, user, 0);
		char *p = curl_easy_escape(n->curl, pass, 0);

		curl_easy_setopt(n->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(n->curl, CURLOPT_USERNAME, u);
		curl_easy_setopt(n->curl, CURLOPT_PASSWORD, p);
		rc = perform(n->curl, a, r, err, errlen);
		curl_free(u);
		curl_free(p);
	} else {
		rc = perform(n->curl, a, r, err, errlen);
	}
	curl_slist_free_all(h);
	return rc;
}

/* One response header line: kept whole, for net_resp_header. */
static size_t
header_line(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf	*b = arg;
	size_t		 n = size * nmemb;

	buf_append(b, p, n);
	return n;
}

int
net_request(struct net *n, struct arena *a, const char *method,
    const char *url, const char *const *headers, const char *body,
    size_t len, struct net_resp *r, char *err, size_t errlen)
{
	struct curl_slist	*h = NULL;
	struct buf		 hb;
	int			 rc, i;

	common(n, url);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(n->curl, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(n->curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(n->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(n->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
		if (len > NET_BODY_MAX)
			paced(n);
	}
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		h = curl_slist_append(h, headers[i]);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, h);
	buf_init(&hb, 64 * 1024);
	curl_easy_setopt(n->curl, CURLOPT_HEADERFUNCTION, header_line);
	curl_easy_setopt(n->curl, CURLOPT_HEADERDATA, &hb);
	rc = perform(n->curl, a, r, err, errlen);
	if (rc == 0)
		r->headers = arena_strndup(a, hb.data ? hb.data : "", hb.len);
	buf_cleanup(&hb);
	curl_slist_free_all(h);
	return rc;
}

struct fd_sink {
	int		 fd;
	long long	 max, got;
	int		 over, failed;
};

static size_t
fd_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct fd_sink	*s = ud;
	size_t		 n = size * nmemb;

	if (s->got + (long long)n > s->max) {
		s->over = 1;
		return 0;
	}
	if (fd_write_all(s->fd, p, n) != 0) {
		s->failed = errno;
		return 0;
	}
	s->got += (long long)n;
	return n;
}

int
net_download(struct net *n, const char *url, const char *const *headers,
    int fd, long long max, long *status, long long *got, char *err,
    size_t errlen)
{
	struct curl_slist	*h = NULL;
	struct fd_sink		 s = { fd, max, 0, 0, 0 };
	CURLcode		 rc;
	int			 i;

	common(n, url);
	paced(n);
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		h = curl_slist_append(h, headers[i]);
	curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(n->curl, CURLOPT_WRITEFUNCTION, fd_write);
	curl_easy_setopt(n->curl, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(n->curl);
	curl_slist_free_all(h);
	*got = s.got;
	*status = 0;
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", s.over ? "larger than allowed" :
		    s.failed ? strerror(s.failed) : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(n->curl, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* The first header line named name (or, with prefix, starting so). */
static const char *
header_find(const struct net_resp *r, const char *name, int prefix,
    size_t *linelen)
{
	const char	*p = r->headers;
	size_t		 n = strlen(name), len;

	while (p != NULL && *p != '\0') {
		len = strcspn(p, "\r\n");
		if (len > n && (prefix || p[n] == ':') &&
		    strncasecmp(p, name, n) == 0 && memchr(p, ':', len) != NULL) {
			*linelen = len;
			return p;
		}
		p += len;
		p += strspn(p, "\r\n");
	}
	return NULL;
}

const char *
net_resp_header(struct arena *a, const struct net_resp *r, const char *name)
{
	const char	*p, *v;
	size_t		 len;

	if ((p = header_find(r, name, 0, &len)) == NULL)
		return NULL;
	v = p + strlen(name) + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	return arena_strndup(a, v, len - (size_t)(v - p));
}

const char *
net_resp_header_line(struct arena *a, const struct net_resp *r,
    const char *prefix)
{
	const char	*p;
	size_t		 len;

	if ((p = header_find(r, prefix, 1, &len)) == NULL)
		return NULL;
	return arena_strndup(a, p, len);
}

char *
net_escape(struct arena *a, const char *s)
{
	char	*e = curl_easy_escape(NULL, s, 0), *out;

	if (e == NULL)
		fatal("curl_easy_escape: out of memory");
	out = arena_strdup(a, e);
	curl_free(e);
	return out;
}

void
net_form_add(struct buf *b, const char *key, const char *value)
{
	char	*k = curl_easy_escape(NULL, key, 0);
	char	*v = curl_easy_escape(NULL, value, 0);

	if (k == NULL || v == NULL)
		fatal("curl_easy_escape: out of memory");
	buf_printf(b, "%s%s=%s", b->len ? "&" : "", k, v);
	curl_free(k);
	curl_free(v);
}

int
net_smtp_send(struct net *n, const struct config *cfg, const char *to,
    const char *message, char *err, size_t errlen)
{
	struct curl_slist	*rcpt;
	struct source		 src = { message, strlen(message) };
	CURL			*c = n->curl;
	CURLcode		 rc;
	char			 addr[300];

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, n->connect_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, cfg->smtp_timeout);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (strcmp(cfg->smtp_tls, "starttls") == 0)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (*cfg->smtp_user != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->smtp_password);
	}
	snprintf(addr, sizeof(addr), "<%s>", cfg->smtp_from);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr);
	snprintf(addr, sizeof(addr), "<%s>", to);
	rcpt = curl_slist_append(NULL, addr);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, source_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	rc = curl_easy_perform(c);
	curl_slist_free_all(rcpt);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "smtp: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}
