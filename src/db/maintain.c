/*
 * maintain.c - what passionctl maintain does: sweep what expired
 * (sessions, magic-link tokens, rate-limit windows), and, user by user
 * under row-level security, abandon stale focus sessions and make the
 * quests of schedule rules' occurrences — once each, however many runs
 * race (a unique index on the occurrence, not a read).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db/admin.h"
#include "db/db_internal.h"
#include "db/sync.h"

/* Occurrences one rule may make in one run (a cron every minute is
 * caught up over several runs). */
#define RUN_MAX		1000	/* occurrences of a rule in one run */
#define USER_RUN_MAX	500	/* quests made for a user in one run */

enum db_status
db_maintain_sweep(struct db *db, struct arena *a, long rate_window,
    struct db_sweep *out)
{
	const char	*p[1] = { db_num(a, rate_window) };
	PGresult	*r;
	enum db_status	 st;

	memset(out, 0, sizeof(*out));
	st = db_sql(db, a, "sweep_sessions", "DELETE FROM sessions WHERE "
	    "expires < now()", 0, NULL, 0, &r);
	if (st == DB_OK) {
		out->sessions = atol(PQcmdTuples(r));
		/* Kept a day past their expiry: a late click is told the
		 * link expired (expired_token), not that it is unknown. */
		st = db_sql(db, a, "sweep_tokens", "DELETE FROM "
		    "verification_tokens WHERE expires < now() - interval "
		    "'1 day'", 0, NULL, 0, &r);
	}
	if (st == DB_OK) {
		out->tokens = atol(PQcmdTuples(r));
		st = db_sql(db, a, "sweep_rate_limits", "DELETE FROM "
		    "rate_limits WHERE window_start < now() - "
		    "make_interval(secs => $1)", 1, p, 0, &r);
	}
	if (st == DB_OK)
		out->windows = atol(PQcmdTuples(r));
	return st;
}

enum db_status
db_maintain_users(struct db *db, struct arena *a, const char ***ids,
    size_t *n)
{
	PGresult	*r;
	enum db_status	 st;
	int		 i;

	*ids = NULL;
	*n = 0;
	st = db_sql(db, a, "maintain_users", "SELECT id FROM users WHERE "
	    "disabled_at IS NULL ORDER BY id", 0, NULL, 1, &r);
	if (st != DB_OK)
		return st;
	*ids = arena_alloc(a, sizeof(**ids) * (size_t)(PQntuples(r) + 1));
	for (i = 0; i < PQntuples(r); i++)
		(*ids)[i] = db_col(r, i, "id");
	*n = (size_t)PQntuples(r);
	return DB_OK;
}

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object	*v = json_object_object_get(o, key);

	return v ? json_object_get_string(v) : NULL;
}

static const char *
json_text(struct json_object *o, const char *key)
{
	struct json_object	*v = json_object_object_get(o, key);

	return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) :
	    NULL;
}

/* The quests of rule's occurrences at the instants in r, until *made is
 * USER_RUN_MAX; *made added. */
static enum db_status
make_quests(struct db *db, struct arena *a, const char *user_id,
    struct json_object *rule, PGresult *r, long *made)
{
	struct json_object	*t = json_object_object_get(rule,
	    "questTemplate"), *q;
	const char		*p[9];
	enum db_status		 st = DB_OK;
	int			 i;

