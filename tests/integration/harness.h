/*
 * harness.h - what the integration tests share: a real stack (nginx in
 * front of passiond, both started here, PostgreSQL from dev/check), an
 * HTTP client on libcurl, and a few process and database helpers.
 */
#ifndef PASSION_HARNESS_H
#define PASSION_HARNESS_H

#include <sys/types.h>

#include <check.h>

#include <json-c/json.h>
#include <libpq-fe.h>

struct stack {
	char	 dir[128];	/* private temp dir: configs, socket, logs */
	char	 sock[192];
	char	 status[192];	/* status_listen's socket */
	char	 conf[192];
	char	 log[192];	/* passiond's log file */
	char	 pghost[256];
	char	 dbname[64];
	char	 url[64];	/* http://127.0.0.1:PORT */
	char	 upstream[192];	/* what nginx's fastcgi_pass names */
	int	 port;
	int	 socket_activated;
	pid_t	 passiond;
	pid_t	 nginx;
};

/* How to start a stack beyond the defaults. */
struct stack_opts {
	const char	*extra_conf;	/* appended to passiond.conf */
	int		 tcp;		/* listen on 127.0.0.1:PORT, not unix */
	int		 socket_activated;	/* via systemd-socket-activate */
	int		 port;		/* nginx's port; 0: pick a free one */
};

struct resp {
	long			 status;
	char			*body;
	char			*headers;
	struct json_object	*json;
};

/*
 * Exit 77 (skip) without PASSION_TEST_PGHOST, unless CI=true, where a
 * missing service is a failure. Returns the PostgreSQL socket dir.
 */
const char	*harness_pghost(void);
/*
 * tests/peers (PASSION_TEST_PEERS), with its npm packages; exit 77 (skip)
 * without them, unless CI=true, where that is a failure.
 */
const char	*harness_peers(void);
/* A fresh database owned by passion_owner, migrated with passionctl. */
void		 harness_db_create(const char *pghost, const char *dbname);
/* A connection as user (passion_app, passion_owner, postgres). */
PGconn		*harness_pg(const char *pghost, const char *dbname,
		    const char *user);
/* Run sql (must succeed); returns the first value of the first row or "". */
char		*harness_sql(PGconn *c, const char *sql);

/*
 * Start passiond (extra_conf appended to its config) and nginx in front of
 * it, and wait until /api/health answers through nginx.
 */
void		 harness_stack_start(struct stack *s, const char *pghost,
		    const char *dbname, const char *extra_conf);
/* The same with options. */
void		 harness_stack_start_opts(struct stack *s, const char *pghost,
		    const char *dbname, const struct stack_opts *o);
/* Stop nginx and passiond (TERM, then KILL) and remove the temp dir. */
void		 harness_stack_stop(struct stack *s);
/*
 * nginx in dir (its config rendered there by dev/render-nginx) on port,
 * in front of upstream: a socket path or HOST:PORT, or several of them
 * separated by commas (one upstream). Its PID; it is not waited for.
 */
pid_t		 harness_nginx_start(const char *dir, int port,
		    const char *upstream);
/* Start passiond alone (after the stack's passiond was stopped). */
pid_t		 harness_passiond_start(struct stack *s);

/*
 * passionctl -c <s's config> args, its output to out (NULL: nowhere);
 * its exit status.
 */
int		 harness_passionctl(const struct stack *s, const char *args,
		    const char *out);
/* A free TCP port on 127.0.0.1. */
int		 harness_free_port(void);
/* Wait until something accepts on 127.0.0.1:port (up to ms). */
int		 harness_wait_port(int port, int ms);
/* fork + exec argv (PATH searched) with output to log; dies with us. */
pid_t		 harness_spawn(char *const argv[], const char *log);
/* Wait up to ms for pid to exit; its wait status, or -1 on timeout. */
int		 harness_wait(pid_t pid, int ms);
/* The PIDs of pid's children; returns how many (at most max). */
int		 harness_children(pid_t pid, pid_t *out, int max);
/* Whether the file contains needle (polls up to ms). */
int		 harness_file_has(const char *path, const char *needle, int ms);
/*
 * No worker of s died (a crash after a reply shows only in the log): for
 * the last test of a suite that shares one stack.
 */
