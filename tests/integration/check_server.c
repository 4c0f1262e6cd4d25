/*
 * check_server.c - the prefork server under real nginx: a killed worker is
 * replaced, SIGHUP under load fails no request, SIGTERM lets the request
 * in flight finish, slow requests are killed at the deadline, workers are
 * recycled, logs reopen on SIGUSR1, and bad configs are refused. Each test
 * starts a stack of its own: several of them stop it on purpose.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../common/run.h"

static char	 db[64];

static void
setup_db(void)
{
	snprintf(db, sizeof(db), "passion_srv_%d", (int)getpid());
	harness_db_create(harness_pghost(), db);
}

/* Request workers only: these tests count the master's children. */
static void
start(struct stack *s, const char *extra)
{
	char	 conf[1024];

	snprintf(conf, sizeof(conf), "job_workers = 0\n%s", extra ? extra :
	    "");
	harness_stack_start(s, harness_pghost(), db, conf);
}

static long
get_status(struct stack *s, const char *path)
{
	struct resp	 r;
	char		 u[256];
	long		 status;

	snprintf(u, sizeof(u), "%s%s", s->url, path);
	http_get(u, &r);
	status = r.status;
	resp_free(&r);
	return status;
}

/* Fork a client that runs n requests to path; exit status = failures. */
static pid_t
client_loop(struct stack *s, const char *path, int n)
{
	pid_t	 pid;
	int	 i, failed = 0;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		for (i = 0; i < n; i++)
			if (get_status(s, path) != 200)
				failed++;
		_exit(failed > 255 ? 255 : failed);
	}
	return pid;
}

static int
wait_exit_code(pid_t pid, int ms)
{
	int	 status = harness_wait(pid, ms);

	ck_assert_msg(status != -1, "process %d did not finish", (int)pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Fork a client that GETs path once with cookie; exit status 0 on 200. */
static pid_t
client_cookie(struct stack *s, const char *path, const char *cookie)
{
	struct resp	 r;
	char		 u[256];
	pid_t		 pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		snprintf(u, sizeof(u), "%s%s", s->url, path);
		http_do_cookie("GET", u, cookie, NULL, NULL, &r);
		_exit(r.status == 200 ? 0 : 1);
	}
	return pid;
}

static long
cookie_status(struct stack *s, const char *path, const char *cookie,
    struct resp *out)
{
	struct resp	 r;
	char		 u[256];
	long		 status;

	snprintf(u, sizeof(u), "%s%s", s->url, path);
	http_do_cookie("GET", u, cookie, NULL, NULL, &r);
	status = r.status;
	if (out != NULL)
		*out = r;
	else
		resp_free(&r);
	return status;
}

/* 100 infobase entries of 2 KB for the user of cookie (by the API). */
static void
fill_infobase(struct stack *s, const char *cookie)
{
	struct resp	 r;
	char		 body[2300], u[256];
	int		 i;

	for (i = 0; i < 100; i++) {
		snprintf(body, sizeof(body), "{\"title\":\"e%d\",\"content\":"
		    "\"%02000d\"}", i, i);
		snprintf(u, sizeof(u), "%s/api/infobase", s->url);
		http_do_cookie("POST", u, cookie, "application/json", body, &r);
		ck_assert_int_eq(r.status, 201);
		resp_free(&r);
	}
}

/* SIGKILL the worker of s asleep in a request (/api/_debug/...sleep). */
static void
kill_sleeping_worker(struct stack *s)
{
	pid_t	 kids[8];
	char	 path[64], wchan[64];
	FILE	*f;
	int	 n, i, killed = 0;

	n = harness_children(s->passiond, kids, 8);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/wchan", (int)kids[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(wchan, sizeof(wchan), f) != NULL &&
		    strstr(wchan, "nanosleep") != NULL &&
		    kill(kids[i], SIGKILL) == 0)
			killed++;
		fclose(f);
	}
	ck_assert_int_eq(killed, 1);
}

/*
 * user_workers = 1 of 3: while alice's costly request runs, her next
 * costly one is 429 with Retry-After (her cheap ones and bob's costly
 * ones are served); when it ends, or its worker is killed, her share is
 * hers again.
 */
