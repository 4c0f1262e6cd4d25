/*
 * check_faults.c - a slow or failing dependency costs only the requests
 * that need it. Under a bounded load of concurrent requests: a statement
 * past db_statement_timeout and a table lock held for several times
 * db_lock_timeout answer 503 db_timeout within their limit (and health
 * stays fast meanwhile); PostgreSQL ending every passiond session costs
 * no request; a FastCGI peer that stalls is dropped after read_timeout
 * while other requests are served, and the master's status listener
 * answers while it stalls every worker. Each test starts its own stack.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

#include "harness.h"
#include "util/util.h"
#include "../common/run.h"

#define LOCK_TIMEOUT_MS	1000

static char	 db[64];

static void
setup(void)
{
	snprintf(db, sizeof(db), "passion_faults_%d", (int)getpid());
	harness_db_create(harness_pghost(), db);
}

static void
start(struct stack *s, const char *extra)
{
	char	 conf[1024];

	snprintf(conf, sizeof(conf), "db_statement_timeout = 2\n"
	    "db_lock_timeout = %d\njob_workers = 0\n%s", LOCK_TIMEOUT_MS / 1000,
	    extra ? extra : "");
	harness_stack_start(s, harness_pghost(), db, conf);
}

static long
get(struct stack *s, const char *path, const char *cookie, struct resp *r)
{
	char	 u[256];

	snprintf(u, sizeof(u), "%s%s", s->url, path);
	http_do_cookie("GET", u, cookie, NULL, NULL, r);
	return r->status;
}

static long
get_status(struct stack *s, const char *path, const char *cookie)
{
	struct resp	 r;
	long		 st = get(s, path, cookie, &r);

	resp_free(&r);
	return st;
}

START_TEST(statement_timeout_is_503_and_the_worker_serves_on)
{
	struct stack	 s;
	struct resp	 r;
	pid_t		 before[4], after[4];
	int64_t		 t0;
	int		 n;

	start(&s, NULL);
	n = harness_children(s.passiond, before, 4);
	t0 = time_mono_ms();
	ck_assert_int_eq(get(&s, "/api/_debug/db-sleep?ms=8000", NULL, &r),
	    503);
	ck_assert_int_lt(time_mono_ms() - t0, 3500);
	ck_assert_str_eq(resp_str(&r, "error.code"), "db_timeout");
	ck_assert_str_eq(resp_header(&r, "Retry-After"), "5");
	resp_free(&r);
	/* Logged once, with the statement's name. */
	ck_assert(harness_file_has(s.log, "statement debug_sleep: ERROR:  "
	    "canceling statement due to statement timeout", 2000));
	ck_assert_int_eq(get_status(&s, "/api/_debug/db-sleep?ms=10", NULL),
	    200);
	ck_assert_int_eq(harness_children(s.passiond, after, 4), n);
	ck_assert(memcmp(before, after, sizeof(pid_t) * (size_t)n) == 0);
	harness_stack_stop(&s);
}
END_TEST

/*
 * A lock held for 5 x db_lock_timeout on the table every session lookup
 * reads: those requests get 503 db_timeout after about db_lock_timeout,
 * and health, which needs no such lock, waits at most that long too.
 */
START_TEST(table_lock_costs_lock_timeout_not_the_lock)
{
	struct stack		 s;
	struct load		*sessions, *health;
	struct load_stats	 ls, lh;
	char			 cookie[128], u[256], h[256];
	PGconn			*owner;

	start(&s, NULL);
	harness_session(harness_pghost(), db, "lock@example.org", cookie,
	    sizeof(cookie));
	snprintf(u, sizeof(u), "%s/api/auth/session", s.url);
	snprintf(h, sizeof(h), "%s/api/health", s.url);
	ck_assert_int_eq(get_status(&s, "/api/auth/session", cookie), 200);

	owner = harness_pg(harness_pghost(), db, "passion_owner");
	harness_sql(owner, "BEGIN");
	harness_sql(owner, "LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE");
	sessions = harness_load_start(u, cookie, 2, 4 * LOCK_TIMEOUT_MS);
	health = harness_load_start(h, NULL, 1, 4 * LOCK_TIMEOUT_MS);
	harness_load_wait(sessions, &ls);
	harness_load_wait(health, &lh);
	harness_sleep_ms(LOCK_TIMEOUT_MS);
	harness_sql(owner, "ROLLBACK");	/* held 5 x db_lock_timeout */
	PQfinish(owner);

	ck_assert_msg(ls.n >= 4 && ls.db_timeout == ls.n, "sessions: %ld "
	    "requests, %ld db_timeout, %ld other (last %ld)", ls.n,
	    ls.db_timeout, ls.other, ls.other_status);
	ck_assert_msg(ls.max_ms < LOCK_TIMEOUT_MS + 1500, "a locked request "
	    "took %ld ms", ls.max_ms);
	ck_assert_msg(lh.n >= 3 && lh.ok == lh.n, "health: %ld of %ld ok",
	    lh.ok, lh.n);
	ck_assert_msg(lh.max_ms < LOCK_TIMEOUT_MS + 1000, "health took %ld "
	    "ms while the lock was held", lh.max_ms);
	/* And it is over when the lock is. */
	ck_assert_int_eq(get_status(&s, "/api/auth/session", cookie), 200);
	harness_stack_stop(&s);
}
END_TEST

