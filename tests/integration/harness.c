/*
 * harness.c - starts the real stack for one test program and talks to it.
 * Nothing here is mocked: nginx, passiond and PostgreSQL are the real
 * programs. Every test program gets its own database, socket and port.
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth/auth.h"
#include "storage/storage.h"
#include "harness.h"

static const char *
env_or(const char *name, const char *def)
{
	const char	*v = getenv(name);

	return v && *v ? v : def;
}

static void	validator_start(void);

const char *
harness_pghost(void)
{
	const char	*h = getenv("PASSION_TEST_PGHOST");
	const char	*ci = getenv("CI");

	if (h != NULL && *h != '\0')
		return h;
	if (ci != NULL && strcmp(ci, "true") == 0) {
		fprintf(stderr, "PASSION_TEST_PGHOST is not set: CI must run "
		    "the integration tests through dev/check\n");
		exit(1);
	}
	fprintf(stderr, "SKIP: PASSION_TEST_PGHOST not set (run dev/check)\n");
	exit(77);
}

const char *
harness_peers(void)
{
	const char	*p = getenv("PASSION_TEST_PEERS");
	const char	*ci = getenv("CI");
	char		 nm[1024];
	struct stat	 sb;

	if (p != NULL) {
		snprintf(nm, sizeof(nm), "%s/node_modules", p);
		if (stat(nm, &sb) == 0)
			return p;
	}
	if (ci != NULL && strcmp(ci, "true") == 0) {
		fprintf(stderr, "PASSION_TEST_PEERS (tests/peers, npm ci) is "
		    "needed: CI runs the integration tests through dev/check\n");
		exit(1);
	}
	fprintf(stderr, "SKIP: PASSION_TEST_PEERS not set (run dev/check)\n");
	exit(77);
}

void
harness_sleep_ms(int ms)
{
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* "database … does not exist, skipping" is noise in a test log. */
static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

PGconn *
harness_pg(const char *pghost, const char *dbname, const char *user)
{
	const char	*k[] = { "host", "dbname", "user", NULL };
	const char	*v[] = { pghost, dbname, user, NULL };
	PGconn		*c = PQconnectdbParams(k, v, 0);

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect %s@%s: %s", user,
	    dbname, PQerrorMessage(c));
	PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

char *
harness_sql(PGconn *c, const char *sql)
{
	PGresult	*r = PQexec(c, sql);
	static char	 out[1024];

	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQresultErrorMessage(r));
	out[0] = '\0';
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		snprintf(out, sizeof(out), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return out;
}

static void
write_text(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

void
harness_db_create(const char *pghost, const char *dbname)
{
	PGconn	*c = harness_pg(pghost, "postgres", "postgres");
	char	 sql[256], conf[256], cmd[1024];
	int	 rc;

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
	    dbname);
	harness_sql(c, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER passion_owner",
	    dbname);
	harness_sql(c, sql);
	PQfinish(c);
	snprintf(conf, sizeof(conf), "/tmp/%s-migrate.conf", dbname);
	snprintf(cmd, sizeof(cmd), "migrate_database_url = host=%s dbname=%s "
	    "user=passion_owner\n", pghost, dbname);
	write_text(conf, cmd);
	snprintf(cmd, sizeof(cmd), "%s/passionctl -c %s migrate >/dev/null",
	    env_or("abs_top_builddir", "."), conf);
	rc = system(cmd);
	unlink(conf);
	ck_assert_msg(rc == 0, "passionctl migrate failed for %s", dbname);
}

