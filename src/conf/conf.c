/*
 * conf.c - the configuration table and its three sources. It validates
 * each value as it is set; the checks across keys, and what keeps a valid
 * configuration from serving users, are rules.c's. It does not open
 * sockets or databases.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "util/util.h"

enum conf_type { CONF_STR, CONF_INT, CONF_BOOL, CONF_MODE, CONF_SIZE,
	CONF_SECRET, CONF_CHOICE, CONF_DURATION };

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 offset;
	const char	*def;
	long		 min;
	long		 max;
	const char	*choices;	/* CONF_CHOICE: "a|b|c" */
};

#define STR(f)		offsetof(struct config, f)
#define SECRET_MAX	4096
#define FILE_MAX	(1 << 20)

static const struct conf_key keys[] = {
	{ "listen", CONF_STR, STR(listen), "unix:" RUNSTATEDIR
	    "/passiond/passiond.sock", 0, 0, NULL },
	{ "status_listen", CONF_STR, STR(status_listen), "unix:" RUNSTATEDIR
	    "/passiond/status.sock", 0, 0, NULL },
	{ "socket_owner", CONF_STR, STR(socket_owner), "", 0, 0, NULL },
	{ "socket_group", CONF_STR, STR(socket_group), "", 0, 0, NULL },
	{ "socket_mode", CONF_MODE, STR(socket_mode), "0660", 0, 0777, NULL },
	{ "backlog", CONF_INT, STR(backlog), "511", 1, 65535, NULL },
	{ "workers", CONF_INT, STR(workers), "4", 1, 256, NULL },
	{ "user_workers", CONF_INT, STR(user_workers), "0", 0, 256, NULL },
	{ "search_rate", CONF_INT, STR(search_rate), "30", 0, 100000, NULL },
	{ "max_requests", CONF_INT, STR(max_requests), "1000000", 0, 100000000,
	    NULL },
	{ "request_timeout", CONF_DURATION, STR(request_timeout), "60s", 1,
	    86400, NULL },
	{ "read_timeout", CONF_DURATION, STR(read_timeout), "10s", 1, 3600,
	    NULL },
	{ "shutdown_timeout", CONF_DURATION, STR(shutdown_timeout), "30s", 1,
	    3600, NULL },
	{ "listen_allow_remote", CONF_BOOL, STR(listen_allow_remote), "off", 0,
	    1, NULL },
	{ "database_url", CONF_STR, STR(database_url),
	    "dbname=passion user=passion_app", 0, 0, NULL },
	{ "database_password", CONF_SECRET, STR(database_password), "", 0, 0, NULL },
	{ "migrate_database_url", CONF_STR, STR(migrate_database_url),
	    "dbname=passion user=passion_owner", 0, 0, NULL },
	{ "migrate_database_password", CONF_SECRET,
	    STR(migrate_database_password), "", 0, 0, NULL },
	{ "backup_database_url", CONF_STR, STR(backup_database_url),
	    "dbname=passion user=passion_backup", 0, 0, NULL },
	{ "backup_database_password", CONF_SECRET,
	    STR(backup_database_password), "", 0, 0, NULL },
	{ "db_retry_after", CONF_DURATION, STR(db_retry_after), "5s", 1, 3600,
	    NULL },
	{ "db_connect_timeout", CONF_DURATION, STR(db_connect_timeout), "3s",
	    1, 600, NULL },
	{ "db_statement_timeout", CONF_DURATION, STR(db_statement_timeout),
	    "5s", 1, 86400, NULL },
	{ "db_lock_timeout", CONF_DURATION, STR(db_lock_timeout), "1s", 1,
	    86400, NULL },
	{ "batch_statement_timeout", CONF_DURATION,
	    STR(batch_statement_timeout), "10m", 0, 7L * 86400, NULL },
	{ "batch_lock_timeout", CONF_DURATION, STR(batch_lock_timeout), "30s",
	    0, 7L * 86400, NULL },
	{ "outbound_connect_timeout", CONF_DURATION,
	    STR(outbound_connect_timeout), "3s", 1, 600, NULL },
	{ "outbound_timeout", CONF_DURATION, STR(outbound_timeout), "10s", 1,
	    3600, NULL },
	{ "job_workers", CONF_INT, STR(job_workers), "1", 0, 16, NULL },
	{ "job_max_attempts", CONF_INT, STR(job_max_attempts), "10", 1, 1000,
	    NULL },
	{ "job_retry_base", CONF_DURATION, STR(job_retry_base), "10s", 1,
	    86400, NULL },
	{ "job_retry_max", CONF_DURATION, STR(job_retry_max), "10m", 1,
	    7L * 86400, NULL },
	{ "job_timeout", CONF_DURATION, STR(job_timeout), "15m", 1,
	    7L * 86400, NULL },
	{ "max_body", CONF_SIZE, STR(max_body), "2M", 1024, 1L << 30, NULL },
	{ "log_file", CONF_STR, STR(log_file), "", 0, 0, NULL },
	{ "log_level", CONF_CHOICE, STR(log_level), "info", 0, 0,
	    "debug|info|warn|error" },
	{ "debug_routes", CONF_BOOL, STR(debug_routes), "off", 0, 1, NULL },
	{ "public_origin", CONF_STR, STR(public_origin),
	    "http://127.0.0.1:8080", 0, 0, NULL },
	{ "secret_key", CONF_SECRET, STR(secret_key), "", 0, 0, NULL },
	{ "auth_error_url", CONF_STR, STR(auth_error_url), "/signin", 0, 0, NULL },
	{ "session_idle", CONF_DURATION, STR(session_idle), "30d", 1,
	    3650L * 86400, NULL },
	{ "session_roll", CONF_DURATION, STR(session_roll), "24h", 0,
	    3650L * 86400, NULL },
	{ "session_max_age", CONF_DURATION, STR(session_max_age), "90d", 1,
	    3650L * 86400, NULL },
	{ "clock_skew", CONF_DURATION, STR(clock_skew), "60s", 0, 3600, NULL },
	{ "signup", CONF_CHOICE, STR(signup), "open", 0, 0,
	    "open|allowlist|closed" },
	{ "signup_allow", CONF_STR, STR(signup_allow), "", 0, 0, NULL },
	{ "smtp_url", CONF_STR, STR(smtp_url), "", 0, 0, NULL },
	{ "smtp_from", CONF_STR, STR(smtp_from), "", 0, 0, NULL },
	{ "smtp_user", CONF_STR, STR(smtp_user), "", 0, 0, NULL },
	{ "smtp_password", CONF_SECRET, STR(smtp_password), "", 0, 0, NULL },
	{ "smtp_tls", CONF_CHOICE, STR(smtp_tls), "starttls", 0, 0,
	    "none|starttls|implicit" },
	{ "smtp_timeout", CONF_DURATION, STR(smtp_timeout), "30s", 1, 3600,
	    NULL },
	{ "smtp_utf8", CONF_BOOL, STR(smtp_utf8), "off", 0, 1, NULL },
	{ "email_token_ttl", CONF_DURATION, STR(email_token_ttl), "24h", 60,
	    30L * 86400, NULL },
	{ "rate_window", CONF_DURATION, STR(rate_window), "1h", 1, 86400, NULL },
	{ "rate_per_address", CONF_INT, STR(rate_per_address), "5", 1,
	    1000000, NULL },
	{ "rate_per_ip", CONF_INT, STR(rate_per_ip), "30", 1, 1000000, NULL },
	{ "schedule_horizon", CONF_DURATION, STR(schedule_horizon), "7d", 60,
	    366L * 86400, NULL },
	{ "storage_endpoint", CONF_STR, STR(storage_endpoint), "", 0, 0, NULL },
	{ "storage_bucket", CONF_STR, STR(storage_bucket), "", 0, 0, NULL },
	{ "storage_region", CONF_STR, STR(storage_region), "auto", 0, 0, NULL },
	{ "storage_access_key_id", CONF_STR, STR(storage_access_key_id), "", 0,
	    0, NULL },
	{ "storage_secret", CONF_SECRET, STR(storage_secret), "", 0, 0, NULL },
	{ "storage_addressing", CONF_CHOICE, STR(storage_addressing), "path",
	    0, 0, "path|virtual" },
	{ "storage_upload_ttl", CONF_DURATION, STR(storage_upload_ttl), "5m", 1,
	    604800, NULL },
	{ "storage_download_ttl", CONF_DURATION, STR(storage_download_ttl),
	    "1h", 1, 604800, NULL },
	{ "storage_audio_max", CONF_SIZE, STR(storage_audio_max), "200M", 1,
	    5368709120L, NULL },
	{ "storage_image_max", CONF_SIZE, STR(storage_image_max), "10M", 1,
	    5368709120L, NULL },
	{ "storage_quota", CONF_SIZE, STR(storage_quota), "0", 0,
	    1L << 50, NULL },
	{ "storage_multipart_threshold", CONF_SIZE,
	    STR(storage_multipart_threshold), "64M", 5L << 20, 5368709120L,
	    NULL },
	{ "storage_sweep_age", CONF_DURATION, STR(storage_sweep_age), "1d", 1,
	    30L * 86400, NULL },
	{ "vault_workers", CONF_INT, STR(vault_workers), "1", 0, 16, NULL },
	{ "vault_timeout", CONF_DURATION, STR(vault_timeout), "2h", 60,
	    7L * 86400, NULL },
	{ "vault_bundle_max", CONF_SIZE, STR(vault_bundle_max), "2G", 1024,
	    5368709120L, NULL },
	{ "vault_entities_max", CONF_INT, STR(vault_entities_max), "1000000",
	    1, 100000000, NULL },
	{ "vault_json_depth", CONF_INT, STR(vault_json_depth), "64", 8, 1000,
	    NULL },
	{ "vault_zip_ratio", CONF_INT, STR(vault_zip_ratio), "100", 2, 100000,
	    NULL },
	{ "vault_tmpdir", CONF_STR, STR(vault_tmpdir), "/var/tmp", 0, 0, NULL },
	{ "vault_export_age", CONF_DURATION, STR(vault_export_age), "7d", 60,
	    365L * 86400, NULL },
	{ "vault_import_age", CONF_DURATION, STR(vault_import_age), "3d", 60,
	    365L * 86400, NULL },
	{ "vault_passphrase_tries", CONF_INT, STR(vault_passphrase_tries),
	    "10", 1, 1000, NULL },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

#define NFIELDS		5	/* provider_fields[] */

static const struct conf_key	*key_find(const char *name, size_t len);
static void			 secret_replace(char **slot, char *value);
static char			**provider_slot(struct conf_provider *p,
				    size_t field);
static int			 set_value(struct config *c,
				    const struct conf_key *k, const char *v,
				    char *err, size_t errlen);
static char			*read_file(const char *path, size_t max,
				    char *err, size_t errlen);

static const struct conf_key *
key_find(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len &&
		    strncmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

static char **
str_slot(struct config *c, const struct conf_key *k)
{
	return (char **)(void *)((char *)c + k->offset);
}

static long *
long_slot(struct config *c, const struct conf_key *k)
{
	return (long *)(void *)((char *)c + k->offset);
}

/* One suffix letter and what it multiplies by. */
struct unit {
	char		 suffix;
	long long	 mult;
};

static const struct unit size_units[] = {
	{ 'K', 1024 }, { 'M', 1024 * 1024 }, { 'G', 1024 * 1024 * 1024 },
	{ 'k', 1024 }, { 'm', 1024 * 1024 }, { 'g', 1024 * 1024 * 1024 },
	{ 0, 0 },
};

static const struct unit time_units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 0, 0 },
};

