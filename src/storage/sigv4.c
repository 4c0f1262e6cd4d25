/*
 * sigv4.c - AWS Signature Version 4 for S3: the canonical request, the
 * string to sign, the signing key (one per day, region and service:
 * cached) and the signature, with OpenSSL. S3's own rules: the path is
 * URI-encoded once with '/' kept and never normalised; query names and
 * values are encoded and sorted; header names are lower-cased, values
 * trimmed with inner runs of spaces made one.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "storage/storage.h"

#define ALGORITHM	"AWS4-HMAC-SHA256"

static const char hexd[] = "0123456789abcdef";

static void
hex(const unsigned char *in, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexd[in[i] >> 4];
		out[2 * i + 1] = hexd[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sigv4_encode(struct buf *b, const char *s, int keep_slash)
{
	static const char	 up[] = "0123456789ABCDEF";
	char			 esc[3] = { '%', 0, 0 };
	const unsigned char	*p = (const unsigned char *)s, *run = p;

	/* Runs of bytes kept as they are go in one append. */
	for (; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~' || (keep_slash && *p == '/'))
			continue;
		buf_append(b, run, (size_t)(p - run));
		esc[1] = up[*p >> 4];
		esc[2] = up[*p & 15];
		buf_append(b, esc, 3);
		run = p + 1;
	}
	buf_append(b, run, (size_t)(p - run));
}

static void
hmac(const unsigned char *key, size_t klen, const char *msg,
    unsigned char out[32])
{
	unsigned int	 n = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	    strlen(msg), out, &n);
}

const unsigned char *
sigv4_signing_key(const struct sigv4_creds *c, const char *date,
    struct sigv4_key_cache *cache)
{
	unsigned char	 k[32];
	char		 first[512];

	if (cache->valid && strcmp(cache->date, date) == 0 &&
	    strcmp(cache->region, c->region) == 0 &&
	    strcmp(cache->service, c->service) == 0 &&
	    strcmp(cache->access_key, c->access_key) == 0)
		return cache->key;
	snprintf(first, sizeof(first), "AWS4%s", c->secret);
	hmac((const unsigned char *)first, strlen(first), date, k);
	explicit_bzero(first, sizeof(first));
	hmac(k, 32, c->region, k);
	hmac(k, 32, c->service, k);
	hmac(k, 32, "aws4_request", cache->key);
	explicit_bzero(k, sizeof(k));
	snprintf(cache->date, sizeof(cache->date), "%s", date);
	snprintf(cache->region, sizeof(cache->region), "%s", c->region);
	snprintf(cache->service, sizeof(cache->service), "%s", c->service);
	snprintf(cache->access_key, sizeof(cache->access_key), "%s",
	    c->access_key);
	cache->valid = 1;
	return cache->key;
}

/* A pair in its canonical form: encoded (query) or lower-cased (header). */
struct canon {
	char	*name;
	char	*value;
};

static int
canon_cmp(const void *x, const void *y)
{
	const struct canon	*a = x, *b = y;
	int			 d = strcmp(a->name, b->name);

	return d != 0 ? d : strcmp(a->value, b->value);
}

static char *
encoded(struct arena *a, const char *s)
{
	struct buf	 b;
	char		*out;

	buf_init(&b, 64 * 1024);
	sigv4_encode(&b, s, 0);
	out = arena_strndup(a, b.data ? b.data : "", b.len);
	buf_cleanup(&b);
	return out;
}

/* A header value trimmed, inner runs of white space made one space. */
static char *
trimmed(struct arena *a, const char *s)
{
	char	*out = arena_alloc(a, strlen(s) + 1), *o = out;
	int	 space = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t') {
			space = 1;
			continue;
		}
		if (space && o != out)
			*o++ = ' ';
		space = 0;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static struct canon *
canon_query(struct arena *a, const struct sigv4_request *r)
{
	struct canon	*q = arena_calloc(a, sizeof(*q) * (r->nquery + 1));
	size_t		 i;

	for (i = 0; i < r->nquery; i++) {
		q[i].name = encoded(a, r->query[i].name);
		q[i].value = encoded(a, r->query[i].value ? r->query[i].value :
		    "");
	}
	qsort(q, r->nquery, sizeof(*q), canon_cmp);
	return q;
}