pid_t
harness_spawn(char *const argv[], const char *log)
{
	pid_t	 pid, parent = getpid();
	int	 fd;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		/* Never outlive the test: a failed assertion exits early. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

long long
harness_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
harness_gone(pid_t pid, int ms)
{
	char	 path[64], line[512], *p;
	FILE	*f;
	int	 i, gone = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < ms / 20 + 1 && !gone; i++) {
		if ((f = fopen(path, "r")) == NULL)
			gone = 1;
		else {
			gone = fgets(line, sizeof(line), f) != NULL &&
			    (p = strrchr(line, ')')) != NULL && p[2] == 'Z';
			fclose(f);
		}
		if (!gone)
			harness_sleep_ms(20);
	}
	return gone;
}

int
harness_wait(pid_t pid, int ms)
{
	int	 status, i;

	for (i = 0; i < ms / 10 + 1; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		harness_sleep_ms(10);
	}
	return -1;
}

int
harness_children(pid_t pid, pid_t *out, int max)
{
	DIR		*d = opendir("/proc");
	struct dirent	*e;
	char		 path[300], buf[512], *p;
	int		 n = 0;
	FILE		*f;
	long		 ppid;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL && n < max) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %ld", &ppid) == 1 && ppid == pid &&
		    p[2] != 'Z')
			out[n++] = (pid_t)atol(e->d_name);
		fclose(f);
	}
	closedir(d);
	return n;
}

int
harness_file_has(const char *path, const char *needle, int ms)
{
	char	 buf[1 << 16];
	int	 i;

	for (i = 0; i <= ms / 50; i++) {
		FILE *f = fopen(path, "r");

		if (f != NULL) {
			while (fgets(buf, sizeof(buf), f) != NULL)
				if (strstr(buf, needle) != NULL) {
					fclose(f);
					return 1;
				}
			fclose(f);
		}
		if (i < ms / 50)
			harness_sleep_ms(50);
	}
	return 0;
}

int
harness_file_count(const char *path, const char *needle)
{
	char	 line[1 << 16];
	int	 n = 0;
	FILE	*f = fopen(path, "r");

	ck_assert_msg(f != NULL, "%s", path);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/*
 * A loopback port free now, and not one handed out before by this
 * process: the kernel may give a port just closed again, and a stack's
 * nginx and its TCP upstream once got the same one (nginx: "Address
 * already in use").
 */
int
harness_free_port(void)
{
	static int		 given[256];
	static size_t		 ngiven, next;
	struct sockaddr_in	 sin;
	socklen_t		 len;
	size_t			 i;
	int			 fd, port, tries;

	for (tries = 0; tries < 100; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		len = sizeof(sin);
		getsockname(fd, (struct sockaddr *)&sin, &len);
		port = ntohs(sin.sin_port);
		close(fd);
		for (i = 0; i < ngiven && given[i] != port; i++)
			;
		if (i == ngiven)
			break;
	}
	given[next] = port;
	next = (next + 1) % (sizeof(given) / sizeof(*given));
	if (ngiven < sizeof(given) / sizeof(*given))
		ngiven++;
	return port;
}

int
harness_wait_port(int port, int ms)
{
	struct sockaddr_in	 sin;
	int			 i, fd, ok;

	for (i = 0; i <= ms / 50; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(fd);
		if (ok)
			return 1;
		harness_sleep_ms(50);
	}
	return 0;
}

pid_t
harness_passiond_start(struct stack *s)
{
	char	 bin[512];
	char	*argv[] = { bin, "-c", s->conf, NULL };
	char	*activate[] = { "/usr/bin/systemd-socket-activate", "-l",
	    s->sock, bin, "-c", s->conf, NULL };

	snprintf(bin, sizeof(bin), "%s/passiond",
	    env_or("abs_top_builddir", "."));
	/* systemd-socket-activate execs passiond in place: same PID. */
	s->passiond = harness_spawn(s->socket_activated ? activate : argv,
	    s->log);
	return s->passiond;
}

pid_t
harness_nginx_start(const char *dir, int port, const char *upstream)
{
	char	 cmd[1024], conf[256], log[256];
	char	*argv[] = { "/usr/sbin/nginx", "-p", (char *)dir, "-c", conf,
	    NULL };

	snprintf(cmd, sizeof(cmd), "%s/dev/render-nginx %s %d %s",
	    env_or("abs_top_srcdir", "."), dir, port, upstream);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	snprintf(log, sizeof(log), "%s/nginx.out", dir);
	return harness_spawn(argv, log);
}

void
harness_stack_start(struct stack *s, const char *pghost, const char *dbname,
    const char *extra_conf)
{
	struct stack_opts	 o = { extra_conf, 0, 0, 0 };

	harness_stack_start_opts(s, pghost, dbname, &o);
}

void
harness_stack_start_opts(struct stack *s, const char *pghost,
    const char *dbname, const struct stack_opts *o)
{
	char		 text[8192], cmd[1024];
	char		 listen[256];
	struct resp	 r;
	int		 i;

	memset(s, 0, sizeof(*s));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	validator_start();
	snprintf(s->dir, sizeof(s->dir), "/tmp/passion-it.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	chmod(s->dir, 0755);
	snprintf(s->sock, sizeof(s->sock), "%s/passiond.sock", s->dir);
	snprintf(s->conf, sizeof(s->conf), "%s/passiond.conf", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/passiond.log", s->dir);
	snprintf(s->pghost, sizeof(s->pghost), "%s", pghost);
	snprintf(s->dbname, sizeof(s->dbname), "%s", dbname);
	s->port = o->port ? o->port : harness_free_port();
	s->socket_activated = o->socket_activated;
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	if (o->tcp) {
		snprintf(s->upstream, sizeof(s->upstream), "127.0.0.1:%d",
		    harness_free_port());
		snprintf(listen, sizeof(listen), "%s", s->upstream);
	} else {
		snprintf(s->upstream, sizeof(s->upstream), "%s", s->sock);
		snprintf(listen, sizeof(listen), "unix:%s\nsocket_mode = 0666",
		    s->sock);
	}
	snprintf(s->status, sizeof(s->status), "%s/status.sock", s->dir);
	snprintf(text, sizeof(text),
	    "listen = %s\n"
	    "status_listen = unix:%s\n"
	    "workers = 2\n"
	    "vault_workers = 0\n"	/* a suite that wants them says so */
	    "database_url = host=%s dbname=%s user=passion_app\n"
	    "migrate_database_url = host=%s dbname=%s user=passion_owner\n"
	    "backup_database_url = host=%s dbname=%s user=passion_backup\n"
	    "debug_routes = on\n"
	    "request_timeout = 30\n"
	    "shutdown_timeout = 10\n"
	    "public_origin = http://127.0.0.1:%d\n"
	    "secret_key_file = %s/secret_key\n"
	    "%s",
	    listen, s->status, pghost, dbname, pghost, dbname, pghost, dbname,
	    s->port, s->dir,
	    o->extra_conf ? o->extra_conf : "");
	/* A test-only key: 48 characters, fresh for every stack. */
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/secret_key", s->dir);
		write_text(path, "test-secret-0123456789abcdef0123456789abcdef\n");
	}
	write_text(s->conf, text);
	harness_passiond_start(s);
	/* The activator must be listening before nginx is started. */
	for (i = 0; s->socket_activated && i < 100 &&
	    access(s->sock, F_OK) != 0; i++)
		harness_sleep_ms(20);
	if (s->socket_activated)
		chmod(s->sock, 0666);

	s->nginx = harness_nginx_start(s->dir, s->port, s->upstream);
	snprintf(cmd, sizeof(cmd), "%s/api/health", s->url);
	for (i = 0; i < 200; i++) {
		http_get(cmd, &r);
		if (r.status == 200) {
			resp_free(&r);
			return;
		}
		resp_free(&r);
		harness_sleep_ms(50);
	}
	ck_abort_msg("the stack did not come up; see %s", s->dir);
}

void
harness_stack_stop(struct stack *s)
{
	char	 cmd[256];
	pid_t	*pids[] = { &s->nginx, &s->passiond };
	size_t	 i;

	for (i = 0; i < 2; i++) {
		if (*pids[i] <= 0)
			continue;
		kill(*pids[i], SIGTERM);
		if (harness_wait(*pids[i], 15000) == -1) {
			kill(*pids[i], SIGKILL);
			harness_wait(*pids[i], 5000);
		}
		*pids[i] = 0;
	}
	if (getenv("PASSION_TEST_KEEP") == NULL && s->dir[0] == '/') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", s->dir);
	}
}

/* --- HTTP --------------------------------------------------------------- */

static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
	struct buf_s { char *d; size_t len; } *b = ud;
	char	*np = realloc(b->d, b->len + size * n + 1);

	if (np == NULL)
		return 0;
	memcpy(np + b->len, p, size * n);
	b->len += size * n;
	np[b->len] = '\0';
	b->d = np;
	return size * n;
}

