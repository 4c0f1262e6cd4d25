/*
 * auth.h - sign-in and sessions: token crypto, session cookies, CSRF,
 * email normalisation and magic links, OpenID Connect. Knows nothing of
 * FastCGI; talks to PostgreSQL only through db/.
 */
#ifndef PASSION_AUTH_H
#define PASSION_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "util/util.h"

#define AUTH_KEY_LEN	32
#define AUTH_TOKEN_LEN	32	/* random bytes in session and email tokens */

/* Keys derived from secret_key with HKDF-SHA256, one per purpose. */
struct auth_keys {
	unsigned char	cookie[AUTH_KEY_LEN];	/* sealed OIDC state cookie */
	unsigned char	tokens[AUTH_KEY_LEN];	/* provider tokens at rest */
	unsigned char	email[AUTH_KEY_LEN];	/* magic-link token hashes */
	unsigned char	jobs[AUTH_KEY_LEN];	/* secrets in queued jobs */
	unsigned char	sync[AUTH_KEY_LEN];	/* change feed cursors */
	int		ready;			/* 0: no secret_key configured */
};

/* --- crypto.c --- */

/* Derive every key from secret (any length >= 32); 0 or -1. */
int	 auth_keys_derive(struct auth_keys *k, const char *secret);
/* A fresh token of AUTH_TOKEN_LEN random bytes, base64url. */
char	*auth_token_new(struct arena *a);
/* base64url(SHA-256(s)): the PKCE S256 challenge of a verifier. */
char	*auth_pkce_challenge(struct arena *a, const char *verifier);
/*
 * AES-256-GCM: nonce(12) || ciphertext || tag(16), with aad bound in.
 * auth_open returns NULL when the tag does not verify.
 */
unsigned char *auth_seal(struct arena *a, const unsigned char *key,
	    const void *plain, size_t n, const char *aad, size_t *outlen);
unsigned char *auth_open(struct arena *a, const unsigned char *key,
	    const unsigned char *sealed, size_t n, const char *aad,
	    size_t *outlen);
/* base64url of the first 16 bytes of HMAC-SHA256(key, text); NULL on
 * failure. */
char	*auth_mac(struct arena *a, const unsigned char *key, const char *text);
/* Constant-time equality of two NUL-terminated strings. */
int	 auth_str_eq(const char *a, const char *b);

/* --- email.c --- */

/*
 * Normalise an address: NFKC, trim, lowercase, exactly one '@' with text
 * on both sides, at most 254 bytes. NULL when it is not an address.
 */
char	*auth_email_normalize(struct arena *a, const char *in);
/*
 * The address to hand the mail relay for a normalised email: its domain
 * in IDNA A-labels (punycode). NULL with *why set when it cannot be
 * delivered: a domain IDNA 2008 refuses, or a non-ASCII local part when
 * the relay does not offer SMTPUTF8 (smtputf8 0).
 */
char	*auth_email_deliverable(struct arena *a, const char *email,
	    int smtputf8, const char **why);
/* Whether signup policy lets email make a new account. */
int	 auth_signup_allowed(const struct config *cfg, const char *email,
	    int verified);

/* --- csrf.c --- */

/*
 * Whether an unsafe request may proceed: Sec-Fetch-Site same-origin/none,
 * or Origin equal to origin; with neither header, only without cookies.
 */
int	 auth_csrf_ok(const char *method, const char *sec_fetch_site,
	    const char *origin_hdr, const char *cookie_hdr,
	    const char *origin);
/* Whether url is safe to redirect to: same origin as origin. */
int	 auth_same_origin_url(const char *url, const char *origin);

#endif