void		 harness_assert_no_crash(const struct stack *s);
/*
 * Add, as tc's last test, harness_assert_no_crash(s) (s must live until
 * the suite has run).
 */
void		 harness_add_no_crash(TCase *tc, const struct stack *s);
/*
 * Run fn(i, arg) for i in 0..n-1 (n ≤ 8) in as many processes at once;
 * codes[i] is what each returned (an exit status: 0..255).
 */
void		 harness_race(int n, int (*fn)(int i, void *arg), void *arg,
		    int *codes);
/* Milliseconds of the monotonic clock. */
long long	 harness_now_ms(void);
/*
 * Has pid ended (gone, or a zombie) within ms? For a process that may
 * be another's child: a suite's passiond is the fixture's, not the
 * test's (CK_FORK), so it cannot be waited for. 1 or 0.
 */
int		 harness_gone(pid_t pid, int ms);
/* How many lines of the file contain needle. */
int		 harness_file_count(const char *path, const char *needle);
/* Sleep ms milliseconds. */
void		 harness_sleep_ms(int ms);

/* One HTTP request; r is filled (status 0 on a transport error). */
void		 http_do(const char *method, const char *url,
		    const char *ctype, const char *body, struct resp *r);
/*
 * The same with a Cookie header ("name=value; …"; NULL: none), sent as a
 * same-site browser would (Sec-Fetch-Site: same-origin).
 */
void		 http_do_cookie(const char *method, const char *url,
		    const char *cookie, const char *ctype, const char *body,
		    struct resp *r);
/* The same with one more request header line (NULL: none). */
void		 http_do_h(const char *method, const char *url,
		    const char *cookie, const char *header, const char *ctype,
		    const char *body, struct resp *r);
/* GET shortcut. */
/* method path on s's status listener (no OpenAPI check: not the API). */
void		 harness_status(const struct stack *s, const char *method,
		    const char *path, struct resp *r);
/* The value of series ("name{labels}") in Prometheus text; -1 if absent. */
double		 harness_metric(const char *text, const char *series);
void		 http_get(const char *url, struct resp *r);
void		 resp_free(struct resp *r);
/* A string at a dotted path in r->json ("error.code"), or NULL. */
const char	*resp_str(struct resp *r, const char *path);
/* The value of header name in r (case-insensitive), or NULL (static buf). */
const char	*resp_header(struct resp *r, const char *name);

/*
 * A user called email (made if missing) with a live session, straight in
 * the database; cookie gets "passion.session=TOKEN".
 */
void		 harness_session(const char *pghost, const char *dbname,
		    const char *email, char *cookie, size_t len);

/* What a load of clients saw. */
#define HARNESS_LOAD_MAX	8
struct load_stats {
	long	 n;		/* requests */
	long	 ok;		/* 200 */
	long	 db_timeout;	/* 503 db_timeout with Retry-After */
	long	 other;		/* anything else */
	long	 other_status;	/* the last such status */
	long	 max_ms;	/* the slowest answer */
};
struct load;
/* Start clients processes that GET url (with cookie) for ms. */
struct load	*harness_load_start(const char *url, const char *cookie,
		    int clients, int ms);
/* Wait for them; their sums (max of max_ms). Frees l. */
void		 harness_load_wait(struct load *l, struct load_stats *out);
/* The child of parent whose /proc comm is comm, or 0. */
pid_t		 harness_child_named(pid_t parent, const char *comm);
/*
 * Start aiosmtpd (with SMTPUTF8 when utf8) on 127.0.0.1:port, its maildir
 * made under dir (written to maildir); waits until it listens.
 */
pid_t		 harness_smtp_start(const char *dir, int port, int utf8,
		    char *maildir, size_t len);
