/*
 * check_status.c - the master's status listener (status_listen): its
 * counters move by exactly the requests made, store calls and presigns,
 * what /status and ?full say, that no output carries a user's id, email
 * or token, that a killed worker's counts are kept, that a silent client
 * costs the master only its budget, and that Prometheus' own promtool
 * accepts the text. (With every worker stalled: check_faults.c.)
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "util/util.h"
#include "../common/run.h"

static char	 dir[64], endpoint[64], alice[128];
static pid_t	 s3;

#define HEALTH	"passiond_requests_total{route=\"/api/health\",method=\"GET\"," \
	"class=\"2xx\"}"

static void
setup(void)
{
	char	 conf[2048];

	snprintf(dir, sizeof(dir), "/tmp/check_status.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	s3 = harness_s3_start(dir, endpoint, sizeof(endpoint));
	snprintf(conf, sizeof(conf), "%sjob_workers = 1\n",
	    harness_s3_conf(dir, endpoint));
	suite_start("status", conf);
	suite_user("alice@example.org", alice, sizeof(alice));
}

static void
teardown(void)
{
	suite_stop_s3(s3, dir);
}

/*
 * The whole of s's /metrics (malloc'd), once every request worker is
 * idle: a worker counts a request as its answer goes out, so a client
 * that asks at once can be a moment ahead of the count of what it just
 * had. (After 5 s, the text as it is: the assertions then say why.)
 */
static char *
metrics_of(const struct stack *s)
{
	const char	*idle = "passiond_workers{kind=\"request\","
	    "state=\"idle\"}";
	const char	*max = "passiond_workers_max{kind=\"request\"}";
	struct resp	 r;
	char		*text;
	int		 tries;

	for (tries = 0;; tries++) {
		harness_status(s, "GET", "/metrics", &r);
		if (r.status != 200 || tries == 250 ||
		    harness_metric(r.body, idle) == harness_metric(r.body, max))
			break;
		resp_free(&r);
		harness_sleep_ms(20);
	}
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.headers, "text/plain; version=0.0.4"));
	text = strdup(r.body);
	resp_free(&r);
	return text;
}

/* One series now (0 when absent: a route not used yet). */
static double
metric(const struct stack *s, const char *series)
{
	char	*text = metrics_of(s);
	double	 v = harness_metric(text, series);

	free(text);
	return v < 0 ? 0 : v;
}

START_TEST(counters_move_by_the_requests_made)
{
	const char	*nope = "passiond_requests_total{route=\"unmatched\","
	    "method=\"any\",class=\"4xx\"}";
	const char	*q2 = "passiond_requests_total{route=\"/api/quests\","
	    "method=\"GET\",class=\"2xx\"}";
	const char	*q4 = "passiond_requests_total{route=\"/api/quests\","
	    "method=\"GET\",class=\"4xx\"}";
	const char	*dur = "passiond_request_duration_seconds_count{route="
	    "\"/api/health\",method=\"GET\"}";
	double		 h0, n0, a0, d0, q20, q40, db0, h1;
	char		*text;
	int		 i;

	h0 = metric(&suite_st, HEALTH);
	n0 = metric(&suite_st, nope);
	q20 = metric(&suite_st, q2);
	q40 = metric(&suite_st, q4);
	d0 = metric(&suite_st, dur);
	a0 = metric(&suite_st, "passiond_connections_accepted_total");
	db0 = metric(&suite_st, "passiond_db_statement_duration_seconds_count");
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(api_status("GET", "/api/health", NULL, NULL),
		    200);
	ck_assert_int_eq(api_status("GET", "/api/nope", NULL, NULL), 404);
	ck_assert_int_eq(api_status("GET", "/api/nope/2", NULL, NULL), 404);
	ck_assert_int_eq(api_status("GET", "/api/quests", alice, NULL), 200);
	ck_assert_int_eq(api_status("GET", "/api/quests", NULL, NULL), 401);
	text = metrics_of(&suite_st);
	h1 = harness_metric(text, HEALTH);
	ck_assert_double_eq(h1, h0 + 5);
	ck_assert_double_eq(harness_metric(text, dur), d0 + 5);
	ck_assert_double_eq(harness_metric(text, nope), n0 + 2);
	ck_assert_double_eq(harness_metric(text, q2), q20 + 1);
	ck_assert_double_eq(harness_metric(text, q4), q40 + 1);
	ck_assert_double_eq(harness_metric(text,
	    "passiond_connections_accepted_total"), a0 + 9);
	/* Health and the session lookups went to PostgreSQL. */
	ck_assert(harness_metric(text,
	    "passiond_db_statement_duration_seconds_count") >= db0 + 7);
	ck_assert_double_eq(harness_metric(text, "passiond_db_up"), 1);
	ck_assert_double_eq(harness_metric(text, "passiond_workers_max{kind="
	    "\"request\"}"), 2);
	ck_assert_double_eq(harness_metric(text, "passiond_build_info{version="
	    "\"" PACKAGE_VERSION "\"}"), 1);
	ck_assert(harness_metric(text, "process_resident_memory_bytes{process="
	    "\"workers\"}") > 1e6);
	free(text);
	/* Once the jobs worker has read the queue: nothing waits. */
	for (i = 0; i < 100; i++) {
		text = metrics_of(&suite_st);
		h1 = harness_metric(text, "passiond_jobs_queued{lane=\"jobs\","
		    "kind=\"mail\"}");
		free(text);
		if (h1 >= 0)
			break;
		harness_sleep_ms(50);
	}
	ck_assert_double_eq(h1, 0);
}
END_TEST

