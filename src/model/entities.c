/*
 * entities.c - the entities, one table of fields each. Adding a column is
 * a row here plus a migration. Limits are documented in docs/api.md.
 */
#include "config.h"

#include <string.h>

#include "model/model.h"

#ifdef MODEL_EXTRA_ENTITY
extern const struct model_entity MODEL_EXTRA_ENTITY;
#endif

#define N(a)	(sizeof(a) / sizeof((a)[0]))
#define F	MODEL_FIELD

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
#define ID		F("id", "id", MT_ID, MF_CREATE_ONLY, 0, 0, NULL)
#define CREATED_AT	F("created_at", "createdAt", MT_TIME, MF_SERVER, 0, 0, \
			    NULL)
#define UPDATED_AT	F("updated_at", "updatedAt", MT_TIME, \
			    MF_SERVER | MF_IMPORT_CREATED, 0, 0, NULL)
#define CONTENT_HASH	F("content_hash", "contentHash", MT_TEXT, MF_SERVER, \
			    0, 0, NULL)
#define DOMAIN(fl)	F("domain_id", "domainId", MT_TEXT, (fl), 1, \
			    DOMAIN_MAX, NULL)
#define TAGS		F("tags", "tags", MT_TAGS, MF_HASHED, 0, TAGS_MAX, NULL)
#define DESCRIPTION	F("description", "description", MT_TEXT, MF_HASHED, 0, \
			    TEXT_MAX, NULL)
#define NAME		F("name", "name", MT_TEXT, MF_REQUIRED | MF_HASHED, 1, \
			    NAME_MAX_, NULL)

/* A lane template's note, as the old app wrote it (docs/openapi.yaml). */
#define SYNC_NOTE	"{\"type\":\"object\",\"description\":\"A note of " \
	"the lane (the old app's SyncNote); other members are kept.\"," \
	"\"properties\":{\"pitch\":{\"type\":\"number\"}," \
	"\"startBeat\":{\"type\":\"number\"},\"duration\":" \
	"{\"type\":\"number\"},\"velocity\":{\"type\":\"number\"}}}"

/* What references name, for messages. */
static const char *const ref_quest[] = { "quest", NULL };
static const char *const ref_library[] = { "reference library", NULL };
static const char *const ref_audio[] = { "ready, unused audio blob", NULL };
static const char *const ref_image[] = { "ready, unused image blob", NULL };
static const char *const ref_event[] = { "event", NULL };

static const char *const quest_statuses[] = { "pending", "in-progress",
	"completed", "deferred", "cancelled", NULL };
static const char *const priorities[] = { "low", "medium", "high",
	"critical", NULL };

/* --- quests ----------------------------------------------------------- */

static const struct model_field quest_fields[] = {
	ID,
	F("title", "title", MT_TEXT, MF_REQUIRED | MF_HASHED, 1, TITLE_MAX,
	    NULL),
	DESCRIPTION,
	DOMAIN(MF_REQUIRED | MF_HASHED),
	F("status", "status", MT_ENUM, MF_HASHED, 0, 0, quest_statuses,
	    .dflt = "\"pending\""),
	F("priority", "priority", MT_ENUM, MF_HASHED, 0, 0, priorities,
	    .dflt = "\"medium\""),
	F("due_date", "dueDate", MT_TIME, MF_HASHED, 0, 0, NULL),
	TAGS,
	F("xp_value", "xpValue", MT_INT, MF_HASHED, 0, XP_MAX, NULL,
	    .dflt = "0"),
	F("parent_id", "parentId", MT_ID, MF_HASHED | MF_REF, 0, 0,
	    ref_quest, .ref = &model_quests),
	CREATED_AT,
	UPDATED_AT,
	F("completed_at", "completedAt", MT_TIME, MF_SERVER, 0, 0, NULL),
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
	.table = "quests",
	.name = "quest",
	.fields = quest_fields,
	.nfields = N(quest_fields),
	.event = "quest",
	.order = "created_at",
	.filters = quest_filters,
	.nfilters = N(quest_filters),
	.vault = "quests",
};