void
http_do(const char *method, const char *url, const char *ctype,
    const char *body, struct resp *r)
{
	http_do_cookie(method, url, NULL, ctype, body, r);
}

static void	perform(const char *unix_path, const char *method,
		    const char *url, const char *cookie, const char *header,
		    const char *ctype, const char *body, struct resp *r);

void
http_do_cookie(const char *method, const char *url, const char *cookie,
    const char *ctype, const char *body, struct resp *r)
{
	http_do_h(method, url, cookie, NULL, ctype, body, r);
}

/*
 * The OpenAPI validator (tests/openapi/validator.mjs), started with the
 * first stack of a test program: every response from /api/ is checked
 * against docs/openapi.yaml.
 */
static int	 validator_port;

static void
validator_start(void)
{
	const char	*peers = getenv("PASSION_TEST_PEERS");
	const char	*src = getenv("abs_top_srcdir");
	const char	*ci = getenv("CI");
	char		 dir[1024], script[1200], port[16], log[256], line[256];
	char		*argv[] = { "node", script, port, NULL };
	FILE		*f;
	struct stat	 sb;
	static int	 warned;

	if (validator_port != 0)
		return;
	snprintf(dir, sizeof(dir), "%s/node_modules/ajv", peers ? peers :
	    "tests/peers");
	if (peers == NULL || src == NULL || stat(dir, &sb) != 0) {
		ck_assert_msg(ci == NULL || strcmp(ci, "true") != 0,
		    "CI: the OpenAPI validator needs tests/peers (dev/check)");
		if (!warned++)
			fprintf(stderr, "note: responses not checked against "
			    "docs/openapi.yaml (no tests/peers)\n");
		return;
	}
	snprintf(script, sizeof(script), "%s/tests/openapi/validator.mjs", src);
	/* The validator takes a port itself and says which: one picked
	 * here could be another suite's pick too (make -j). */
	snprintf(port, sizeof(port), "0");
	snprintf(log, sizeof(log), "/tmp/passion-validator-%d.log",
	    (int)getpid());
	unlink(log);
	harness_spawn(argv, log);
	ck_assert_msg(harness_file_has(log, "listening ", 15000) &&
	    (f = fopen(log, "r")) != NULL, "the OpenAPI validator did not "
	    "start (%s)", log);
	while (validator_port == 0 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "listening %d", &validator_port) != 1)
			validator_port = 0;
	fclose(f);
	ck_assert_msg(validator_port > 0, "the OpenAPI validator said no "
	    "port (%s)", log);
}