/* Terminate every session passiond holds (as a failover would). */
static void
terminate_passiond_sessions(const char *dbname)
{
	PGconn	*su = harness_pg(harness_pghost(), "postgres", "postgres");
	char	 sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(pg_terminate_backend(pid)) "
	    "FROM pg_stat_activity WHERE datname = '%s' AND "
	    "application_name LIKE 'passiond%%'", dbname);
	harness_sql(su, sql);
	PQfinish(su);
}

START_TEST(terminated_connections_cost_no_request)
{
	struct stack		 s;
	struct load		*l, *lh;
	struct load_stats	 st, sh;
	char			 cookie[128], u[256], h[256];
	int			 i;

	start(&s, NULL);
	harness_session(harness_pghost(), db, "term@example.org", cookie,
	    sizeof(cookie));
	snprintf(u, sizeof(u), "%s/api/auth/session", s.url);
	snprintf(h, sizeof(h), "%s/api/health", s.url);
	/* Every worker holds a connection. */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(get_status(&s, "/api/auth/session", cookie),
		    200);
	l = harness_load_start(u, cookie, 2, 3000);
	lh = harness_load_start(h, NULL, 1, 3000);
	for (i = 0; i < 5; i++) {
		harness_sleep_ms(400);
		terminate_passiond_sessions(db);
	}
	harness_load_wait(l, &st);
	harness_load_wait(lh, &sh);
	ck_assert_msg(st.n > 20 && st.ok == st.n, "sessions: %ld of %ld ok "
	    "(last failure %ld)", st.ok, st.n, st.other_status);
	ck_assert_msg(sh.ok == sh.n, "health: %ld of %ld ok", sh.ok, sh.n);
	harness_stack_stop(&s);
}
END_TEST

/* A raw connection to the FastCGI socket (unix path or 127.0.0.1:port). */
static int
fcgi_connect(struct stack *s, int port)
{
	int	 fd;

	if (port == 0) {
		struct sockaddr_un sun;

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		ck_assert_uint_lt(strlen(s->sock), sizeof(sun.sun_path));
		memcpy(sun.sun_path, s->sock, strlen(s->sock) + 1);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)), 0);
	} else {
		struct sockaddr_in sin;

		fd = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	}
	return fd;
}

/* Milliseconds until the peer closes fd (read returns 0 or fails). */
static long
ms_until_closed(int fd, int limit_ms)
{
	struct timeval	 tv = { limit_ms / 1000, 0 };
	int64_t		 t0 = time_mono_ms();
	char		 b[256];

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (read(fd, b, sizeof(b)) > 0)
		;
	return (long)(time_mono_ms() - t0);
}

/* A BEGIN_REQUEST record, then half of a PARAMS record's header. */
static const unsigned char stall_mid_record[] = {
	1, 1, 0, 1, 0, 8, 0, 0,  0, 1, 0, 0, 0, 0, 0, 0,
	1, 4, 0, 1,
};

/* Both workers (workers = 2) held by peers that stall: *a, *b. */
static void
stall_both(struct stack *s, int *a, int *b)
{
	*a = fcgi_connect(s, 0);
	ck_assert_int_eq(write(*a, "\x01", 1), 1);
	*b = fcgi_connect(s, 0);
	ck_assert_int_eq(write(*b, stall_mid_record, sizeof(stall_mid_record)),
	    (ssize_t)sizeof(stall_mid_record));
}

