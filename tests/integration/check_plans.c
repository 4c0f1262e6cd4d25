/*
 * check_plans.c - the statements of the domain API against a database
 * where one user has 10 000 rows of every entity (among others who have
 * as many): EXPLAIN of each list
 * statement (every filter, search, the due list) shows an index, never a
 * sequential scan; and row-level security alone — the same tables read
 * as passion_app with no user_id condition at all — shows each user
 * only their own rows; and a search is read by its index and ranks a
 * bounded set.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "harness.h"
#include "../common/run.h"

#define ROWS	10000
#define OTHERS	4	/* other tenants, as many rows each */

static char	 db[64], alice[64], bob[64];

/* Rows of every entity for user (n of each), as the owner. */
static void
fill(PGconn *c, const char *user, int n)
{
	static const char *const sql[] = {
		("INSERT INTO quests (id, user_id, title, domain_id, status, "
		"priority, due_date, tags, created_at, updated_at, content_hash) "
		"SELECT $1 || '-q' || i, $2::uuid, 'quest ' || i, 'd' || (i % 7), "
		"(ARRAY['pending','in-progress','completed','deferred'])[i % 4 "
		"+ 1], 'medium', now() + (i - 5000) * interval '1 hour', "
		"jsonb_build_array('t' || (i % 50)), now() - i * interval "
		"'1 minute', now() - i * interval '1 minute', 'h' FROM "
		"generate_series(1, $3::integer) i"),
		("INSERT INTO schedule_rules (id, user_id, name, domain_id, "
		"enabled, recurrence, quest_template, created_at, updated_at, "
		"content_hash) SELECT $1 || '-r' || i, $2::uuid, 'r', 'd' || (i % 7), "
		"i % 2 = 0, 'daily', '{\"title\":\"t\"}', now() - i * interval "
		"'1 minute', now(), 'h' FROM generate_series(1, $3::integer) i"),
		("INSERT INTO plan_templates (id, user_id, name, domain_id, "
		"template_type, quest_templates, created_at, updated_at, "
		"content_hash) SELECT $1 || '-p' || i, $2::uuid, 'p', 'd' || (i % 7), "
		"(ARRAY['day','session','week'])[i % 3 + 1], '[]', now() - i * "
		"interval '1 minute', now(), 'h' FROM generate_series(1, $3::integer) i"),
		("INSERT INTO reward_ledger (id, user_id, domain_id, reward_type, "
		"amount, reason, created_at) SELECT $1 || '-w' || i, $2::uuid, 'd' || "
		"(i % 7), (ARRAY['xp','achievement','streak','milestone'])"
		"[i % 4 + 1], i, 'r', now() - i * interval '1 minute' FROM "
		"generate_series(1, $3::integer) i"),
		("INSERT INTO log_events (id, user_id, event_type, payload, "
		"\"timestamp\", domain_id) SELECT $1 || '-e' || i, $2::uuid, 'e' || "
		"(i % 20), '{}', now() - i * interval '1 minute', 'd' || (i % 7) "
		"FROM generate_series(1, $3::integer) i"),
		("INSERT INTO focus_sessions (id, user_id, started_at, ended_at, "
		"planned_duration, status, mode) SELECT $1 || '-f' || i, $2::uuid, now() "
		"- i * interval '1 hour', now() - i * interval '1 hour' + "
		"interval '25 minutes', 1500, (ARRAY['completed','abandoned'])"
		"[i % 2 + 1], (ARRAY['focus','break','long_break'])[i % 3 + 1] "
		"FROM generate_series(1, $3::integer) i"),
		("INSERT INTO projects (id, user_id, name, status, starred, tags, "
		"created_at, updated_at, content_hash) SELECT $1 || '-j' || i, $2::uuid, "
		"'p', (ARRAY['active','archived','completed'])[i % 3 + 1], "
		"i % 10 = 0, jsonb_build_array('t' || (i % 50)), now() - i * "
		"interval '1 minute', now(), 'h' FROM generate_series(1, $3::integer) i"),
		("INSERT INTO reference_libraries (id, user_id, name, created_at, "
		"updated_at) SELECT $1 || '-l' || i, $2::uuid, 'l', now() - i * interval "
		"'1 minute', now() FROM generate_series(1, $3::integer) i"),
		("INSERT INTO reference_tracks (id, library_id, user_id, name, "
		"blob_key, mime_type, size_bytes, created_at) SELECT $1 || '-t' || "
		"i, $1 || '-l' || (i % 100 + 1), $2::uuid, 't', 'k', 'audio/wav', 1, "
		"now() - i * interval '1 minute' FROM generate_series(1, $3::integer) i"),
		("INSERT INTO infobase_entries (id, user_id, title, content, "
		"category, pinned, tags, created_at, updated_at, content_hash) "
		"SELECT $1 || '-i' || i, $2::uuid, 'entry ' || i || CASE WHEN i % 1000 = "
		"0 THEN ' sidechain' ELSE '' END, 'words about mixing number ' || "
		"i, 'c' || (i % 10), i % 10 = 0, jsonb_build_array('t' || "
		"(i % 50)), now() - i * interval '1 minute', now(), 'h' FROM "
		"generate_series(1, $3::integer) i"),
		("INSERT INTO lane_templates (id, user_id, name, template_type, "
		"lane_settings, notes, bpm, bars, time_signature, created_at, "
		"updated_at) SELECT $1 || '-n' || i, $2::uuid, 'n', (ARRAY['melody',"
		"'drums','chord'])[i % 3 + 1], '{}', '[]', 120, 4, '[4,4]', "
		"now() - i * interval '1 minute', now() FROM "
		"generate_series(1, $3::integer) i"),
		("INSERT INTO blobs (user_id, kind, object_key, mime_type, "
		"size_bytes, name, state, created_at) SELECT $2::uuid, "
		"(ARRAY['audio','image'])[i % 2 + 1], $2 || '/' || $1 || '-b' || i, "
		"'audio/wav', i, 'b' || i, (ARRAY['pending','ready'])[i % 2 + 1], "
		"now() - i * interval '1 minute' FROM generate_series(1, "
		"$3::integer) i"),
	};
	char		 prefix[16], count[16];
	const char	*p[3] = { prefix, user, count };
	PGresult	*r;
	size_t		 i;

	/* Ids: the user's first 8 characters, the kind, a number. */
	snprintf(prefix, sizeof(prefix), "%.8s", user);
	snprintf(count, sizeof(count), "%d", n);
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		r = PQexecParams(c, sql[i], 3, NULL, p, NULL, NULL, 0);
		ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s",
		    sql[i], PQresultErrorMessage(r));
		PQclear(r);
	}
}