START_TEST(a_user_holds_a_share_of_the_workers)
{
	struct stack	 s;
	struct resp	 r;
	char		 alice[128], bob[128];
	pid_t		 client;
	int		 i;

	start(&s, "workers = 3\nuser_workers = 1\n");
	harness_session(harness_pghost(), db, "alice@example.org", alice,
	    sizeof(alice));
	harness_session(harness_pghost(), db, "bob@example.org", bob,
	    sizeof(bob));
	client = client_cookie(&s, "/api/_debug/costly-sleep?ms=1500", alice);
	harness_sleep_ms(400);
	ck_assert_int_eq(cookie_status(&s, "/api/infobase?q=mix", alice, &r),
	    429);
	ck_assert_str_eq(resp_str(&r, "error.code"), "busy");
	ck_assert_str_eq(resp_header(&r, "Retry-After"), "1");
	resp_free(&r);
	ck_assert_int_eq(cookie_status(&s, "/api/quests?limit=100", alice,
	    NULL), 429);
	ck_assert_int_eq(cookie_status(&s, "/api/quests", alice, NULL), 200);
	ck_assert_int_eq(cookie_status(&s, "/api/infobase?q=mix", bob, NULL),
	    200);
	ck_assert_int_eq(wait_exit_code(client, 10000), 0);
	ck_assert_int_eq(cookie_status(&s, "/api/infobase?q=mix", alice, NULL),
	    200);
	/* One costly request after another, each answer larger than a
	 * FastCGI buffer (a page of 100 entries): the share is free before
	 * the answer reaches her, so the next one is never refused. */
	fill_infobase(&s, alice);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(cookie_status(&s, "/api/infobase?limit=100",
		    alice, NULL), 200);
	/* A worker killed holding her share frees it. */
	client = client_cookie(&s, "/api/_debug/costly-sleep?ms=60000", alice);
	harness_sleep_ms(400);
	ck_assert_int_eq(cookie_status(&s, "/api/me", alice, NULL), 429);
	kill_sleeping_worker(&s);
	ck_assert_int_ne(wait_exit_code(client, 10000), 0);
	for (i = 0; i < 50 && cookie_status(&s, "/api/me", alice, NULL) != 200;
	    i++)
		harness_sleep_ms(100);
	ck_assert_int_eq(cookie_status(&s, "/api/me", alice, NULL), 200);
	harness_stack_stop(&s);
}
END_TEST

/* A connection to s's nginx from 127.0.0.2 (another address), sent req. */
static int
connect_from_2(struct stack *s, const char *req)
{
	struct sockaddr_in	 a;
	int			 fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = inet_addr("127.0.0.2");
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	a.sin_addr.s_addr = inet_addr("127.0.0.1");
	a.sin_port = htons((unsigned short)s->port);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	return fd;
}

/*
 * nginx under slow clients: one address holds at most 128 requests in
 * the dev config (the shipped site: 64). 128 bodies that never come
 * from 127.0.0.2 hold no worker (nginx buffers bodies), the next
 * request of that address is 429 in the API's JSON shape, and
 * everyone else is served meanwhile.
 */
START_TEST(one_address_holds_a_share_of_nginx)
{
	static const char stall[] = "POST /api/auth/email HTTP/1.1\r\n"
	    "Host: localhost\r\nContent-Type: application/json\r\n"
	    "Content-Length: 100000\r\n\r\n{";
	struct stack	 s;
	char		 buf[1024];
	int		 fds[128], fd, i;
	ssize_t		 n;

	start(&s, NULL);
	for (i = 0; i < 128; i++)
		fds[i] = connect_from_2(&s, stall);
	harness_sleep_ms(500);
	fd = connect_from_2(&s, "GET /api/health HTTP/1.1\r\nHost: "
	    "localhost\r\nConnection: close\r\n\r\n");
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strncmp(buf, "HTTP/1.1 429", 12) == 0, "%s", buf);
	ck_assert(strstr(buf, "too_many_connections") != NULL);
	ck_assert(strstr(buf, "Retry-After: 5") != NULL);
	close(fd);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(get_status(&s, "/api/health"), 200);
	for (i = 0; i < 128; i++)
		close(fds[i]);
	harness_stack_stop(&s);
}
END_TEST

