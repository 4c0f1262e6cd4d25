/*
 * entities.c - the entities, one table of fields each. Adding a column is
 * a row here plus a migration. Limits are documented in docs/api.md.
 */
#include "config.h"

#include <string.h>

#include "model/model.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

#define NAME_MAX_	200
#define TITLE_MAX	500
#define TEXT_MAX	100000		/* descriptions and notes */
#define CONTENT_MAX	500000		/* an infobase entry */
#define TAGS_MAX	64
#define DOMAIN_MAX	100
#define XP_MAX		1000000
#define DURATION_MAX	86400		/* seconds */
#define JSON_MAX	(1024 * 1024)	/* a JSON column, bytes */
#define META_MAX	(64 * 1024)

/* The columns most entities share. */
#define ID		{ "id", "id", MT_ID, MF_CREATE_ONLY, 0, 0, NULL }
#define CREATED_AT	{ "created_at", "createdAt", MT_TIME, MF_SERVER, 0, 0, \
			    NULL }
#define UPDATED_AT	{ "updated_at", "updatedAt", MT_TIME, MF_SERVER, 0, 0, \
			    NULL }
#define CONTENT_HASH	{ "content_hash", "contentHash", MT_TEXT, MF_SERVER, \
			    0, 0, NULL }
#define DOMAIN(fl)	{ "domain_id", "domainId", MT_TEXT, (fl), 1, \
			    DOMAIN_MAX, NULL }
#define TAGS		{ "tags", "tags", MT_TAGS, MF_HASHED, 0, TAGS_MAX, NULL }
#define DESCRIPTION	{ "description", "description", MT_TEXT, MF_HASHED, 0, \
			    TEXT_MAX, NULL }
#define NAME		{ "name", "name", MT_TEXT, MF_REQUIRED | MF_HASHED, 1, \
			    NAME_MAX_, NULL }

/* What references name, for messages. */
static const char *const ref_quest[] = { "quest", NULL };
static const char *const ref_library[] = { "reference library", NULL };
static const char *const ref_audio[] = { "ready, unused audio blob", NULL };
static const char *const ref_image[] = { "ready, unused image blob", NULL };

static const char *const quest_statuses[] = { "pending", "in-progress",
	"completed", "deferred", "cancelled", NULL };
static const char *const priorities[] = { "low", "medium", "high",
	"critical", NULL };

/* --- quests ----------------------------------------------------------- */

static const struct model_field quest_fields[] = {
	ID,
	{ "title", "title", MT_TEXT, MF_REQUIRED | MF_HASHED, 1, TITLE_MAX,
	    NULL },
	DESCRIPTION,
	DOMAIN(MF_REQUIRED | MF_HASHED),
	{ "status", "status", MT_ENUM, MF_HASHED, 0, 0, quest_statuses },
	{ "priority", "priority", MT_ENUM, MF_HASHED, 0, 0, priorities },
	{ "due_date", "dueDate", MT_TIME, MF_HASHED, 0, 0, NULL },
	TAGS,
	{ "xp_value", "xpValue", MT_INT, MF_HASHED, 0, XP_MAX, NULL },
	{ "parent_id", "parentId", MT_ID, MF_HASHED | MF_REF, 0, 0,
	    ref_quest },
	CREATED_AT,
	UPDATED_AT,
	{ "completed_at", "completedAt", MT_TIME, MF_SERVER, 0, 0, NULL },
	CONTENT_HASH,
};

static const struct model_filter quest_filters[] = {
	{ "status", "status", MQ_EQ },
	{ "domainId", "domainId", MQ_EQ },
	{ "parentId", "parentId", MQ_EQ },
	{ "dueBefore", "dueDate", MQ_BEFORE },
	{ "dueAfter", "dueDate", MQ_AFTER },
	{ "tag", "tags", MQ_TAG },
};

const struct model_entity model_quests = {
	"quests", "quest", quest_fields, N(quest_fields), 0, "quest",
	"created_at", quest_filters, N(quest_filters), NULL,
	"quests",
};

/* What a schedule rule or a plan template makes quests from. */
static const struct model_field quest_template_fields[] = {
	{ "title", "title", MT_TEXT, MF_REQUIRED, 1, TITLE_MAX, NULL },
	{ "description", "description", MT_TEXT, 0, 0, TEXT_MAX, NULL },
	{ "priority", "priority", MT_ENUM, 0, 0, 0, priorities },
	{ "xp_value", "xpValue", MT_INT, 0, 0, XP_MAX, NULL },
	{ "tags", "tags", MT_TAGS, 0, 0, TAGS_MAX, NULL },
	DOMAIN(0),
};