/* A whole number with an optional unit suffix, in [min, max]. */
static int
parse_scaled(const char *v, const struct unit *units, long min, long max,
    long *out)
{
	char		 num[32];
	size_t		 n = strlen(v);
	long long	 mult = 1, x;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, v, n + 1);
	for (; units->suffix != 0; units++)
		if (num[n - 1] == units->suffix) {
			mult = units->mult;
			num[n - 1] = '\0';
			break;
		}
	if (str_to_ll(num, 0, max, &x) != 0 || x * mult > max || x * mult < min)
		return -1;
	*out = (long)(x * mult);
	return 0;
}

static int
choice_ok(const char *choices, const char *v)
{
	size_t		 n = strlen(v);
	const char	*p = choices;

	while (n > 0 && p != NULL) {
		if (strncmp(p, v, n) == 0 && (p[n] == '|' || p[n] == '\0'))
			return 1;
		p = strchr(p, '|');
		if (p != NULL)
			p++;
	}
	return 0;
}

static int
set_value(struct config *c, const struct conf_key *k, const char *v,
    char *err, size_t errlen)
{
	long long	 x;
	long		 l;
	char		*end;

	switch (k->type) {
	case CONF_STR:
	case CONF_SECRET:
		if (strlen(v) > FILE_MAX)
			goto bad;
		free(*str_slot(c, k));
		*str_slot(c, k) = strdup(v);
		if (*str_slot(c, k) == NULL)
			fatal("conf: out of memory");
		return 0;
	case CONF_CHOICE:
		if (!choice_ok(k->choices, v)) {
			snprintf(err, errlen, "%s: '%s' is not one of %s",
			    k->name, v, k->choices);
			return -1;
		}
		free(*str_slot(c, k));
		*str_slot(c, k) = strdup(v);
		if (*str_slot(c, k) == NULL)
			fatal("conf: out of memory");
		return 0;
	case CONF_INT:
		if (str_to_ll(v, k->min, k->max, &x) != 0) {
			snprintf(err, errlen, "%s: '%s' is not a whole number "
			    "from %ld to %ld", k->name, v, k->min, k->max);
			return -1;
		}
		*long_slot(c, k) = (long)x;
		return 0;
	case CONF_BOOL:
		if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 ||
		    strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
			*long_slot(c, k) = 1;
		else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 ||
		    strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
			*long_slot(c, k) = 0;
		else {
			snprintf(err, errlen, "%s: '%s' is not on or off",
			    k->name, v);
			return -1;
		}
		return 0;
	case CONF_MODE:
		errno = 0;
		l = strtol(v, &end, 8);
		if (*v == '\0' || *end != '\0' || errno != 0 || l < k->min ||
		    l > k->max) {
			snprintf(err, errlen, "%s: '%s' is not an octal mode "
			    "such as 0660", k->name, v);
			return -1;
		}
		*long_slot(c, k) = l;
		return 0;
	case CONF_DURATION:
		if (parse_scaled(v, time_units, k->min, k->max, &l) != 0) {
			snprintf(err, errlen, "%s: '%s' is not a duration from "
			    "%lds to %lds (s, m, h, d suffixes allowed)",
			    k->name, v, k->min, k->max);
			return -1;
		}
		*long_slot(c, k) = l;
		return 0;
	case CONF_SIZE:
		if (parse_scaled(v, size_units, k->min, k->max, &l) != 0) {
			snprintf(err, errlen, "%s: '%s' is not a size from %ld "
			    "to %ld bytes (K, M, G suffixes allowed)",
			    k->name, v, k->min, k->max);
			return -1;
		}
		*long_slot(c, k) = l;
		return 0;
	}
bad:
	snprintf(err, errlen, "%s: value too long", k->name);
	return -1;
}