/* What a schedule rule or a plan template makes quests from. */
static const struct model_field quest_template_fields[] = {
	F("title", "title", MT_TEXT, MF_REQUIRED, 1, TITLE_MAX, NULL),
	F("description", "description", MT_TEXT, 0, 0, TEXT_MAX, NULL),
	F("priority", "priority", MT_ENUM, 0, 0, 0, priorities),
	F("xp_value", "xpValue", MT_INT, 0, 0, XP_MAX, NULL),
	F("tags", "tags", MT_TAGS, 0, 0, TAGS_MAX, NULL),
	DOMAIN(0),
};

const struct model_entity model_quest_templates = {
	.name = "quest template",
	.fields = quest_template_fields,
	.nfields = N(quest_template_fields),
};

/* --- schedule rules (their checks: schedule.c) ------------------------ */

static const char *const recurrences[] = { "daily", "weekly", "monthly",
	"custom", NULL };

static const struct model_field schedule_rule_fields[] = {
	ID,
	NAME,
	DESCRIPTION,
	DOMAIN(MF_REQUIRED | MF_HASHED),
	F("enabled", "enabled", MT_BOOL, MF_HASHED, 0, 0, NULL,
	    .dflt = "true"),
	F("recurrence", "recurrence", MT_ENUM, MF_REQUIRED | MF_HASHED, 0, 0,
	    recurrences),
	F("days_of_week", "daysOfWeek", MT_DAYS, MF_HASHED, 0, 6, NULL),
	F("day_of_month", "dayOfMonth", MT_INT, MF_HASHED, 1, 31, NULL),
	F("custom_cron", "customCron", MT_TEXT, MF_HASHED, 1, 200, NULL),
	F("quest_template", "questTemplate", MT_OBJECT,
	    MF_REQUIRED | MF_HASHED, 0, META_MAX, NULL),
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
	.table = "schedule_rules",
	.name = "schedule rule",
	.fields = schedule_rule_fields,
	.nfields = N(schedule_rule_fields),
	.event = "schedule_rule",
	.order = "created_at",
	.filters = schedule_rule_filters,
	.nfilters = N(schedule_rule_filters),
	.check = model_schedule_check,
	.vault = "scheduleRules",
};

/* --- plan templates --------------------------------------------------- */

static const char *const plan_types[] = { "day", "session", "week", NULL };

static const struct model_field plan_template_fields[] = {
	ID,
	NAME,
	DESCRIPTION,
	DOMAIN(MF_REQUIRED | MF_HASHED),
	F("template_type", "templateType", MT_ENUM, MF_REQUIRED | MF_HASHED,
	    0, 0, plan_types),
	F("quest_templates", "questTemplates", MT_ARRAY,
	    MF_REQUIRED | MF_HASHED, 0, JSON_MAX, NULL),
	TAGS,
	F("estimated_duration", "estimatedDuration", MT_INT, MF_HASHED, 0,
	    10000000, NULL),
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
	.table = "plan_templates",
	.name = "plan template",
	.fields = plan_template_fields,
	.nfields = N(plan_template_fields),
	.event = "plan_template",
	.order = "created_at",
	.filters = plan_template_filters,
	.nfilters = N(plan_template_filters),
	.check = plan_template_check,
	.vault = "planTemplates",
};

/* --- skill tree (a singleton: api/skills.c) --------------------------- */

static const struct model_field skill_tree_fields[] = {
	F("id", "id", MT_ID, MF_SERVER, 0, 0, NULL),
	F("version", "version", MT_INT, MF_HASHED, 1, 1000000, NULL,
	    .dflt = "1"),
	F("nodes", "nodes", MT_OBJECT, MF_REQUIRED | MF_HASHED, 0, JSON_MAX,
	    NULL),
	F("total_xp", "totalXp", MT_INT, MF_SERVER, 0, 9007199254740991LL,
	    NULL, .dflt = "0"),
	/* Whatever the client keeps: any JSON value each. */
	F("achievements", "achievements", MT_ARRAY, MF_HASHED, 0, JSON_MAX,
	    NULL, .items = "{}"),
	UPDATED_AT,
	CONTENT_HASH,
};

