/*
 * oidc.c - the relying-party side of OpenID Connect. Network calls go
 * through net/; JWS verification through libcjose; claims through json-c.
 * Secrets (client secret, codes, tokens) are never logged.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjose/cjose.h>

#include "auth/oidc.h"

#define DISCOVERY_TTL_MS	(3600 * 1000)
#define JWKS_TTL_MS		(3600 * 1000)
#define JWKS_REFETCH_MIN_MS	(10 * 1000)

static const char *const algs[] = {
	"RS256", "RS384", "RS512", "PS256", "PS384", "ES256", "ES384",
};

static void
json_put(void *p)
{
	json_object_put(p);
}

/* Parse text as a JSON object owned by the arena; NULL if it is not one. */
static struct json_object *
json_owned(struct arena *a, const char *text)
{
	struct json_object	*o = json_tokener_parse(text);

	if (o == NULL)
		return NULL;
	arena_defer(a, json_put, o);
	return json_object_is_type(o, json_type_object) ? o : NULL;
}

static void
meta_clear(struct oidc_meta *m)
{
	free(m->issuer);
	free(m->authorize);
	free(m->token);
	free(m->jwks_uri);
	if (m->jwks != NULL)
		json_object_put(m->jwks);
	memset(m, 0, sizeof(*m));
}

void
oidc_cleanup(struct oidc *o)
{
	size_t	 i;

	for (i = 0; i < CONF_MAX_PROVIDERS; i++)
		meta_clear(&o->meta[i]);
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* GET url and parse a JSON object (owned by the arena). */
static struct json_object *
get_json(struct net *n, struct arena *a, const char *url, char *err,
    size_t errlen)
{
	struct net_resp		 r;
	struct json_object	*o;

	if (net_get(n, a, url, &r, err, errlen) != 0)
		return NULL;
	if (r.status != 200) {
		snprintf(err, errlen, "GET %s: status %ld", url, r.status);
		return NULL;
	}
	o = json_tokener_parse(r.body);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(err, errlen, "GET %s: not a JSON object", url);
		return NULL;
	}
	return o;
}

static char *
xstrdup(const char *s)
{
	char	*d = strdup(s);

	if (d == NULL)
		fatal("strdup: out of memory");
	return d;
}

int
oidc_discover(struct oidc *o, struct net *n, struct arena *a,
    const struct conf_provider *p, size_t i, char *err, size_t errlen)
{
	struct oidc_meta	*m = &o->meta[i];
	struct json_object	*d, *methods;
	const char		*iss, *az, *tok, *jwks;
	char			*url;
	size_t			 k;

	if (m->issuer != NULL && time_mono_ms() - m->fetched_ms <
	    DISCOVERY_TTL_MS)
		return 0;
	url = arena_printf(a, "%s%s.well-known/openid-configuration",
	    p->issuer, p->issuer[strlen(p->issuer) - 1] == '/' ? "" : "/");
	d = get_json(n, a, url, err, errlen);
	if (d == NULL)
		return -1;
	iss = jstr(d, "issuer");
	az = jstr(d, "authorization_endpoint");
	tok = jstr(d, "token_endpoint");
	jwks = jstr(d, "jwks_uri");
	if (iss == NULL || az == NULL || tok == NULL || jwks == NULL) {
		snprintf(err, errlen, "discovery for %s lacks endpoints",
		    p->id);
		json_object_put(d);
		return -1;
	}
	meta_clear(m);
	m->issuer = xstrdup(iss);
	m->authorize = xstrdup(az);
	m->token = xstrdup(tok);
	m->jwks_uri = xstrdup(jwks);
	/* RFC 8414: absent means client_secret_basic. */
	m->basic = 1;
	if (json_object_object_get_ex(d, "token_endpoint_auth_methods_supported",
	    &methods) && json_object_is_type(methods, json_type_array)) {
		m->basic = 0;
		for (k = 0; k < json_object_array_length(methods); k++)
			if (strcmp(json_object_get_string(
			    json_object_array_get_idx(methods, k)),
			    "client_secret_basic") == 0)
				m->basic = 1;
	}
	m->fetched_ms = time_mono_ms();
	json_object_put(d);
	return 0;
}