/* The response r to method url, against the spec (when it runs). */
static void
validator_check(const char *method, const char *url, const struct resp *r)
{
	const char		*p = strstr(url, "://");
	struct json_object	*o;
	struct resp		 v;
	char			 path[2048], to[64];
	size_t			 n;

	if (validator_port == 0 || r->status == 0 || p == NULL ||
	    (p = strchr(p + 3, '/')) == NULL || strncmp(p, "/api/", 5) != 0 ||
	    strncmp(p, "/api/_debug/", 12) == 0)
		return;
	n = strcspn(p, "?#");
	snprintf(path, sizeof(path), "%.*s", (int)n, p);
	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "status", json_object_new_int((int)r->status));
	json_object_object_add(o, "body", json_object_new_string(r->body));
	snprintf(to, sizeof(to), "http://127.0.0.1:%d/check", validator_port);
	validator_port = -validator_port;	/* no recursion */
	http_do_h("POST", to, NULL, NULL, "application/json",
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), &v);
	validator_port = -validator_port;
	json_object_put(o);
	ck_assert_msg(v.status == 200, "docs/openapi.yaml: %s", v.status ?
	    v.body : "the validator did not answer");
	resp_free(&v);
}

void
http_do_h(const char *method, const char *url, const char *cookie,
    const char *header, const char *ctype, const char *body, struct resp *r)
{
	perform(NULL, method, url, cookie, header, ctype, body, r);
	if (url != NULL && validator_port > 0)
		validator_check(method, url, r);
}

void
harness_status(const struct stack *s, const char *method, const char *path,
    struct resp *r)
{
	char	 u[256];

	snprintf(u, sizeof(u), "http://localhost%s", path);
	perform(s->status, method, u, NULL, NULL, NULL, NULL, r);
}

double
harness_metric(const char *text, const char *series)
{
	size_t		 n = strlen(series);
	const char	*p;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/* One request (over the unix socket at unix_path, unless NULL) into r. */
static void
perform(const char *unix_path, const char *method, const char *url,
    const char *cookie, const char *header, const char *ctype,
    const char *body, struct resp *r)
{
	struct { char *d; size_t len; } b = { NULL, 0 }, h = { NULL, 0 };
	struct curl_slist	*hdrs = NULL;
	CURL			*c;
	char			 line[256];

	memset(r, 0, sizeof(*r));
	if (url == NULL)
		return;
	c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (unix_path != NULL)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_path);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, line);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (cookie != NULL) {
		/* What a browser on the site sends: the CSRF gate lets it by. */
		curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
		hdrs = curl_slist_append(hdrs, "Sec-Fetch-Site: same-origin");
	}
	if (header != NULL)
		hdrs = curl_slist_append(hdrs, header);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	r->body = b.d ? b.d : strdup("");
	r->headers = h.d ? h.d : strdup("");
	r->json = json_tokener_parse(r->body);
}