const struct model_entity model_skill_trees = {
	.table = "skill_trees",
	.name = "skill tree",
	.fields = skill_tree_fields,
	.nfields = N(skill_tree_fields),
	.flags = ME_SINGLETON,
	.order = "updated_at",
	.vault = "skillTree",
};

/* --- reward ledger and event log: append-only ------------------------- */

static const char *const reward_types[] = { "xp", "achievement", "streak",
	"milestone", NULL };

static const struct model_field reward_fields[] = {
	ID,
	DOMAIN(MF_REQUIRED),
	F("reward_type", "type", MT_ENUM, MF_REQUIRED, 0, 0, reward_types),
	F("amount", "amount", MT_INT, MF_REQUIRED, -XP_MAX, XP_MAX, NULL),
	F("reason", "reason", MT_TEXT, MF_REQUIRED, 1, TITLE_MAX, NULL),
	/* One of the user's events (sql/0017), remapped with it on import. */
	F("source_event_id", "sourceEventId", MT_ID, MF_REF, 0, 0, ref_event,
	    .ref = &model_events),
	F("metadata", "metadata", MT_OBJECT, 0, 0, META_MAX, NULL),
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
	.table = "reward_ledger",
	.name = "reward",
	.fields = reward_fields,
	.nfields = N(reward_fields),
	.flags = ME_APPEND_ONLY,
	.order = "created_at",
	.filters = reward_filters,
	.nfilters = N(reward_filters),
	.check = reward_check,
	.vault = "rewardLedger",
};

static const struct model_field event_fields[] = {
	ID,
	F("event_type", "eventType", MT_TEXT, MF_REQUIRED, 1, 100, NULL),
	F("payload", "payload", MT_OBJECT, MF_REQUIRED, 0, META_MAX, NULL),
	F("\"timestamp\"", "timestamp", MT_TIME, MF_IMPORT_CREATED, 0, 0,
	    NULL),
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
	.table = "log_events",
	.name = "event",
	.fields = event_fields,
	.nfields = N(event_fields),
	.flags = ME_APPEND_ONLY,
	.order = "\"timestamp\"",
	.filters = event_filters,
	.nfilters = N(event_filters),
	.vault = "logEvents",
};

/* --- focus sessions (their rules: db/focus.c) ------------------------- */

static const char *const focus_statuses[] = { "active", "completed",
	"abandoned", NULL };
static const char *const focus_modes[] = { "focus", "break", "long_break",
	NULL };

static const struct model_field focus_fields[] = {
	ID,
	F("started_at", "startedAt", MT_TIME, MF_SERVER | MF_IMPORT_CREATED,
	    0, 0, NULL),
	F("ended_at", "endedAt", MT_TIME, MF_SERVER, 0, 0, NULL),
	F("planned_duration", "plannedDuration", MT_INT, 0, 1, DURATION_MAX,
	    NULL),
	F("actual_duration", "actualDuration", MT_INT, MF_SERVER, 0,
	    100 * DURATION_MAX, NULL),
	F("status", "status", MT_ENUM, MF_SERVER, 0, 0, focus_statuses),
	F("mode", "mode", MT_ENUM, 0, 0, 0, focus_modes),
	F("metadata", "metadata", MT_OBJECT, 0, 0, META_MAX, NULL),
	CREATED_AT,
};

/*
 * A bundle's session still running when it was made has ended since;
 * one without a state is done if it has an end.
 */
static void
focus_import(struct json_object *e)
{
	struct json_object	*s;

	if (json_object_object_get_ex(e, "status", &s)) {
		if (strcmp(json_object_get_string(s), "active") == 0)
			json_object_object_add(e, "status",
			    json_object_new_string("abandoned"));
	} else
		json_object_object_add(e, "status", json_object_new_string(
		    json_object_object_get_ex(e, "endedAt", NULL) ?
		    "completed" : "abandoned"));
}

static const struct model_filter focus_filters[] = {
	{ "status", "status", MQ_EQ },
	{ "mode", "mode", MQ_EQ },
};