void
conf_defaults(struct config *c)
{
	size_t	 i;
	char	 err[256];

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NKEYS; i++)
		if (set_value(c, &keys[i], keys[i].def, err, sizeof(err)) != 0)
			fatal("conf: bad default: %s", err);
}

void
conf_free(struct config *c)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type != CONF_STR && keys[i].type != CONF_SECRET &&
		    keys[i].type != CONF_CHOICE)
			continue;
		secret_replace(str_slot(c, &keys[i]), NULL);
	}
	for (i = 0; i < c->nproviders; i++) {
		size_t f;

		free(c->providers[i].id);
		for (f = 0; f < NFIELDS; f++)
			secret_replace(provider_slot(&c->providers[i], f),
			    NULL);
	}
	c->nproviders = 0;
}

/* A secret's file, read whole, one trailing newline dropped; NULL + err. */
static char *
secret_read(const char *name, const char *path, char *err, size_t errlen)
{
	char	*s;
	size_t	 n;

	s = read_file(path, SECRET_MAX, err, errlen);
	if (s == NULL) {
		char inner[256];

		snprintf(inner, sizeof(inner), "%s", err);
		snprintf(err, errlen, "%s: %s", name, inner);
		return NULL;
	}
	n = strlen(s);
	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '\r')
		s[--n] = '\0';
	return s;
}