char *
oidc_authorize_url(struct oidc *o, struct arena *a,
    const struct conf_provider *p, size_t i, const char *redirect_uri,
    const char *state, const char *nonce, const char *verifier)
{
	struct buf	 q;
	char		*url;

	buf_init(&q, 16384);
	net_form_add(&q, "response_type", "code");
	net_form_add(&q, "client_id", p->client_id);
	net_form_add(&q, "redirect_uri", redirect_uri);
	net_form_add(&q, "scope", p->scopes);
	net_form_add(&q, "state", state);
	net_form_add(&q, "nonce", nonce);
	net_form_add(&q, "code_challenge", auth_pkce_challenge(a, verifier));
	net_form_add(&q, "code_challenge_method", "S256");
	url = arena_printf(a, "%s%c%s", o->meta[i].authorize,
	    strchr(o->meta[i].authorize, '?') ? '&' : '?', q.data);
	buf_cleanup(&q);
	return url;
}

int
oidc_exchange(struct oidc *o, struct net *n, struct arena *a,
    const struct conf_provider *p, size_t i, const char *code,
    const char *redirect_uri, const char *verifier, struct oidc_tokens *t,
    char *err, size_t errlen)
{
	struct oidc_meta	*m = &o->meta[i];
	struct json_object	*j, *v;
	struct net_resp		 r;
	struct buf		 f;
	int			 rc;

	buf_init(&f, 16384);
	net_form_add(&f, "grant_type", "authorization_code");
	net_form_add(&f, "code", code);
	net_form_add(&f, "redirect_uri", redirect_uri);
	net_form_add(&f, "code_verifier", verifier);
	if (!m->basic) {
		net_form_add(&f, "client_id", p->client_id);
		net_form_add(&f, "client_secret", p->client_secret);
	}
	rc = net_post_form(n, a, m->token, f.data, m->basic ? p->client_id :
	    NULL, p->client_secret, &r, err, errlen);
	explicit_bzero(f.data, f.len);
	buf_cleanup(&f);
	if (rc != 0)
		return -1;
	j = json_owned(a, r.body);
	if (r.status != 200 || j == NULL) {
		snprintf(err, errlen, "token endpoint: status %ld, error %s",
		    r.status, jstr(j, "error") ? jstr(j, "error") : "-");
		return -1;
	}
	memset(t, 0, sizeof(*t));
	t->access_token = jstr(j, "access_token");
	t->refresh_token = jstr(j, "refresh_token");
	t->id_token = jstr(j, "id_token");
	t->token_type = jstr(j, "token_type");
	t->scope = jstr(j, "scope");
	if (json_object_object_get_ex(j, "expires_in", &v))
		t->expires_in = (long)json_object_get_int64(v);
	if (t->id_token == NULL) {
		snprintf(err, errlen, "token endpoint sent no id_token");
		return -1;
	}
	return 0;
}

/* The JWK with kid (or the only key when kid is NULL); JSON or NULL. */
static const char *
find_key(struct oidc_meta *m, const char *kid)
{
	struct json_object	*keys, *k;
	size_t			 i, n;

	if (m->jwks == NULL ||
	    !json_object_object_get_ex(m->jwks, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array))
		return NULL;
	n = json_object_array_length(keys);
	for (i = 0; i < n; i++) {
		const char *use;

		k = json_object_array_get_idx(keys, i);
		use = jstr(k, "use");
		if (use != NULL && strcmp(use, "sig") != 0)
			continue;
		if ((kid == NULL && n == 1) ||
		    (kid != NULL && jstr(k, "kid") != NULL &&
		    strcmp(jstr(k, "kid"), kid) == 0))
			return json_object_to_json_string(k);
	}
	return NULL;
}

