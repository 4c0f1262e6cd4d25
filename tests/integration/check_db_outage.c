/*
 * check_db_outage.c - PostgreSQL stops under a running passiond: health
 * answers 503 with Retry-After (no crash, workers stay), each worker logs
 * the outage once rather than once a request, and when the server is back
 * no request fails, without restarting passiond. This test runs a cluster
 * of its own so the shared one stays up.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../common/run.h"

static char	 pgdir[64], pghost[128];

static void
pg(const char *verb)
{
	char	 cmd[512];

	snprintf(cmd, sizeof(cmd), "%s/dev/pg %s %s >/dev/null",
	    getenv("abs_top_srcdir"), verb, pgdir);
	ck_assert_msg(system(cmd) == 0, "dev/pg %s failed", verb);
}

static void
setup(void)
{
	harness_pghost();	/* dev/check's environment, or skip */
	snprintf(pgdir, sizeof(pgdir), "/tmp/passion-pg.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(pgdir));
	chmod(pgdir, 0755);
	snprintf(pghost, sizeof(pghost), "%s/run", pgdir);
	pg("start");
	harness_db_create(pghost, "passion_outage");
}

static void
teardown(void)
{
	char	 cmd[256];

	pg("stop");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pgdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", pgdir);
}

static void
health(struct stack *s, struct resp *r)
{
	char	 u[256];

	snprintf(u, sizeof(u), "%s/api/health", s->url);
	http_get(u, r);
}

START_TEST(db_down_is_503_then_recovers)
{
	struct stack		 s;
	struct resp		 r;
	struct load		*l;
	struct load_stats	 ls;
	pid_t			 before[8], after[8];
	char			 cookie[128], u[256];
	int			 i, n;

	harness_stack_start(&s, pghost, "passion_outage", "job_workers = 0\n");
	harness_session(pghost, "passion_outage", "outage@example.org", cookie,
	    sizeof(cookie));
	snprintf(u, sizeof(u), "%s/api/auth/session", s.url);
	/* Both workers hold a connection that the restart will break. */
	for (i = 0; i < 10; i++) {
		health(&s, &r);
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
	}
	n = harness_children(s.passiond, before, 8);

	pg("stop");
	for (i = 0; i < 6; i++) {
		health(&s, &r);
		ck_assert_int_eq(r.status, 503);
		ck_assert_str_eq(resp_str(&r, "db"), "down");
		ck_assert_str_eq(resp_str(&r, "status"), "degraded");
		ck_assert_str_eq(resp_header(&r, "Retry-After"), "5");
		resp_free(&r);
	}
	/* Nobody crashed: the same workers are serving. */
	ck_assert_int_eq(harness_children(s.passiond, after, 8), n);
	ck_assert(memcmp(before, after, sizeof(pid_t) * (size_t)n) == 0);
	ck_assert(harness_file_has(s.log, "database unavailable", 1000));
	/* A load while it is down: one warning per worker, not per request. */
	l = harness_load_start(u, cookie, 2, 1500);
	harness_load_wait(l, &ls);
	ck_assert_int_gt(ls.n, 50);
	ck_assert_int_eq(ls.ok, 0);
	ck_assert_int_le(harness_file_count(s.log, "database unavailable"), 2);

	pg("start");
	/* Every worker reconnects on its next request; none fails. */
	l = harness_load_start(u, cookie, 2, 1500);
	for (i = 0; i < 6; i++) {
		health(&s, &r);
		ck_assert_msg(r.status == 200, "after restart: %ld %s",
		    r.status, r.body);
		ck_assert_str_eq(resp_str(&r, "db"), "ok");
		resp_free(&r);
	}
	harness_load_wait(l, &ls);
	ck_assert_msg(ls.ok == ls.n && ls.n > 20, "after restart: %ld of %ld "
	    "ok (last failure %ld)", ls.ok, ls.n, ls.other_status);
	harness_stack_stop(&s);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("db_outage");
	TCase	*tc = tcase_create("outage");

	harness_pghost();
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, db_down_is_503_then_recovers);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