static void
secret_replace(char **slot, char *value)
{
	if (*slot != NULL) {
		explicit_bzero(*slot, strlen(*slot));
		free(*slot);
	}
	*slot = value;
}

static int
set_secret_from_file(struct config *c, const struct conf_key *k,
    const char *path, char *err, size_t errlen)
{
	char	*s = secret_read(k->name, path, err, errlen);

	if (s == NULL)
		return -1;
	secret_replace(str_slot(c, k), s);
	return 0;
}

static const char *const provider_fields[] = {
	"name", "issuer", "client_id", "client_secret", "scopes",
};

static char **
provider_slot(struct conf_provider *p, size_t field)
{
	char	**slots[NFIELDS] = { &p->name, &p->issuer, &p->client_id,
	    &p->client_secret, &p->scopes };

	return slots[field];
}

static struct conf_provider *
provider_get(struct config *c, const char *id, size_t len, char *err,
    size_t errlen)
{
	size_t	 i;

	for (i = 0; i < c->nproviders; i++)
		if (strlen(c->providers[i].id) == len &&
		    strncmp(c->providers[i].id, id, len) == 0)
			return &c->providers[i];
	for (i = 0; i < len; i++)
		if (!islower((unsigned char)id[i]) &&
		    !isdigit((unsigned char)id[i]) && id[i] != '-') {
			snprintf(err, errlen, "oidc.%.*s: a provider id is "
			    "made of a-z, 0-9 and '-'", (int)len, id);
			return NULL;
		}
	if (len == 5 && strncmp(id, "email", 5) == 0) {
		snprintf(err, errlen, "oidc.email: 'email' is the magic-link "
		    "sign-in's name; pick another id");
		return NULL;
	}
	if (len == 0 || len > 32 || c->nproviders == CONF_MAX_PROVIDERS) {
		snprintf(err, errlen, "oidc.%.*s: bad id or more than %d "
		    "providers", (int)len, id, CONF_MAX_PROVIDERS);
		return NULL;
	}
	i = c->nproviders++;
	memset(&c->providers[i], 0, sizeof(c->providers[i]));
	c->providers[i].id = strndup(id, len);
	c->providers[i].scopes = strdup("openid email profile");
	if (c->providers[i].id == NULL || c->providers[i].scopes == NULL)
		fatal("conf: out of memory");
	return &c->providers[i];
}