void
http_get(const char *url, struct resp *r)
{
	http_do("GET", url, NULL, NULL, r);
}

void
resp_free(struct resp *r)
{
	free(r->body);
	free(r->headers);
	if (r->json != NULL)
		json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

const char *
resp_str(struct resp *r, const char *path)
{
	struct json_object	*o = r->json;
	char			 key[128];
	const char		*p = path, *dot;

	while (o != NULL && *p != '\0') {
		dot = strchr(p, '.');
		snprintf(key, sizeof(key), "%.*s",
		    (int)(dot ? (size_t)(dot - p) : strlen(p)), p);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		p = dot ? dot + 1 : p + strlen(p);
	}
	return o ? json_object_get_string(o) : NULL;
}

const char *
resp_header(struct resp *r, const char *name)
{
	static char	 val[8192];
	const char	*p = r->headers;
	size_t		 n = strlen(name);

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			size_t len;

			while (*v == ' ')
				v++;
			len = strcspn(v, "\r\n");
			snprintf(val, sizeof(val), "%.*s", (int)len, v);
			return val;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

/* --- sessions, load, mail ---------------------------------------------- */

void
harness_session(const char *pghost, const char *dbname, const char *email,
    char *cookie, size_t len)
{
	struct arena	 a;
	PGconn		*c = harness_pg(pghost, dbname, "passion_owner");
	const char	*tok, *p[2];
	PGresult	*r;

	arena_init(&a, 1024);
	tok = auth_token_new(&a);
	p[0] = email;
	p[1] = sha256_hex(&a, tok, strlen(tok), NULL, 0);
	r = PQexecParams(c, "WITH u AS (INSERT INTO users (email, "
	    "email_verified) VALUES ($1, now()) ON CONFLICT (email) DO UPDATE "
	    "SET email = excluded.email RETURNING id) INSERT INTO sessions "
	    "(session_token, user_id, expires) SELECT $2, id, now() + "
	    "interval '1 day' FROM u", 2, NULL, p, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "session: %s",
	    PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	snprintf(cookie, len, "passion.session=%s", tok);
	arena_cleanup(&a);
}

struct load {
	pid_t			 pids[HARNESS_LOAD_MAX];
	int			 n;
	struct load_stats	*shared;	/* one per client, mmap'd */
};

static void
load_client(const char *url, const char *cookie, int ms,
    struct load_stats *st)
{
	int64_t		 end = time_mono_ms() + ms, t0, took;
	struct resp	 r;
	const char	*code;

	while (time_mono_ms() < end) {
		t0 = time_mono_ms();
		http_do_cookie("GET", url, cookie, NULL, NULL, &r);
		took = time_mono_ms() - t0;
		st->n++;
		if (took > st->max_ms)
			st->max_ms = took;
		code = r.status == 503 ? resp_str(&r, "error.code") : NULL;
		if (r.status == 200)
			st->ok++;
		else if (code != NULL && strcmp(code, "db_timeout") == 0 &&
		    resp_header(&r, "Retry-After") != NULL)
			st->db_timeout++;
		else {
			st->other++;
			st->other_status = r.status;
		}
		resp_free(&r);
	}
}

struct load *
harness_load_start(const char *url, const char *cookie, int clients, int ms)
{
	struct load	*l = calloc(1, sizeof(*l));
	int		 i;

	ck_assert_ptr_nonnull(l);
	ck_assert_int_le(clients, HARNESS_LOAD_MAX);
	l->shared = mmap(NULL, sizeof(struct load_stats) * HARNESS_LOAD_MAX,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(l->shared != MAP_FAILED);
	memset(l->shared, 0, sizeof(struct load_stats) * HARNESS_LOAD_MAX);
	fflush(NULL);
	for (i = 0; i < clients; i++) {
		pid_t pid = fork();

		ck_assert_int_ne(pid, -1);
		if (pid == 0) {
			load_client(url, cookie, ms, &l->shared[i]);
			_exit(0);
		}
		l->pids[l->n++] = pid;
	}
	return l;
}

void
harness_load_wait(struct load *l, struct load_stats *out)
{
	int	 i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < l->n; i++) {
		struct load_stats *s = &l->shared[i];

		ck_assert_msg(harness_wait(l->pids[i], 120000) != -1,
		    "load client %d did not finish", (int)l->pids[i]);
		out->n += s->n;
		out->ok += s->ok;
		out->db_timeout += s->db_timeout;
		out->other += s->other;
		if (s->other_status != 0)
			out->other_status = s->other_status;
		if (s->max_ms > out->max_ms)
			out->max_ms = s->max_ms;
	}
	munmap(l->shared, sizeof(struct load_stats) * HARNESS_LOAD_MAX);
	free(l);
}

pid_t
harness_child_named(pid_t parent, const char *comm)
{
	pid_t	 kids[64];
	char	 path[64], name[64];
	int	 i, n = harness_children(parent, kids, 64);

	for (i = 0; i < n; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)kids[i]);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(name, sizeof(name), f) != NULL) {
			name[strcspn(name, "\n")] = '\0';
			if (strcmp(name, comm) == 0) {
				fclose(f);
				return kids[i];
			}
		}
		fclose(f);
	}
	return 0;
}