const struct model_entity model_quest_templates = {
	NULL, "quest template", quest_template_fields,
	N(quest_template_fields), 0, NULL, NULL, NULL, 0, NULL,
	NULL,
};

/* --- schedule rules (their checks: schedule.c) ------------------------ */

static const char *const recurrences[] = { "daily", "weekly", "monthly",
	"custom", NULL };

static const struct model_field schedule_rule_fields[] = {
	ID,
	NAME,
	DESCRIPTION,
	DOMAIN(MF_REQUIRED | MF_HASHED),
	{ "enabled", "enabled", MT_BOOL, MF_HASHED, 0, 0, NULL },
	{ "recurrence", "recurrence", MT_ENUM, MF_REQUIRED | MF_HASHED, 0, 0,
	    recurrences },
	{ "days_of_week", "daysOfWeek", MT_DAYS, MF_HASHED, 0, 6, NULL },
	{ "day_of_month", "dayOfMonth", MT_INT, MF_HASHED, 1, 31, NULL },
	{ "custom_cron", "customCron", MT_TEXT, MF_HASHED, 1, 200, NULL },
	{ "quest_template", "questTemplate", MT_OBJECT,
	    MF_REQUIRED | MF_HASHED, 0, META_MAX, NULL },
	CREATED_AT,
	UPDATED_AT,
	CONTENT_HASH,
};

static const struct model_filter schedule_rule_filters[] = {
	{ "enabled", "enabled", MQ_EQ },
	{ "domainId", "domainId", MQ_EQ },
	{ "recurrence", "recurrence", MQ_EQ },
};

const struct model_entity model_schedule_rules = {
	"schedule_rules", "schedule rule", schedule_rule_fields,
	N(schedule_rule_fields), 0, "schedule_rule", "created_at",
	schedule_rule_filters, N(schedule_rule_filters), model_schedule_check,
	"scheduleRules",
};

/* --- plan templates --------------------------------------------------- */

static const char *const plan_types[] = { "day", "session", "week", NULL };

static const struct model_field plan_template_fields[] = {
	ID,
	NAME,
	DESCRIPTION,
	DOMAIN(MF_REQUIRED | MF_HASHED),
	{ "template_type", "templateType", MT_ENUM, MF_REQUIRED | MF_HASHED,
	    0, 0, plan_types },
	{ "quest_templates", "questTemplates", MT_ARRAY,
	    MF_REQUIRED | MF_HASHED, 0, JSON_MAX, NULL },
	TAGS,
	{ "estimated_duration", "estimatedDuration", MT_INT, MF_HASHED, 0,
	    10000000, NULL },
	CREATED_AT,
	UPDATED_AT,
	CONTENT_HASH,
};

static const struct model_filter plan_template_filters[] = {
	{ "templateType", "templateType", MQ_EQ },
	{ "domainId", "domainId", MQ_EQ },
	{ "tag", "tags", MQ_TAG },
};

static int
plan_template_check(struct json_object *e, struct model_error *err)
{
	return model_validate_nested(&model_quest_templates,
	    json_object_object_get(e, "questTemplates"), "questTemplates",
	    err);
}

const struct model_entity model_plan_templates = {
	"plan_templates", "plan template", plan_template_fields,
	N(plan_template_fields), 0, "plan_template", "created_at",
	plan_template_filters, N(plan_template_filters), plan_template_check,
	"planTemplates",
};

/* --- skill tree (a singleton: api/skills.c) --------------------------- */

static const struct model_field skill_tree_fields[] = {
	{ "id", "id", MT_ID, MF_SERVER, 0, 0, NULL },
	{ "version", "version", MT_INT, MF_HASHED, 1, 1000000, NULL },
	{ "nodes", "nodes", MT_OBJECT, MF_REQUIRED | MF_HASHED, 0, JSON_MAX,
	    NULL },
	{ "total_xp", "totalXp", MT_INT, MF_SERVER, 0, 2147483647, NULL },
	{ "achievements", "achievements", MT_ARRAY, MF_HASHED, 0, JSON_MAX,
	    NULL },
	UPDATED_AT,
	CONTENT_HASH,
};