/* "oidc.<id>.<field>" and "oidc.<id>.client_secret_file". */
static int
set_provider(struct config *c, const char *key, const char *value,
    char *err, size_t errlen)
{
	const char		*id = key + 5, *dot = strchr(id, '.');
	struct conf_provider	*p;
	size_t			 f, flen;
	int			 is_file = 0;
	char			*v;

	if (dot == NULL) {
		snprintf(err, errlen, "%s: unknown key (oidc.<id>.<field>)",
		    key);
		return -1;
	}
	flen = strlen(dot + 1);
	if (flen > 5 && strcmp(dot + 1 + flen - 5, "_file") == 0) {
		is_file = 1;
		flen -= 5;
	}
	for (f = 0; f < NFIELDS; f++)
		if (strlen(provider_fields[f]) == flen &&
		    strncmp(provider_fields[f], dot + 1, flen) == 0)
			break;
	if (f == NFIELDS || is_file != (f == 3)) {
		if (f == 3)
			snprintf(err, errlen, "%s: is a secret and is read only "
			    "from a file: set %s_file = PATH", key, key);
		else
			snprintf(err, errlen, "%s: unknown key (fields: name, "
			    "issuer, client_id, client_secret_file, scopes)",
			    key);
		return -1;
	}
	p = provider_get(c, id, (size_t)(dot - id), err, errlen);
	if (p == NULL)
		return -1;
	v = is_file ? secret_read(key, value, err, errlen) : strdup(value);
	if (v == NULL)
		return is_file ? -1 : (fatal("conf: out of memory"), -1);
	secret_replace(provider_slot(p, f), v);
	return 0;
}

