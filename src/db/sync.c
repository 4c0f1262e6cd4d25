/*
 * sync.c - the change feed. The triggers of sql/0019 and 0021 note each
 * written row of every entity in sync_changes, under its transaction,
 * which is numbered at COMMIT in an order exact per user; a page is one
 * statement, so one snapshot: the changes after a place (a commit, a
 * seq in it), each with its row as the entity's own GET shows it
 * (db_entity_json_sql), the user's floor and last commit, and where
 * the cursor is good.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"
#include "db/sync.h"

/*
 * The page's statement, written once from model_entities: each kind's
 * row by a subquery that only its own kind's changes run.
 */
static const char *
page_sql(void)
{
	static char	*kept;
	struct arena	 a;
	struct buf	 b;
	size_t		 i;

	if (kept != NULL)
		return kept;
	arena_init(&a, 64 * 1024);
	buf_init(&b, 256 * 1024);
	buf_puts(&b, "SELECT (SELECT epoch::text FROM sync_epoch) AS epoch, "
	    "coalesce((SELECT floor FROM sync_feeds WHERE user_id = $1), 0) "
	    "AS floor, coalesce((SELECT writes FROM sync_feeds WHERE user_id "
	    "= $1), 0) AS last, c.no, c.seq, c.kind, c.id, c.deleted, "
	    "c.changed_at, CASE c.kind");
	for (i = 0; model_entities[i] != NULL; i++) {
		const struct model_entity *m = model_entities[i];
		/* A user's one row is noted without its id (sql/0019). */
		const struct model_field *id = (m->flags & ME_SINGLETON) ? NULL :
		    model_field(m, "id");

		if (m->vault == NULL || (id == NULL &&
		    (m->flags & ME_SINGLETON) == 0))
			continue;	/* not a user's entity (a test's own) */
		buf_printf(&b, " WHEN '%s' THEN (SELECT %s::text FROM %s t "
		    "WHERE t.user_id = $1%s%s)", m->vault,
		    db_entity_json_sql(&a, m, "t"), m->table,
		    id != NULL ? " AND t.id = c.id" : "", id == NULL ? "" :
		    id->type == MT_UUID ? "::uuid" : "");
	}
	/* One row of nulls when there is no change (the LEFT JOIN). The
	 * commits after the place, each with its first rows by seq (those
	 * after the place's seq in the place's own; a place whose seq is 0
	 * has its commit whole): an index range each, however far into a
	 * commit of a million rows the place is, taken in order until the
	 * page is full. */
	buf_puts(&b, " END AS entity FROM (SELECT 1) one LEFT JOIN LATERAL "
	    "(SELECT k.no, r.* FROM sync_commits k CROSS JOIN LATERAL (SELECT "
	    "seq, kind, id, deleted, changed_at FROM sync_changes s WHERE "
	    "s.user_id = $1 AND s.xid = k.xid AND s.seq > CASE WHEN k.no = "
	    "$2::bigint THEN $3::bigint ELSE 0 END AND NOT (deleted AND "
	    "$5::boolean) ORDER BY s.seq LIMIT $4::int) r WHERE k.user_id = "
	    "$1 AND k.no >= $2::bigint + ($3::bigint = 0)::int ORDER BY k.no, "
	    "r.seq LIMIT $4::int) c ON true ORDER BY c.no, c.seq");
	if ((kept = strdup(b.data)) == NULL)
		fatal("%s: out of memory", __func__);
	buf_cleanup(&b);
	arena_cleanup(&a);
	return kept;
}

/*
 * Where this connection is: the cluster, the database and the timeline
 * (a promoted standby's is another). None changes while a connection
 * lives, so it is asked once a connection (130 µs of the server's a
 * poll, asked each time).
 */
static enum db_status
place(struct db *db, struct arena *a)
{
	PGresult	*r;
	enum db_status	 st;
	int		 commit = db->commit_next;

	if (db->place_of == db->opens && db->place[0] != '\0')
		return DB_OK;
	/* The commit the caller asked for goes with its page, not this. */
	db->commit_next = 0;
	st = db_sql(db, a, "sync_place", "SELECT s.system_identifier::text "
	    "|| '.' || d.oid::text || '.' || substr(pg_walfile_name("
	    "pg_current_wal_lsn()), 1, 8) AS place FROM pg_control_system() s, "
	    "pg_database d WHERE d.datname = current_database()", 0, NULL, 1,
	    &r);
	if (st == DB_OK && PQntuples(r) == 1) {
		snprintf(db->place, sizeof(db->place), "%s", db_col(r, 0,
		    "place"));
		db->place_of = db->opens;
	}
	db->commit_next = commit;
	return st;
}

