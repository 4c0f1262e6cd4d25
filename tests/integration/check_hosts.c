/*
 * check_hosts.c - more than one host (docs/operations.md, "Scaling
 * out"): two passiond instances, each with its own socket and config,
 * one database, behind one nginx upstream as dev/render-nginx writes
 * it from nginx/. A bounded mixed load (lists, keyed creates, PATCHes
 * with If-Match, DELETEs) records every answer while one instance is
 * killed outright (its master and workers, SIGKILL) and started again,
 * the other is stopped (SIGSTOP) for three seconds, and then one is
 * stopped gracefully: no list, PATCH or DELETE fails, no keyed create
 * makes a second row, every answer comes within a bound, and the
 * database holds what the answers said. And passionctl maintain run on
 * both hosts at once makes each occurrence's quest once.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "../common/run.h"

#define CLIENTS		4
#define OPS_MAX		4000	/* answers a client may record */
#define BOUND_MS	10000	/* no answer later than this */

static struct stack	 a, b;
static char		 db[64], dir[128], url[64];
static char		 cookie[CLIENTS][128];
static pid_t		 front;

static void
setup(void)
{
	char		 health[128];
	struct resp	 r;
	int		 i, port;

	snprintf(db, sizeof(db), "passion_hosts_%d", (int)getpid());
	harness_db_create(harness_pghost(), db);
	snprintf(suite_db, sizeof(suite_db), "%s", db);	/* suite_sql's */
	harness_stack_start(&a, harness_pghost(), db, "workers = 3\n");
	harness_stack_start(&b, harness_pghost(), db, "workers = 3\n");
	snprintf(dir, sizeof(dir), "/tmp/passion-front.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	port = harness_free_port();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	{
		char up[512];

		snprintf(up, sizeof(up), "%s,%s", a.sock, b.sock);
		front = harness_nginx_start(dir, port, up);
	}
	snprintf(health, sizeof(health), "%s/api/health", url);
	for (i = 0; i < 200; i++) {
		http_get(health, &r);
		resp_free(&r);
		if (r.status == 200)
			break;
		harness_sleep_ms(50);
	}
	for (i = 0; i < CLIENTS; i++) {
		char email[64];

		snprintf(email, sizeof(email), "host%d@example.org", i);
		harness_session(harness_pghost(), db, email, cookie[i],
		    sizeof(cookie[i]));
	}
}