START_TEST(killed_worker_is_respawned)
{
	struct stack	 s;
	pid_t		 before[8], after[8];
	int		 n, m, i;

	start(&s, NULL);
	n = harness_children(s.passiond, before, 8);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(kill(before[0], SIGKILL), 0);
	/* The survivor keeps serving while the master replaces the dead one. */
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(get_status(&s, "/api/health"), 200);
	for (i = 0; i < 100; i++) {
		m = harness_children(s.passiond, after, 8);
		if (m == 2 && after[0] != before[0] && after[1] != before[0])
			break;
		harness_sleep_ms(50);
	}
	ck_assert_int_eq(m, 2);
	ck_assert(after[0] != before[0] && after[1] != before[0]);
	ck_assert(harness_file_has(s.log, "killed by signal 9", 2000));
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(get_status(&s, "/api/health"), 200);
	harness_stack_stop(&s);
}
END_TEST

START_TEST(sighup_under_load_fails_nothing)
{
	struct stack	 s;
	pid_t		 clients[3], before[8], after[8];
	int		 i, n;

	start(&s, NULL);
	harness_children(s.passiond, before, 8);
	for (i = 0; i < 3; i++)
		clients[i] = client_loop(&s, "/api/health", 1000);
	for (i = 0; i < 4; i++) {
		harness_sleep_ms(150);
		ck_assert_int_eq(kill(s.passiond, SIGHUP), 0);
	}
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(wait_exit_code(clients[i], 60000), 0);
	ck_assert(harness_file_has(s.log, "reload done", 5000));
	/* All workers were replaced (once the last reload settles). */
	for (i = 0; i < 100; i++) {
		n = harness_children(s.passiond, after, 8);
		if (n == 2 && after[0] != before[0] && after[0] != before[1] &&
		    after[1] != before[0] && after[1] != before[1])
			break;
		harness_sleep_ms(50);
	}
	ck_assert_int_eq(n, 2);
	ck_assert(after[0] != before[0] && after[0] != before[1]);
	ck_assert(after[1] != before[0] && after[1] != before[1]);
	harness_stack_stop(&s);
}
END_TEST

START_TEST(sighup_with_bad_config_keeps_running)
{
	struct stack	 s;
	FILE		*f;

	start(&s, NULL);
	f = fopen(s.conf, "a");
	fputs("workers = lots\n", f);
	fclose(f);
	kill(s.passiond, SIGHUP);
	ck_assert(harness_file_has(s.log, "reload refused, keeping the "
	    "running config", 3000));
	ck_assert(harness_file_has(s.log, "workers: 'lots'", 10));
	ck_assert_int_eq(get_status(&s, "/api/health"), 200);
	harness_stack_stop(&s);
}
END_TEST

