/*
 * planner.c - the planner's own rules in SQL: XP awards, the due list,
 * local times of the user's zone, plan templates applied, the skill tree
 * (one per user) and the reward summary.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object	*v = json_object_object_get(o, key);

	return v ? json_object_get_string(v) : NULL;
}

/* The contentHash of a new, empty skill tree. */
static const char *
empty_tree_hash(struct arena *a)
{
	struct json_object	*t = db_skill_tree_default();
	const char		*h = model_content_hash(a, &model_skill_trees, t);

	json_object_put(t);
	return h;
}

struct json_object *
db_skill_tree_default(void)
{
	struct json_object	*t = json_object_new_object();

	json_object_object_add(t, "id", NULL);
	json_object_object_add(t, "version", json_object_new_int(1));
	json_object_object_add(t, "nodes", json_object_new_object());
	json_object_object_add(t, "totalXp", json_object_new_int(0));
	json_object_object_add(t, "achievements", NULL);
	json_object_object_add(t, "updatedAt", NULL);
	return t;
}

enum db_status
db_skill_xp_add(struct db *db, struct arena *a, const char *user_id,
    long long xp)
{
	const char	*p[3] = { user_id, db_num(a, xp), empty_tree_hash(a) };

	return db_exec(db, a, DB_STMT_SKILL_XP_ADD, p, NULL);
}

enum db_status
db_award(struct db *db, struct arena *a, const char *user_id,
    const char *event_type, const char *domain, struct json_object *payload,
    long long xp, const char *reason)
{
	const char	*event, *p[6];
	enum db_status	 st;

	st = db_event_append(db, a, user_id, event_type, domain,
	    json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN),
	    &event);
	if (st != DB_OK)
		return st;
	p[0] = user_id;
	p[1] = domain;
	p[2] = "xp";
	p[3] = db_num(a, xp);
	p[4] = reason;
	p[5] = event;
	st = db_exec(db, a, DB_STMT_REWARD_APPEND, p, NULL);
	if (st == DB_OK)
		st = db_skill_xp_add(db, a, user_id, xp);
	return st;
}

/* The rows of r as m's entities, in a new array. */
static struct json_object *
rows(const struct model_entity *m, PGresult *r)
{
	struct json_object	*out = json_object_new_array();
	int			 i;

	for (i = 0; i < PQntuples(r); i++)
		json_object_array_add(out, db_entity_row(m, r, i));
	return out;
}

const char *
db_quests_due_sql(struct arena *a)
{
	/* By the end of today where the user is; priority by rank. */
	return arena_printf(a, "SELECT %s FROM quests WHERE user_id = $1 AND "
	    "status IN ('pending', 'in-progress') AND due_date < "
	    "(date_trunc('day', now() AT TIME ZONE " DB_USER_ZONE ") + "
	    "interval '1 day') AT TIME ZONE " DB_USER_ZONE " ORDER BY "
	    "due_date, array_position(ARRAY['critical', 'high', 'medium', "
	    "'low'], priority), id LIMIT $2", db_entity_columns(a,
	    &model_quests));
}

enum db_status
db_quests_due(struct db *db, struct arena *a, const char *user_id,
    long limit, struct json_object **out)
{
	const char	*p[2] = { user_id, db_num(a, limit) };
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, "quests_due", db_quests_due_sql(a), 2, p, 1, &r);
	*out = st == DB_OK ? rows(&model_quests, r) : NULL;
	return st;
}

enum db_status
db_local_now(struct db *db, struct arena *a, const char *user_id,
    struct model_civil *now)
{
	const char	*p[1] = { user_id };
	PGresult	*r;
	enum db_status	 st;

	st = db_sql(db, a, "local_now", "SELECT to_char(now() AT TIME ZONE "
	    DB_USER_ZONE ", 'YYYY-MM-DD HH24:MI') AS now", 1, p, 1, &r);
	if (st == DB_OK && model_civil_parse(db_col(r, 0, "now"), now) != 0)
		st = DB_ERROR;
	return st;
}

enum db_status
db_local_instants_result(struct db *db, struct arena *a, const char *user_id,
    const struct model_civil *t, int n, int after_now, PGresult **out)
{
	struct buf	 b;
	const char	*p[3];
	char		 s[20];
	enum db_status	 st;
	int		 i;

	buf_init(&b, 1024 * 1024);
	buf_puts(&b, "{");
	for (i = 0; i < n; i++) {
		model_civil_format(&t[i], s);
		buf_printf(&b, "%s\"%s\"", i ? "," : "", s);
	}
	buf_puts(&b, "}");
	p[0] = user_id;
	p[1] = arena_strdup(a, b.data);
	p[2] = after_now ? "true" : "false";
	buf_cleanup(&b);
	/* A wall-clock time a DST change skips is the instant after the
	 * gap; two that meet in one instant are one. */
	st = db_sql(db, a, "local_instants", "SELECT " DB_ISO("x") " AS at "
	    "FROM (SELECT DISTINCT l AT TIME ZONE " DB_USER_ZONE " AS x FROM "
	    "unnest($2::timestamp[]) AS u(l)) s WHERE NOT $3::boolean OR "
	    "x > now() ORDER BY x", 3, p, 1, out);
	return st;
}