/*
 * Every request worker held by a stalled peer and more connections
 * waiting behind them: the master's /metrics and /status answer within
 * 100 ms and say so (stalled: half-way to read_timeout).
 */
START_TEST(status_answers_while_every_worker_stalls)
{
	struct stack	 s;
	struct resp	 r;
	int		 a, b, q[3], i;
	int64_t		 t0;
	long		 ms;

	start(&s, "read_timeout = 4\n");
	stall_both(&s, &a, &b);
	for (i = 0; i < 3; i++)
		q[i] = fcgi_connect(&s, 0);
	harness_sleep_ms(2300);
	t0 = time_mono_ms();
	harness_status(&s, "GET", "/metrics", &r);
	ms = (long)(time_mono_ms() - t0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(ms < 100, "/metrics took %ld ms", ms);
	ck_assert_double_eq(harness_metric(r.body, "passiond_workers{kind="
	    "\"request\",state=\"stalled\"}"), 2);
	ck_assert_double_eq(harness_metric(r.body, "passiond_workers{kind="
	    "\"request\",state=\"idle\"}"), 0);
	ck_assert(harness_metric(r.body, "passiond_listen_queue") >= 3);
	ck_assert(harness_metric(r.body, "passiond_listen_queue_max") >= 3);
	ck_assert(harness_metric(r.body, "passiond_listen_backlog") > 0);
	resp_free(&r);
	t0 = time_mono_ms();
	harness_status(&s, "GET", "/status", &r);
	ms = (long)(time_mono_ms() - t0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(ms < 100, "/status took %ld ms", ms);
	ck_assert_str_eq(resp_str(&r, "workers.stalled"), "2");
	ck_assert(atol(resp_str(&r, "listen.queue")) >= 3);
	resp_free(&r);
	close(a);
	close(b);
	for (i = 0; i < 3; i++)
		close(q[i]);
	harness_stack_stop(&s);
}
END_TEST

START_TEST(stalled_fastcgi_peers_are_dropped)
{
	struct stack	 s;
	int		 a, b, i;
	long		 ms;
	int64_t		 t0;

	start(&s, "read_timeout = 2\n");
	stall_both(&s, &a, &b);
	harness_sleep_ms(200);
	/* Requests through nginx are served once the peers are dropped. */
	t0 = time_mono_ms();
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(get_status(&s, "/api/health", NULL), 200);
	ck_assert_int_lt(time_mono_ms() - t0, 2000 + 1500);
	ms = ms_until_closed(a, 10);
	ck_assert_msg(ms < 1500, "peer a still open after %ld ms", ms);
	ms = ms_until_closed(b, 10);
	ck_assert_msg(ms < 1500, "peer b still open after %ld ms", ms);
	close(a);
	close(b);
	ck_assert(harness_file_has(s.log, "dropped a FastCGI peer that sent "
	    "no whole request within read_timeout", 1000));
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(get_status(&s, "/api/health", NULL), 200);
	harness_stack_stop(&s);
}
END_TEST

START_TEST(silent_tcp_peer_is_dropped)
{
	struct stack		 s;
	struct stack_opts	 o = { "job_workers = 0\nworkers = 1\n"
	    "read_timeout = 1\n", 1, 0, 0 };
	int			 fd;
	long			 ms;

	harness_stack_start_opts(&s, harness_pghost(), db, &o);
	/* Connects and sends nothing at all: the only worker is free in 1 s. */
	fd = fcgi_connect(&s, atoi(strrchr(s.upstream, ':') + 1));
	ms = ms_until_closed(fd, 10);
	ck_assert_msg(ms >= 700 && ms < 2500, "closed after %ld ms", ms);
	close(fd);
	ck_assert_int_eq(get_status(&s, "/api/health", NULL), 200);
	harness_stack_stop(&s);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("faults");
	TCase	*tc = tcase_create("faults");

	harness_pghost();
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, statement_timeout_is_503_and_the_worker_serves_on);
	tcase_add_test(tc, table_lock_costs_lock_timeout_not_the_lock);
	tcase_add_test(tc, terminated_connections_cost_no_request);
	tcase_add_test(tc, stalled_fastcgi_peers_are_dropped);
	tcase_add_test(tc, status_answers_while_every_worker_stalls);
	tcase_add_test(tc, silent_tcp_peer_is_dropped);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