static void
setup(void)
{
	PGconn	*c;
	int	 i;

	snprintf(db, sizeof(db), "passion_plans_%d", (int)getpid());
	harness_db_create(harness_pghost(), db);
	c = harness_pg(harness_pghost(), db, "postgres");
	snprintf(alice, sizeof(alice), "%s", harness_sql(c, "INSERT INTO "
	    "users (email) VALUES ('alice@example.org') RETURNING id"));
	snprintf(bob, sizeof(bob), "%s", harness_sql(c, "INSERT INTO users "
	    "(email) VALUES ('bob@example.org') RETURNING id"));
	/* 10 000 rules a user is past what a user may make (100: sql/0014);
	 * the plans are about big tables, so the limit waits. */
	harness_sql(c, "ALTER TABLE schedule_rules DISABLE TRIGGER "
	    "schedule_rules_limit");
	fill(c, alice, ROWS);
	fill(c, bob, 120);
	/* A shared table: alice's rows are a fifth of it, as a user's are a
	 * small part in production (the planner weighs that). */
	for (i = 0; i < OTHERS; i++) {
		char sql[128], other[64];

		snprintf(sql, sizeof(sql), "INSERT INTO users (email) VALUES "
		    "('other%d@example.org') RETURNING id", i);
		snprintf(other, sizeof(other), "%s", harness_sql(c, sql));
		fill(c, other, ROWS);
	}
	harness_sql(c, "ALTER TABLE schedule_rules ENABLE TRIGGER "
	    "schedule_rules_limit");
	harness_sql(c, "ANALYZE");
	PQfinish(c);
}

/*
 * EXPLAIN sql with p as passion_app acting for alice, as the server runs
 * it: prepared, with the generic plan (plan_cache_mode, db_open).
 */