static void
teardown(void)
{
	char	 cmd[256];

	if (front > 0) {
		kill(front, SIGTERM);
		harness_wait(front, 10000);
	}
	harness_stack_stop(&a);
	harness_stack_stop(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* --- the load ---------------------------------------------------------- */

enum op { OP_LIST, OP_CREATE, OP_PATCH, OP_DELETE };

/* One answer, as the client saw it. */
struct answer {
	int	 op;
	int	 status;	/* 0: no answer at all */
	int	 ms;
	int	 n;		/* the quest's number (c<client>-<n>) */
};

struct record {
	int		 count;
	struct answer	 a[OPS_MAX];
};

static volatile int	*stop_flag;
static struct record	*records;	/* shared: CLIENTS of them */

/* A request to the front nginx; its status, and its time into *ms. */
static long
front_req(const char *method, const char *path, const char *ck,
    const char *header, const char *body, struct resp *r, int *ms)
{
	char		 full[512];
	long long	 t0 = harness_now_ms();

	snprintf(full, sizeof(full), "%s%s", url, path);
	http_do_h(method, full, ck, header, body ? "application/json" : NULL,
	    body, r);
	*ms = (int)(harness_now_ms() - t0);
	return r->status;
}

static void
note(struct record *rec, int op, int status, int ms, int n)
{
	if (rec->count < OPS_MAX)
		rec->a[rec->count++] = (struct answer){ op, status, ms, n };
}

/* Client c: creates (keyed), lists, patches and deletes its quests. */
static void
client(int c)
{
	struct record	*rec = &records[c];
	static char	 ids[OPS_MAX][64];
	char		 body[256], key[128], path[256], hdr[160];
	struct resp	 r;
	int		 n, ms, st, tries;

	for (n = 0; !*stop_flag && n < OPS_MAX / 4; n++) {
		/* A keyed create; a client sends it again (same key) when
		 * it got no answer it can use, as a real client would. */
		snprintf(body, sizeof(body), "{\"title\":\"c%d-%d\","
		    "\"domainId\":\"d\"}", c, n);
		snprintf(key, sizeof(key), "Idempotency-Key: c%d-%d-%d", c, n,
		    (int)getpid());
		for (tries = 0; tries < 5; tries++) {
			st = (int)front_req("POST", "/api/quests", cookie[c], key,
			    body, &r, &ms);
			if (st == 201)
				break;
			resp_free(&r);
			harness_sleep_ms(200);
		}
		note(rec, OP_CREATE, st, ms, n);
		if (st != 201) {
			ids[n][0] = '\0';
			continue;
		}
		snprintf(ids[n], sizeof(ids[n]), "%s", resp_str(&r, "id"));
		snprintf(hdr, sizeof(hdr), "If-Match: %s",
		    resp_header(&r, "ETag"));
		resp_free(&r);
		st = (int)front_req("GET", "/api/quests?limit=20", cookie[c],
		    NULL, NULL, &r, &ms);
		resp_free(&r);
		note(rec, OP_LIST, st, ms, n);
		if (n % 2 == 0) {
			snprintf(path, sizeof(path), "/api/quests/%.63s", ids[n]);
			st = (int)front_req("PATCH", path, cookie[c], hdr,
			    "{\"priority\":\"high\"}", &r, &ms);
			resp_free(&r);
			note(rec, OP_PATCH, st, ms, n);
		}
		if (n % 3 == 2 && ids[n - 1][0] != '\0') {
			snprintf(path, sizeof(path), "/api/quests/%.63s",
			    ids[n - 1]);
			st = (int)front_req("DELETE", path, cookie[c], NULL,
			    NULL, &r, &ms);
			resp_free(&r);
			note(rec, OP_DELETE, st, ms, n - 1);
		}
		harness_sleep_ms(15);
	}
	_exit(0);
}

/* The master of s and its workers, all sent sig. */
static void
signal_tree(const struct stack *s, int sig)
{
	pid_t	 kids[32];
	int	 i, n = harness_children(s->passiond, kids, 32);

	kill(s->passiond, sig);
	for (i = 0; i < n; i++)
		kill(kids[i], sig);
}

static int
cmp_int(const void *x, const void *y)
{
	return *(const int *)x - *(const int *)y;
}

START_TEST(a_host_lost_costs_no_request)
{
	static const char *const names[] = { "list", "create", "patch",
	    "delete" };
	pid_t		 kids[CLIENTS];
	int		*ms, nms = 0, i, c, status, answers = 0;
	char		 q[256];

	stop_flag = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	records = mmap(NULL, sizeof(*records) * CLIENTS, PROT_READ |
	    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(stop_flag != MAP_FAILED && records != MAP_FAILED);
	*stop_flag = 0;
	memset(records, 0, sizeof(*records) * CLIENTS);
	for (c = 0; c < CLIENTS; c++) {
		kids[c] = fork();
		ck_assert_int_ne(kids[c], -1);
		if (kids[c] == 0)
			client(c);
	}
	harness_sleep_ms(1500);
	/* A: killed outright, every process of it; then started again. */
	signal_tree(&a, SIGKILL);
	ck_assert(harness_gone(a.passiond, 5000));
	harness_sleep_ms(1000);
	harness_passiond_start(&a);
	harness_sleep_ms(2000);
	/* B: stopped for three seconds, then let go on. */
	signal_tree(&b, SIGSTOP);
	harness_sleep_ms(3000);
	signal_tree(&b, SIGCONT);
	harness_sleep_ms(1500);
	/* A: stopped gracefully (it drains what it holds). */
	kill(a.passiond, SIGTERM);
	ck_assert(harness_gone(a.passiond, 15000));
	harness_sleep_ms(1500);
	*stop_flag = 1;
	for (c = 0; c < CLIENTS; c++) {
		ck_assert_int_eq(waitpid(kids[c], &status, 0), kids[c]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	ms = calloc(CLIENTS * OPS_MAX, sizeof(*ms));
	for (c = 0; c < CLIENTS; c++) {
		struct record *rec = &records[c];

		for (i = 0; i < rec->count; i++) {
			const struct answer *x = &rec->a[i];

			ms[nms++] = x->ms;
			answers++;
			switch (x->op) {
			case OP_DELETE:
				/* A DELETE sent again after it was done is
				 * 404: gone either way (docs/api.md). */
				ck_assert_msg(x->status == 204 || x->status ==
				    404, "client %d: delete of c%d-%d: %d", c,
				    c, x->n, x->status);
				snprintf(q, sizeof(q), "SELECT count(*) FROM "
				    "quests WHERE title = 'c%d-%d'", c, x->n);
				ck_assert_int_eq(suite_count(q), 0);
				break;
			case OP_CREATE:
				ck_assert_msg(x->status == 201, "client %d: "
				    "create c%d-%d: %d", c, c, x->n, x->status);
				snprintf(q, sizeof(q), "SELECT count(*) FROM "
				    "quests WHERE title = 'c%d-%d'", c, x->n);
				ck_assert_int_le(suite_count(q), 1);
				break;
			default:
				ck_assert_msg(x->status == 200, "client %d: %s "
				    "of c%d-%d: %d", c, names[x->op], c, x->n,
				    x->status);
				break;
			}
		}
	}
	ck_assert_int_gt(answers, 200);
	/* What the answers say is what the database holds: each create
	 * once unless deleted, each PATCH's priority. */
	for (c = 0; c < CLIENTS; c++) {
		struct record *rec = &records[c];
		long created = 0, deleted = 0, patched = 0;

		for (i = 0; i < rec->count; i++) {
			created += rec->a[i].op == OP_CREATE;
			deleted += rec->a[i].op == OP_DELETE;
		}
		for (i = 0; i < rec->count; i++) {
			const struct answer *x = &rec->a[i];
			int gone = 0, k;

			if (x->op != OP_PATCH)
				continue;
			for (k = 0; k < rec->count; k++)
				gone |= rec->a[k].op == OP_DELETE &&
				    rec->a[k].n == x->n;
			patched += !gone;
		}
		snprintf(q, sizeof(q), "SELECT count(*) FROM quests WHERE "
		    "title LIKE 'c%d-%%'", c);
		ck_assert_int_eq(suite_count(q), created - deleted);
		snprintf(q, sizeof(q), "SELECT count(*) FROM quests WHERE "
		    "title LIKE 'c%d-%%' AND priority = 'high'", c);
		ck_assert_int_eq(suite_count(q), patched);
	}
	qsort(ms, (size_t)nms, sizeof(*ms), cmp_int);
	fprintf(stderr, "check_hosts: %d answers, p50 %d ms, p99 %d ms, "
	    "max %d ms\n", nms, ms[nms / 2], ms[nms * 99 / 100], ms[nms - 1]);
	ck_assert_int_lt(ms[nms - 1], BOUND_MS);
	free(ms);
	munmap((void *)stop_flag, sizeof(int));
	munmap(records, sizeof(*records) * CLIENTS);
	/* A back for the next test. */
	harness_passiond_start(&a);
	harness_sleep_ms(1500);
}
END_TEST

/* passionctl maintain on both hosts at once: each occurrence once. */
START_TEST(maintain_on_every_host_at_once)
{
	struct resp	 r;
	char		 oa[256], ob[256];
	pid_t		 p[2];
	int		 i, status, ms;

	ck_assert_int_eq(front_req("POST", "/api/schedule-rules", cookie[0],
	    NULL, "{\"name\":\"r\",\"domainId\":\"d\",\"recurrence\":"
	    "\"daily\",\"questTemplate\":{\"title\":\"every day\"}}", &r, &ms),
	    201);
	resp_free(&r);
	suite_sql("UPDATE schedule_rules SET created_at = now() - "
	    "interval '5 days'");
	snprintf(oa, sizeof(oa), "%s/maintain-a.out", dir);
	snprintf(ob, sizeof(ob), "%s/maintain-b.out", dir);
	for (i = 0; i < 2; i++) {
		p[i] = fork();
		ck_assert_int_ne(p[i], -1);
		if (p[i] == 0)
			_exit(harness_passionctl(i ? &b : &a, "maintain",
			    i ? ob : oa));
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(waitpid(p[i], &status, 0), p[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "maintain on host %c: %d (%s)", 'a' + i, status,
		    harness_read_file(i ? ob : oa));
	}
	ck_assert_int_gt(suite_count("SELECT count(*) FROM quests "
	    "WHERE title = 'every day'"), 0);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM quests "
	    "WHERE title = 'every day'"), suite_count("SELECT "
	    "count(DISTINCT occurrence) FROM quests WHERE title = "
	    "'every day'"));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("hosts");
	TCase	*tc = tcase_create("two");

	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_host_lost_costs_no_request);
	tcase_add_test(tc, maintain_on_every_host_at_once);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
