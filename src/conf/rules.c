/*
 * rules.c - the configuration's checks across keys (a listen address
 * that must be loopback, sign-in that needs a secret, a store given
 * whole, limits that nest) and the warnings of --check-config: what a
 * valid configuration still lacks to serve users. It reads struct config
 * only; the key table and the sources are conf.c's.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"

/* Where a key lives in struct config (conf.c names its table the same). */
#define STR(f)		offsetof(struct config, f)

static int	storage_ok(const struct config *c, char *err, size_t errlen);

static int
host_is_loopback(const char *host, size_t len)
{
	char		 h[64];
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(h))
		return 0;
	memcpy(h, host, len);
	h[len] = '\0';
	if (strcmp(h, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* key's value addr: unix:/PATH, or HOST:PORT on loopback unless remote. */
static int
validate_address(const char *key, const char *addr, int remote, char *err,
    size_t errlen)
{
	const char	*colon;

	if (strncmp(addr, "unix:", 5) == 0) {
		if (addr[5] != '/') {
			snprintf(err, errlen, "%s: unix socket path must be "
			    "absolute: '%s'", key, addr);
			return -1;
		}
		return 0;
	}
	colon = strrchr(addr, ':');
	if (colon == NULL || colon == addr || colon[1] == '\0') {
		snprintf(err, errlen, "%s: '%s' is neither unix:PATH nor "
		    "HOST:PORT", key, addr);
		return -1;
	}
	if (!remote && !host_is_loopback(addr, (size_t)(colon - addr))) {
		snprintf(err, errlen, "%s: '%s' is not a loopback address; %s",
		    key, addr, strcmp(key, "listen") == 0 ? "FastCGI has no "
		    "authentication, so whoever reaches the port speaks as "
		    "nginx. Use a unix socket, or set listen_allow_remote = on "
		    "if a firewall guards it" : "the metrics and status have "
		    "no authentication: use a unix socket or loopback, and let "
		    "nginx or an SSH tunnel reach it");
		return -1;
	}
	return 0;
}

static int
validate_listen(const struct config *c, char *err, size_t errlen)
{
	if (validate_address("listen", c->listen, (int)c->listen_allow_remote,
	    err, errlen) != 0)
		return -1;
	if (*c->status_listen != '\0' && (validate_address("status_listen",
	    c->status_listen, 0, err, errlen) != 0))
		return -1;
	if (*c->status_listen != '\0' &&
	    strcmp(c->status_listen, c->listen) == 0) {
		snprintf(err, errlen, "status_listen: '%s' is listen's address "
		    "too", c->status_listen);
		return -1;
	}
	if (strncmp(c->listen, "unix:", 5) != 0 && (*c->socket_owner != '\0' ||
	    *c->socket_group != '\0')) {
		snprintf(err, errlen, "socket_owner/socket_group: only for a "
		    "unix socket, but listen is '%s'", c->listen);
		return -1;
	}
	return 0;
}

/* http(s)://host[:port] with nothing after it. */
static int
origin_ok(const char *o)
{
	const char	*host;

	if (strncmp(o, "https://", 8) == 0)
		host = o + 8;
	else if (strncmp(o, "http://", 7) == 0)
		host = o + 7;
	else
		return 0;
	return *host != '\0' && strpbrk(host, "/?#@ ") == NULL;
}

static int
validate_auth(const struct config *c, char *err, size_t errlen)
{
	size_t	 i;

	if (!origin_ok(c->public_origin)) {
		snprintf(err, errlen, "public_origin: '%s' is not "
		    "http(s)://host[:port] (no path)", c->public_origin);
		return -1;
	}
	for (i = 0; i < c->nproviders; i++) {
		const struct conf_provider *p = &c->providers[i];

		if (p->issuer == NULL || p->client_id == NULL ||
		    p->client_secret == NULL) {
			snprintf(err, errlen, "oidc.%s: needs issuer, "
			    "client_id and client_secret_file", p->id);
			return -1;
		}
		if (strncmp(p->issuer, "https://", 8) != 0 &&
		    strncmp(p->issuer, "http://", 7) != 0) {
			snprintf(err, errlen, "oidc.%s.issuer: '%s' is not a "
			    "URL", p->id, p->issuer);
			return -1;
		}
	}
	if ((c->nproviders > 0 || *c->smtp_url != '\0') &&
	    strlen(c->secret_key) < 32) {
		snprintf(err, errlen, "secret_key: sign-in needs at least 32 "
		    "bytes of secret (e.g. openssl rand -base64 48 > FILE, "
		    "then secret_key_file = FILE)");
		return -1;
	}
	if (*c->smtp_url != '\0' && *c->smtp_from == '\0') {
		snprintf(err, errlen, "smtp_from: required with smtp_url");
		return -1;
	}
	return storage_ok(c, err, errlen);
}

/* The object store: all of it, or none (storage_endpoint empty). */
static int
storage_ok(const struct config *c, char *err, size_t errlen)
{
	const char	*e = c->storage_endpoint;

	if (*e == '\0')
		return 0;
	if (strncmp(e, "https://", 8) != 0 && strncmp(e, "http://", 7) != 0) {
		snprintf(err, errlen, "storage_endpoint: '%s' is not an "
		    "http(s) URL", e);
		return -1;
	}
	if (e[strlen(e) - 1] == '/' || strchr(strchr(e, ':') + 3, '/') != NULL) {
		snprintf(err, errlen, "storage_endpoint: '%s' must be an origin "
		    "(scheme://host[:port]), without a path", e);
		return -1;
	}
	if (*c->storage_bucket == '\0' || *c->storage_access_key_id == '\0') {
		snprintf(err, errlen, "storage_%s: required with "
		    "storage_endpoint", *c->storage_bucket == '\0' ? "bucket" :
		    "access_key_id");
		return -1;
	}
	if (*c->storage_secret == '\0') {
		snprintf(err, errlen, "storage_secret: missing or empty: give it "
		    "as the credential storage_secret or storage_secret_file = "
		    "FILE");
		return -1;
	}
	return 0;
}

/* Each limit must leave room for the one that encloses it. */
static int
validate_timeouts(const struct config *c, char *err, size_t errlen)
{
	static const struct {
		const char	*inner, *outer;
		size_t		 in, out;
		int		 strict;
	} rules[] = {
		{ "db_statement_timeout", "request_timeout",
		    STR(db_statement_timeout), STR(request_timeout), 1 },
		{ "db_lock_timeout", "db_statement_timeout",
		    STR(db_lock_timeout), STR(db_statement_timeout), 0 },
		{ "outbound_timeout", "request_timeout", STR(outbound_timeout),
		    STR(request_timeout), 1 },
		{ "outbound_connect_timeout", "outbound_timeout",
		    STR(outbound_connect_timeout), STR(outbound_timeout), 0 },
		{ "read_timeout", "request_timeout", STR(read_timeout),
		    STR(request_timeout), 0 },
		{ "smtp_timeout", "job_timeout", STR(smtp_timeout),
		    STR(job_timeout), 1 },
		{ "job_retry_base", "job_retry_max", STR(job_retry_base),
		    STR(job_retry_max), 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		long a = *(const long *)(const void *)
		    ((const char *)c + rules[i].in);
		long b = *(const long *)(const void *)
		    ((const char *)c + rules[i].out);

		if (a > b || (rules[i].strict && a == b)) {
			snprintf(err, errlen, "%s (%lds) must be %s %s (%lds)",
			    rules[i].inner, a, rules[i].strict ? "below" :
			    "at most", rules[i].outer, b);
			return -1;
		}
	}
	return 0;
}

int
conf_validate(const struct config *c, char *err, size_t errlen)
{
	if (validate_listen(c, err, errlen) != 0 ||
	    validate_timeouts(c, err, errlen) != 0)
		return -1;
	return validate_auth(c, err, errlen);
}

int
conf_warnings(const struct config *c, FILE *f)
{
	int	 n = 0;

	if (c->nproviders == 0 && *c->smtp_url == '\0') {
		fprintf(f, "warning: no way to sign in: configure an OpenID "
		    "provider (oidc.<id>.*) or magic links (smtp_url)\n");
		n++;
	}
	if (*c->secret_key == '\0') {
		fprintf(f, "warning: secret_key is unset: give it as the "
		    "credential secret_key (%s/secret_key)\n",
		    CONF_CREDENTIALS_DIR);
		n++;
	}
	if (*c->storage_endpoint == '\0') {
		fprintf(f, "warning: no object store (storage_endpoint): "
		    "uploads, downloads and vault imports are refused\n");
		n++;
	}
	if (c->debug_routes) {
		fprintf(f, "warning: debug_routes is on: test-only routes "
		    "are served\n");
		n++;
	}
	if (strncmp(c->public_origin, "https://", 8) != 0 &&
	    strncmp(c->public_origin, "http://127.", 11) != 0 &&
	    strncmp(c->public_origin, "http://localhost", 16) != 0 &&
	    strncmp(c->public_origin, "http://[::1]", 12) != 0) {
		fprintf(f, "warning: public_origin %s is not https: session "
		    "cookies would cross the network in the clear\n",
		    c->public_origin);
		n++;
	}
	return n;
}