START_TEST(store_calls_and_presigns_are_counted)
{
	const char	*put = "passiond_store_presigns_total{method=\"PUT\"}";
	const char	*get = "passiond_store_presigns_total{method=\"GET\"}";
	const char	*head = "passiond_store_calls_total{operation=\"head\","
	    "outcome=\"ok\"}";
	double		 p0, g0, h0;
	char		 id[64], path[128];

	p0 = metric(&suite_st, put);
	g0 = metric(&suite_st, get);
	h0 = metric(&suite_st, head);
	api_blob(alice, "a.wav", "audio/wav", "audio", "RIFF....WAVE", 0, id);
	ck_assert_double_eq(metric(&suite_st, put), p0 + 1);
	/* Completing it asked the store what arrived. */
	ck_assert(metric(&suite_st, head) >= h0 + 1);
	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_int_eq(api_status("GET", path, alice, NULL), 302);
	ck_assert_double_eq(metric(&suite_st, get), g0 + 1);
}
END_TEST

START_TEST(status_says_the_pool_and_each_worker)
{
	struct json_object	*procs, *w;
	struct resp		 r;
	size_t			 i, req = 0, jobs = 0;

	ck_assert_int_eq(api_status("GET", "/api/health", NULL, NULL), 200);
	harness_status(&suite_st, "GET", "/status", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(r.json);
	ck_assert_str_eq(resp_str(&r, "version"), PACKAGE_VERSION);
	ck_assert_str_eq(resp_str(&r, "workers.max"), "2");
	ck_assert_str_eq(resp_str(&r, "database.up"), "true");
	ck_assert(atol(resp_str(&r, "counts.requests")) >= 1);
	ck_assert_ptr_nonnull(resp_str(&r, "listen.queue"));
	ck_assert(!json_object_object_get_ex(r.json, "processes", NULL));
	resp_free(&r);

	harness_status(&suite_st, "GET", "/status?full", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(json_object_object_get_ex(r.json, "processes", &procs));
	for (i = 0; i < json_object_array_length(procs); i++) {
		w = json_object_array_get_idx(procs, i);
		const char *kind = json_object_get_string(
		    json_object_object_get(w, "kind"));
		req += strcmp(kind, "request") == 0;
		jobs += strcmp(kind, "jobs") == 0;
		ck_assert(json_object_get_int(json_object_object_get(w,
		    "pid")) > 0);
		ck_assert_ptr_nonnull(json_object_object_get(w, "state"));
	}
	ck_assert_uint_eq(req, 2);
	ck_assert_uint_eq(jobs, 1);
	resp_free(&r);
}
END_TEST

START_TEST(the_listener_speaks_plain_http)
{
	struct resp	 r;

	harness_status(&suite_st, "HEAD", "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "");
	resp_free(&r);
	harness_status(&suite_st, "POST", "/metrics", &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(resp_header(&r, "Allow"), "GET, HEAD");
	ck_assert_str_eq(resp_str(&r, "error.code"), "method_not_allowed");
	resp_free(&r);
	harness_status(&suite_st, "GET", "/api/health", &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(resp_str(&r, "error.code"), "not_found");
	resp_free(&r);
}
END_TEST

/* A raw connection to s's status socket. */
static int
status_connect(const struct stack *s)
{
	struct sockaddr_un	 sun;
	int			 fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, s->status, strlen(s->status) + 1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	return fd;
}

/* A client that connects and says nothing holds the master 100 ms. */
START_TEST(a_silent_client_costs_only_the_budget)
{
	struct resp	 r;
	char		 buf[256];
	int64_t		 t0;
	ssize_t		 n;
	int		 fd, bad;

	fd = status_connect(&suite_st);
	t0 = time_mono_ms();
	harness_status(&suite_st, "GET", "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_lt(time_mono_ms() - t0, 1000);
	resp_free(&r);
	/* The silent one was closed at its budget, unanswered. */
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	bad = status_connect(&suite_st);
	ck_assert_int_eq(write(bad, "HELLO\r\n\r\n", 9), 9);
	n = read(bad, buf, sizeof(buf) - 1);
	ck_assert(n > 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 400 "));
	close(bad);
}
END_TEST

/*
 * While alice's request runs and after her requests: neither /metrics nor
 * /status?full says her id, email, session token or a path she asked for.
 */
START_TEST(no_output_carries_a_user)
{
	struct load		*l;
	struct load_stats	 ls;
	struct resp		 r;
	char			 u[256], uid[64], token[128], *text;
	const char		*eq;
	int			 seen = 0, i;

	snprintf(uid, sizeof(uid), "%s", suite_sql("SELECT id FROM users "
	    "WHERE email = 'alice@example.org'"));
	eq = strchr(alice, '=');
	ck_assert_ptr_nonnull(eq);
	snprintf(token, sizeof(token), "%s", eq + 1);
	ck_assert_int_eq(api_status("GET", "/api/health?who=alice%40example.org",
	    alice, NULL), 200);
	snprintf(u, sizeof(u), "%s/api/_debug/costly-sleep?ms=600", suite_st.url);
	l = harness_load_start(u, alice, 1, 1500);
	for (i = 0; i < 20 && !seen; i++) {
		harness_sleep_ms(100);
		harness_status(&suite_st, "GET", "/status?full", &r);
		seen = strstr(r.body, "\"/api/_debug/costly-sleep\"") != NULL;
		ck_assert_ptr_null(strstr(r.body, uid));
		ck_assert_ptr_null(strstr(r.body, "alice"));
		ck_assert_ptr_null(strstr(r.body, token));
		resp_free(&r);
	}
	ck_assert_msg(seen, "/status?full never showed the running route");
	text = metrics_of(&suite_st);
	ck_assert_ptr_null(strstr(text, uid));
	ck_assert_ptr_null(strstr(text, "alice"));
	ck_assert_ptr_null(strstr(text, token));
	ck_assert_ptr_null(strstr(text, "ms=600"));
	free(text);
	harness_load_wait(l, &ls);
	ck_assert_int_gt(ls.ok, 0);
}
END_TEST

/*
 * Idle, the jobs worker asks PostgreSQL about once per 5 s (the queue
 * for the metrics), not at every 50 ms as it did when "no job due" read
 * as "due now" (greatest() skips a NULL).
 */
START_TEST(an_idle_jobs_worker_sleeps)
{
	const char	*n = "passiond_db_statement_duration_seconds_count";
	double		 before;

	before = metric(&suite_st, n);
	harness_sleep_ms(3000);
	ck_assert_msg(metric(&suite_st, n) - before < 20, "%.0f statements "
	    "in 3 s of nothing", metric(&suite_st, n) - before);
}
END_TEST

/* docs/operations.md's table names every family /metrics has. */
START_TEST(the_doc_names_every_metric)
{
	char		 path[512], name[128], want[160], *doc, *text, *p;
	const char	*src = getenv("abs_top_srcdir");
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/docs/operations.md", src ? src : ".");
	doc = harness_read_file(path);
	ck_assert_ptr_nonnull(doc);
	text = metrics_of(&suite_st);
	for (p = strstr(text, "# TYPE "); p != NULL;
	    p = strstr(p + 1, "# TYPE ")) {
		ck_assert_int_eq(sscanf(p, "# TYPE %127s", name), 1);
		snprintf(want, sizeof(want), "`%s`", name);
		ck_assert_msg(strstr(doc, want) != NULL, "operations.md's "
		    "metric table has no %s", name);
		n++;
	}
	ck_assert_int_gt(n, 20);
	free(text);
	free(doc);
}
END_TEST

/* passionctl status: the same, as lines and a table, or the JSON. */
START_TEST(passionctl_status_prints_it)
{
	char			 out[128], *text;
	struct json_object	*o;

	snprintf(out, sizeof(out), "%s/status.out", dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, "status", out), 0);
	ck_assert(harness_file_has(out, "workers         2: idle ", 10));
	ck_assert(harness_file_has(out, "database        up,", 10));
	ck_assert(harness_file_has(out, " request  ", 10));
	ck_assert(harness_file_has(out, " jobs     ", 10));
	ck_assert_int_eq(harness_passionctl(&suite_st, "status --json", out),
	    0);
	text = harness_read_file(out);
	o = json_tokener_parse(text);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(o,
	    "processes")), 3);
	json_object_put(o);
	free(text);
	ck_assert_int_eq(harness_passionctl(&suite_st, "status --nope", out),
	    2);
}
END_TEST

/* Prometheus' own parser accepts the whole text (Debian's prometheus). */
START_TEST(promtool_accepts_the_text)
{
	char	 path[128], cmd[512], *text;
	FILE	*f;
	int	 rc;

	if (system("command -v promtool > /dev/null 2>&1") != 0) {
		ck_assert_msg(getenv("CI") == NULL, "promtool is missing "
		    "(Debian package prometheus): dev/lib.sh installs it");
		fprintf(stderr, "SKIP: promtool not installed\n");
		return;
	}
	text = metrics_of(&suite_st);
	snprintf(path, sizeof(path), "%s/metrics.txt", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(text);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "promtool check metrics failed on %s", path);
}
END_TEST

/* A worker killed: its counts stay in the totals; the exit is counted. */
START_TEST(a_killed_workers_counts_are_kept)
{
	const char	*sig = "passiond_worker_exits_total{kind=\"request\","
	    "reason=\"signal\"}";
	struct stack	 s;
	pid_t		 kids[8];
	double		 h0, e0;
	int		 i, n;

	harness_stack_start(&s, harness_pghost(), suite_db, "job_workers = 0\n");
	h0 = metric(&s, HEALTH);
	for (i = 0; i < 6; i++) {
		char u[256];
		struct resp r;

		snprintf(u, sizeof(u), "%s/api/health", s.url);
		http_get(u, &r);
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
	}
	ck_assert_double_eq(metric(&s, HEALTH), h0 + 6);
	h0 += 6;
	e0 = metric(&s, sig);
	n = harness_children(s.passiond, kids, 8);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(kill(kids[0], SIGKILL), 0);
	for (i = 0; i < 100 && metric(&s, sig) < e0 + 1; i++)
		harness_sleep_ms(20);
	ck_assert_double_eq(metric(&s, sig), e0 + 1);
	ck_assert_double_eq(metric(&s, HEALTH), h0);
	harness_stack_stop(&s);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("status");
	TCase	*tc = tcase_create("status");

	harness_pghost();
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	harness_add_no_crash(tc, &suite_st);
	tcase_add_test(tc, counters_move_by_the_requests_made);
	tcase_add_test(tc, store_calls_and_presigns_are_counted);
	tcase_add_test(tc, status_says_the_pool_and_each_worker);
	tcase_add_test(tc, the_listener_speaks_plain_http);
	tcase_add_test(tc, a_silent_client_costs_only_the_budget);
	tcase_add_test(tc, no_output_carries_a_user);
	tcase_add_test(tc, promtool_accepts_the_text);
	tcase_add_test(tc, passionctl_status_prints_it);
	tcase_add_test(tc, the_doc_names_every_metric);
	tcase_add_test(tc, an_idle_jobs_worker_sleeps);
	tcase_add_test(tc, a_killed_workers_counts_are_kept);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