const struct model_entity model_focus_sessions = {
	.table = "focus_sessions",
	.name = "focus session",
	.fields = focus_fields,
	.nfields = N(focus_fields),
	.event = "focus",
	.order = "started_at",
	.filters = focus_filters,
	.nfilters = N(focus_filters),
	.vault = "focusSessions",
	.import = focus_import,
};

/* --- producing -------------------------------------------------------- */

static const char *const project_statuses[] = { "active", "archived",
	"completed", NULL };

static const struct model_field project_fields[] = {
	ID,
	NAME,
	DESCRIPTION,
	F("notes", "notes", MT_TEXT, MF_HASHED, 0, TEXT_MAX, NULL),
	F("status", "status", MT_ENUM, MF_HASHED, 0, 0, project_statuses,
	    .dflt = "\"active\""),
	F("starred", "starred", MT_BOOL, MF_HASHED, 0, 0, NULL,
	    .dflt = "false"),
	TAGS,
	/* A ready image blob (sql/0006_blobs.sql); null: none. */
	F("cover_blob_id", "coverBlobId", MT_UUID, MF_HASHED | MF_REF, 0, 0,
	    ref_image, .ref = &model_blobs, .blob_kind = "image",
	    .hash_as = "coverSha256"),
	/* The cover's SHA-256, copied by the database (sql/0008). */
	F("cover_sha256", "coverSha256", MT_TEXT, MF_SERVER, 64, 64, NULL),
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
	.table = "projects",
	.name = "project",
	.fields = project_fields,
	.nfields = N(project_fields),
	.order = "created_at",
	.filters = project_filters,
	.nfilters = N(project_filters),
	.vault = "projects",
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
	.table = "reference_libraries",
	.name = "reference library",
	.fields = library_fields,
	.nfields = N(library_fields),
	.order = "created_at",
	.vault = "referenceLibraries",
};

static const struct model_field track_fields[] = {
	ID,
	F("library_id", "libraryId", MT_ID, MF_REQUIRED | MF_HASHED | MF_REF |
	    MF_PARENT, 0, 0, ref_library, .ref = &model_reference_libraries),
	NAME,
	/* The audio: a ready audio blob, whose key, type and size the
	 * database copies into the row (sql/0006_blobs.sql). */
	F("blob_id", "blobId", MT_UUID, MF_REQUIRED | MF_CREATE_ONLY |
	    MF_HASHED | MF_REF, 0, 0, ref_audio, .ref = &model_blobs,
	    .blob_kind = "audio", .hash_as = "blobSha256"),
	F("blob_key", "blobKey", MT_TEXT, MF_SERVER | MF_LOCAL, 1, 1024, NULL),
	F("blob_sha256", "blobSha256", MT_TEXT, MF_SERVER, 64, 64, NULL),
	F("mime_type", "mimeType", MT_TEXT, MF_SERVER | MF_HASHED, 1, 100,
	    NULL),
	F("size_bytes", "sizeBytes", MT_INT, MF_SERVER | MF_HASHED, 0,
	    5368709120LL, NULL),
	F("duration_ms", "durationMs", MT_INT, MF_HASHED, 0, 100000000000LL,
	    NULL),
	F("metadata", "metadata", MT_OBJECT, MF_HASHED, 0, META_MAX, NULL),
	CREATED_AT,
	UPDATED_AT,
	CONTENT_HASH,
};

const struct model_entity model_reference_tracks = {
	.table = "reference_tracks",
	.name = "reference track",
	.fields = track_fields,
	.nfields = N(track_fields),
	.order = "created_at",
	.vault = "referenceTracks",
};

static const struct model_field infobase_fields[] = {
	ID,
	F("title", "title", MT_TEXT, MF_REQUIRED | MF_HASHED, 1, TITLE_MAX,
	    NULL),
	F("content", "content", MT_TEXT, MF_REQUIRED | MF_HASHED, 0,
	    CONTENT_MAX, NULL),
	F("category", "category", MT_TEXT, MF_HASHED, 1, 100, NULL),
	TAGS,
	F("pinned", "pinned", MT_BOOL, MF_HASHED, 0, 0, NULL,
	    .dflt = "false"),
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
	.table = "infobase_entries",
	.name = "infobase entry",
	.fields = infobase_fields,
	.nfields = N(infobase_fields),
	.order = "created_at",
	.filters = infobase_filters,
	.nfilters = N(infobase_filters),
	.vault = "infobase",
};