enum db_status
db_local_instants(struct db *db, struct arena *a, const char *user_id,
    const struct model_civil *t, int n, int after_now, const char ***out,
    int *nout)
{
	PGresult	*r;
	enum db_status	 st;
	int		 i;

	*out = NULL;
	*nout = 0;
	st = db_local_instants_result(db, a, user_id, t, n, after_now, &r);
	if (st != DB_OK)
		return st;
	*out = arena_alloc(a, sizeof(**out) * (size_t)(PQntuples(r) + 1));
	for (i = 0; i < PQntuples(r); i++)
		(*out)[i] = db_col(r, i, "at");
	*nout = PQntuples(r);
	return DB_OK;
}

enum db_status
db_plan_apply(struct db *db, struct arena *a, const char *user_id,
    struct json_object *plan, const struct model_civil *date,
    struct json_object **out)
{
	struct json_object	*list = json_object_object_get(plan,
	    "questTemplates"), *q, *e;
	PGresult		*r;
	enum db_status		 st;
	size_t			 i;

	*out = json_object_new_array();
	st = db_local_instants_result(db, a, user_id, date, 1, 0, &r);
	for (i = 0; st == DB_OK && i < json_object_array_length(list); i++) {
		struct json_object *t = json_object_array_get_idx(list, i);

		/* The template's fields, due at the start of date. */
		q = json_object_new_object();
		json_object_object_foreach(t, k, v)
			json_object_object_add(q, k, json_object_get(v));
		if (str(q, "domainId") == NULL)
			json_object_object_add(q, "domainId",
			    json_object_get(json_object_object_get(plan,
			    "domainId")));
		json_object_object_add(q, "dueDate",
		    json_object_new_string(db_col(r, 0, "at")));
		st = db_entity_create(db, a, &model_quests, user_id, q, &e, 0);
		json_object_put(q);
		if (st == DB_OK)
			json_object_array_add(*out, e);
	}
	return st;
}

/* A new user's tree with its hash, for a user who has none. */
static struct json_object *
tree_fallback(struct arena *a)
{
	struct json_object	*t = db_skill_tree_default();

	json_object_object_add(t, "contentHash",
	    json_object_new_string(empty_tree_hash(a)));
	return t;
}

enum db_status
db_skill_tree_get(struct db *db, struct arena *a, const char *user_id,
    struct json_object **out)
{
	return db_entity_singleton(db, a, &model_skill_trees, user_id,
	    tree_fallback, out);
}

enum db_status
db_skill_tree_put(struct db *db, struct arena *a, const char *user_id,
    struct json_object *body, const char *if_match, struct json_object **out)
{
	struct json_object	*v = json_object_object_get(body, "version");
	struct json_object	*ach = json_object_object_get(body,
	    "achievements");
	const char		*p[5];
	enum db_status		 st;

	p[0] = user_id;
	p[1] = v ? json_object_get_string(v) : "1";
	p[2] = json_object_to_json_string_ext(json_object_object_get(body,
	    "nodes"), JSON_C_TO_STRING_PLAIN);
	p[3] = ach ? json_object_to_json_string_ext(ach,
	    JSON_C_TO_STRING_PLAIN) : NULL;
	p[4] = if_match;
	/* Replaced whole but for totalXp; If-Match in the same statement. */
	st = db_entity_one(db, a, &model_skill_trees, "put", arena_printf(a,
	    "INSERT INTO skill_trees AS t (id, user_id, version, nodes, "
	    "achievements, updated_at, content_hash) VALUES "
	    "(gen_random_uuid()::text, $1, $2::integer, $3::jsonb, $4::jsonb, "
	    "now(), '') ON CONFLICT (user_id) DO UPDATE SET version = "
	    "excluded.version, nodes = excluded.nodes, achievements = "
	    "excluded.achievements, updated_at = now() WHERE $5::text IS NULL "
	    "OR t.content_hash = $5 RETURNING %s", db_entity_columns(a,
	    &model_skill_trees)), 5, p, out);
	if (st == DB_NOTFOUND) {
		st = db_skill_tree_get(db, a, user_id, out);
		return st == DB_OK ? DB_STALE : st;
	}
	return st;
}

enum db_status
db_rewards_summary(struct db *db, struct arena *a, const char *user_id,
    struct json_object **out)
{
	const char		*p[1] = { user_id };
	struct json_object	*by_type, *by_domain, *t, *d;
	const char		*type, *domain;
	PGresult		*r;
	enum db_status		 st;
	int			 i;

	st = db_sql(db, a, "rewards_summary", "SELECT reward_type, domain_id, "
	    "sum(amount) AS amount, count(*) AS count FROM reward_ledger WHERE user_id = $1 "
	    "GROUP BY GROUPING SETS ((reward_type), (domain_id, reward_type)) "
	    "ORDER BY 2 NULLS FIRST, 1", 1, p, 1, &r);
	if (st != DB_OK)
		return st;
	*out = json_object_new_object();
	by_type = json_object_new_object();
	by_domain = json_object_new_object();
	json_object_object_add(*out, "byType", by_type);
	json_object_object_add(*out, "byDomain", by_domain);
	for (i = 0; i < PQntuples(r); i++) {
		t = json_object_new_object();
		json_object_object_add(t, "amount", json_object_new_int64(
		    strtoll(db_col(r, i, "amount"), NULL, 10)));
		json_object_object_add(t, "count", json_object_new_int64(
		    strtoll(db_col(r, i, "count"), NULL, 10)));
		type = db_col(r, i, "reward_type");
		if ((domain = db_col_null(r, i, "domain_id")) == NULL) {
			json_object_object_add(by_type, type, t);
			continue;
		}
		if (!json_object_object_get_ex(by_domain, domain, &d)) {
			d = json_object_new_object();
			json_object_object_add(by_domain, domain, d);
		}
		json_object_object_add(d, type, t);
	}
	return DB_OK;
}
