/*
 * check_mail.c - magic-link mail through the jobs worker, against real
 * aiosmtpd: the request answers 202 at once whatever SMTP does; a frozen
 * or absent relay delays the mail, never the request; a jobs worker
 * killed mid-job is replaced and the job runs again; refused requests
 * (429, 422) write nothing; IDNA and SMTPUTF8 addresses; bodies of the
 * wrong shape. Each test has a stack, a database and an SMTP sink of its
 * own (a stack's jobs worker takes every job of its database).
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "util/util.h"
#include "../common/run.h"

struct env {
	struct stack	 s;
	char		 db[80];
	char		 dir[64];
	char		 maildir[192];
	int		 smtp_port;
	pid_t		 smtp;
};

static int	 serial;

static void
env_start(struct env *e, int utf8, const char *extra)
{
	char	 conf[1024];

	memset(e, 0, sizeof(*e));
	snprintf(e->db, sizeof(e->db), "passion_mail_%d_%d", (int)getpid(),
	    ++serial);
	harness_db_create(harness_pghost(), e->db);
	snprintf(e->dir, sizeof(e->dir), "/tmp/passion-mail.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	e->smtp_port = harness_free_port();
	e->smtp = harness_smtp_start(e->dir, e->smtp_port, utf8, e->maildir,
	    sizeof(e->maildir));
	snprintf(conf, sizeof(conf), "smtp_url = smtp://127.0.0.1:%d\n"
	    "smtp_from = signin@passion.test\nsmtp_tls = none\n"
	    "smtp_timeout = 15s\njob_retry_base = 1s\njob_retry_max = 2s\n%s",
	    e->smtp_port, extra ? extra : "");
	harness_stack_start(&e->s, harness_pghost(), e->db, conf);
}

static void
env_stop(struct env *e)
{
	char	 cmd[128];

	harness_stack_stop(&e->s);
	if (e->smtp > 0) {
		kill(e->smtp, SIGCONT);
		kill(e->smtp, SIGTERM);
		harness_wait(e->smtp, 5000);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", e->dir);
}

/* POST /api/auth/email; status, and the time it took in *ms. */
static long
ask(struct env *e, const char *body, struct resp *r, long *ms)
{
	char	 u[256];
	int64_t	 t0 = time_mono_ms();

	snprintf(u, sizeof(u), "%s/api/auth/email", e->s.url);
	http_do("POST", u, "application/json", body, r);
	if (ms != NULL)
		*ms = (long)(time_mono_ms() - t0);
	return r->status;
}

static long
ask_for(struct env *e, const char *email, long *ms)
{
	struct resp	 r;
	char		 body[256];
	long		 st;

	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
	st = ask(e, body, &r, ms);
	resp_free(&r);
	return st;
}

static char *
sql1(struct env *e, const char *sql)
{
	PGconn	*c = harness_pg(harness_pghost(), e->db, "passion_owner");
	char	*v = strdup(harness_sql(c, sql));

	PQfinish(c);
	return v;
}

static long
count(struct env *e, const char *sql)
{
	char	*v = sql1(e, sql);
	long	 n = atol(v);

	free(v);
	return n;
}

/* Wait until sql returns want (polls up to ms). */
static int
sql_becomes(struct env *e, const char *sql, const char *want, int ms)
{
	int	 i;

	for (i = 0; i <= ms / 100; i++) {
		char	*v = sql1(e, sql);
		int	 ok = strcmp(v, want) == 0;

		free(v);
		if (ok)
			return 1;
		harness_sleep_ms(100);
	}
	return 0;
}

START_TEST(frozen_smtp_delays_mail_not_requests)
{
	struct env	 e;
	char		*m, needle[64];
	long		 ms;
	int		 i;

	env_start(&e, 0, NULL);
	ck_assert_int_eq(kill(e.smtp, SIGSTOP), 0);
	for (i = 0; i < 3; i++) {
		snprintf(needle, sizeof(needle), "frozen%d@example.org", i);
		ck_assert_int_eq(ask_for(&e, needle, &ms), 202);
		ck_assert_msg(ms < 1000, "202 took %ld ms with SMTP frozen", ms);
	}
	for (i = 0; i < 5; i++) {
		struct resp r;
		char u[256];

		snprintf(u, sizeof(u), "%s/api/health", e.s.url);
		http_get(u, &r);
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
	}
	harness_sleep_ms(2000);
	ck_assert_int_eq(kill(e.smtp, SIGCONT), 0);
	for (i = 0; i < 3; i++) {
		snprintf(needle, sizeof(needle), "To: <frozen%d@example.org>", i);
		m = harness_mail_for(e.maildir, needle, 30000);
		ck_assert_msg(m != NULL, "no mail for frozen%d", i);
		ck_assert_ptr_nonnull(strstr(m, "/api/auth/callback/email?"
		    "token="));
		free(m);
	}
	ck_assert(sql_becomes(&e, "SELECT count(*) FROM jobs WHERE state = "
	    "'done' AND NOT payload ? 'secret'", "3", 5000));
	/* The link is in the mail only. */
	ck_assert(!harness_file_has(e.s.log, "token=", 0));
	env_stop(&e);
}
END_TEST

