/*
 * entities.c - the entities, one table of fields each. Adding a column is
 * a row here plus a migration. Limits are documented in docs/api.md.
 */
#include "config.h"

#include "model/model.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

#define TITLE_MAX	500
#define TEXT_MAX	100000		/* descriptions and notes */
#define TAGS_MAX	64
#define DOMAIN_MAX	100
#define XP_MAX		1000000

static const char *const quest_statuses[] = { "pending", "in-progress",
	"completed", "deferred", "cancelled", NULL };
static const char *const priorities[] = { "low", "medium", "high",
	"critical", NULL };

static const struct model_field quest_fields[] = {
	{ "id", "id", MT_ID, MF_CREATE_ONLY, 0, 0, NULL },
	{ "title", "title", MT_TEXT, MF_REQUIRED | MF_HASHED, 1, TITLE_MAX,
	    NULL },
	{ "description", "description", MT_TEXT, MF_HASHED, 0, TEXT_MAX,
	    NULL },
	{ "domain_id", "domainId", MT_TEXT, MF_REQUIRED | MF_HASHED, 1,
	    DOMAIN_MAX, NULL },
	{ "status", "status", MT_ENUM, MF_HASHED, 0, 0, quest_statuses },
	{ "priority", "priority", MT_ENUM, MF_HASHED, 0, 0, priorities },
	{ "due_date", "dueDate", MT_TIME, MF_HASHED, 0, 0, NULL },
	{ "tags", "tags", MT_TAGS, MF_HASHED, 0, TAGS_MAX, NULL },
	{ "xp_value", "xpValue", MT_INT, MF_HASHED, 0, XP_MAX, NULL },
	{ "parent_id", "parentId", MT_ID, MF_HASHED | MF_REF, 0, 0, NULL },
	{ "created_at", "createdAt", MT_TIME, MF_SERVER, 0, 0, NULL },
	{ "updated_at", "updatedAt", MT_TIME, MF_SERVER, 0, 0, NULL },
	{ "completed_at", "completedAt", MT_TIME, MF_SERVER, 0, 0, NULL },
	{ "content_hash", "contentHash", MT_TEXT, MF_SERVER, 0, 0, NULL },
};

const struct model_entity model_quests = {
	"quests", "quest", quest_fields, N(quest_fields), ME_EVENTS,
	"created_at",
};

#define NODES_MAX	(1024 * 1024)

static const struct model_field skill_tree_fields[] = {
	{ "id", "id", MT_ID, MF_SERVER, 0, 0, NULL },
	{ "version", "version", MT_INT, MF_HASHED, 1, 1000000, NULL },
	{ "nodes", "nodes", MT_OBJECT, MF_REQUIRED | MF_HASHED, 0, NODES_MAX,
	    NULL },
	{ "total_xp", "totalXp", MT_INT, MF_SERVER, 0, 0, NULL },
	{ "achievements", "achievements", MT_ARRAY, MF_HASHED, 0, NODES_MAX,
	    NULL },
	{ "updated_at", "updatedAt", MT_TIME, MF_SERVER, 0, 0, NULL },
	{ "content_hash", "contentHash", MT_TEXT, MF_SERVER, 0, 0, NULL },
};

const struct model_entity model_skill_trees = {
	"skill_trees", "skill tree", skill_tree_fields, N(skill_tree_fields),
	0, "updated_at",
};
