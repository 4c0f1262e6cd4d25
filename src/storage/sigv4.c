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

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "storage/storage.h"

#define ALGORITHM	"AWS4-HMAC-SHA256"

/*
 * OpenSSL's algorithms, fetched once per process (an implicit fetch on
 * every call is a lookup that costs more than the hashing), a digest
 * context reused for SHA-256, and an HMAC context keyed with the last
 * signing key: a day's signatures only reinitialise it.
 */
static EVP_MAC		*mac_alg;
static EVP_MD		*sha256_alg;
static EVP_MD_CTX	*sha_ctx;
static EVP_MAC_CTX	*keyed;
static unsigned char	 keyed_for[32];
static int		 keyed_valid;

static void
crypto_init(void)
{
	if (mac_alg != NULL)
		return;
	if ((mac_alg = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL)) == NULL ||
	    (sha256_alg = EVP_MD_fetch(NULL, OSSL_DIGEST_NAME_SHA2_256,
	    NULL)) == NULL || (sha_ctx = EVP_MD_CTX_new()) == NULL ||
	    (keyed = EVP_MAC_CTX_new(mac_alg)) == NULL)
		fatal("sigv4: OpenSSL has no HMAC-SHA256");
}

/* HMAC-SHA256 of msg (n bytes) under ctx, keyed with key (NULL: as it
 * was last keyed). */
static void
mac(EVP_MAC_CTX *ctx, const unsigned char *key, size_t klen,
    const char *msg, size_t n, unsigned char out[32])
{
	OSSL_PARAM	 p[2];
	size_t		 len = 0;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)OSSL_DIGEST_NAME_SHA2_256, 0);
	p[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, klen, key != NULL ? p : NULL) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)msg, n) != 1 ||
	    EVP_MAC_final(ctx, out, &len, 32) != 1 || len != 32)
		fatal("sigv4: HMAC-SHA256 failed");
}

static void
sha256(const char *s, size_t n, unsigned char out[32])
{
	if (EVP_DigestInit_ex2(sha_ctx, sha256_alg, NULL) != 1 ||
	    EVP_DigestUpdate(sha_ctx, s, n) != 1 ||
	    EVP_DigestFinal_ex(sha_ctx, out, NULL) != 1)
		fatal("sigv4: SHA-256 failed");
}

/* 1: a byte of RFC 3986's unreserved set, kept as it is. */
static unsigned char	 unreserved[256];

static void
tables_init(void)
{
	const char	*k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~";

	if (unreserved['A'])
		return;
	for (; *k != '\0'; k++)
		unreserved[(unsigned char)*k] = 1;
}

/* s encoded into out (room for 3 * strlen(s) + 1); its length. */
static size_t
enc(char *out, const char *s, int keep_slash)
{
	static const char	 up[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s;
	char			*o = out;

	tables_init();
	for (; *p != '\0'; p++)
		if (unreserved[*p] || (keep_slash && *p == '/'))
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = up[*p >> 4];
			*o++ = up[*p & 15];
		}
	*o = '\0';
	return (size_t)(o - out);
}

void
sigv4_encode(struct buf *b, const char *s, int keep_slash)
{
	char	 chunk[3 * 256 + 1], part[257];
	size_t	 n = strlen(s), k;

	for (; n > 0; s += k, n -= k) {
		k = n < 256 ? n : 256;
		memcpy(part, s, k);
		part[k] = '\0';
		buf_append(b, chunk, enc(chunk, part, keep_slash));
	}
}

/* HMAC-SHA256 with a key used once (the signing key's derivation). */
static void
hmac(const unsigned char *key, size_t klen, const char *msg,
    unsigned char out[32])
{
	EVP_MAC_CTX	*ctx;

	crypto_init();
	if ((ctx = EVP_MAC_CTX_new(mac_alg)) == NULL)
		fatal("sigv4: out of memory");
	mac(ctx, key, klen, msg, strlen(msg), out);
	EVP_MAC_CTX_free(ctx);
}