/* Row row of the page as {kind, id, op, changedAt[, entity]}. */
static struct json_object *
change(PGresult *r, int row, size_t *bytes)
{
	struct json_object	*o = json_object_new_object(), *e = NULL;
	const char		*id = db_col(r, row, "id");
	const char		*entity = db_col_null(r, row, "entity");
	char			 iso[32];
	int			 gone = db_col_true(r, row, "deleted");

	json_object_object_add(o, "kind", json_object_new_string(db_col(r,
	    row, "kind")));
	json_object_object_add(o, "id", *id ? json_object_new_string(id) :
	    NULL);
	json_object_object_add(o, "op", json_object_new_string(gone ?
	    "delete" : "put"));
	json_object_object_add(o, "changedAt", json_object_new_string(
	    db_time_iso(iso, db_col(r, row, "changed_at"), 3)));
	if (!gone && entity != NULL) {
		e = json_tokener_parse(entity);
		*bytes += strlen(entity);
	}
	if (!gone)
		json_object_object_add(o, "entity", e);
	return o;
}

enum db_status
db_sync_read(struct db *db, struct arena *a, const char *user_id,
    struct db_sync_at after, int full, int limit, size_t max_bytes,
    struct db_sync *out)
{
	const char	*p[5] = { user_id, db_num(a, after.commit), db_num(a,
	    after.seq), db_num(a, limit + 1), full ? "true" : "false" };
	const char	*where;
	PGresult	*r;
	enum db_status	 st;
	size_t		 bytes = 0;
	int		 i, n;

	memset(out, 0, sizeof(*out));
	out->next = after;
	if ((st = place(db, a)) != DB_OK)
		return st;
	st = db_sql(db, a, "sync_read", page_sql(), 5, p, 1, &r);
	if (st != DB_OK)
		return st;
	if (PQntuples(r) == 0 || db_col_null(r, 0, "epoch") == NULL)
		return DB_UNAVAILABLE;	/* sync_epoch has its one row */
	where = arena_printf(a, "%s.%s", db->place, db_col(r, 0, "epoch"));
	out->epoch = sha256_hex(a, where, strlen(where), NULL, 0);
	out->floor = strtoll(db_col(r, 0, "floor"), NULL, 10);
	out->last = strtoll(db_col(r, 0, "last"), NULL, 10);
	out->changes = json_object_new_array();
	/* No change: one row of nulls from the LEFT JOIN. */
	n = db_col_null(r, 0, "seq") == NULL ? 0 : PQntuples(r);
	for (i = 0; i < n && i < limit; i++) {
		if (i > 0 && bytes >= max_bytes)
			break;
		json_object_array_add(out->changes, change(r, i, &bytes));
		out->next.commit = strtoll(db_col(r, i, "no"), NULL, 10);
		out->next.seq = strtoll(db_col(r, i, "seq"), NULL, 10);
	}
	out->more = i < n;
	return DB_OK;
}

enum db_status
db_sync_sweep(struct db *db, struct arena *a, const char *user_id,
    long days, long *swept)
{
	const char	*p[2] = { user_id, db_num(a, days) };
	PGresult	*r;
	enum db_status	 st;

	/* The floor's update takes the user's lock: a writer's commit is
	 * numbered after it, and no cursor between two sweeps is judged
	 * wrong. A commit whose rows all moved on to later ones (or were
	 * swept by the run before: the statement sees one snapshot) is of
	 * no page; the user's last stays, which a cursor may name. */
	st = db_sql(db, a, "sync_sweep", "WITH gone AS (DELETE FROM "
	    "sync_changes WHERE user_id = $1 AND deleted AND changed_at < "
	    "now() - make_interval(days => $2::int) RETURNING xid), f AS "
	    "(UPDATE sync_feeds SET floor = greatest(floor, (SELECT max(k.no) "
	    "FROM sync_commits k WHERE k.user_id = $1 AND k.xid IN (SELECT xid "
	    "FROM gone))) WHERE user_id = $1 AND EXISTS (SELECT 1 FROM gone)), "
	    "e AS (DELETE FROM sync_commits k WHERE k.user_id = $1 AND k.no < "
	    "(SELECT writes FROM sync_feeds WHERE user_id = $1) AND NOT EXISTS "
	    "(SELECT 1 FROM sync_changes s WHERE s.user_id = $1 AND s.xid = "
	    "k.xid)) SELECT count(*) AS n FROM gone", 2, p, 0, &r);
	*swept = st == DB_OK ? atol(db_col(r, 0, "n")) : 0;
	return st;
}

enum db_status
db_sync_epoch_new(struct db *db, struct arena *a)
{
	return db_sql(db, a, "sync_epoch_new", "UPDATE sync_epoch SET epoch = "
	    "gen_random_uuid()", 0, NULL, 0, NULL);
}