	p[0] = user_id;
	p[1] = str(t, "title");
	p[2] = str(t, "description");
	p[3] = str(t, "domainId") ? str(t, "domainId") : str(rule, "domainId");
	p[4] = str(t, "priority");
	p[6] = json_text(t, "tags");
	p[7] = str(t, "xpValue");
	p[8] = str(rule, "id");
	for (i = 0; st == DB_OK && i < PQntuples(r) && *made < USER_RUN_MAX;
	    i++) {
		p[5] = db_col(r, i, "at");
		st = db_entity_one(db, a, &model_quests, "occurrence",
		    arena_printf(a, "INSERT INTO quests (id, user_id, title, "
		    "description, domain_id, status, priority, due_date, tags, "
		    "xp_value, created_at, updated_at, content_hash, "
		    "schedule_rule_id, occurrence) VALUES "
		    "(gen_random_uuid()::text, $1, $2, $3, $4, 'pending', "
		    "coalesce($5, 'medium'), $6::timestamptz, $7::jsonb, "
		    "coalesce($8::integer, 0), now(), now(), '', $9, "
		    "$6::timestamptz) ON CONFLICT (user_id, schedule_rule_id, "
		    "occurrence) WHERE schedule_rule_id IS NOT NULL DO NOTHING "
		    "RETURNING %s", db_entity_columns(a, &model_quests)), 9, p,
		    &q);
		if (st == DB_NOTFOUND) {
			st = DB_OK;	/* made already, by this or another run */
			continue;
		}
		if (st == DB_OK)
			st = db_entity_event(db, a, &model_quests, user_id,
			    "created", q, q, NULL);
		if (st == DB_OK)
			(*made)++;
		json_object_put(q);
	}
	return st;
}

enum db_status
db_maintain_user(struct db *db, struct arena *a, const char *user_id,
    long horizon, struct db_maintained *out)
{
	const char		*p[2] = { user_id, db_num(a, horizon) };
	struct model_civil	 from, until, *occ;
	struct json_object	*rule;
	PGresult		*rules, *r;
	enum db_status		 st;
	long			 made = 0, swept = 0;
	int			 i, n;

	st = db_focus_expire(db, a, user_id, &out->focus);
	if (st == DB_OK)
		st = db_sync_sweep(db, a, user_id, DB_SYNC_TOMBSTONE_DAYS,
		    &swept);
	out->tombstones += swept;
	swept = 0;
	if (st == DB_OK)
		st = db_key_sweep(db, a, user_id, &swept);
	out->keys += swept;
	/* Each enabled rule, from the start of the local day it was made,
	 * the first minute past the horizon or the minute after its last
	 * quest made, whichever is latest, until now, where the user is:
	 * each run makes only what came since (a quest deleted stays so). */
	if (st == DB_OK)
		st = db_sql(db, a, "maintain_rules", arena_printf(a, "SELECT "
		    "%s, to_char(greatest(date_trunc('day', created_at AT TIME "
		    "ZONE " DB_USER_ZONE "), date_trunc('minute', (now() - "
		    "make_interval(secs => $2)) AT TIME ZONE " DB_USER_ZONE ") + "
		    "interval '1 minute', (SELECT max(q.occurrence) FROM quests q "
		    "WHERE q.user_id = $1 AND q.schedule_rule_id = "
		    "schedule_rules.id) AT TIME ZONE " DB_USER_ZONE " + interval "
		    "'1 minute'), 'YYYY-MM-DD HH24:MI') AS since, "
		    "to_char(now() AT TIME ZONE " DB_USER_ZONE ", "
		    "'YYYY-MM-DD HH24:MI') AS until FROM schedule_rules WHERE user_id = "
		    "$1 AND enabled ORDER BY id", db_entity_columns(a,
		    &model_schedule_rules)), 2, p, 0, &rules);
	if (st != DB_OK)
		return st;
	occ = arena_calloc(a, sizeof(*occ) * RUN_MAX);
	/* At most USER_RUN_MAX quests a run: the rest come next run. */
	for (i = 0; st == DB_OK && i < PQntuples(rules) &&
	    made < USER_RUN_MAX; i++) {
		if (model_civil_parse(db_col(rules, i, "since"), &from) != 0 ||
		    model_civil_parse(db_col(rules, i, "until"), &until) != 0)
			return DB_ERROR;
		rule = db_entity_row(&model_schedule_rules, rules, i);
		n = model_schedule_occurrences(rule, &from, &until, occ,
		    RUN_MAX);
		if (n < 0)
			out->invalid++;	/* stored before a rule was checked */
		else if (n > 0) {
			out->rules++;
			st = db_local_instants_result(db, a, user_id, occ, n, 0, &r);
			if (st == DB_OK)
				st = make_quests(db, a, user_id, rule, r,
				    &made);
		}
		json_object_put(rule);
	}
	out->quests += made;
	if (made == USER_RUN_MAX)
		out->capped++;
	return st;
}