/*
 * Start the S3 server (tests/peers/s3.mjs: @20minutes/s3rver, keys
 * S3RVER/S3RVER, bucket "passion") on a free port with its files under
 * dir; its endpoint ("http://127.0.0.1:PORT") into endpoint. It dies
 * with the process that started it (start it in a fixture, not a test).
 */
pid_t		 harness_s3_start(const char *dir, char *endpoint, size_t len);
/* passiond.conf lines for that store (its secret file made in dir). */
const char	*harness_s3_conf(const char *dir, const char *endpoint);
/* The test's own client of that store (one at a time). */
struct storage;
void		 harness_s3_client(const char *endpoint, struct storage *st);
/* Stop it (a stopped one too). */
void		 harness_s3_stop(pid_t pid);
/* The text of a file (malloc'd, at most 1 MiB), or NULL. */
char		*harness_read_file(const char *path);
/*
 * The newest message in maildir containing needle (malloc'd; the file is
 * removed), waiting up to ms for it; NULL if none came.
 */
char		*harness_mail_for(const char *maildir, const char *needle,
		    int ms);

/*
 * One stack shared by the tests of a suite (an unchecked fixture): a
 * fresh database "passion_<name>_<pid>", passiond (extra_conf) and nginx.
 */
extern struct stack	 suite_st;
extern char		 suite_db[64];
void		 suite_start(const char *name, const char *extra_conf);
void		 suite_stop(void);
/* suite_stop, then the S3 server s3 and the suite's directory dir. */
void		 suite_stop_s3(pid_t s3, const char *dir);
/* suite_start, then sessions of alice@ and bob@example.org (len each). */
void		 suite_start_pair(const char *name, const char *extra_conf,
		    char *alice, char *bob, size_t len);
/* email's session (the user made if missing) on the suite's database. */
void		 suite_user(const char *email, char *cookie, size_t len);
/*
 * A request to the suite's stack: path, cookie (NULL: none), JSON body
 * (NULL: none), one more header line (NULL: none). Its status.
 */
long		 api_req(const char *method, const char *path,
		    const char *cookie, const char *body, struct resp *r);
long		 api_req_h(const char *method, const char *path,
		    const char *cookie, const char *header, const char *body,
		    struct resp *r);
/* The same, the status alone. */
long		 api_status(const char *method, const char *path,
		    const char *cookie, const char *body);
long		 api_status_h(const char *method, const char *path,
		    const char *cookie, const char *header, const char *body);
/*
 * A ready blob of cookie's through the API (create, PUT to the presigned
 * URL, complete): name, type, kind and its bytes, with its sha256 given
 * or not; its id into id (64).
 */
void		 api_blob(const char *cookie, const char *name,
		    const char *type, const char *kind, const char *bytes,
		    int hashed, char *id);
/* sql as postgres on the suite's database: its first value (a static
 * buffer), or that value as a number. */
const char	*suite_sql(const char *sql);
long		 suite_count(const char *sql);
/* One request, sent by n clients at once (api_race). */
struct race_req {
	const char	*method, *path, *cookie, *header;
	const char	*body[8];	/* client i's body (NULL: body[0]) */
};
/* The request of q by n clients at once; status[i] what client i got. */
void		 api_race(int n, const struct race_req *q, long *status);
/*
 * The user's whole change feed (GET /api/sync, paged from no cursor):
 * "kind/id" → the entity ("settings/" for the one row); caller puts it.
 */
struct json_object *api_feed(const char *cookie);
/* Apply one page of the feed (its JSON) to rows; how many deletions. */
int		 api_feed_apply(struct json_object *rows,
		    struct json_object *page);
/* How many of feed's entities are of kind ("quests"). */
int		 api_feed_count(struct json_object *feed, const char *kind);
/* The id of the user called e, as SQL. */
#define OF(e)	"(SELECT id FROM users WHERE email = '" e "')"

#endif