int
conf_set(struct config *c, const char *key, const char *value, char *err,
    size_t errlen)
{
	const struct conf_key	*k;
	size_t			 len = strlen(key);

	if (strncmp(key, "oidc.", 5) == 0)
		return set_provider(c, key, value, err, errlen);
	k = key_find(key, len);
	if (k != NULL && k->type == CONF_SECRET) {
		snprintf(err, errlen, "%s: is a secret and is read only from "
		    "a file: set %s_file = PATH or provide the credential "
		    "'%s' ($CREDENTIALS_DIRECTORY)", key, key, key);
		return -1;
	}
	if (k == NULL && len > 5 && strcmp(key + len - 5, "_file") == 0) {
		k = key_find(key, len - 5);
		if (k != NULL && k->type == CONF_SECRET)
			return set_secret_from_file(c, k, value, err, errlen);
		k = NULL;
	}
	if (k == NULL) {
		snprintf(err, errlen, "%s: unknown key", key);
		return -1;
	}
	return set_value(c, k, value, err, errlen);
}

int
conf_parse_text(struct config *c, const char *text, const char *name,
    char *err, size_t errlen)
{
	const char	*line = text, *nl;
	char		*copy, *key, *value, *eq;
	char		 inner[512];
	int		 lineno = 0;

	while (*line != '\0') {
		lineno++;
		nl = strchr(line, '\n');
		copy = nl ? strndup(line, (size_t)(nl - line)) : strdup(line);
		if (copy == NULL)
			fatal("conf: out of memory");
		line = nl ? nl + 1 : line + strlen(line);
		/* '#' starts a comment only at the start of a line. */
		key = str_trim(copy);
		if (*key == '#' || *key == '\0') {
			free(copy);
			continue;
		}
		eq = strchr(key, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'",
			    name, lineno);
			free(copy);
			return -1;
		}
		*eq = '\0';
		value = str_trim(eq + 1);
		key = str_trim(key);
		if (conf_set(c, key, value, inner, sizeof(inner)) != 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, inner);
			free(copy);
			return -1;
		}
		free(copy);
	}
	return 0;
}

static char *
read_file(const char *path, size_t max, char *err, size_t errlen)
{
	struct buf	 b;
	char		 chunk[4096];
	ssize_t		 n;
	int		 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	buf_init(&b, max);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "cannot read %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (buf_append(&b, chunk, (size_t)n) != 0) {
			snprintf(err, errlen, "%s is larger than %zu bytes",
			    path, max);
			goto fail;
		}
	}
	close(fd);
	if (b.data == NULL && buf_append(&b, "", 0) != 0)
		goto fail;
	return b.data;
fail:
	explicit_bzero(b.data, b.len);
	buf_cleanup(&b);
	close(fd);
	return NULL;
}

static int
load_env(struct config *c, char *err, size_t errlen)
{
	char		 name[128], inner[512];
	const char	*v;
	size_t		 i, j;
	int		 suffix;

	for (i = 0; i < NKEYS; i++) {
		for (suffix = 0; suffix < 2; suffix++) {
			snprintf(name, sizeof(name), "PASSIOND_%s%s",
			    keys[i].name, suffix ? "_file" : "");
			for (j = 0; name[j] != '\0'; j++)
				name[j] = (char)toupper((unsigned char)name[j]);
			v = getenv(name);
			if (v == NULL)
				continue;
			snprintf(name, sizeof(name), "%s%s", keys[i].name,
			    suffix ? "_file" : "");
			if (conf_set(c, name, v, inner, sizeof(inner)) != 0) {
				snprintf(err, errlen, "environment: %s", inner);
				return -1;
			}
		}
	}
	return 0;
}