START_TEST(mail_waits_for_smtp_to_return)
{
	struct env	 e;
	char		*m, maildir[192];

	env_start(&e, 0, NULL);
	kill(e.smtp, SIGTERM);
	ck_assert(harness_wait(e.smtp, 5000) != -1);
	e.smtp = 0;
	ck_assert_int_eq(ask_for(&e, "later@example.org", NULL), 202);
	/* Tried, failed, queued again with back-off. */
	ck_assert(sql_becomes(&e, "SELECT state = 'queued' AND attempts >= 1 "
	    "AND last_error LIKE 'smtp:%' FROM jobs", "t", 10000));
	ck_assert(harness_file_has(e.s.log, "failed on attempt 1 of 10", 0));
	e.smtp = harness_smtp_start(e.dir, e.smtp_port, 0, maildir,
	    sizeof(maildir));
	m = harness_mail_for(maildir, "To: <later@example.org>", 20000);
	ck_assert_msg(m != NULL, "no mail after SMTP came back");
	free(m);
	ck_assert(sql_becomes(&e, "SELECT state FROM jobs", "done", 5000));
	env_stop(&e);
}
END_TEST

START_TEST(mail_gives_up_after_max_attempts)
{
	struct env	 e;
	char		 cmd[1024];

	env_start(&e, 0, "job_max_attempts = 2\n");
	kill(e.smtp, SIGTERM);
	ck_assert(harness_wait(e.smtp, 5000) != -1);
	e.smtp = 0;
	ck_assert_int_eq(ask_for(&e, "never@example.org", NULL), 202);
	ck_assert(sql_becomes(&e, "SELECT state || ' ' || attempts || ' ' || "
	    "(payload ? 'secret') FROM jobs", "failed 2 false", 15000));
	ck_assert(harness_file_has(e.s.log, "failed for good on attempt 2",
	    2000));
	/* The operator sees it, with the reason. */
	snprintf(cmd, sizeof(cmd), "%s/passionctl -c %s jobs --failed > %s/jobs",
	    getenv("abs_top_builddir"), e.s.conf, e.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/jobs", e.dir);
	ck_assert(harness_file_has(cmd, "\tmail\tfailed\t2/2\t", 0));
	ck_assert(harness_file_has(cmd, "smtp: ", 0));
	env_stop(&e);
}
END_TEST

/* Two jobs workers: each job runs once (SKIP LOCKED), none twice. */
START_TEST(two_jobs_workers_send_each_mail_once)
{
	struct env	 e;
	char		 email[64], needle[96], *m;
	int		 i;

	env_start(&e, 0, "job_workers = 2\n");
	for (i = 0; i < 20; i++) {
		snprintf(email, sizeof(email), "pair%d@example.org", i);
		ck_assert_int_eq(ask_for(&e, email, NULL), 202);
	}
	for (i = 0; i < 20; i++) {
		snprintf(needle, sizeof(needle), "To: <pair%d@example.org>", i);
		m = harness_mail_for(e.maildir, needle, 20000);
		ck_assert_msg(m != NULL, "no mail for pair%d", i);
		free(m);
	}
	ck_assert(sql_becomes(&e, "SELECT count(*) FROM jobs WHERE state = "
	    "'done' AND attempts = 1", "20", 5000));
	/* Nothing left over: every message was taken exactly once. */
	harness_sleep_ms(500);
	m = harness_mail_for(e.maildir, "To: <pair", 0);
	ck_assert_msg(m == NULL, "a mail was sent twice");
	env_stop(&e);
}
END_TEST

START_TEST(jobs_worker_killed_mid_job)
{
	struct env	 e;
	pid_t		 jobs, again = 0;
	char		*m;
	int		 i;

	env_start(&e, 0, NULL);
	jobs = harness_child_named(e.s.passiond, "passiond-jobs");
	ck_assert_int_ne(jobs, 0);
	ck_assert_int_eq(kill(e.smtp, SIGSTOP), 0);
	ck_assert_int_eq(ask_for(&e, "killed@example.org", NULL), 202);
	/* The worker holds the job, waiting on the frozen relay. */
	ck_assert(sql_becomes(&e, "SELECT state FROM jobs", "running", 10000));
	ck_assert_int_eq(kill(jobs, SIGKILL), 0);
	ck_assert_int_eq(kill(e.smtp, SIGCONT), 0);
	m = harness_mail_for(e.maildir, "To: <killed@example.org>", 30000);
	ck_assert_msg(m != NULL, "the job was not taken again");
	free(m);
	ck_assert(sql_becomes(&e, "SELECT state || ' ' || attempts FROM jobs",
	    "done 2", 5000));
	ck_assert(harness_file_has(e.s.log, "requeued 1 job(s) whose worker "
	    "stopped", 0));
	/* The master replaced the worker. */
	for (i = 0; i < 50 && (again == 0 || again == jobs); i++) {
		again = harness_child_named(e.s.passiond, "passiond-jobs");
		harness_sleep_ms(100);
	}
	ck_assert(again != 0 && again != jobs);
	env_stop(&e);
}
END_TEST

START_TEST(jobs_worker_reloads_and_stops_with_the_master)
{
	struct env	 e;
	pid_t		 before, after = 0;
	char		*m;
	int		 i;

	env_start(&e, 0, NULL);
	before = harness_child_named(e.s.passiond, "passiond-jobs");
	ck_assert_int_ne(before, 0);
	ck_assert_int_eq(kill(e.s.passiond, SIGHUP), 0);
	ck_assert(harness_file_has(e.s.log, "reload done", 10000));
	for (i = 0; i < 50 && (after == 0 || after == before); i++) {
		after = harness_child_named(e.s.passiond, "passiond-jobs");
		harness_sleep_ms(100);
	}
	ck_assert(after != 0 && after != before);
	/* The new one serves. */
	ck_assert_int_eq(ask_for(&e, "reload@example.org", NULL), 202);
	m = harness_mail_for(e.maildir, "To: <reload@example.org>", 10000);
	ck_assert_ptr_nonnull(m);
	free(m);
	env_stop(&e);
	ck_assert_int_ne(kill(after, 0), 0);
}
END_TEST

START_TEST(refused_requests_write_nothing)
{
	struct env	 e;
	struct resp	 r;
	int		 i;

	env_start(&e, 0, "rate_per_ip = 3\nrate_per_address = 2\n");
	ck_assert_int_eq(ask_for(&e, "a@example.org", NULL), 202);
	ck_assert_int_eq(ask_for(&e, "a@example.org", NULL), 202);
	/* The address is spent: refused, and the IP counter did not move. */
	ck_assert_int_eq(ask(&e, "{\"email\":\"a@example.org\"}", &r, NULL),
	    429);
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "for this address"));
	resp_free(&r);
	ck_assert_int_eq(ask_for(&e, "b@example.org", NULL), 202);
	/* The IP is spent: a thousand new addresses write nothing. */
	for (i = 0; i < 200; i++) {
		char email[64];

		snprintf(email, sizeof(email), "spray%d@example.org", i);
		ck_assert_int_eq(ask_for(&e, email, NULL), 429);
	}
	ck_assert_int_eq(count(&e, "SELECT count(*) FROM rate_limits"), 3);
	ck_assert_int_eq(count(&e, "SELECT count FROM rate_limits WHERE "
	    "key LIKE 'ip:%'"), 3);
	ck_assert_int_eq(count(&e, "SELECT count FROM rate_limits WHERE "
	    "key = 'email:a@example.org'"), 2);
	ck_assert_int_eq(count(&e, "SELECT count(*) FROM "
	    "verification_tokens"), 3);
	ck_assert_int_eq(count(&e, "SELECT count(*) FROM jobs"), 3);
	env_stop(&e);
}
END_TEST

