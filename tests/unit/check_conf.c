/*
 * check_conf.c - the configuration table: file syntax, values, errors that
 * name the key, environment overrides and secrets from files.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "../common/run.h"

static const struct {
	const char	*text;
	const char	*error;		/* NULL: must load; else a substring */
} parse_cases[] = {
	{ "", NULL },
	{ "# comment\n\nworkers = 8\n", NULL },
	{ "workers=3", NULL },
	{ "  max_body = 4M  \n", NULL },
	{ "socket_mode = 0600\n", NULL },
	{ "debug_routes = on\n", NULL },
	{ "log_level = debug\n", NULL },
	{ "listen = 127.0.0.1:9000\n", NULL },
	{ "listen = 127.8.0.1:9000\n", NULL },
	{ "listen = [::1]:9000\n", NULL },
	{ "listen = localhost:9000\n", NULL },
	{ "listen = 0.0.0.0:9000\n", "listen: '0.0.0.0:9000' is not a "
	    "loopback address" },
	{ "listen = 10.1.2.3:9000\n", "FastCGI has no authentication" },
	{ "listen = [::]:9000\n", "not a loopback" },
	{ "listen = backend.internal:9000\n", "not a loopback" },
	{ "listen = 0.0.0.0:9000\nlisten_allow_remote = on\n", NULL },
	{ "status_listen = 127.0.0.1:9188\n", NULL },
	{ "status_listen =\n", NULL },
	{ "status_listen = 0.0.0.0:9188\n", "status_listen: '0.0.0.0:9188' is "
	    "not a loopback address; the metrics and status have no "
	    "authentication" },
	{ "status_listen = 0.0.0.0:9188\nlisten_allow_remote = on\n",
	    "not a loopback" },
	{ "status_listen = unix:status.sock\n", "status_listen: unix socket "
	    "path must be absolute" },
	{ "listen = unix:/tmp/p.sock\nstatus_listen = unix:/tmp/p.sock\n",
	    "is listen's address too" },
	{ "request_timeout = 5\n", "db_statement_timeout (5s) must be "
	    "below request_timeout (5s)" },
	{ "outbound_timeout = 1m\n", "outbound_timeout (60s) must be below "
	    "request_timeout (60s)" },
	{ "db_lock_timeout = 10s\n", "db_lock_timeout (10s) must be at most "
	    "db_statement_timeout (5s)" },
	{ "read_timeout = 2m\n", "read_timeout (120s) must be at most" },
	{ "job_retry_base = 1h\n", "job_retry_base (3600s)" },
	{ "request_timeout = 3\ndb_statement_timeout = 2\n"
	    "outbound_timeout = 2\noutbound_connect_timeout = 1\n"
	    "read_timeout = 3\n", NULL },
	{ "session_idle = 2h\nsession_roll = 0\nmax_body = 4m\n", NULL },
	{ "session_idle = 5x\n", "session_idle: '5x' is not a duration" },
	{ "session_idle = 0s\n", "session_idle: '0s'" },
	{ "signup = sometimes\n", "signup: 'sometimes' is not one of "
	    "open|allowlist|closed" },
	{ "oidc.google.issuer = https://accounts.google.com\n",
	    "oidc.google: needs issuer, client_id and client_secret_file" },
	{ "oidc.google.client_secret = x\n", "is a secret" },
	{ "oidc.email.issuer = https://x\n", "'email' is the magic-link" },
	{ "oidc.Bad.issuer = https://x\n", "a provider id is made of" },
	{ "oidc.google.colour = red\n", "unknown key" },
	{ "public_origin = https://x.org/app\n", "public_origin:" },
	{ "smtp_url = smtp://x\nsmtp_from = a@b.org\n", "secret_key:" },
	{ "wrokers = 4\n", "t.conf:1: wrokers: unknown key" },
	{ "workers = 0\n", "workers: '0' is not a whole number from 1 to 256" },
	{ "workers = many\n", "workers: 'many'" },
	{ "\n\nworkers\n", "t.conf:3: expected 'key = value'" },
	{ "socket_mode = 999\n", "socket_mode: '999' is not an octal mode" },
	{ "max_body = 12Q\n", "max_body:" },
	{ "max_body = 10\n", "max_body:" },
	{ "debug_routes = maybe\n", "debug_routes: 'maybe' is not on or off" },
	{ "log_level = loud\n", "log_level: 'loud'" },
	{ "database_password = hunter2\n",
	    "database_password: is a secret and is read only from a file" },
	{ "database_password_file = /nonexistent/x\n",
	    "database_password: cannot open /nonexistent/x" },
};