/* HMAC-SHA256 under a signing key, kept keyed for the next one. */
static void
hmac_signing(const unsigned char key[32], const char *msg,
    unsigned char out[32])
{
	int	 same = keyed_valid && memcmp(keyed_for, key, 32) == 0;

	crypto_init();
	mac(keyed, same ? NULL : key, same ? 0 : 32, msg, strlen(msg), out);
	if (!same) {
		memcpy(keyed_for, key, 32);
		keyed_valid = 1;
	}
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
	size_t	 nlen, vlen;
};

static int
canon_cmp(const struct canon *a, const struct canon *b)
{
	int	 d = strcmp(a->name, b->name);

	return d != 0 ? d : strcmp(a->value, b->value);
}

/* Sorted in place: a handful of pairs, so by insertion. */
static void
canon_sort(struct canon *c, size_t n)
{
	struct canon	 t;
	size_t		 i, j;

	for (i = 1; i < n; i++) {
		t = c[i];
		for (j = i; j > 0 && canon_cmp(&c[j - 1], &t) > 0; j--)
			c[j] = c[j - 1];
		c[j] = t;
	}
}

/* s encoded, into the arena; *len its length. */
static char *
encoded(struct arena *a, const char *s, int keep_slash, size_t *len)
{
	char	*out = arena_alloc(a, 3 * strlen(s) + 2), *o = out;

	/* A path starts with '/' (a key alone is made one). */
	if (keep_slash && s[0] != '/')
		*o++ = '/';
	*len = (size_t)(o - out) + enc(o, s, keep_slash);
	return out;
}

/* A header value trimmed, inner runs of white space made one space. */
static char *
trimmed(struct arena *a, const char *s, size_t *len)
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
	*len = (size_t)(o - out);
	return out;
}

/* r's query, encoded and sorted. */
static struct canon *
canon_query(struct arena *a, const struct sigv4_pair *query, size_t n)
{
	struct canon	*q = arena_calloc(a, sizeof(*q) * (n + 1));
	size_t		 i;

	for (i = 0; i < n; i++) {
		q[i].name = encoded(a, query[i].name, 0, &q[i].nlen);
		q[i].value = encoded(a, query[i].value ? query[i].value : "", 0,
		    &q[i].vlen);
	}
	canon_sort(q, n);
	return q;
}

/*
 * r's headers, names lower-cased and values trimmed, sorted; their names
 * ';'-joined into *names (the signed headers).
 */