START_TEST(undeliverable_address_is_422_before_any_write)
{
	struct env	 e;
	struct resp	 r;

	env_start(&e, 0, NULL);
	ck_assert_int_eq(ask(&e, "{\"email\":\"jos\xc3\xa9@example.org\"}", &r,
	    NULL), 422);
	ck_assert_str_eq(resp_str(&r, "error.code"), "undeliverable_email");
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "ASCII before the @"));
	resp_free(&r);
	ck_assert_int_eq(ask(&e, "{\"email\":\"a@xn--zz\xc3\xa9.example\"}",
	    &r, NULL), 422);
	resp_free(&r);
	ck_assert_int_eq(count(&e, "SELECT count(*) FROM rate_limits"), 0);
	ck_assert_int_eq(count(&e, "SELECT count(*) FROM "
	    "verification_tokens"), 0);
	ck_assert_int_eq(count(&e, "SELECT count(*) FROM jobs"), 0);
	env_stop(&e);
}
END_TEST

START_TEST(idn_domain_goes_out_as_punycode)
{
	struct env	 e;
	char		*m;

	env_start(&e, 0, NULL);
	ck_assert_int_eq(ask_for(&e, "reader@B\xc3\xbc" "cher.example", NULL),
	    202);
	m = harness_mail_for(e.maildir, "X-RcptTo: reader@xn--bcher-kva."
	    "example", 10000);
	ck_assert_msg(m != NULL, "no mail to the punycode domain");
	/* The link names the address as it was typed (normalised). */
	ck_assert_ptr_nonnull(strstr(m, "email=reader%40b%C3%BCcher.example"));
	free(m);
	env_stop(&e);
}
END_TEST