char *
sigv4_canonical_request(struct arena *a, const struct sigv4_request *r,
    const char **signed_headers)
{
	struct canon	*q = canon_query(a, r), *h;
	struct buf	 b, sh;
	char		*out, *p;
	size_t		 i;

	h = arena_calloc(a, sizeof(*h) * (r->nheaders + 1));
	for (i = 0; i < r->nheaders; i++) {
		h[i].name = arena_strdup(a, r->headers[i].name);
		for (p = h[i].name; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		h[i].value = trimmed(a, r->headers[i].value);
	}
	qsort(h, r->nheaders, sizeof(*h), canon_cmp);
	buf_init(&b, 1024 * 1024);
	buf_init(&sh, 64 * 1024);
	buf_puts(&b, r->method);
	buf_putc(&b, '\n');
	if (r->path[0] != '/')
		buf_putc(&b, '/');
	sigv4_encode(&b, r->path, 1);
	buf_putc(&b, '\n');
	for (i = 0; i < r->nquery; i++) {
		buf_puts(&b, i ? "&" : "");
		buf_puts(&b, q[i].name);
		buf_putc(&b, '=');
		buf_puts(&b, q[i].value);
	}
	buf_putc(&b, '\n');
	for (i = 0; i < r->nheaders; i++) {
		buf_puts(&b, h[i].name);
		buf_putc(&b, ':');
		buf_puts(&b, h[i].value);
		buf_putc(&b, '\n');
		buf_puts(&sh, i ? ";" : "");
		buf_puts(&sh, h[i].name);
	}
	buf_putc(&b, '\n');
	buf_puts(&b, sh.data ? sh.data : "");
	buf_putc(&b, '\n');
	buf_puts(&b, r->payload_hash);
	out = arena_strndup(a, b.data, b.len);
	*signed_headers = arena_strdup(a, sh.data ? sh.data : "");
	buf_cleanup(&b);
	buf_cleanup(&sh);
	return out;
}

void
sigv4_signature(struct arena *a, const struct sigv4_creds *c,
    struct sigv4_key_cache *cache, const struct sigv4_request *r,
    char sig[65])
{
	const char	*signed_headers, *creq, *sts;
	unsigned char	 md[32];
	char		 date[9], digest[65];

	creq = sigv4_canonical_request(a, r, &signed_headers);
	SHA256((const unsigned char *)creq, strlen(creq), md);
	hex(md, 32, digest);
	snprintf(date, sizeof(date), "%.8s", r->amz_date);
	sts = arena_printf(a, ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s",
	    r->amz_date, date, c->region, c->service, digest);
	hmac(sigv4_signing_key(c, date, cache), 32, sts, md);
	hex(md, 32, sig);
}

char *
sigv4_authorization(struct arena *a, const struct sigv4_creds *c,
    struct sigv4_key_cache *cache, const struct sigv4_request *r)
{
	const char	*signed_headers;
	char		 sig[65];

	sigv4_canonical_request(a, r, &signed_headers);
	sigv4_signature(a, c, cache, r, sig);
	return arena_printf(a, ALGORITHM " Credential=%s/%.8s/%s/%s/"
	    "aws4_request, SignedHeaders=%s, Signature=%s", c->access_key,
	    r->amz_date, c->region, c->service, signed_headers, sig);
}

/* The signed headers' names: lower-cased, sorted, ';'-joined. */
static const char *
header_names(struct arena *a, const struct sigv4_request *r)
{
	struct canon	*h = arena_calloc(a, sizeof(*h) * (r->nheaders + 1));
	struct buf	 b;
	const char	*out;
	char		*p;
	size_t		 i;

	for (i = 0; i < r->nheaders; i++) {
		h[i].name = arena_strdup(a, r->headers[i].name);
		for (p = h[i].name; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		h[i].value = "";
	}
	qsort(h, r->nheaders, sizeof(*h), canon_cmp);
	buf_init(&b, 64 * 1024);
	for (i = 0; i < r->nheaders; i++) {
		buf_puts(&b, i ? ";" : "");
		buf_puts(&b, h[i].name);
	}
	out = arena_strdup(a, b.data ? b.data : "");
	buf_cleanup(&b);
	return out;
}

char *
sigv4_presign(struct arena *a, const struct sigv4_creds *c,
    struct sigv4_key_cache *cache, const char *origin,
    const struct sigv4_request *r, long expires)
{
	struct sigv4_request	 s = *r;
	struct sigv4_pair	*q;
	struct canon		*cq;
	struct buf		 b;
	const char		*signed_headers;
	char			 sig[65], *out;
	size_t			 i, n;

	if (expires < 1 || expires > SIGV4_EXPIRES_MAX)
		return NULL;
	signed_headers = header_names(a, r);
	n = r->nquery;
	q = arena_calloc(a, sizeof(*q) * (n + 7));
	if (n > 0)
		memcpy(q, r->query, sizeof(*q) * n);
	q[n].name = "X-Amz-Algorithm";
	q[n++].value = ALGORITHM;
	q[n].name = "X-Amz-Credential";
	q[n++].value = arena_printf(a, "%s/%.8s/%s/%s/aws4_request",
	    c->access_key, r->amz_date, c->region, c->service);
	q[n].name = "X-Amz-Date";
	q[n++].value = r->amz_date;
	q[n].name = "X-Amz-Expires";
	q[n++].value = arena_printf(a, "%ld", expires);
	q[n].name = "X-Amz-SignedHeaders";
	q[n++].value = signed_headers;
	if (r->sha256_param) {
		q[n].name = "X-Amz-Content-Sha256";
		q[n++].value = SIGV4_UNSIGNED;
	}
	s.query = q;
	s.nquery = n;
	s.payload_hash = SIGV4_UNSIGNED;
	sigv4_signature(a, c, cache, &s, sig);
	/* The URL: every parameter, the signature too, in sorted order. */
	q[n].name = "X-Amz-Signature";
	q[n++].value = sig;
	s.nquery = n;
	cq = canon_query(a, &s);
	buf_init(&b, 1024 * 1024);
	buf_puts(&b, origin);
	if (r->path[0] != '/')
		buf_putc(&b, '/');
	sigv4_encode(&b, r->path, 1);
	for (i = 0; i < n; i++) {
		buf_putc(&b, i ? '&' : '?');
		buf_puts(&b, cq[i].name);
		buf_putc(&b, '=');
		buf_puts(&b, cq[i].value);
	}
	out = arena_strndup(a, b.data, b.len);
	buf_cleanup(&b);
	return out;
}

void
sigv4_amz_date(long long t, char out[17])
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}