static char *
explain(const char *sql, const char *const *p, int n)
{
	PGconn		*c = harness_pg(harness_pghost(), db, "passion_app");
	char		 set[160];
	PGresult	*r;
	size_t		 len = 0, cap = 8192;
	char		*out = malloc(cap), *q;
	int		 i;

	snprintf(set, sizeof(set), "SELECT set_config('passion.user_id', "
	    "'%s', false)", alice);
	harness_sql(c, set);
	harness_sql(c, "SET plan_cache_mode = force_generic_plan");
	r = PQprepare(c, "s", sql, n, NULL);
	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql,
	    PQresultErrorMessage(r));
	PQclear(r);
	q = strdup("EXPLAIN EXECUTE s(");
	for (i = 0; i < n; i++) {
		char *lit = p[i] ? PQescapeLiteral(c, p[i], strlen(p[i])) : NULL;
		char *next;

		if (asprintf(&next, "%s%s%s", q, i ? ", " : "", lit ? lit :
		    "NULL") < 0)
			ck_abort();
		PQfreemem(lit);
		free(q);
		q = next;
	}
	out[0] = '\0';
	r = PQexec(c, (q = realloc(q, strlen(q) + 2), strcat(q, ")"), q));
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQresultErrorMessage(r));
	for (i = 0; i < PQntuples(r); i++) {
		const char *line = PQgetvalue(r, i, 0);

		if (len + strlen(line) + 2 > cap)
			out = realloc(out, cap = (len + strlen(line)) * 2 + 2);
		len += (size_t)sprintf(out + len, "%s\n", line);
	}
	PQclear(r);
	free(q);
	PQfinish(c);
	return out;
}

/*
 * The list's own table is read through an index. (A lookup of the
 * user's time zone in a table of a row or two may well scan it.)
 */
static void
assert_indexed(const char *table, const char *what, const char *sql,
    const char *const *p, int n)
{
	char	*plan = explain(sql, p, n), seq[96];

	snprintf(seq, sizeof(seq), "Seq Scan on %s ", table);
	ck_assert_msg(strstr(plan, seq) == NULL && strstr(plan, "Index") !=
	    NULL, "%s: not served by an index:\n%s", what, plan);
	free(plan);
}

/* A value each filter can be asked for. */
static const char *
sample(const struct model_entity *m, const struct model_filter *q)
{
	const struct model_field *f = model_field(m, q->field);

	if (q->op == MQ_TAG)
		return "t7";
	if (q->op == MQ_BEFORE || q->op == MQ_AFTER)
		return "2026-01-01T00:00:00Z";
	if (f->type == MT_BOOL)
		return "true";
	if (f->type == MT_ENUM)
		return f->values[1];
	if (strcmp(q->field, "eventType") == 0)
		return "e3";
	if (strcmp(q->field, "category") == 0)
		return "c3";
	return "d3";
}

START_TEST(every_list_statement_uses_an_index)
{
	const struct model_entity	*m = model_entities[_i];
	const struct model_filter	*q;
	struct arena			 a;
	struct db_list			 l;
	const char			**p, *sql;
	char				 what[128];
	int				 n;
	size_t				 k;

	/* The singletons are read by user id alone (their primary key or
	 * a unique index). */
	if (m == &model_skill_trees || m == &model_settings)
		return;
	arena_init(&a, 64 * 1024);
	memset(&l, 0, sizeof(l));
	l.limit = 50;
	if (m == &model_reference_tracks) {
		l.scope_column = "library_id";
		l.scope_value = arena_printf(&a, "%.8s-l7", alice);
	}
	sql = db_entity_list_sql(&a, m, alice, &l, &p, &n);
	assert_indexed(m->table, m->table, sql, p, n);
	/* The next page, after a cursor. */
	l.key = "2026-01-01T00:00:00.000000Z";
	/* The last possible id (blobs' are UUIDs). */
	l.after_id = m == &model_blobs ? "ffffffff-ffff-ffff-ffff-ffffffffffff" :
	    "zzz";
	sql = db_entity_list_sql(&a, m, alice, &l, &p, &n);
	assert_indexed(m->table, m->table, sql, p, n);
	l.key = l.after_id = NULL;
	/* Each filter, and updatedSince. */
	for (k = 0; k <= m->nfilters; k++) {
		q = k < m->nfilters ? &m->filters[k] : model_filter(m,
		    "updatedSince");
		if (q == NULL)
			continue;
		l.nfilters = 1;
		l.filters[0] = q;
		l.values[0] = sample(m, q);
		snprintf(what, sizeof(what), "%s ?%s=", m->table, q->param);
		sql = db_entity_list_sql(&a, m, alice, &l, &p, &n);
		assert_indexed(m->table, what, sql, p, n);
	}
	if (m == &model_infobase) {
		l.nfilters = 0;
		l.search = "sidechain";
		sql = db_entity_list_sql(&a, m, alice, &l, &p, &n);
		assert_indexed(m->table, "infobase search", sql, p, n);
		/* Its next page (the page cut from the ranks), and a search
		 * with a filter (the entries read first). */
		l.key = "0.5";
		l.after_id = "zzz";
		sql = db_entity_list_sql(&a, m, alice, &l, &p, &n);
		assert_indexed(m->table, "infobase search, next page", sql, p,
		    n);
		l.key = l.after_id = NULL;
		l.nfilters = 1;
		l.filters[0] = model_filter(m, "category");
		l.values[0] = "c3";
		sql = db_entity_list_sql(&a, m, alice, &l, &p, &n);
		assert_indexed(m->table, "infobase search ?category=", sql, p,
		    n);
	}
	arena_cleanup(&a);
}
END_TEST