static int
load_credentials(struct config *c, const char *fallback, char *err,
    size_t errlen)
{
	const char	*dir;
	char		 path[4096];
	size_t		 i;

	dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir == NULL || *dir == '\0')
		dir = fallback;
	if (dir == NULL)
		return 0;
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type != CONF_SECRET)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, keys[i].name);
		if (access(path, F_OK) != 0)
			continue;
		if (set_secret_from_file(c, &keys[i], path, err, errlen) != 0)
			return -1;
	}
	for (i = 0; i < c->nproviders; i++) {
		struct conf_provider *p = &c->providers[i];
		char *v;

		snprintf(path, sizeof(path), "%s/oidc.%s.client_secret", dir,
		    p->id);
		if (access(path, F_OK) != 0)
			continue;
		v = secret_read("client_secret", path, err, errlen);
		if (v == NULL)
			return -1;
		secret_replace(&p->client_secret, v);
	}
	return 0;
}

int
conf_load(struct config *c, const char *path, const char *cred_dir,
    char *err, size_t errlen)
{
	char	*text;

	conf_defaults(c);
	if (path != NULL) {
		int rc;

		text = read_file(path, FILE_MAX, err, errlen);
		if (text == NULL)
			return -1;
		rc = conf_parse_text(c, text, path, err, errlen);
		free(text);
		if (rc != 0)
			return -1;
	}
	if (load_env(c, err, errlen) != 0 ||
	    load_credentials(c, cred_dir, err, errlen) != 0)
		return -1;
	return conf_validate(c, err, errlen);
}

const char *
conf_credentials_dir(const char *path)
{
	return path == NULL ? CONF_CREDENTIALS_DIR : NULL;
}

int
conf_load_main(struct config *c, const char *prog, const char *path)
{
	const char	*file = path != NULL ? path : CONF_DEFAULT_PATH;
	char		 err[512];

	/* A file that is not there is the set-up's fault, not its text's. */
	if (access(file, R_OK) != 0) {
		fprintf(stderr, "%s: cannot read the configuration %s: %s\n",
		    prog, file, strerror(errno));
		conf_defaults(c);
		return 1;
	}
	if (conf_load(c, file, conf_credentials_dir(path), err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s: configuration error: %s\n", prog, err);
		return 2;
	}
	return 0;
}

void
conf_dump(const struct config *c, int fd)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		const struct conf_key *k = &keys[i];
		const char *s = *(char *const *)(const void *)
		    ((const char *)c + k->offset);
		long l = *(const long *)(const void *)
		    ((const char *)c + k->offset);

		switch (k->type) {
		case CONF_SECRET:
			s = *s ? "(set)" : "(unset)";
			/* FALLTHROUGH */
		case CONF_STR:
		case CONF_CHOICE:
			dprintf(fd, "%s = %s\n", k->name, s);
			break;
		case CONF_MODE:
			dprintf(fd, "%s = %04lo\n", k->name, l);
			break;
		case CONF_BOOL:
			dprintf(fd, "%s = %s\n", k->name, l ? "on" : "off");
			break;
		default:
			dprintf(fd, "%s = %ld\n", k->name, l);
			break;
		}
	}
	for (i = 0; i < c->nproviders; i++) {
		const struct conf_provider *p = &c->providers[i];

		dprintf(fd, "oidc.%s.name = %s\n", p->id, p->name ? p->name :
		    p->id);
		dprintf(fd, "oidc.%s.issuer = %s\n", p->id, p->issuer);
		dprintf(fd, "oidc.%s.client_id = %s\n", p->id, p->client_id);
		dprintf(fd, "oidc.%s.client_secret = %s\n", p->id,
		    p->client_secret ? "(set)" : "(unset)");
		dprintf(fd, "oidc.%s.scopes = %s\n", p->id, p->scopes);
	}
}