START_TEST(sigterm_lets_inflight_request_finish)
{
	struct stack	 s;
	pid_t		 client;
	int		 status;

	start(&s, NULL);
	client = client_loop(&s, "/api/_debug/sleep?ms=1500", 1);
	harness_sleep_ms(400);
	ck_assert_int_eq(kill(s.passiond, SIGTERM), 0);
	/* The slow request still answers 200... */
	ck_assert_int_eq(wait_exit_code(client, 10000), 0);
	/* ...and then the master exits cleanly and removes its socket. */
	status = harness_wait(s.passiond, 10000);
	ck_assert(status != -1 && WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	s.passiond = 0;
	ck_assert_int_ne(access(s.sock, F_OK), 0);
	ck_assert(harness_file_has(s.log, "stopping after in-flight", 10));
	harness_stack_stop(&s);
}
END_TEST

START_TEST(shutdown_timeout_bounds_the_drain)
{
	struct stack	 s;
	pid_t		 client;
	int		 status;

	start(&s, "shutdown_timeout = 1\n");
	client = client_loop(&s, "/api/_debug/sleep?ms=8000", 1);
	harness_sleep_ms(300);
	kill(s.passiond, SIGTERM);
	status = harness_wait(s.passiond, 5000);
	ck_assert_msg(status != -1, "master still draining past the timeout");
	s.passiond = 0;
	ck_assert(harness_file_has(s.log, "shutdown_timeout passed", 10));
	/* That request was cut: the client sees an error, not a hang. */
	ck_assert_int_ne(wait_exit_code(client, 10000), 0);
	harness_stack_stop(&s);
}
END_TEST

START_TEST(slow_request_is_killed_at_the_deadline)
{
	struct stack	 s;
	struct resp	 r;
	char		 u[256];

	/* Every inner limit must stay below the request's. */
	start(&s, "request_timeout = 2\ndb_statement_timeout = 1\n"
	    "outbound_timeout = 1\noutbound_connect_timeout = 1\n"
	    "read_timeout = 1\n");
	snprintf(u, sizeof(u), "%s/api/_debug/sleep?ms=5000", s.url);
	http_get(u, &r);
	/* nginx answers for the killed worker, in the API's JSON shape. */
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(resp_str(&r, "error.code"), "unavailable");
	resp_free(&r);
	ck_assert(harness_file_has(s.log, "slow request: GET "
	    "/api/_debug/sleep", 2000));
	ck_assert_int_eq(get_status(&s, "/api/health"), 200);
	harness_stack_stop(&s);
}
END_TEST

/*
 * One worker: it serves a request while the next one waits, so it holds
 * the first one's log line; the next one outlives request_timeout and the
 * worker is killed holding it. The master writes the line out.
 */
START_TEST(a_killed_workers_held_lines_are_written)
{
	struct stack	 s;
	struct resp	 r;
	char		 u[256];
	pid_t		 first;

	start(&s, "workers = 1\nrequest_timeout = 2\n"
	    "db_statement_timeout = 1\noutbound_timeout = 1\n"
	    "outbound_connect_timeout = 1\nread_timeout = 1\n");
	first = client_loop(&s, "/api/_debug/sleep?ms=600", 1);
	harness_sleep_ms(200);
	snprintf(u, sizeof(u), "%s/api/_debug/sleep?ms=5000", s.url);
	http_get(u, &r);
	ck_assert_int_eq(r.status, 503);
	resp_free(&r);
	ck_assert_int_eq(wait_exit_code(first, 10000), 0);
	ck_assert(harness_file_has(s.log, "slow request: GET "
	    "/api/_debug/sleep", 2000));
	ck_assert(harness_file_has(s.log, "path=/api/_debug/sleep status=200",
	    2000));
	harness_stack_stop(&s);
}
END_TEST

START_TEST(workers_recycle_after_max_requests)
{
	struct stack	 s;
	int		 i;

	start(&s, "max_requests = 3\n");
	for (i = 0; i < 30; i++)
		ck_assert_int_eq(get_status(&s, "/api/health"), 200);
	ck_assert(harness_file_has(s.log, "recycling after 3 requests", 2000));
	harness_stack_stop(&s);
}
END_TEST

START_TEST(sigusr1_reopens_the_log)
{
	struct stack	 s;
	char		 extra[320], logf[256], moved[300];
	pid_t		 kids[8];
	int		 i, n;

	/* The log path is known before the stack picks its directory. */
	snprintf(logf, sizeof(logf), "/tmp/passion-usr1-%d.log", (int)getpid());
	snprintf(moved, sizeof(moved), "%s.1", logf);
	unlink(logf);
	unlink(moved);
	snprintf(extra, sizeof(extra), "log_file = %s\n", logf);
	start(&s, extra);
	ck_assert(harness_file_has(logf, "path=/api/health", 2000));
	ck_assert_int_eq(rename(logf, moved), 0);
	kill(s.passiond, SIGUSR1);
	/* Workers reopen when they next wait; a request or two wakes them. */
	harness_sleep_ms(300);
	n = harness_children(s.passiond, kids, 8);
	for (i = 0; i < n * 4; i++)
		get_status(&s, "/api/health");
	ck_assert(harness_file_has(logf, "path=/api/health", 3000));
	harness_stack_stop(&s);
	unlink(logf);
	unlink(moved);
}
END_TEST

START_TEST(socket_mode_is_applied)
{
	struct stack	 s;
	struct stat	 sb;

	start(&s, NULL);
	ck_assert_int_eq(stat(s.sock, &sb), 0);
	ck_assert(S_ISSOCK(sb.st_mode));
	ck_assert_int_eq(sb.st_mode & 0777, 0666);
	harness_stack_stop(&s);
}
END_TEST

START_TEST(crashing_workers_back_off)
{
	struct stack	 s;
	struct resp	 r;
	char		 u[256];
	int		 i, ok = 0;

	start(&s, NULL);
	snprintf(u, sizeof(u), "%s/api/_debug/crash", s.url);
	for (i = 0; i < 3; i++) {
		http_do("POST", u, NULL, NULL, &r);
		/* nginx answers for the dead worker, in the API's shape. */
		ck_assert_int_eq(r.status, 503);
		ck_assert_str_eq(resp_str(&r, "error.code"), "unavailable");
		resp_free(&r);
		harness_sleep_ms(150);
	}
	ck_assert(harness_file_has(s.log, "killed by signal 6", 10));
	ck_assert(harness_file_has(s.log, "workers keep dying; next start in",
	    2000));
	/* After the back-off the pool is whole again. */
	for (i = 0; i < 100 && !ok; i++) {
		pid_t kids[8];

		ok = harness_children(s.passiond, kids, 8) == 2;
		harness_sleep_ms(50);
	}
	ck_assert(ok);
	ck_assert_int_eq(get_status(&s, "/api/health"), 200);
	harness_stack_stop(&s);
}
END_TEST

START_TEST(tcp_listen)
{
	struct stack		 s;
	struct stack_opts	 o = { NULL, 1, 0, 0 };

	harness_stack_start_opts(&s, harness_pghost(), db, &o);
	ck_assert_int_eq(get_status(&s, "/api/health"), 200);
	ck_assert(harness_file_has(s.log, "listening on 127.0.0.1:", 10));
	harness_stack_stop(&s);
}
END_TEST

START_TEST(systemd_socket_activation)
{
	struct stack		 s;
	struct stack_opts	 o = { NULL, 0, 1, 0 };

	harness_stack_start_opts(&s, harness_pghost(), db, &o);
	ck_assert_int_eq(get_status(&s, "/api/health"), 200);
	ck_assert(harness_file_has(s.log, "using the socket passed by "
	    "systemd", 10));
	harness_stack_stop(&s);
}
END_TEST

/* Read sd_notify datagrams until one contains want and also (or ms pass). */
static int
notified2(int fd, const char *want, const char *also, int ms)
{
	char	 msg[1024];
	ssize_t	 n;
	int	 i;

	for (i = 0; i <= ms / 20; i++) {
		while ((n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT)) > 0) {
			msg[n] = '\0';
			if (strstr(msg, want) != NULL &&
			    strstr(msg, also) != NULL)
				return 1;
		}
		harness_sleep_ms(20);
	}
	return 0;
}