START_TEST(due_list_uses_an_index)
{
	struct arena	 a;
	const char	*p[2] = { alice, "100" };

	arena_init(&a, 16 * 1024);
	assert_indexed("quests", "quests due", db_quests_due_sql(&a), p, 2);
	arena_cleanup(&a);
}
END_TEST

/* Alice's searches through sql/0012's function: by its GIN index. */
static long
search_index_scans(PGconn *c)
{
	harness_sql(c, "SELECT pg_stat_clear_snapshot()");
	return atol(harness_sql(c, "SELECT idx_scan FROM pg_stat_user_indexes "
	    "WHERE indexrelname = 'idx_infobase_entries_search'"));
}

/*
 * A search ranks at most 1 000 matches, read by the index that leads
 * with user_id, and sees only the user's own: all 10 000 of alice's
 * entries say "words", 10 say "sidechain", none of bob's does.
 */
START_TEST(search_is_bounded_and_indexed)
{
	PGconn		*app;
	PGresult	*r;
	long		 before;

	app = harness_pg(harness_pghost(), db, "passion_app");
	harness_sql(app, "SELECT set_config('passion.user_id', (SELECT id::text "
	    "FROM users WHERE email = 'alice@example.org'), false)");
	ck_assert_str_eq(harness_sql(app, "SELECT count(*) FROM "
	    "infobase_search('words')"), "1000");
	/* A rare word, by the GIN index (counted in this session's
	 * statistics, flushed at its next commit). */
	harness_sql(app, "SELECT pg_stat_force_next_flush()");
	before = search_index_scans(app);
	ck_assert_str_eq(harness_sql(app, "SELECT count(*) FROM "
	    "infobase_search('sidechain')"), "10");
	harness_sql(app, "SELECT pg_stat_force_next_flush()");
	ck_assert_int_gt(search_index_scans(app), before);
	harness_sql(app, "SELECT set_config('passion.user_id', (SELECT id::text "
	    "FROM users WHERE email = 'bob@example.org'), false)");
	ck_assert_str_eq(harness_sql(app, "SELECT count(*) FROM "
	    "infobase_search('sidechain')"), "0");
	/* Excluded words only: refused, with the hint passiond reads. */
	r = PQexec(app, "SELECT * FROM infobase_search('-words')");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	ck_assert_str_eq(PQresultErrorField(r, PG_DIAG_MESSAGE_HINT),
	    "search_excluded_only");
	PQclear(r);
	PQfinish(app);
}
END_TEST

/* With no user_id condition at all, row-level security alone. */
START_TEST(row_level_security_alone)
{
	const struct model_entity	*m;
	PGconn				*app, *owner;
	char				 q[512], set[160];
	const char			*users[3] = { alice, bob, "" };
	int				 i, u;

	owner = harness_pg(harness_pghost(), db, "postgres");
	app = harness_pg(harness_pghost(), db, "passion_app");
	for (u = 0; u < 3; u++) {
		snprintf(set, sizeof(set), "SELECT set_config('passion.user_id',"
		    " '%s', false)", users[u]);
		harness_sql(app, set);
		for (i = 0; (m = model_entities[i]) != NULL; i++) {
			long seen, own;

			snprintf(q, sizeof(q), "SELECT count(*) FROM %s",
			    m->table);
			seen = atol(harness_sql(app, q));
			snprintf(q, sizeof(q), "SELECT count(*) FROM %s WHERE "
			    "user_id::text = '%s'", m->table, users[u]);
			own = atol(harness_sql(owner, q));
			ck_assert_msg(seen == own, "%s as %s: sees %ld, owns "
			    "%ld", m->table, *users[u] ? users[u] : "nobody",
			    seen, own);
			if (u == 0 && m->vault != NULL && m != &model_settings &&
			    m != &model_skill_trees)
				ck_assert_int_gt(own, 0);
		}
	}
	PQfinish(app);
	PQfinish(owner);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("plans");
	TCase	*tc = tcase_create("plans");
	int	 n = 0;

	while (model_entities[n] != NULL)
		n++;
	tcase_set_timeout(tc, 300);
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, every_list_statement_uses_an_index, 0, n);
	tcase_add_test(tc, due_list_uses_an_index);
	tcase_add_test(tc, row_level_security_alone);
	tcase_add_test(tc, search_is_bounded_and_indexed);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