static struct canon *
canon_headers(struct arena *a, const struct sigv4_request *r,
    const char **names)
{
	struct canon	*h = arena_calloc(a, sizeof(*h) * (r->nheaders + 1));
	size_t		 i, len = 0;
	char		*p, *o;

	for (i = 0; i < r->nheaders; i++) {
		h[i].nlen = strlen(r->headers[i].name);
		h[i].name = arena_strndup(a, r->headers[i].name, h[i].nlen);
		for (p = h[i].name; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		h[i].value = trimmed(a, r->headers[i].value, &h[i].vlen);
		len += h[i].nlen + 1;
	}
	canon_sort(h, r->nheaders);
	o = arena_alloc(a, len + 1);
	*names = o;
	for (i = 0; i < r->nheaders; i++) {
		if (i > 0)
			*o++ = ';';
		memcpy(o, h[i].name, h[i].nlen);
		o += h[i].nlen;
	}
	*o = '\0';
	return h;
}

/* Append n bytes of s at *o. */
static void
put(char **o, const char *s, size_t n)
{
	memcpy(*o, s, n);
	*o += n;
}

/*
 * The canonical request of r, its path encoded already (path, plen) and
 * its query and headers canonical.
 */
static char *
canonical(struct arena *a, const struct sigv4_request *r, const char *path,
    size_t plen, const struct canon *q, size_t nq, const struct canon *h,
    size_t nh, const char *names, size_t *len)
{
	size_t	 i, cap;
	char	*out, *o;

	cap = strlen(r->method) + plen + strlen(names) +
	    strlen(r->payload_hash) + 8;
	for (i = 0; i < nq; i++)
		cap += q[i].nlen + q[i].vlen + 2;
	for (i = 0; i < nh; i++)
		cap += h[i].nlen + h[i].vlen + 2;
	o = out = arena_alloc(a, cap);
	put(&o, r->method, strlen(r->method));
	*o++ = '\n';
	put(&o, path, plen);
	*o++ = '\n';
	for (i = 0; i < nq; i++) {
		if (i > 0)
			*o++ = '&';
		put(&o, q[i].name, q[i].nlen);
		*o++ = '=';
		put(&o, q[i].value, q[i].vlen);
	}
	*o++ = '\n';
	for (i = 0; i < nh; i++) {
		put(&o, h[i].name, h[i].nlen);
		*o++ = ':';
		put(&o, h[i].value, h[i].vlen);
		*o++ = '\n';
	}
	*o++ = '\n';
	put(&o, names, strlen(names));
	*o++ = '\n';
	put(&o, r->payload_hash, strlen(r->payload_hash));
	*o = '\0';
	*len = (size_t)(o - out);
	return out;
}

char *
sigv4_canonical_request(struct arena *a, const struct sigv4_request *r,
    const char **signed_headers)
{
	struct canon	*h = canon_headers(a, r, signed_headers);
	size_t		 len, plen;
	const char	*path = encoded(a, r->path, 1, &plen);

	return canonical(a, r, path, plen, canon_query(a, r->query,
	    r->nquery), r->nquery, h, r->nheaders, *signed_headers, &len);
}

/* "<date>/<region>/<service>/aws4_request" (the credential's scope). */
static char *
scope(struct arena *a, const struct sigv4_creds *c, const char *amz_date)
{
	size_t	 rl = strlen(c->region), sl = strlen(c->service);
	char	*out = arena_alloc(a, 8 + rl + sl + 16), *o = out;

	put(&o, amz_date, 8);
	*o++ = '/';
	put(&o, c->region, rl);
	*o++ = '/';
	put(&o, c->service, sl);
	put(&o, "/aws4_request", 14);
	return out;
}

/* The signature of a canonical request (len bytes) of r. */
static void
sign(struct arena *a, const struct sigv4_creds *c,
    struct sigv4_key_cache *cache, const struct sigv4_request *r,
    const char *creq, size_t len, char sig[65])
{
	unsigned char	 md[32];
	char		 date[9], *sts, *o;
	const char	*sc = scope(a, c, r->amz_date);
	size_t		 n = strlen(sc);

	crypto_init();
	sha256(creq, len, md);
	/* ALGORITHM \n amz_date \n scope \n hex(SHA-256(creq)) */
	o = sts = arena_alloc(a, sizeof(ALGORITHM) + 17 + n + 66);
	put(&o, ALGORITHM "\n", sizeof(ALGORITHM));
	put(&o, r->amz_date, 16);
	*o++ = '\n';
	put(&o, sc, n);
	*o++ = '\n';
	hex_lower(o, md, 32);
	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	hmac_signing(sigv4_signing_key(c, date, cache), sts, md);
	hex_lower(sig, md, 32);
}

void
sigv4_signature(struct arena *a, const struct sigv4_creds *c,
    struct sigv4_key_cache *cache, const struct sigv4_request *r,
    char sig[65])
{
	const char	*names;
	char		*creq = sigv4_canonical_request(a, r, &names);

	sign(a, c, cache, r, creq, strlen(creq), sig);
}

char *
sigv4_authorization(struct arena *a, const struct sigv4_creds *c,
    struct sigv4_key_cache *cache, const struct sigv4_request *r)
{
	const char	*names;
	char		*creq = sigv4_canonical_request(a, r, &names), sig[65];

	/* One canonical request: its signed headers and its signature. */
	sign(a, c, cache, r, creq, strlen(creq), sig);
	return arena_printf(a, ALGORITHM " Credential=%s/%s, SignedHeaders=%s, "
	    "Signature=%s", c->access_key, scope(a, c, r->amz_date), names,
	    sig);
}

char *
sigv4_presign(struct arena *a, const struct sigv4_creds *c,
    struct sigv4_key_cache *cache, const char *origin,
    const struct sigv4_request *r, long expires)
{
	struct sigv4_request	 s = *r;
	struct sigv4_pair	*q;
	struct canon		*cq, *h, sig_pair;
	const char		*names, *sc, *path;
	char			 sig[65], exp[24], *cred, *creq, *out, *o;
	size_t			 i, n, len, cap, plen;
	int			 placed = 0, first = 1;

	if (expires < 1 || expires > SIGV4_EXPIRES_MAX)
		return NULL;
	h = canon_headers(a, r, &names);
	n = r->nquery;
	q = arena_calloc(a, sizeof(*q) * (n + 6));
	if (n > 0)
		memcpy(q, r->query, sizeof(*q) * n);
	sc = scope(a, c, r->amz_date);
	cred = arena_alloc(a, strlen(c->access_key) + strlen(sc) + 2);
	o = cred;
	put(&o, c->access_key, strlen(c->access_key));
	*o++ = '/';
	put(&o, sc, strlen(sc) + 1);
	snprintf(exp, sizeof(exp), "%ld", expires);
	q[n].name = "X-Amz-Algorithm";
	q[n++].value = ALGORITHM;
	q[n].name = "X-Amz-Credential";
	q[n++].value = cred;
	q[n].name = "X-Amz-Date";
	q[n++].value = r->amz_date;
	q[n].name = "X-Amz-Expires";
	q[n++].value = exp;
	q[n].name = "X-Amz-SignedHeaders";
	q[n++].value = names;
	if (r->sha256_param) {
		q[n].name = "X-Amz-Content-Sha256";
		q[n++].value = SIGV4_UNSIGNED;
	}
	s.payload_hash = SIGV4_UNSIGNED;
	cq = canon_query(a, q, n);
	path = encoded(a, r->path, 1, &plen);
	creq = canonical(a, &s, path, plen, cq, n, h, r->nheaders, names,
	    &len);
	sign(a, c, cache, &s, creq, len, sig);

	/* The URL: every parameter, the signature too, in sorted order. */
	sig_pair.name = "X-Amz-Signature";
	sig_pair.nlen = 15;
	sig_pair.value = sig;
	sig_pair.vlen = 64;
	cap = strlen(origin) + plen + 2 + 15 + 64 + 2;
	for (i = 0; i < n; i++)
		cap += cq[i].nlen + cq[i].vlen + 2;
	o = out = arena_alloc(a, cap);
	put(&o, origin, strlen(origin));
	put(&o, path, plen);
	for (i = 0; i <= n; i++) {
		const struct canon *p = i < n ? &cq[i] : NULL;

		if (!placed && (p == NULL || canon_cmp(&sig_pair, p) < 0)) {
			*o++ = first ? '?' : '&';
			first = 0;
			put(&o, sig_pair.name, sig_pair.nlen);
			*o++ = '=';
			put(&o, sig_pair.value, sig_pair.vlen);
			placed = 1;
		}
		if (p == NULL)
			break;
		*o++ = first ? '?' : '&';
		first = 0;
		put(&o, p->name, p->nlen);
		*o++ = '=';
		put(&o, p->value, p->vlen);
	}
	*o = '\0';
	return out;
}

void
sigv4_amz_date(long long t, char out[17])
{
	static long long	 last = -1;
	static char		 text[17];
	struct tm		 tm;
	time_t			 tt = (time_t)t;

	/* Many signatures a second: the second's text is kept. */
	if (t != last) {
		gmtime_r(&tt, &tm);
		strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &tm);
		last = t;
	}
	memcpy(out, text, 17);
}