static const char *const lane_types[] = { "melody", "drums", "chord", NULL };

static const struct model_field lane_fields[] = {
	ID,
	NAME,
	F("template_type", "templateType", MT_ENUM, MF_REQUIRED | MF_HASHED,
	    0, 0, lane_types),
	F("lane_settings", "laneSettings", MT_OBJECT, MF_REQUIRED | MF_HASHED,
	    0, META_MAX, NULL),
	/* The old app's SyncNote: objects (other members are kept). */
	F("notes", "notes", MT_ARRAY, MF_REQUIRED | MF_HASHED, 0, JSON_MAX,
	    NULL, .items = SYNC_NOTE),
	F("bpm", "bpm", MT_INT, MF_REQUIRED | MF_HASHED, 1, 999, NULL),
	F("bars", "bars", MT_INT, MF_REQUIRED | MF_HASHED, 1, 1024, NULL),
	F("time_signature", "timeSignature", MT_PAIR,
	    MF_REQUIRED | MF_HASHED, 1, 64, NULL),
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
	.table = "lane_templates",
	.name = "lane template",
	.fields = lane_fields,
	.nfields = N(lane_fields),
	.order = "created_at",
	.filters = lane_filters,
	.nfilters = N(lane_filters),
	.vault = "laneTemplates",
};

/* --- blobs (their rules: api/blobs.c; the bytes are in the store) ---- */

static const char *const blob_kinds[] = { "audio", "image", NULL };
static const char *const blob_states[] = { "pending", "ready", NULL };

static const struct model_field blob_fields[] = {
	F("id", "id", MT_UUID, MF_SERVER, 0, 0, NULL),
	F("kind", "kind", MT_ENUM, MF_REQUIRED, 0, 0, blob_kinds),
	F("name", "name", MT_TEXT, MF_REQUIRED, 1, 255, NULL),
	F("mime_type", "mimeType", MT_TEXT, MF_REQUIRED, 1, 100, NULL),
	F("size_bytes", "sizeBytes", MT_INT, MF_REQUIRED, 0, 5368709120LL,
	    NULL),
	F("sha256", "sha256", MT_TEXT, 0, 64, 64, NULL),
	F("state", "state", MT_ENUM, MF_SERVER, 0, 0, blob_states,
	    .dflt = "\"pending\""),
	CREATED_AT,
	F("object_key", "objectKey", MT_TEXT, MF_SERVER | MF_HIDDEN, 0, 0,
	    NULL),
	F("upload_id", "uploadId", MT_TEXT, MF_SERVER | MF_HIDDEN, 0, 0,
	    NULL),
	F("part_size", "partSize", MT_INT, MF_SERVER | MF_HIDDEN, 0, 0, NULL),
};

static const struct model_filter blob_filters[] = {
	{ "kind", "kind", MQ_EQ },
	{ "state", "state", MQ_EQ },
};

const struct model_entity model_blobs = {
	.table = "blobs",
	.name = "blob",
	.fields = blob_fields,
	.nfields = N(blob_fields),
	.flags = ME_OBJECTS,
	.order = "created_at",
	.filters = blob_filters,
	.nfilters = N(blob_filters),
	.vault = "blobs",
};

/* --- settings (a singleton: api/settings.c) --------------------------- */

static const char *const themes[] = { "light", "dark", "system", NULL };
static const char *const layouts[] = { "mac", "windows", NULL };

