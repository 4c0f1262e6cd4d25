/*
 * oidc.h - OpenID Connect relying party: discovery and JWKS (cached per
 * worker, JWKS refetched on an unknown kid), the authorization URL, the
 * code exchange and ID-token verification (libcjose for JWS).
 */
#ifndef PASSION_OIDC_H
#define PASSION_OIDC_H

#include <json-c/json.h>

#include "auth/auth.h"
#include "conf/conf.h"
#include "net/net.h"

struct oidc_meta {
	char			*issuer;	/* as discovery says */
	char			*authorize;
	char			*token;
	char			*jwks_uri;
	int			 basic;		/* client_secret_basic allowed */
	int64_t			 fetched_ms;
	struct json_object	*jwks;
	int64_t			 jwks_ms;
};

struct oidc {
	struct oidc_meta	 meta[CONF_MAX_PROVIDERS];
};

/* What a verified ID token says. */
struct oidc_identity {
	const char	*subject;
	const char	*email;		/* NULL when absent */
	int		 email_verified;
	const char	*name;
	const char	*picture;
};

/* Tokens from the token endpoint (strings in the arena, NULL if absent). */
struct oidc_tokens {
	const char	*access_token;
	const char	*refresh_token;
	const char	*id_token;
	const char	*token_type;
	const char	*scope;
	long		 expires_in;
};

/* Forget everything cached. */
void	 oidc_cleanup(struct oidc *o);
/* Discovery for provider i, cached for an hour; 0 or -1 with err. */
int	 oidc_discover(struct oidc *o, struct net *n, struct arena *a,
	    const struct conf_provider *p, size_t i, char *err, size_t errlen);
/* The authorization URL with PKCE S256, state and nonce. */
char	*oidc_authorize_url(struct oidc *o, struct arena *a,
	    const struct conf_provider *p, size_t i, const char *redirect_uri,
	    const char *state, const char *nonce, const char *verifier);
/* Exchange code at the token endpoint; 0 or -1 with err. */
int	 oidc_exchange(struct oidc *o, struct net *n, struct arena *a,
	    const struct conf_provider *p, size_t i, const char *code,
	    const char *redirect_uri, const char *verifier,
	    struct oidc_tokens *t, char *err, size_t errlen);
/*
 * Verify an ID token: signature against the provider's JWKS (RS256/384/
 * 512, PS256/384, ES256/384), iss, aud/azp, exp and iat within skew,
 * nonce. 0 with id filled, or -1 with err.
 */
int	 oidc_verify(struct oidc *o, struct net *n, struct arena *a,
	    const struct conf_provider *p, size_t i, const char *jwt,
	    const char *nonce, long skew, struct oidc_identity *id,
	    char *err, size_t errlen);

#endif