START_TEST(parse_table)
{
	struct config	 c;
	char		 err[512] = "";
	int		 rc;

	conf_defaults(&c);
	rc = conf_parse_text(&c, parse_cases[_i].text, "t.conf", err,
	    sizeof(err));
	if (rc == 0)
		rc = conf_validate(&c, err, sizeof(err));
	if (parse_cases[_i].error == NULL)
		ck_assert_msg(rc == 0, "'%s': %s", parse_cases[_i].text, err);
	else {
		ck_assert_msg(rc != 0, "'%s' loaded", parse_cases[_i].text);
		ck_assert_msg(strstr(err, parse_cases[_i].error) != NULL,
		    "'%s' gave '%s'", parse_cases[_i].text, err);
	}
	conf_free(&c);
}
END_TEST

START_TEST(values_land_in_the_struct)
{
	struct config	 c;
	char		 err[512];

	conf_defaults(&c);
	ck_assert_int_eq(c.workers, 4);
	ck_assert_int_eq(c.max_body, 2 * 1024 * 1024);
	ck_assert_int_eq(conf_parse_text(&c, "workers = 7\nmax_body = 64K\n"
	    "socket_mode = 0640\nlisten = unix:/tmp/x.sock\n", "t", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(c.workers, 7);
	ck_assert_int_eq(c.max_body, 65536);
	ck_assert_int_eq(c.socket_mode, 0640);
	ck_assert_str_eq(c.listen, "unix:/tmp/x.sock");
	conf_free(&c);
}
END_TEST

static const struct {
	const char	*listen;
	const char	*owner;
	const char	*error;
} listen_cases[] = {
	{ "unix:/run/p.sock", "", NULL },
	{ "unix:relative.sock", "", "must be absolute" },
	{ "127.0.0.1:9000", "", NULL },
	{ "[::1]:9000", "", NULL },
	{ "nonsense", "", "neither unix:PATH nor HOST:PORT" },
	{ "127.0.0.1:9000", "www-data", "only for a unix socket" },
};

START_TEST(listen_table)
{
	struct config	 c;
	char		 err[512] = "", text[256];
	int		 rc;

	conf_defaults(&c);
	snprintf(text, sizeof(text), "listen = %s\nsocket_owner = %s\n",
	    listen_cases[_i].listen, listen_cases[_i].owner);
	rc = conf_parse_text(&c, text, "t", err, sizeof(err));
	ck_assert_int_eq(rc, 0);
	rc = conf_validate(&c, err, sizeof(err));
	if (listen_cases[_i].error == NULL)
		ck_assert_msg(rc == 0, "%s", err);
	else
		ck_assert_msg(rc != 0 && strstr(err, listen_cases[_i].error),
		    "%s: '%s'", listen_cases[_i].listen, err);
	conf_free(&c);
}
END_TEST

static const struct {
	const char	*text;
	const char	*error;		/* NULL: valid */
} storage_cases[] = {
	{ "", NULL },
	{ "storage_endpoint = https://acct.r2.cloudflarestorage.com\n"
	    "storage_bucket = b\nstorage_access_key_id = k\n", "storage_secret" },
	{ "storage_endpoint = https://acct.r2.cloudflarestorage.com\n"
	    "storage_access_key_id = k\n", "storage_bucket" },
	{ "storage_endpoint = https://acct.r2.cloudflarestorage.com/b\n"
	    "storage_bucket = b\nstorage_access_key_id = k\n",
	    "without a path" },
	{ "storage_endpoint = ftp://x\n", "not an http(s) URL" },
	{ "storage_upload_ttl = 8d\n", "storage_upload_ttl" },
	{ "storage_addressing = dns\n", "storage_addressing" },
	{ "storage_multipart_threshold = 1M\n", "storage_multipart_threshold" },
};

START_TEST(storage_table)
{
	struct config	 c;
	char		 err[512] = "";
	int		 rc;

	conf_defaults(&c);
	rc = conf_parse_text(&c, storage_cases[_i].text, "t", err, sizeof(err));
	if (rc == 0)
		rc = conf_validate(&c, err, sizeof(err));
	if (storage_cases[_i].error == NULL)
		ck_assert_msg(rc == 0, "%s", err);
	else
		ck_assert_msg(rc != 0 && strstr(err, storage_cases[_i].error),
		    "%s: '%s'", storage_cases[_i].text, err);
	conf_free(&c);
}
END_TEST

static char	 tmpdir[64];

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(environment_and_secrets)
{
	struct config	 c;
	char		 err[512] = "", conf[128], secret[128], cred[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(conf, sizeof(conf), "%s/p.conf", tmpdir);
	snprintf(secret, sizeof(secret), "%s/pw", tmpdir);
	write_file(secret, "s3cret\n");
	write_file(conf, "workers = 2\n");
	{
		char text[256];

		snprintf(text, sizeof(text), "workers = 2\n"
		    "database_password_file = %s\n", secret);
		write_file(conf, text);
	}
	/* The environment beats the file. */
	setenv("PASSIOND_WORKERS", "5", 1);
	ck_assert_msg(conf_load(&c, conf, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(c.workers, 5);
	ck_assert_str_eq(c.database_password, "s3cret");
	conf_free(&c);

	/* A bad environment value names the key. */
	setenv("PASSIOND_WORKERS", "lots", 1);
	ck_assert_int_ne(conf_load(&c, conf, NULL, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "environment: workers: 'lots'"));
	conf_free(&c);
	unsetenv("PASSIOND_WORKERS");

	/* A secret straight in the environment is refused. */
	setenv("PASSIOND_DATABASE_PASSWORD", "x", 1);
	ck_assert_int_ne(conf_load(&c, conf, NULL, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "is a secret"));
	conf_free(&c);
	unsetenv("PASSIOND_DATABASE_PASSWORD");

	/* systemd credentials: $CREDENTIALS_DIRECTORY/<key>. */
	snprintf(cred, sizeof(cred), "%s/database_password", tmpdir);
	write_file(cred, "from-credential");
	setenv("CREDENTIALS_DIRECTORY", tmpdir, 1);
	write_file(conf, "workers = 2\n");
	ck_assert_msg(conf_load(&c, conf, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.database_password, "from-credential");
	conf_free(&c);
	unsetenv("CREDENTIALS_DIRECTORY");

	/* Without systemd's, the fallback directory gives the credentials
	 * (the installed programs' CONF_CREDENTIALS_DIR)... */
	ck_assert_msg(conf_load(&c, conf, tmpdir, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(c.database_password, "from-credential");
	conf_free(&c);
	/* ...and systemd's directory wins over it. */
	setenv("CREDENTIALS_DIRECTORY", "/nonexistent", 1);
	ck_assert_msg(conf_load(&c, conf, tmpdir, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(c.database_password, "");
	conf_free(&c);
	unsetenv("CREDENTIALS_DIRECTORY");

	/* A missing file is an error, whatever the path. */
	ck_assert_int_ne(conf_load(&c, "/nonexistent/p.conf", NULL, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "cannot open /nonexistent/p.conf"));
	conf_free(&c);
	unlink(conf);
	unlink(secret);
	unlink(cred);
	rmdir(tmpdir);
}
END_TEST


int
main(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, parse_table, 0, N(parse_cases));
	tcase_add_test(tc, values_land_in_the_struct);
	tcase_add_loop_test(tc, listen_table, 0, N(listen_cases));
	tcase_add_loop_test(tc, storage_table, 0, N(storage_cases));
	tcase_add_test(tc, environment_and_secrets);
	suite_add_tcase(s, tc);
	return check_run(s, CK_NORMAL);
}