static const struct model_field settings_fields[] = {
	F("theme", "theme", MT_ENUM, MF_HASHED, 0, 0, themes,
	    .dflt = "\"system\""),
	F("selected_product", "selectedProduct", MT_TEXT, MF_HASHED, 1, 100,
	    NULL),
	F("keyboard_layout", "keyboardLayout", MT_ENUM, MF_HASHED, 0, 0,
	    layouts, .dflt = "\"mac\""),
	F("notifications_enabled", "notificationsEnabled", MT_BOOL, MF_HASHED,
	    0, 0, NULL, .dflt = "true"),
	F("focus_default_duration", "focusDefaultDuration", MT_INT, MF_HASHED,
	    1, DURATION_MAX, NULL, .dflt = "1500"),
	F("focus_break_duration", "focusBreakDuration", MT_INT, MF_HASHED, 1,
	    DURATION_MAX, NULL, .dflt = "300"),
	F("focus_long_break_duration", "focusLongBreakDuration", MT_INT,
	    MF_HASHED, 1, DURATION_MAX, NULL, .dflt = "900"),
	F("settings_json", "settingsJson", MT_OBJECT, MF_HASHED, 0, META_MAX,
	    NULL),
	UPDATED_AT,
	CONTENT_HASH,
};

const struct model_entity model_settings = {
	.table = "user_settings",
	.name = "settings",
	.fields = settings_fields,
	.nfields = N(settings_fields),
	.flags = ME_SINGLETON,
	.order = "updated_at",
	.check = model_settings_check,
	.vault = "settings",
};

const struct model_entity *const model_entities[] = {
	&model_quests, &model_schedule_rules, &model_plan_templates,
	&model_skill_trees, &model_rewards, &model_events,
	&model_focus_sessions, &model_projects, &model_reference_libraries,
	&model_reference_tracks, &model_infobase, &model_lane_templates,
	&model_settings, &model_blobs,
#ifdef MODEL_EXTRA_ENTITY
	/* A test's own (tests/integration/check_entity.c). */
	&MODEL_EXTRA_ENTITY,
#endif
	NULL,
};

/* --- the server's own rows: vault imports and exports (docs/vault.md) */

static const char *const import_states[] = { "uploading", "queued",
	"running", "done", "failed", NULL };
static const char *const export_states[] = { "queued", "running", "done",
	"failed", NULL };

#define SERVER_INT(c, j)	F(c, j, MT_INT, MF_SERVER, 0, 0, NULL)
#define SERVER_TEXT(c, j)	F(c, j, MT_TEXT, MF_SERVER, 0, 0, NULL)
#define SERVER_TIME(c, j)	F(c, j, MT_TIME, MF_SERVER, 0, 0, NULL)
#define SERVER_HIDDEN(c, j)	F(c, j, MT_TEXT, MF_SERVER | MF_HIDDEN, 0, 0, \
				    NULL)

/* What an import's and an export's rows share, in this order. */
#define VAULT_JOB(states) \
	F("state", "state", MT_ENUM, MF_SERVER, 0, 0, states), \
	SERVER_INT("size_bytes", "sizeBytes"), \
	SERVER_INT("bytes_done", "bytesDone"), \
	SERVER_INT("entities_done", "entitiesDone"), \
	F("result", "result", MT_OBJECT, MF_SERVER, 0, 0, NULL), \
	SERVER_TEXT("error_code", "errorCode"), \
	SERVER_TEXT("error", "error"), \
	SERVER_TIME("created_at", "createdAt"), \
	SERVER_TIME("started_at", "startedAt"), \
	SERVER_TIME("finished_at", "finishedAt"), \
	SERVER_HIDDEN("object_key", "objectKey")

static const struct model_field vault_import_fields[] = {
	F("id", "id", MT_UUID, MF_SERVER, 0, 0, NULL),
	SERVER_TEXT("name", "name"),
	VAULT_JOB(import_states),
};

const struct model_entity model_vault_imports = {
	.table = "vault_imports",
	.name = "import",
	.fields = vault_import_fields,
	.nfields = N(vault_import_fields),
	.order = "created_at",
};

static const struct model_field vault_export_fields[] = {
	F("id", "id", MT_UUID, MF_SERVER, 0, 0, NULL),
	VAULT_JOB(export_states),
	SERVER_HIDDEN("upload_id", "uploadId"),
};

const struct model_entity model_vault_exports = {
	.table = "vault_exports",
	.name = "export",
	.fields = vault_export_fields,
	.nfields = N(vault_export_fields),
	.order = "created_at",
};