START_TEST(smtputf8_relay_takes_a_unicode_local_part)
{
	struct env	 e;
	char		*m;

	env_start(&e, 1, "smtp_utf8 = on\n");
	ck_assert_int_eq(ask_for(&e, "jos\xc3\xa9@example.org", NULL), 202);
	/* aiosmtpd writes the envelope's UTF-8 recipient RFC 2047-encoded. */
	m = harness_mail_for(e.maildir, "X-RcptTo: =?utf-8?b?"
	    "am9zw6lAZXhhbXBsZS5vcmc=?=", 10000);
	ck_assert_msg(m != NULL, "no mail for a unicode local part");
	ck_assert_ptr_nonnull(strstr(m, "To: <jos\xc3\xa9@example.org>"));
	free(m);
	env_stop(&e);
}
END_TEST

/* Well-formed JSON of the wrong shape: 400 or 422, never 500. */
static const char *const shapes[] = {
	"null ", "[]", "\"x\"", "1", "true", "{\"email\":null}",
	"{\"email\":[]}", "{\"email\":{}}", "{\"email\":1e5}",
	"{\"email\":true}", "{\"email\":\"\"}", "{\"email\":\"@\"}",
	"{\"email\":\"a@b.org\",\"callbackUrl\":5}",
	"{\"email\":\"a@b.org\",\"callbackUrl\":[]}",
	"{\"email\":\"a@b.org\",\"callbackUrl\":{}}",
	"{\"email\":NaN}", "{\"email\":123456789012345678901234567890}",
	"{\"email\":\"\\ud800@b.org\"}", "{\"email\":\"a\\u0000@b.org\"}",
	"{\"email\":\"a@b.org\"} null", "{}",
};

START_TEST(wrong_shapes_are_4xx)
{
	struct env	 e;
	struct resp	 r;
	size_t		 i;

	env_start(&e, 0, NULL);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		ask(&e, shapes[i], &r, NULL);
		ck_assert_msg(r.status == 400 || r.status == 422,
		    "%s: %ld %s", shapes[i], r.status, r.body);
		ck_assert_ptr_nonnull(resp_str(&r, "error.code"));
		resp_free(&r);
	}
	ck_assert_int_eq(count(&e, "SELECT count(*) FROM jobs"), 0);
	env_stop(&e);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("mail");
	TCase	*tc = tcase_create("mail");

	harness_pghost();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, frozen_smtp_delays_mail_not_requests);
	tcase_add_test(tc, mail_waits_for_smtp_to_return);
	tcase_add_test(tc, mail_gives_up_after_max_attempts);
	tcase_add_test(tc, two_jobs_workers_send_each_mail_once);
	tcase_add_test(tc, jobs_worker_killed_mid_job);
	tcase_add_test(tc, jobs_worker_reloads_and_stops_with_the_master);
	tcase_add_test(tc, refused_requests_write_nothing);
	tcase_add_test(tc, undeliverable_address_is_422_before_any_write);
	tcase_add_test(tc, idn_domain_goes_out_as_punycode);
	tcase_add_test(tc, smtputf8_relay_takes_a_unicode_local_part);
	tcase_add_test(tc, wrong_shapes_are_4xx);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
