/*
 * conf.h - passiond.conf: one table of keys, read from a key = value file,
 * each key overridable by PASSIOND_<KEY> in the environment, secrets only
 * from files ($CREDENTIALS_DIRECTORY/<key> or <key>_file = PATH).
 */
#ifndef PASSION_CONF_H
#define PASSION_CONF_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif
#define CONF_DEFAULT_PATH	SYSCONFDIR "/passiond/passiond.conf"
/* Where the units' LoadCredential= read secrets from; the installed
 * programs read them here too when systemd hands them none. */
#define CONF_CREDENTIALS_DIR	SYSCONFDIR "/passiond/credentials"

#define CONF_MAX_PROVIDERS	16

/* One OpenID Connect provider: oidc.<id>.<field> = … */
struct conf_provider {
	char	*id;
	char	*name;		/* shown to people; default: the id */
	char	*issuer;
	char	*client_id;
	char	*client_secret;	/* secret */
	char	*scopes;	/* default "openid email profile" */
};

struct config {
	char	*listen;		/* "unix:PATH" or "HOST:PORT" */
	char	*status_listen;		/* the master's own: metrics, status
					   ("unix:PATH", loopback "HOST:PORT",
					   "": none) */
	char	*socket_owner;
	char	*socket_group;
	long	 socket_mode;
	long	 backlog;
	long	 workers;
	long	 user_workers;		/* of them, one user's costly requests
					   at once; 0: a quarter, at least 1 */
	long	 search_rate;		/* a user's searches per 10 s (0: any) */
	long	 max_requests;
	long	 request_timeout;	/* seconds, from accept to reply */
	long	 read_timeout;		/* seconds to read a whole request */
	long	 shutdown_timeout;	/* seconds */
	long	 listen_allow_remote;	/* bool: TCP listen past loopback */
	char	*database_url;		/* libpq conninfo, runtime role */
	char	*database_password;	/* secret */
	char	*migrate_database_url;	/* conninfo, owner role */
	char	*migrate_database_password;	/* secret */
	char	*backup_database_url;	/* conninfo, the backup role */
	char	*backup_database_password;	/* secret */
	long	 db_retry_after;	/* seconds, in 503 answers */
	long	 db_connect_timeout;	/* seconds */
	long	 db_statement_timeout;	/* seconds, request workers */
	long	 db_lock_timeout;	/* seconds, request workers */
	long	 batch_statement_timeout;	/* jobs worker, passionctl */
	long	 batch_lock_timeout;
	long	 outbound_connect_timeout;	/* seconds, OIDC and store */
	long	 outbound_timeout;	/* seconds, whole call */
	long	 job_workers;
	long	 job_max_attempts;
	long	 job_retry_base;	/* seconds, doubled per attempt */
	long	 job_retry_max;
	long	 job_timeout;		/* seconds one job may run */
	long	 max_body;		/* bytes, default route body limit */
	char	*log_file;		/* "" = stderr */
	char	*log_level;
	long	 debug_routes;		/* bool: /api/_debug/ routes, tests only */

	/* Sign-in (auth/). */
	char	*public_origin;		/* "https://host[:port]", no path */
	char	*secret_key;		/* secret: keys for cookies and tokens */
	char	*auth_error_url;	/* where sign-in errors are sent */
	long	 session_idle;		/* seconds */
	long	 session_roll;
	long	 session_max_age;
	long	 clock_skew;
	char	*signup;		/* open | allowlist | closed */
	char	*signup_allow;		/* "a@b.org, @example.org" */
	char	*smtp_url;
	char	*smtp_from;
	char	*smtp_user;
	char	*smtp_password;		/* secret */
	char	*smtp_tls;		/* none | starttls | implicit */
	long	 smtp_timeout;		/* seconds, one whole delivery */
	long	 smtp_utf8;		/* bool: the relay offers SMTPUTF8 */
	long	 email_token_ttl;
	long	 rate_window;
	long	 rate_per_address;
	long	 rate_per_ip;

	/* The planner (passionctl maintain). */
	long	 schedule_horizon;	/* seconds of missed occurrences */

	/* The object store (storage/): off when storage_endpoint is "". */
	char	*storage_endpoint;	/* "https://<account>.r2.cloud…" */
	char	*storage_bucket;
	char	*storage_region;	/* "auto" for R2 */
	char	*storage_access_key_id;
	char	*storage_secret;	/* secret */
	char	*storage_addressing;	/* path | virtual */
	long	 storage_upload_ttl;	/* seconds a PUT URL lives */
	long	 storage_download_ttl;
	long	 storage_audio_max;	/* bytes */
	long	 storage_image_max;
	long	 storage_quota;		/* bytes per user, 0: none */
	long	 storage_multipart_threshold;
	long	 storage_sweep_age;	/* seconds: pending blobs and
					   orphan objects older go */

	/* Vault imports and exports (vault/, docs/vault.md). */
	long	 vault_workers;		/* jobs workers for them alone (0:
					   the jobs workers take them) */
	long	 vault_timeout;		/* seconds one may run */
	long	 vault_bundle_max;	/* bytes of a bundle */
	long	 vault_entities_max;
	long	 vault_json_depth;
	long	 vault_zip_ratio;	/* unpacked / packed bytes */
	char	*vault_tmpdir;		/* blobs spilled, bundles fetched */
	long	 vault_export_age;	/* seconds an export is kept */
	long	 vault_import_age;	/* an import waiting for its start */
	long	 vault_passphrase_tries;	/* wrong ones per user an hour */

	struct conf_provider	 providers[CONF_MAX_PROVIDERS];
	size_t			 nproviders;
};

/* Fill c with the defaults (allocated strings). */
void	 conf_defaults(struct config *c);
/* Free every string in c. */
void	 conf_free(struct config *c);
/*
 * Defaults, then the file at path (missing is an error), then the
 * environment, then the secrets: $CREDENTIALS_DIRECTORY/<key>, or
 * cred_dir/<key> when systemd set none and cred_dir is not NULL. On
 * failure returns -1 and writes a message naming the key to err.
 */
int	 conf_load(struct config *c, const char *path, const char *cred_dir,
	    char *err, size_t errlen);
/*
 * A program's start: conf_load of path, or of CONF_DEFAULT_PATH with
 * CONF_CREDENTIALS_DIR when path is NULL. Prints what is wrong as
 * "prog: …" on stderr and returns the exit status to leave with: 0
 * loaded, 1 the file cannot be read, 2 it is invalid.
 */
int	 conf_load_main(struct config *c, const char *prog, const char *path);
/* The fallback credentials directory for a program's -c path (NULL: the
 * default file): CONF_CREDENTIALS_DIR for the installed default only. */
const char	*conf_credentials_dir(const char *path);
/*
 * What keeps a valid configuration from serving users (no way to sign
 * in, no secret_key, no object store, test routes on, cookies sent over
 * plain HTTP): one "warning: …" line each on f; returns how many.
 */
int	 conf_warnings(const struct config *c, FILE *f);
/* Parse one "key = value" text (a whole file's content); same contract. */
int	 conf_parse_text(struct config *c, const char *text, const char *name,
	    char *err, size_t errlen);
/* Set one key from its text value; -1 with a message on a bad key/value. */
int	 conf_set(struct config *c, const char *key, const char *value,
	    char *err, size_t errlen);
/* Cross-key checks done after loading (owner needs a unix socket…). */
int	 conf_validate(const struct config *c, char *err, size_t errlen);
/* Print every key and its value (secrets as "(set)"/"(unset)"). */
void	 conf_dump(const struct config *c, int fd);

#endif