const struct model_entity model_skill_trees = {
	"skill_trees", "skill tree", skill_tree_fields, N(skill_tree_fields),
	0, NULL, "updated_at", NULL, 0, NULL,
	"skillTree",
};

/* --- reward ledger and event log: append-only ------------------------- */

static const char *const reward_types[] = { "xp", "achievement", "streak",
	"milestone", NULL };

static const struct model_field reward_fields[] = {
	ID,
	DOMAIN(MF_REQUIRED),
	{ "reward_type", "type", MT_ENUM, MF_REQUIRED, 0, 0, reward_types },
	{ "amount", "amount", MT_INT, MF_REQUIRED, -XP_MAX, XP_MAX, NULL },
	{ "reason", "reason", MT_TEXT, MF_REQUIRED, 1, TITLE_MAX, NULL },
	{ "source_event_id", "sourceEventId", MT_ID, 0, 0, 0, NULL },
	{ "metadata", "metadata", MT_OBJECT, 0, 0, META_MAX, NULL },
	CREATED_AT,
};

static const struct model_filter reward_filters[] = {
	{ "type", "type", MQ_EQ },
	{ "domainId", "domainId", MQ_EQ },
};

/* XP is earned, never spent: the skill tree's total only grows. */
static int
reward_check(struct json_object *e, struct model_error *err)
{
	struct json_object	*t = json_object_object_get(e, "type");
	struct json_object	*a = json_object_object_get(e, "amount");

	if (t != NULL && strcmp(json_object_get_string(t), "xp") == 0 &&
	    json_object_get_int64(a) < 0)
		return model_fail(err, 422, "amount", "amount: an xp reward "
		    "cannot be negative");
	return 0;
}

const struct model_entity model_rewards = {
	"reward_ledger", "reward", reward_fields, N(reward_fields),
	ME_APPEND_ONLY, NULL, "created_at", reward_filters, N(reward_filters),
	reward_check,
	"rewardLedger",
};

static const struct model_field event_fields[] = {
	ID,
	{ "event_type", "eventType", MT_TEXT, MF_REQUIRED, 1, 100, NULL },
	{ "payload", "payload", MT_OBJECT, MF_REQUIRED, 0, META_MAX, NULL },
	{ "\"timestamp\"", "timestamp", MT_TIME, 0, 0, 0, NULL },
	DOMAIN(0),
	CREATED_AT,
};

static const struct model_filter event_filters[] = {
	{ "type", "eventType", MQ_EQ },
	{ "domainId", "domainId", MQ_EQ },
	{ "from", "timestamp", MQ_AFTER },
	{ "to", "timestamp", MQ_BEFORE },
};

const struct model_entity model_events = {
	"log_events", "event", event_fields, N(event_fields), ME_APPEND_ONLY, NULL,
	"\"timestamp\"", event_filters, N(event_filters), NULL,
	"logEvents",
};

/* --- focus sessions (their rules: db/focus.c) ------------------------- */

static const char *const focus_statuses[] = { "active", "completed",
	"abandoned", NULL };
static const char *const focus_modes[] = { "focus", "break", "long_break",
	NULL };

static const struct model_field focus_fields[] = {
	ID,
	{ "started_at", "startedAt", MT_TIME, MF_SERVER, 0, 0, NULL },
	{ "ended_at", "endedAt", MT_TIME, MF_SERVER, 0, 0, NULL },
	{ "planned_duration", "plannedDuration", MT_INT, 0, 1, DURATION_MAX,
	    NULL },
	{ "actual_duration", "actualDuration", MT_INT, MF_SERVER, 0,
	    100 * DURATION_MAX, NULL },
	{ "status", "status", MT_ENUM, MF_SERVER, 0, 0, focus_statuses },
	{ "mode", "mode", MT_ENUM, 0, 0, 0, focus_modes },
	{ "metadata", "metadata", MT_OBJECT, 0, 0, META_MAX, NULL },
	CREATED_AT,
};

static const struct model_filter focus_filters[] = {
	{ "status", "status", MQ_EQ },
	{ "mode", "mode", MQ_EQ },
};

const struct model_entity model_focus_sessions = {
	"focus_sessions", "focus session", focus_fields, N(focus_fields),
	0, "focus", "started_at", focus_filters, N(focus_filters), NULL,
	"focusSessions",
};

/* --- producing -------------------------------------------------------- */

