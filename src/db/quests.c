/*
 * quests.c - what only quests do: completion, which awards XP once.
 */
#include "config.h"

#include <string.h>

#include "db/db_internal.h"

/* quest.completed, the xp reward sourced to it, the tree's XP. */
static enum db_status
award(struct db *db, struct arena *a, const char *user_id,
    struct json_object *q)
{
	struct json_object	*xp = json_object_object_get(q, "xpValue");
	struct json_object	*d = json_object_object_get(q, "domainId");

	return db_award(db, a, user_id, "quest.completed",
	    json_object_get_string(d), q, xp ? json_object_get_int64(xp) : 0,
	    arena_printf(a, "quest completed: %s", json_object_get_string(
	    json_object_object_get(q, "title"))));
}

enum db_status
db_quest_complete(struct db *db, struct arena *a, const char *user_id,
    const char *id, struct json_object **out, int *awarded)
{
	const char	*p[2] = { user_id, id };
	enum db_status	 st;

	*awarded = 0;
	/* completed_at IS NULL: the row lock makes a second completer wait
	 * and then find it done. */
	st = db_entity_one(db, a, &model_quests, "complete", arena_printf(a,
	    "UPDATE quests SET status = 'completed', completed_at = now(), "
	    "updated_at = now() WHERE user_id = $1 AND id = $2 AND "
	    "completed_at IS NULL RETURNING %s", db_entity_columns(a,
	    &model_quests)), 2, p, out);
	if (st == DB_NOTFOUND)
		return db_entity_get(db, a, &model_quests, user_id, id, out);
	if (st != DB_OK)
		return st;
	st = award(db, a, user_id, *out);
	if (st == DB_OK)
		*awarded = 1;
	return st;
}