/* Read sd_notify datagrams until one contains want (or ms pass). */
static int
notified(int fd, const char *want, int ms)
{
	return notified2(fd, want, "", ms);
}

START_TEST(reports_to_systemd)
{
	struct stack		 s;
	struct sockaddr_un	 sun;
	char			 path[108];
	int			 fd, status;

	snprintf(path, sizeof(path), "/tmp/passion-notify-%d", (int)getpid());
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", path, 1);
	start(&s, "job_workers = 1\n");
	ck_assert(notified(fd, "READY=1", 2000));
	ck_assert(notified2(fd, "STATUS=2 workers, 0 busy", "; 1 jobs worker, 0 "
	    "running", 2000));
	kill(s.passiond, SIGHUP);
	ck_assert(notified(fd, "RELOADING=1", 2000));
	ck_assert(notified(fd, "READY=1", 2000));
	kill(s.passiond, SIGTERM);
	ck_assert(notified(fd, "STOPPING=1", 2000));
	status = harness_wait(s.passiond, 10000);
	ck_assert(status != -1);
	s.passiond = 0;
	harness_stack_stop(&s);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
}
END_TEST

/* The command lines and their config errors, without a stack. */
#define FULL_CONF "smtp_url = smtp://127.0.0.1:25\nsmtp_from = a@b.org\n" \
	"secret_key_file = /tmp/passion-cli-secret\n" \
	"storage_endpoint = http://127.0.0.1:9\nstorage_bucket = b\n" \
	"storage_access_key_id = k\n" \
	"storage_secret_file = /tmp/passion-cli-secret\n"
