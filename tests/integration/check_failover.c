/*
 * check_failover.c - a PostgreSQL primary and its streaming standby
 * (pg_basebackup -R, docs/operations.md "Scaling out"), both this
 * test's own clusters; passiond names both hosts with
 * target_session_attrs=read-write. While a load runs the primary dies
 * (an immediate stop) and the standby is promoted: requests answer 503
 * with Retry-After only during the switch, nothing else fails, and the
 * service is back within a few seconds of the promotion with no change
 * to passiond.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "../common/run.h"

#define ANSWERS_MAX	20000
#define BACK_MS		5000	/* served again this soon after promotion */

static struct stack	 st;
static char		 root[128], primary[192], standby[192];
static char		 cookie[128];

/* sh -c cmd, which must succeed. */
static void
run(const char *cmd)
{
	int	 rc = system(cmd);

	ck_assert_msg(rc == 0, "%s: %d", cmd, rc);
}

/* PostgreSQL's program prog with args, as postgres when we are root. */
static void
pg(const char *prog, const char *args)
{
	char	 cmd[2048];

	snprintf(cmd, sizeof(cmd), "%s/usr/lib/postgresql/15/bin/%s %s "
	    ">/dev/null", getuid() == 0 ? "runuser -u postgres -- " : "", prog,
	    args);
	run(cmd);
}

static void
setup(void)
{
	char	 cmd[1024], extra[1024];

	harness_pghost();	/* skips, or fails in CI, as every suite */
	snprintf(root, sizeof(root), "/tmp/passion-failover.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	chmod(root, 0755);
	snprintf(primary, sizeof(primary), "%s/primary/run", root);
	snprintf(standby, sizeof(standby), "%s/standby/run", root);
	/* The primary: dev/lib.sh's cluster, roles and all. */
	snprintf(cmd, sizeof(cmd), "cd %s/dev && sh -c '. ./lib.sh; "
	    "pg_start %s/primary' >/dev/null", getenv("abs_top_srcdir") ?
	    getenv("abs_top_srcdir") : ".", root);
	run(cmd);
	harness_db_create(primary, "passion");
	/* The standby: a copy that follows it (-R writes how). */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/standby/run && chown -R "
	    "postgres:postgres %s/standby", root, root);
	run(cmd);
	snprintf(cmd, sizeof(cmd), "-h %s -U postgres -D %s/standby/pg -R -X "
	    "stream -c fast", primary, root);
	pg("pg_basebackup", cmd);
	snprintf(cmd, sizeof(cmd), "-D %s/standby/pg -l %s/standby/pg.log -w "
	    "-t 60 -o \"-k %s -c listen_addresses=''\" start", root, root,
	    standby);
	pg("pg_ctl", cmd);
	snprintf(extra, sizeof(extra), "database_url = host=%s,%s "
	    "dbname=passion user=passion_app target_session_attrs=read-write\n"
	    "db_retry_after = 2\n", primary, standby);
	harness_stack_start(&st, primary, "passion", extra);
	harness_session(primary, "passion", "fail@example.org", cookie,
	    sizeof(cookie));
}

static void
teardown(void)
{
	char	 cmd[1024];

	harness_stack_stop(&st);
	snprintf(cmd, sizeof(cmd), "for d in %s/primary/pg %s/standby/pg; do "
	    "[ -f $d/postmaster.pid ] && runuser -u postgres -- "
	    "/usr/lib/postgresql/15/bin/pg_ctl -D $d -m immediate -w stop; "
	    "done >/dev/null 2>&1; rm -rf %s", root, root, root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
}

struct answer {
	int		 status;
	int		 retry_after;	/* it said when to come back */
	long long	 at;		/* ms, when the answer came */
};

struct answers {
	int		 n;
	struct answer	 a[ANSWERS_MAX];
};

static volatile int	*stop_flag;
static struct answers	*got;

/* Lists and keyed creates until told to stop; every answer kept. */
static void
load(void)
{
	char		 url[256], body[128], key[96];
	struct resp	 r;
	int		 n = 0;

	while (!*stop_flag && got->n < ANSWERS_MAX) {
		if (n % 2 == 0) {
			snprintf(url, sizeof(url), "%s/api/quests?limit=5",
			    st.url);
			http_do_h("GET", url, cookie, NULL, NULL, NULL, &r);
		} else {
			snprintf(url, sizeof(url), "%s/api/quests", st.url);
			snprintf(body, sizeof(body), "{\"title\":\"f%d\","
			    "\"domainId\":\"d\"}", n);
			snprintf(key, sizeof(key), "Idempotency-Key: f-%d", n);
			http_do_h("POST", url, cookie, key, "application/json",
			    body, &r);
		}
		got->a[got->n++] = (struct answer){ (int)r.status,
		    resp_header(&r, "Retry-After") != NULL, harness_now_ms() };
		resp_free(&r);
		n++;
		harness_sleep_ms(20);
	}
	_exit(0);
}

START_TEST(a_promoted_standby_takes_over)
{
	long long	 died, promoted, first_back = -1;
	pid_t		 pid;
	int		 i, status, unavailable = 0, served_after = 0;
	char		 cmd[512];

	stop_flag = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	got = mmap(NULL, sizeof(*got), PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	ck_assert(stop_flag != MAP_FAILED && got != MAP_FAILED);
	*stop_flag = 0;
	got->n = 0;
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		load();
	harness_sleep_ms(1500);
	/* The primary dies; for a while there is no primary at all. */
	died = harness_now_ms();
	snprintf(cmd, sizeof(cmd), "-D %s/primary/pg -m immediate -w stop",
	    root);
	pg("pg_ctl", cmd);
	harness_sleep_ms(2000);
	/* The operator promotes the standby (docs/operations.md). */
	snprintf(cmd, sizeof(cmd), "-D %s/standby/pg -w promote", root);
	pg("pg_ctl", cmd);
	promoted = harness_now_ms();
	harness_sleep_ms(BACK_MS + 2000);
	*stop_flag = 1;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);

	for (i = 0; i < got->n; i++) {
		const struct answer *x = &got->a[i];

		if (x->status == 503) {
			/* Only during the switch, and saying when to retry. */
			ck_assert_msg(x->retry_after, "a 503 without "
			    "Retry-After");
			ck_assert_msg(x->at >= died && x->at <= promoted +
			    BACK_MS, "a 503 %lld ms after the promotion",
			    x->at - promoted);
			unavailable++;
			continue;
		}
		ck_assert_msg(x->status == 200 || x->status == 201, "answer "
		    "%d: %d", i, x->status);
		if (x->at > promoted) {
			served_after++;
			if (first_back < 0)
				first_back = x->at - promoted;
		}
	}
	fprintf(stderr, "check_failover: %d answers, %d of them 503; served "
	    "again %lld ms after the promotion\n", got->n, unavailable,
	    first_back);
	ck_assert_int_gt(unavailable, 0);
	ck_assert_int_gt(served_after, 10);
	ck_assert_int_ge(first_back, 0);
	ck_assert_int_le(first_back, BACK_MS);
	/* The new primary holds what was answered 201 after it. */
	{
		PGconn *c = harness_pg(standby, "passion", "postgres");

		ck_assert_int_gt(atol(harness_sql(c, "SELECT count(*) FROM "
		    "quests")), 0);
		PQfinish(c);
	}
	munmap((void *)stop_flag, sizeof(int));
	munmap(got, sizeof(*got));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("failover");
	TCase	*tc = tcase_create("standby");

	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_promoted_standby_takes_over);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