static int
load_jwks(struct oidc_meta *m, struct net *n, struct arena *a, char *err,
    size_t errlen)
{
	struct json_object	*j;

	j = get_json(n, a, m->jwks_uri, err, errlen);
	if (j == NULL)
		return -1;
	if (m->jwks != NULL)
		json_object_put(m->jwks);
	m->jwks = j;
	m->jwks_ms = time_mono_ms();
	return 0;
}

static int
aud_ok(struct json_object *claims, const char *client_id)
{
	struct json_object	*aud;
	const char		*azp;
	size_t			 i, n;
	int			 found = 0;

	if (!json_object_object_get_ex(claims, "aud", &aud))
		return 0;
	if (json_object_is_type(aud, json_type_string))
		return strcmp(json_object_get_string(aud), client_id) == 0;
	if (!json_object_is_type(aud, json_type_array))
		return 0;
	n = json_object_array_length(aud);
	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(aud, i)), client_id) == 0)
			found = 1;
	/* Several audiences: azp must name us (OIDC Core 3.1.3.7). */
	azp = jstr(claims, "azp");
	if (found && n > 1 && (azp == NULL || strcmp(azp, client_id) != 0))
		return 0;
	return found;
}

/* Expected iss: discovery's, with Entra's {tenantid} filled from tid. */
static const char *
expected_issuer(struct arena *a, const char *iss, struct json_object *claims)
{
	const char	*ph = strstr(iss, "{tenantid}"), *tid;

	if (ph == NULL)
		return iss;
	tid = jstr(claims, "tid");
	if (tid == NULL)
		return NULL;
	return arena_printf(a, "%.*s%s%s", (int)(ph - iss), iss, tid,
	    ph + strlen("{tenantid}"));
}

static int
check_claims(struct arena *a, struct oidc_meta *m,
    const struct conf_provider *p, struct json_object *claims,
    const char *nonce, long skew, char *err, size_t errlen)
{
	struct json_object	*v;
	const char		*iss, *want;
	int64_t			 now = time(NULL), exp, iat;

	iss = jstr(claims, "iss");
	want = expected_issuer(a, m->issuer, claims);
	if (iss == NULL || want == NULL || strcmp(iss, want) != 0) {
		snprintf(err, errlen, "iss '%s' is not '%s'", iss ? iss : "-",
		    want ? want : "-");
		return -1;
	}
	if (!aud_ok(claims, p->client_id)) {
		snprintf(err, errlen, "aud does not name our client_id");
		return -1;
	}
	if (!json_object_object_get_ex(claims, "exp", &v) ||
	    (exp = json_object_get_int64(v)) <= 0 || now > exp + skew) {
		snprintf(err, errlen, "ID token expired");
		return -1;
	}
	if (!json_object_object_get_ex(claims, "iat", &v) ||
	    (iat = json_object_get_int64(v)) <= 0 || iat > now + skew) {
		snprintf(err, errlen, "ID token iat missing or in the future");
		return -1;
	}
	if (jstr(claims, "nonce") == NULL ||
	    !auth_str_eq(jstr(claims, "nonce"), nonce)) {
		snprintf(err, errlen, "nonce does not match");
		return -1;
	}
	if (jstr(claims, "sub") == NULL || *jstr(claims, "sub") == '\0') {
		snprintf(err, errlen, "no sub");
		return -1;
	}
	return 0;
}