static const char *const project_statuses[] = { "active", "archived",
	"completed", NULL };

static const struct model_field project_fields[] = {
	ID,
	NAME,
	DESCRIPTION,
	{ "notes", "notes", MT_TEXT, MF_HASHED, 0, TEXT_MAX, NULL },
	{ "status", "status", MT_ENUM, MF_HASHED, 0, 0, project_statuses },
	{ "starred", "starred", MT_BOOL, MF_HASHED, 0, 0, NULL },
	TAGS,
	/* A ready image blob (sql/0006_blobs.sql); null: none. */
	{ "cover_blob_id", "coverBlobId", MT_UUID, MF_HASHED | MF_REF, 0, 0,
	    ref_image },
	CREATED_AT,
	UPDATED_AT,
	CONTENT_HASH,
};

static const struct model_filter project_filters[] = {
	{ "status", "status", MQ_EQ },
	{ "starred", "starred", MQ_EQ },
	{ "tag", "tags", MQ_TAG },
};

const struct model_entity model_projects = {
	"projects", "project", project_fields, N(project_fields), 0, NULL,
	"created_at", project_filters, N(project_filters), NULL,
	"projects",
};

static const struct model_field library_fields[] = {
	ID,
	NAME,
	DESCRIPTION,
	CREATED_AT,
	UPDATED_AT,
	CONTENT_HASH,
};

const struct model_entity model_reference_libraries = {
	"reference_libraries", "reference library", library_fields,
	N(library_fields), 0, NULL, "created_at", NULL, 0, NULL,
	"referenceLibraries",
};

static const struct model_field track_fields[] = {
	ID,
	{ "library_id", "libraryId", MT_ID, MF_REQUIRED | MF_HASHED | MF_REF,
	    0, 0, ref_library },
	NAME,
	/* The audio: a ready audio blob, whose key, type and size the
	 * database copies into the row (sql/0006_blobs.sql). */
	{ "blob_id", "blobId", MT_UUID, MF_REQUIRED | MF_CREATE_ONLY |
	    MF_HASHED | MF_REF, 0, 0, ref_audio },
	{ "blob_key", "blobKey", MT_TEXT, MF_SERVER | MF_HASHED, 1, 1024,
	    NULL },
	{ "mime_type", "mimeType", MT_TEXT, MF_SERVER | MF_HASHED, 1, 100,
	    NULL },
	{ "size_bytes", "sizeBytes", MT_INT, MF_SERVER | MF_HASHED, 0,
	    5368709120LL, NULL },
	{ "duration_ms", "durationMs", MT_INT, MF_HASHED, 0, 100000000000LL,
	    NULL },
	{ "metadata", "metadata", MT_OBJECT, MF_HASHED, 0, META_MAX, NULL },
	CREATED_AT,
	UPDATED_AT,
	CONTENT_HASH,
};

const struct model_entity model_reference_tracks = {
	"reference_tracks", "reference track", track_fields, N(track_fields),
	0, NULL, "created_at", NULL, 0, NULL,
	"referenceTracks",
};

static const struct model_field infobase_fields[] = {
	ID,
	{ "title", "title", MT_TEXT, MF_REQUIRED | MF_HASHED, 1, TITLE_MAX,
	    NULL },
	{ "content", "content", MT_TEXT, MF_REQUIRED | MF_HASHED, 0,
	    CONTENT_MAX, NULL },
	{ "category", "category", MT_TEXT, MF_HASHED, 1, 100, NULL },
	TAGS,
	{ "pinned", "pinned", MT_BOOL, MF_HASHED, 0, 0, NULL },
	CREATED_AT,
	UPDATED_AT,
	CONTENT_HASH,
};

static const struct model_filter infobase_filters[] = {
	{ "category", "category", MQ_EQ },
	{ "pinned", "pinned", MQ_EQ },
	{ "tag", "tags", MQ_TAG },
};

const struct model_entity model_infobase = {
	"infobase_entries", "infobase entry", infobase_fields,
	N(infobase_fields), 0, NULL, "created_at", infobase_filters,
	N(infobase_filters), NULL,
	"infobase",
};

static const char *const lane_types[] = { "melody", "drums", "chord", NULL };