pid_t
harness_smtp_start(const char *dir, int port, int utf8, char *maildir,
    size_t len)
{
	char	 listen[64], log[256];
	char	*argv[] = { "/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
	    listen, "-c", "aiosmtpd.handlers.Mailbox", maildir, NULL, NULL };
	char	*argv_utf8[] = { "/usr/bin/python3", "-m", "aiosmtpd", "-n",
	    "-u", "-l", listen, "-c", "aiosmtpd.handlers.Mailbox", maildir,
	    NULL };
	pid_t	 pid;

	/* aiosmtpd's maildir must not exist before it starts. */
	snprintf(maildir, len, "%s/mail-%d", dir, port);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(log, sizeof(log), "%s/smtp-%d.log", dir, port);
	pid = harness_spawn(utf8 ? argv_utf8 : argv, log);
	ck_assert_msg(harness_wait_port(port, 15000), "aiosmtpd on %d", port);
	return pid;
}

int
harness_passionctl(const struct stack *s, const char *args, const char *out)
{
	char	 cmd[2048];
	int	 rc;

	snprintf(cmd, sizeof(cmd), "%s/passionctl -c %s %s > %s 2>&1",
	    env_or("abs_top_builddir", "."), s->conf, args, out ? out :
	    "/dev/null");
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

pid_t
harness_s3_start(const char *dir, char *endpoint, size_t len)
{
	char	 port[16], data[256], log[256], script[512];
	char	*argv[] = { "node", script, port, data, "passion", NULL };
	int	 p = harness_free_port();
	pid_t	 pid;

	snprintf(port, sizeof(port), "%d", p);
	snprintf(data, sizeof(data), "%s/s3-%d", dir, p);
	snprintf(log, sizeof(log), "%s/s3-%d.log", dir, p);
	snprintf(script, sizeof(script), "%s/s3.mjs", harness_peers());
	pid = harness_spawn(argv, log);
	ck_assert_msg(harness_wait_port(p, 15000), "s3rver did not start (%s)",
	    log);
	snprintf(endpoint, len, "http://127.0.0.1:%d", p);
	return pid;
}

const char *
harness_s3_conf(const char *dir, const char *endpoint)
{
	static char	 conf[1024];
	char		 path[256];

	snprintf(path, sizeof(path), "%s/s3_secret", dir);
	write_text(path, "S3RVER\n");
	snprintf(conf, sizeof(conf), "storage_endpoint = %s\n"
	    "storage_bucket = passion\nstorage_access_key_id = S3RVER\n"
	    "storage_secret_file = %s\n", endpoint, path);
	return conf;
}

void
harness_s3_client(const char *endpoint, struct storage *st)
{
	static struct config	 cfg;
	static char		 url[128];

	snprintf(url, sizeof(url), "%s", endpoint);
	memset(&cfg, 0, sizeof(cfg));
	cfg.storage_endpoint = url;
	cfg.storage_bucket = "passion";
	cfg.storage_region = "auto";
	cfg.storage_access_key_id = "S3RVER";
	cfg.storage_secret = "S3RVER";
	cfg.storage_addressing = "path";
	storage_init(st, &cfg);
}

void
harness_s3_stop(pid_t pid)
{
	kill(pid, SIGCONT);
	kill(pid, SIGTERM);
	if (harness_wait(pid, 5000) == -1) {
		kill(pid, SIGKILL);
		harness_wait(pid, 5000);
	}
}

char *
harness_read_file(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*text;
	size_t	 n;

	if (f == NULL)
		return NULL;
	text = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(text);
	n = fread(text, 1, (1 << 20) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

char *
harness_mail_for(const char *maildir, const char *needle, int ms)
{
	char		 path[512], *best = NULL;
	struct dirent	*e;
	DIR		*d;
	int		 i;

	for (i = 0; i <= ms / 100 && best == NULL; i++) {
		snprintf(path, sizeof(path), "%s/new", maildir);
		d = opendir(path);
		while (d != NULL && (e = readdir(d)) != NULL) {
			char	*text;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/new/%s", maildir,
			    e->d_name);
			if ((text = harness_read_file(path)) == NULL)
				continue;
			if (strstr(text, needle) != NULL) {
				free(best);
				best = text;
				unlink(path);
			} else
				free(text);
		}
		if (d != NULL)
			closedir(d);
		if (best == NULL && i < ms / 100)
			harness_sleep_ms(100);
	}
	return best;
}

void
harness_assert_no_crash(const struct stack *s)
{
	ck_assert_int_eq(harness_file_count(s->log, "killed by signal"), 0);
	ck_assert_int_eq(harness_file_count(s->log, "exited with status"), 0);
}

struct stack	 suite_st;
char		 suite_db[64];

void
suite_start(const char *name, const char *extra_conf)
{
	snprintf(suite_db, sizeof(suite_db), "passion_%s_%d", name,
	    (int)getpid());
	harness_db_create(harness_pghost(), suite_db);
	harness_stack_start(&suite_st, harness_pghost(), suite_db, extra_conf);
}

void
suite_start_pair(const char *name, const char *extra_conf, char *alice,
    char *bob, size_t len)
{
	suite_start(name, extra_conf);
	suite_user("alice@example.org", alice, len);
	suite_user("bob@example.org", bob, len);
}

void
suite_stop(void)
{
	harness_stack_stop(&suite_st);
}

void
suite_stop_s3(pid_t s3, const char *dir)
{
	char	 cmd[256];

	suite_stop();
	harness_s3_stop(s3);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

void
suite_user(const char *email, char *cookie, size_t len)
{
	harness_session(harness_pghost(), suite_db, email, cookie, len);
}

long
api_req_h(const char *method, const char *path, const char *cookie,
    const char *header, const char *body, struct resp *r)
{
	char	 u[4096];

	snprintf(u, sizeof(u), "%s%s", suite_st.url, path);
	http_do_h(method, u, cookie, header, body ? "application/json" : NULL,
	    body, r);
	return r->status;
}

long
api_req(const char *method, const char *path, const char *cookie,
    const char *body, struct resp *r)
{
	return api_req_h(method, path, cookie, NULL, body, r);
}

long
api_status_h(const char *method, const char *path, const char *cookie,
    const char *header, const char *body)
{
	struct resp	 r;
	long		 s = api_req_h(method, path, cookie, header, body, &r);

	resp_free(&r);
	return s;
}

long
api_status(const char *method, const char *path, const char *cookie,
    const char *body)
{
	return api_status_h(method, path, cookie, NULL, body);
}

void
api_blob(const char *cookie, const char *name, const char *type,
    const char *kind, const char *bytes, int hashed, char *id)
{
	struct resp	 r, r2;
	struct arena	 a;
	char		 body[1024], path[256], url[4096], header[128];
	const char	*sum;

	arena_init(&a, 4096);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"mimeType\":\"%s\","
	    "\"sizeBytes\":%zu,\"kind\":\"%s\"%s%s%s}", name, type,
	    strlen(bytes), kind, hashed ? ",\"sha256\":\"" : "", hashed ?
	    sha256_hex(&a, bytes, strlen(bytes), NULL, 0) : "", hashed ? "\"" :
	    "");
	arena_cleanup(&a);
	ck_assert_int_eq(api_req("POST", "/api/blobs", cookie, body, &r), 201);
	snprintf(id, 64, "%s", resp_str(&r, "id"));
	snprintf(url, sizeof(url), "%s", resp_str(&r, "upload.url"));
	/* The headers the upload gave, as a client sends them. */
	sum = resp_str(&r, "upload.headers.x-amz-checksum-sha256");
	snprintf(header, sizeof(header), "x-amz-checksum-sha256: %s",
	    sum != NULL ? sum : "");
	http_do_h("PUT", url, NULL, sum != NULL ? header : NULL, type, bytes,
	    &r2);
	resp_free(&r);
	ck_assert_int_eq(r2.status, 200);
	r = r2;
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", id);
	ck_assert_int_eq(api_status("POST", path, cookie, "{}"), 200);
}

const char *
suite_sql(const char *sql)
{
	static char	 out[4096];
	PGconn		*c = harness_pg(harness_pghost(), suite_db, "postgres");

	snprintf(out, sizeof(out), "%s", harness_sql(c, sql));
	PQfinish(c);
	return out;
}

long
suite_count(const char *sql)
{
	return atol(suite_sql(sql));
}

int
api_feed_apply(struct json_object *rows, struct json_object *page)
{
	struct json_object	*changes = json_object_object_get(page,
	    "changes"), *c, *id;
	char			 key[300];
	int			 deletes = 0;
	size_t			 i;

	ck_assert_ptr_nonnull(changes);
	for (i = 0; i < json_object_array_length(changes); i++) {
		c = json_object_array_get_idx(changes, i);
		id = json_object_object_get(c, "id");
		snprintf(key, sizeof(key), "%s/%s", json_object_get_string(
		    json_object_object_get(c, "kind")), id ?
		    json_object_get_string(id) : "");
		if (strcmp(json_object_get_string(json_object_object_get(c,
		    "op")), "delete") == 0) {
			json_object_object_del(rows, key);
			deletes++;
		} else
			json_object_object_add(rows, key, json_object_get(
			    json_object_object_get(c, "entity")));
	}
	return deletes;
}

struct json_object *
api_feed(const char *cookie)
{
	struct json_object	*rows = json_object_new_object();
	struct resp		 r;
	char			 path[512], cursor[256] = "";
	int			 more = 1;

	while (more) {
		snprintf(path, sizeof(path), "/api/sync?limit=100%s%s",
		    cursor[0] ? "&cursor=" : "", cursor);
		ck_assert_int_eq(api_req("GET", path, cookie, NULL, &r), 200);
		api_feed_apply(rows, r.json);
		snprintf(cursor, sizeof(cursor), "%s", resp_str(&r, "cursor"));
		more = json_object_get_boolean(json_object_object_get(r.json,
		    "more"));
		resp_free(&r);
	}
	return rows;
}

int
api_feed_count(struct json_object *feed, const char *kind)
{
	size_t	 n = strlen(kind);
	int	 count = 0;

	json_object_object_foreach(feed, k, v) {
		(void)v;
		count += strncmp(k, kind, n) == 0 && k[n] == '/';
	}
	return count;
}

static const struct stack	*no_crash_stack;

START_TEST(no_worker_crashed)
{
	harness_assert_no_crash(no_crash_stack);
}
END_TEST

void
harness_add_no_crash(TCase *tc, const struct stack *s)
{
	no_crash_stack = s;
	tcase_add_test(tc, no_worker_crashed);
}

void
harness_race(int n, int (*fn)(int i, void *arg), void *arg, int *codes)
{
	pid_t	 kids[8];
	int	 i, status;

	ck_assert_int_le(n, 8);
	fflush(NULL);
	for (i = 0; i < n; i++) {
		kids[i] = fork();
		ck_assert_int_ne(kids[i], -1);
		if (kids[i] == 0)
			_exit(fn(i, arg));
	}
	for (i = 0; i < n; i++) {
		status = harness_wait(kids[i], 60000);
		ck_assert_msg(status != -1 && WIFEXITED(status), "racer %d: "
		    "status %d", i, status);
		codes[i] = WEXITSTATUS(status);
	}
}

static const struct race_req	*race_q;
static long			*race_status;

static int
race_one(int i, void *arg)
{
	const char	*body = race_q->body[i] ? race_q->body[i] :
	    race_q->body[0];

	(void)arg;
	race_status[i] = api_status_h(race_q->method, race_q->path,
	    race_q->cookie, race_q->header, body);
	return 0;
}

void
api_race(int n, const struct race_req *q, long *status)
{
	int	 codes[8], i;

	/* Shared with the clients, which write their own slot. */
	race_status = mmap(NULL, sizeof(long) * 8, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(race_status != MAP_FAILED);
	race_q = q;
	harness_race(n, race_one, NULL, codes);
	for (i = 0; i < n; i++)
		status[i] = race_status[i];
	munmap(race_status, sizeof(long) * 8);
}