/* Verify the JWS signature; the payload JSON (arena) or NULL. */
static struct json_object *
verify_jws(struct oidc_meta *m, struct net *n, struct arena *a,
    const char *jwt, char *err, size_t errlen)
{
	cjose_err		 cerr;
	cjose_jws_t		*jws;
	cjose_jwk_t		*jwk = NULL;
	cjose_header_t		*hdr;
	const char		*alg, *kid, *key;
	uint8_t			*plain;
	size_t			 plen, i;
	struct json_object	*claims = NULL;

	jws = cjose_jws_import(jwt, strlen(jwt), &cerr);
	if (jws == NULL) {
		snprintf(err, errlen, "ID token is not a JWS: %s",
		    cerr.message);
		return NULL;
	}
	hdr = cjose_jws_get_protected(jws);
	alg = hdr ? cjose_header_get(hdr, CJOSE_HDR_ALG, &cerr) : NULL;
	kid = hdr ? cjose_header_get(hdr, CJOSE_HDR_KID, &cerr) : NULL;
	for (i = 0; alg != NULL && i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(alg, algs[i]) == 0)
			break;
	if (alg == NULL || i == sizeof(algs) / sizeof(algs[0])) {
		snprintf(err, errlen, "ID token alg '%s' is not accepted",
		    alg ? alg : "-");
		goto done;
	}
	key = find_key(m, kid);
	/* An unknown kid: the provider may have rotated; refetch once. */
	if (key == NULL && time_mono_ms() - m->jwks_ms >= JWKS_REFETCH_MIN_MS &&
	    load_jwks(m, n, a, err, errlen) == 0)
		key = find_key(m, kid);
	if (key == NULL) {
		snprintf(err, errlen, "no key '%s' in the provider's JWKS",
		    kid ? kid : "-");
		goto done;
	}
	jwk = cjose_jwk_import(key, strlen(key), &cerr);
	if (jwk == NULL || cjose_jwk_get_kty(jwk, &cerr) == CJOSE_JWK_KTY_OCT ||
	    (alg[0] == 'E') != (cjose_jwk_get_kty(jwk, &cerr) ==
	    CJOSE_JWK_KTY_EC)) {
		snprintf(err, errlen, "key '%s' does not fit alg %s",
		    kid ? kid : "-", alg);
		goto done;
	}
	if (!cjose_jws_verify(jws, jwk, &cerr)) {
		snprintf(err, errlen, "ID token signature does not verify");
		goto done;
	}
	if (!cjose_jws_get_plaintext(jws, &plain, &plen, &cerr)) {
		snprintf(err, errlen, "ID token has no payload");
		goto done;
	}
	claims = json_owned(a, arena_strndup(a, (const char *)plain,
	    plen));
	if (claims == NULL)
		snprintf(err, errlen, "ID token payload is not a JSON object");
done:
	if (jwk != NULL)
		cjose_jwk_release(jwk);
	cjose_jws_release(jws);
	return claims;
}

int
oidc_verify(struct oidc *o, struct net *n, struct arena *a,
    const struct conf_provider *p, size_t i, const char *jwt,
    const char *nonce, long skew, struct oidc_identity *id, char *err,
    size_t errlen)
{
	struct oidc_meta	*m = &o->meta[i];
	struct json_object	*claims, *v;

	if ((m->jwks == NULL || time_mono_ms() - m->jwks_ms > JWKS_TTL_MS) &&
	    load_jwks(m, n, a, err, errlen) != 0)
		return -1;
	claims = verify_jws(m, n, a, jwt, err, errlen);
	if (claims == NULL)
		return -1;
	if (check_claims(a, m, p, claims, nonce, skew, err, errlen) != 0)
		return -1;
	memset(id, 0, sizeof(*id));
	id->subject = jstr(claims, "sub");
	id->email = jstr(claims, "email");
	id->name = jstr(claims, "name");
	id->picture = jstr(claims, "picture");
	/* Some providers send "true" as a string. */
	if (json_object_object_get_ex(claims, "email_verified", &v))
		id->email_verified = json_object_is_type(v, json_type_boolean) ?
		    json_object_get_boolean(v) :
		    strcmp(json_object_get_string(v), "true") == 0;
	return 0;
}
