/*
 * quests.c - what only quests do: completion, which awards XP once.
 */
#include "config.h"

#include <string.h>

#include "db/db_internal.h"

/* The contentHash of a new, empty skill tree. */
static const char *
empty_tree_hash(struct arena *a)
{
	struct json_object	*t = json_object_new_object();
	const char		*h;

	json_object_object_add(t, "version", json_object_new_int(1));
	json_object_object_add(t, "nodes", json_object_new_object());
	h = model_content_hash(a, &model_skill_trees, t);
	json_object_put(t);
	return h;
}

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object	*v = json_object_object_get(o, key);

	return v ? json_object_get_string(v) : NULL;
}

/* quest.completed, the xp reward sourced to it, the tree's XP. */
static enum db_status
award(struct db *db, struct arena *a, const char *user_id,
    struct json_object *q)
{
	const char	*event, *xp = str(q, "xpValue"), *domain;
	const char	*p[6];
	enum db_status	 st;

	domain = str(q, "domainId");
	if (xp == NULL)
		xp = "0";
	st = db_event_append(db, a, user_id, "quest.completed", domain,
	    json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN), &event);
	if (st != DB_OK)
		return st;
	p[0] = user_id;
	p[1] = domain;
	p[2] = "xp";
	p[3] = xp;
	p[4] = arena_printf(a, "quest completed: %s", str(q, "title"));
	p[5] = event;
	st = db_exec(db, a, DB_STMT_REWARD_APPEND, p, NULL);
	if (st != DB_OK)
		return st;
	p[1] = xp;
	p[2] = empty_tree_hash(a);
	return db_exec(db, a, DB_STMT_SKILL_XP_ADD, p, NULL);
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