static const struct {
	const char	*args;
	const char	*conf;
	int		 exit_code;
	const char	*output;
} cli_cases[] = {
	{ "passiond --version", NULL, 0, "passiond " PACKAGE_VERSION },
	{ "passiond --help", NULL, 0, "usage: passiond" },
	{ "passiond --bogus", NULL, 2, "usage: passiond" },
	{ "passiond --check-config -c", FULL_CONF, 0, "configuration OK" },
	{ "passiond --check-config -c", "workers = 3\n", 1,
	    "cannot serve users: 3 problems" },
	{ "passiond --check-config -c", "workers = 3\n", 1,
	    "warning: no way to sign in" },
	{ "passiond --check-config -c", "workers = 3\n", 1,
	    "warning: secret_key is unset" },
	{ "passiond --check-config -c", "workers = 3\n", 1,
	    "warning: no object store" },
	{ "passiond --check-config -c", FULL_CONF "debug_routes = on\n", 1,
	    "warning: debug_routes is on" },
	{ "passiond --check-config -c", FULL_CONF
	    "public_origin = http://passion.example.org\n", 1,
	    "is not https" },
	{ "passiond --check-config --connect -c", FULL_CONF
	    "database_url = host=/nonexistent dbname=x\n", 1,
	    "warning: database_url: cannot connect" },
	{ "passiond --connect -c", FULL_CONF, 2,
	    "--connect goes with --check-config" },
	{ "passiond --check-config -c", "wrokers = 3\n", 2,
	    "wrokers: unknown key" },
	{ "passiond --check-config -c", "workers = -1\n", 2, "workers: '-1'" },
	{ "passiond --check-config -c", "listen = nowhere\n", 2,
	    "listen: 'nowhere'" },
	{ "passiond --check-config -c", "listen = 0.0.0.0:9000\n", 2,
	    "FastCGI has no authentication" },
	{ "passiond --check-config -c", "database_password = pw\n", 2,
	    "database_password: is a secret" },
	{ "passiond -c", "listen = unix:/nonexistent-dir/p.sock\n", 1,
	    "listen: /nonexistent-dir/p.sock" },
	{ "passiond --check-config -c /nonexistent.conf", NULL, 1,
	    "cannot read the configuration /nonexistent.conf" },
	{ "passionctl -c /nonexistent.conf check-config", NULL, 1,
	    "cannot read the configuration /nonexistent.conf" },
	{ "passionctl check-config -c", FULL_CONF, 2,
	    "passionctl check-config: unknown option '-c'" },
	/* Each command's --help: its usage, exit 0, no config needed. */
	{ "passionctl -c /nonexistent.conf check-config --help", NULL, 0,
	    "usage: passionctl [-c PATH] check-config [--connect]" },
	{ "passionctl -c /nonexistent.conf migrate --help", NULL, 0,
	    "usage: passionctl [-c PATH] migrate [--status]" },
	{ "passionctl -c /nonexistent.conf user --help", NULL, 0,
	    "usage: passionctl [-c PATH] user list" },
	{ "passionctl -c /nonexistent.conf jobs --help", NULL, 0,
	    "usage: passionctl [-c PATH] jobs [--failed]" },
	{ "passionctl -c /nonexistent.conf maintain --help", NULL, 0,
	    "usage: passionctl [-c PATH] maintain" },
	{ "passionctl -c /nonexistent.conf import --help", NULL, 0,
	    "usage: passionctl [-c PATH] import FILE --user EMAIL" },
	{ "passionctl -c /nonexistent.conf export --help", NULL, 0,
	    "usage: passionctl [-c PATH] export --user EMAIL -o FILE" },
	{ "passionctl -c /nonexistent.conf presign --help", NULL, 0,
	    "usage: passionctl [-c PATH] presign --method GET|PUT" },
	/* A bad argument names itself and the command's usage, before
	 * any configuration is read. */
	{ "passionctl -c /nonexistent.conf migrate --bogus", NULL, 2,
	    "passionctl migrate: unknown option '--bogus'" },
	{ "passionctl -c /nonexistent.conf import", NULL, 2,
	    "passionctl import: needs a FILE" },
	{ "passionctl -c /nonexistent.conf import f.vault", NULL, 2,
	    "usage: passionctl [-c PATH] import FILE" },
	{ "passionctl -c /nonexistent.conf presign --bogus", NULL, 2,
	    "passionctl presign: unknown option '--bogus'" },
	{ "passionctl -c /nonexistent.conf user frob a@b.org", NULL, 2,
	    "passionctl user: unknown verb 'frob'" },
	{ "passionctl -c /nonexistent.conf jobs --failed x", NULL, 2,
	    "passionctl jobs: unexpected argument 'x'" },
	{ "passionctl -c /nonexistent.conf frob", NULL, 2,
	    "passionctl: unknown command 'frob'" },
};