static const struct model_field lane_fields[] = {
	ID,
	NAME,
	{ "template_type", "templateType", MT_ENUM, MF_REQUIRED | MF_HASHED,
	    0, 0, lane_types },
	{ "lane_settings", "laneSettings", MT_OBJECT, MF_REQUIRED | MF_HASHED,
	    0, META_MAX, NULL },
	{ "notes", "notes", MT_ARRAY, MF_REQUIRED | MF_HASHED, 0, JSON_MAX,
	    NULL },
	{ "bpm", "bpm", MT_INT, MF_REQUIRED | MF_HASHED, 1, 999, NULL },
	{ "bars", "bars", MT_INT, MF_REQUIRED | MF_HASHED, 1, 1024, NULL },
	{ "time_signature", "timeSignature", MT_PAIR,
	    MF_REQUIRED | MF_HASHED, 1, 64, NULL },
	TAGS,
	CREATED_AT,
	UPDATED_AT,
	CONTENT_HASH,
};

static const struct model_filter lane_filters[] = {
	{ "templateType", "templateType", MQ_EQ },
	{ "tag", "tags", MQ_TAG },
};

const struct model_entity model_lane_templates = {
	"lane_templates", "lane template", lane_fields, N(lane_fields), 0, NULL,
	"created_at", lane_filters, N(lane_filters), NULL,
	"laneTemplates",
};

/* --- blobs (their rules: api/blobs.c; the bytes are in the store) ---- */

static const char *const blob_kinds[] = { "audio", "image", NULL };
static const char *const blob_states[] = { "pending", "ready", NULL };

static const struct model_field blob_fields[] = {
	{ "id", "id", MT_UUID, MF_SERVER, 0, 0, NULL },
	{ "kind", "kind", MT_ENUM, MF_REQUIRED, 0, 0, blob_kinds },
	{ "name", "name", MT_TEXT, MF_REQUIRED, 1, 255, NULL },
	{ "mime_type", "mimeType", MT_TEXT, MF_REQUIRED, 1, 100, NULL },
	{ "size_bytes", "sizeBytes", MT_INT, MF_REQUIRED, 0, 5368709120LL,
	    NULL },
	{ "sha256", "sha256", MT_TEXT, 0, 64, 64, NULL },
	{ "state", "state", MT_ENUM, MF_SERVER, 0, 0, blob_states },
	CREATED_AT,
};

static const struct model_filter blob_filters[] = {
	{ "kind", "kind", MQ_EQ },
	{ "state", "state", MQ_EQ },
};

const struct model_entity model_blobs = {
	"blobs", "blob", blob_fields, N(blob_fields), 0, NULL, "created_at",
	blob_filters, N(blob_filters), NULL,
	"blobs",
};

/* --- settings (a singleton: api/settings.c) --------------------------- */

static const char *const themes[] = { "light", "dark", "system", NULL };
static const char *const layouts[] = { "mac", "windows", NULL };

static const struct model_field settings_fields[] = {
	{ "theme", "theme", MT_ENUM, MF_HASHED, 0, 0, themes },
	{ "selected_product", "selectedProduct", MT_TEXT, MF_HASHED, 1, 100,
	    NULL },
	{ "keyboard_layout", "keyboardLayout", MT_ENUM, MF_HASHED, 0, 0,
	    layouts },
	{ "notifications_enabled", "notificationsEnabled", MT_BOOL, MF_HASHED,
	    0, 0, NULL },
	{ "focus_default_duration", "focusDefaultDuration", MT_INT, MF_HASHED,
	    1, DURATION_MAX, NULL },
	{ "focus_break_duration", "focusBreakDuration", MT_INT, MF_HASHED, 1,
	    DURATION_MAX, NULL },
	{ "focus_long_break_duration", "focusLongBreakDuration", MT_INT,
	    MF_HASHED, 1, DURATION_MAX, NULL },
	{ "settings_json", "settingsJson", MT_OBJECT, MF_HASHED, 0, META_MAX,
	    NULL },
	UPDATED_AT,
	CONTENT_HASH,
};

const struct model_entity model_settings = {
	"user_settings", "settings", settings_fields, N(settings_fields), 0, NULL,
	"updated_at", NULL, 0, model_settings_check,
	"settings",
};

const struct model_entity *const model_entities[] = {
	&model_quests, &model_schedule_rules, &model_plan_templates,
	&model_skill_trees, &model_rewards, &model_events,
	&model_focus_sessions, &model_projects, &model_reference_libraries,
	&model_reference_tracks, &model_infobase, &model_lane_templates,
	&model_settings, &model_blobs, NULL,
};
