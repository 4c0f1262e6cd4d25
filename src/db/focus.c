/*
 * focus.c - the focus timer: one active session per user (a partial
 * unique index, not a read), stale sessions abandoned, completion's XP
 * awarded once, and the stats of a day, week or month of the user's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

#define FOCUS_XP	25

#define M	(&model_focus_sessions)

enum db_status
db_focus_expire(struct db *db, struct arena *a, const char *user_id,
    long *n)
{
	const char	*p[1] = { user_id };
	struct json_object *e;
	PGresult	*r;
	enum db_status	 st;
	int		 i;

	/* Ended when it went stale: at twice its planned duration. */
	st = db_sql(db, a, "focus_expire", arena_printf(a, "UPDATE "
	    "focus_sessions SET status = 'abandoned', ended_at = started_at + "
	    "2 * planned_duration * interval '1 second' WHERE user_id = $1 AND "
	    "status = 'active' AND started_at + 2 * planned_duration * "
	    "interval '1 second' < now() RETURNING %s", db_entity_columns(a,
	    M)), 1, p, 0, &r);
	for (i = 0; st == DB_OK && i < PQntuples(r); i++) {
		e = db_entity_row(M, r, i);
		st = db_entity_event(db, a, M, user_id, "abandoned", e, e,
		    NULL);
		json_object_put(e);
	}
	if (st == DB_OK && n != NULL)
		*n += PQntuples(r);
	return st;
}

enum db_status
db_focus_start(struct db *db, struct arena *a, const char *user_id,
    struct json_object *body, struct json_object **out)
{
	struct json_object	*v;
	const char		*p[5];
	enum db_status		 st;

	p[0] = user_id;
	p[1] = json_object_object_get_ex(body, "id", &v) && v ?
	    json_object_get_string(v) : NULL;
	p[2] = json_object_object_get_ex(body, "mode", &v) && v ?
	    json_object_get_string(v) : "focus";
	p[3] = json_object_object_get_ex(body, "plannedDuration", &v) && v ?
	    json_object_get_string(v) : NULL;
	p[4] = json_object_object_get_ex(body, "metadata", &v) && v ?
	    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : NULL;
	/* The planned duration defaults to the user's setting for the mode
	 * (the settings' own defaults when there is no row). */
	st = db_entity_one(db, a, M, "start", arena_printf(a, "INSERT INTO "
	    "focus_sessions (id, user_id, started_at, planned_duration, "
	    "status, mode, metadata, created_at) VALUES (coalesce($2, "
	    "gen_random_uuid()::text), $1, now(), coalesce($4::integer, "
	    "(SELECT CASE $3 WHEN 'focus' THEN focus_default_duration WHEN "
	    "'break' THEN focus_break_duration ELSE focus_long_break_duration "
	    "END FROM user_settings WHERE user_id = $1), CASE $3 WHEN 'focus' "
	    "THEN 1500 WHEN 'break' THEN 300 ELSE 900 END), 'active', $3, "
	    "$5::jsonb, now()) RETURNING %s", db_entity_columns(a, M)), 5, p,
	    out);
	if (st == DB_OK)
		st = db_entity_event(db, a, M, user_id, "created", *out, *out,
		    NULL);
	return st;
}

enum db_status
db_focus_active(struct db *db, struct arena *a, const char *user_id,
    struct json_object **out)
{
	const char	*p[1] = { user_id };

	return db_entity_one(db, a, M, "active", arena_printf(a, "SELECT %s "
	    "FROM focus_sessions WHERE user_id = $1 AND status = 'active'",
	    db_entity_columns(a, M)), 1, p, out);
}

enum db_status
db_focus_finish(struct db *db, struct arena *a, const char *user_id,
    const char *id, const char *status, struct json_object **out,
    int *changed)
{
	const char	*p[3] = { user_id, id, status };
	const char	*mode;
	enum db_status	 st;

	*changed = 0;
	/* status = 'active': a second finisher waits on the row, then
	 * finds it finished and changes nothing. */
	st = db_entity_one(db, a, M, "finish", arena_printf(a, "UPDATE "
	    "focus_sessions SET status = $3, ended_at = now(), actual_duration "
	    "= greatest(0, extract(epoch FROM now() - started_at))::integer "
	    "WHERE user_id = $1 AND id = $2 AND status = 'active' RETURNING %s",
	    db_entity_columns(a, M)), 3, p, out);
	if (st == DB_NOTFOUND)
		return db_entity_get(db, a, M, user_id, id, out);
	if (st != DB_OK)
		return st;
	*changed = 1;
	mode = json_object_get_string(json_object_object_get(*out, "mode"));
	if (strcmp(status, "completed") == 0 && strcmp(mode, "focus") == 0)
		return db_award(db, a, user_id, "focus.completed", "focus",
		    *out, FOCUS_XP, "focus session completed");
	return db_entity_event(db, a, M, user_id, status, *out, *out, NULL);
}

enum db_status
db_focus_stats(struct db *db, struct arena *a, const char *user_id,
    const char *period, struct json_object **out)
{
	const char	*p[2] = { user_id, period };
	PGresult	*r;
	enum db_status	 st;
	int		 i;
	static const char *const names[] = { "totalSessions",
	    "completedSessions", "abandonedSessions", "totalFocusTime",
	    "averageSessionLength" };

	/* Sessions started since the start of this day, week (Monday) or
	 * month where the user is. Times are seconds of completed
	 * focus-mode sessions. */
	st = db_sql(db, a, "focus_stats", "SELECT count(*) AS \"totalSessions\", "
	    "count(*) FILTER (WHERE status = 'completed') AS "
	    "\"completedSessions\", count(*) FILTER (WHERE status = "
	    "'abandoned') AS \"abandonedSessions\", coalesce(sum("
	    "actual_duration) FILTER (WHERE status = 'completed' AND mode = "
	    "'focus'), 0) AS \"totalFocusTime\", coalesce(round(avg("
	    "actual_duration) FILTER (WHERE status = 'completed' AND mode = "
	    "'focus')), 0) AS \"averageSessionLength\" FROM focus_sessions WHERE user_id = $1 AND "
	    "started_at >= date_trunc($2, now() AT TIME ZONE " DB_USER_ZONE
	    ") AT TIME ZONE " DB_USER_ZONE, 2, p, 1, &r);
	if (st != DB_OK)
		return st;
	*out = json_object_new_object();
	json_object_object_add(*out, "period", json_object_new_string(period));
	for (i = 0; i < 5; i++)
		json_object_object_add(*out, names[i], json_object_new_int64(
		    strtoll(db_col(r, 0, arena_printf(a, "\"%s\"", names[i])),
		    NULL, 10)));
	return DB_OK;
}