START_TEST(command_line_table)
{
	char	 conf[128], cmd[1024], out[128];
	int	 status;

	snprintf(conf, sizeof(conf), "/tmp/passion-cli-%d.conf", (int)getpid());
	snprintf(out, sizeof(out), "/tmp/passion-cli-%d.out", (int)getpid());
	if (cli_cases[_i].conf != NULL) {
		FILE *f = fopen(conf, "w");
		fputs(cli_cases[_i].conf, f);
		fclose(f);
	}
	{
		FILE *f = fopen("/tmp/passion-cli-secret", "w");
		fputs("0123456789abcdef0123456789abcdef0123456789\n", f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "timeout 10 %s/%s %s >%s 2>&1",
	    getenv("abs_top_builddir"), cli_cases[_i].args,
	    cli_cases[_i].conf ? conf : "", out);
	status = system(cmd);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == cli_cases[_i].exit_code,
	    "%s: exit %d", cmd, WEXITSTATUS(status));
	ck_assert_msg(harness_file_has(out, cli_cases[_i].output, 0),
	    "%s: no '%s' in the output", cmd, cli_cases[_i].output);
	unlink(conf);
	unlink(out);
}
END_TEST


int
main(void)
{
	Suite	*s = suite_create("server");
	TCase	*tc = tcase_create("signals");
	TCase	*cli = tcase_create("cli");

	harness_pghost();
	tcase_add_unchecked_fixture(tc, setup_db, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, killed_worker_is_respawned);
	tcase_add_test(tc, a_user_holds_a_share_of_the_workers);
	tcase_add_test(tc, one_address_holds_a_share_of_nginx);
	tcase_add_test(tc, sighup_under_load_fails_nothing);
	tcase_add_test(tc, sighup_with_bad_config_keeps_running);
	tcase_add_test(tc, sigterm_lets_inflight_request_finish);
	tcase_add_test(tc, shutdown_timeout_bounds_the_drain);
	tcase_add_test(tc, slow_request_is_killed_at_the_deadline);
	tcase_add_test(tc, a_killed_workers_held_lines_are_written);
	tcase_add_test(tc, workers_recycle_after_max_requests);
	tcase_add_test(tc, sigusr1_reopens_the_log);
	tcase_add_test(tc, socket_mode_is_applied);
	tcase_add_test(tc, crashing_workers_back_off);
	tcase_add_test(tc, tcp_listen);
	tcase_add_test(tc, systemd_socket_activation);
	tcase_add_test(tc, reports_to_systemd);
	tcase_add_loop_test(cli, command_line_table, 0, N(cli_cases));
	suite_add_tcase(s, tc);
	suite_add_tcase(s, cli);
	return check_run(s, CK_VERBOSE);
}
