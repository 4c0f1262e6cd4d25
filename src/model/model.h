/*
 * model.h - the entities of the data model, each described once: table,
 * columns, JSON names, types, what is required, server-owned or hashed,
 * enumerations and limits. Validation of request bodies, contentHash,
 * list cursors and times are driven from these descriptions (the SQL and
 * the routes will be too). Knows nothing of HTTP or PostgreSQL.
 */
#ifndef PASSION_MODEL_H
#define PASSION_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "util/util.h"

enum model_type {
	MT_ID,		/* entity_id: [A-Za-z0-9_.:-]{1,128} */
	MT_UUID,	/* a UUID (blobs) */
	MT_TEXT,	/* a string, min..max characters */
	MT_ENUM,	/* one of values[] */
	MT_INT,		/* a whole number in min..max */
	MT_BOOL,
	MT_TIME,	/* ISO 8601 with a zone; out in UTC with ms */
	MT_TAGS,	/* an array of at most max strings (each ≤ 100 chars) */
	MT_OBJECT,	/* any JSON object, at most max bytes */
	MT_ARRAY,	/* any JSON array, at most max bytes */
	MT_DAYS,	/* distinct whole numbers in min..max (days of week) */
	MT_PAIR		/* two whole numbers in min..max (time signature) */
};

/* Is a field of type t a JSON value in SQL (jsonb)? */
#define MODEL_TYPE_JSON(t)	((t) == MT_TAGS || (t) == MT_OBJECT || \
	(t) == MT_ARRAY || (t) == MT_DAYS || (t) == MT_PAIR)

#define MF_REQUIRED	0x01	/* must be given on create */
#define MF_SERVER	0x02	/* set by the server: refused on write */
#define MF_HASHED	0x04	/* part of contentHash */
#define MF_CREATE_ONLY	0x08	/* may be given on create only (id) */
#define MF_REF		0x10	/* names another of the user's entities, which
				 * must exist (ref: which) */
#define MF_HIDDEN	0x20	/* the server's own: never shown by the API */
#define MF_LOCAL	0x40	/* names this server's object: not exported */
#define MF_IMPORT_CREATED 0x80	/* absent from an imported row: its createdAt */
#define MF_PARENT	0x100	/* created under its parent, whose path gives
				 * it: required, but not of the body */

#define ME_APPEND_ONLY	0x01	/* no update, no delete (history) */
#define ME_SINGLETON	0x02	/* one row per user (skill tree, settings) */
#define ME_OBJECTS	0x04	/* rows of the store's objects: a bundle holds
				 * them as its blobs, not in its metadata */

/* How a list's query parameter narrows it. */
enum model_filter_op {
	MQ_EQ,		/* column = value (the field's type) */
	MQ_TAG,		/* a tags array holds value */
	MQ_BEFORE,	/* a time column <= value */
	MQ_AFTER	/* a time column >= value */
};

struct model_filter {
	const char		*param;		/* "dueBefore" */
	const char		*field;		/* JSON name: "dueDate" */
	enum model_filter_op	 op;
};

/* A failed check: the field's JSON path, the message, the status. */
struct model_error {
	int	 status;	/* 422 (invalid) or 413 (too large) */
	char	 field[96];
	char	 message[256];
};

struct model_field {
	const char		*column;	/* SQL */
	const char		*json;		/* Vault v3 name */
	enum model_type		 type;
	unsigned		 flags;
	long long		 min, max;	/* length, range or size */
	/* MT_ENUM: the values, NULL-terminated. MF_REF: values[0] says
	 * what the field names ("quest"), for messages. */
	const char *const	*values;
	/*
	 * The entity whose id this field holds (a bundle's references are
	 * remapped with it, and checked when MF_REF); NULL: none. A field
	 * naming a blob holds the kind of blob it takes ("audio").
	 */
	const struct model_entity *ref;
	const char		*blob_kind;
	/*
	 * MF_HASHED: hashed as the value of this field (by JSON name) when
	 * that is not null — a blob's id as the blob's SHA-256, so the hash
	 * is the same in every account.
	 */
	const char		*hash_as;
	/*
	 * MT_ARRAY: its elements, as a JSON Schema (docs/openapi.yaml is
	 * written with it); NULL: any value. Elements of one whose type is
	 * "object" must be objects.
	 */
	const char		*items;
	/*
	 * The column's default, as the JSON value the API shows (NULL:
	 * none): an import computes the stored row before writing it. A
	 * test holds these to the columns' (check_vault).
	 */
	const char		*dflt;
};

/*
 * A field by its members in order — column, JSON name, type, flags, min,
 * max — then its values and any more by name: F("parent_id", "parentId",
 * MT_ID, MF_REF, 0, 0, ref_quest, .ref = &model_quests).
 */
#define MODEL_FIELD(c, j, t, fl, lo, hi, ...)	{ .column = (c), \
	.json = (j), .type = (t), .flags = (fl), .min = (lo), .max = (hi), \
	.values = __VA_ARGS__ }

struct model_entity {
	const char		*table;
	const char		*name;		/* "quest": messages */
	const struct model_field *fields;
	size_t			 nfields;
	unsigned		 flags;		/* ME_ */
	/*
	 * Writes append "<event>.created" (.updated, .deleted…) to the
	 * event log in their transaction; NULL: not logged.
	 */
	const char		*event;
	/*
	 * Lists run newest first on this time column, then by id, both
	 * descending; an index on (user_id, column, id) serves them.
	 */
	const char		*order;
	const struct model_filter *filters;
	size_t			 nfilters;
	/*
	 * A rule over the whole entity as stored (fields that depend on
	 * each other), checked after each write in its transaction; NULL:
	 * none. 0, or -1 with the error.
	 */
	int			(*check)(struct json_object *entity,
				    struct model_error *e);
	/* Its key in a Vault v3 bundle and in counts ("rewardLedger"). */
	const char		*vault;
	/*
	 * What an imported row becomes before it is checked as a create is
	 * (states a bundle may hold and the server would not); NULL: as is.
	 */
	void			(*import)(struct json_object *entity);
};

/*
 * MODEL_IMPORT: a row of a Vault bundle. As a create, but members the
 * entity does not have are left to the caller (ignored, warned about),
 * and server-owned history (times, counts, states) is taken as given
 * and checked; server-owned text (contentHash, a track's blobKey) is
 * the server's own and ignored (model_import_field).
 */
enum model_write { MODEL_CREATE, MODEL_UPDATE, MODEL_IMPORT };

/* Is f's value taken from a Vault bundle's row (MODEL_IMPORT)? */
int	 model_import_field(const struct model_field *f);

/* The entities (entities.c). */
extern const struct model_entity	model_quests;
extern const struct model_entity	model_schedule_rules;
extern const struct model_entity	model_plan_templates;
extern const struct model_entity	model_skill_trees;
extern const struct model_entity	model_rewards;
extern const struct model_entity	model_events;
extern const struct model_entity	model_focus_sessions;
extern const struct model_entity	model_projects;
extern const struct model_entity	model_reference_libraries;
extern const struct model_entity	model_blobs;
extern const struct model_entity	model_reference_tracks;
extern const struct model_entity	model_infobase;
extern const struct model_entity	model_lane_templates;
extern const struct model_entity	model_settings;
/* Every entity above, NULL-terminated (counts, docs, tests). */
extern const struct model_entity *const	model_entities[];
/*
 * The server's own rows, not the user's data (no routes of their own,
 * not in a bundle): vault imports and exports (their object's key and
 * upload MF_HIDDEN).
 */
extern const struct model_entity	model_vault_imports;
extern const struct model_entity	model_vault_exports;

/* Fill e (field, printf message, status) and return -1. */
int	 model_fail(struct model_error *e, int status, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Schedule rules as a whole: recurrence fields, cron, quest template. */
int	 model_schedule_check(struct json_object *e, struct model_error *err);
/* Settings as a whole: settingsJson.timeZone is a time zone's name. */
int	 model_settings_check(struct json_object *e, struct model_error *err);

/*
 * Entity e (JSON names) as the database would hand it back once
 * written, every field of m but hidden ones: normalised as its column
 * keeps it, an absent one as its default or null (stored.c). New.
 */
struct json_object *model_as_stored(const struct model_entity *m,
		    struct json_object *e);
/*
 * A null given for a field whose column has a default (a quest's
 * status) is that default: the column takes no null (in place).
 */
void		 model_nulls_to_defaults(const struct model_entity *m,
		    struct json_object *body);
/*
 * A reference of m to its own kind (a quest's parentId) that names the
 * entity itself (id: its id; NULL: none known): -1 with e (422).
 */
int		 model_self_ref(const struct model_entity *m,
		    struct json_object *body, const char *id,
		    struct model_error *e);
/* "a" or "an", as m's name takes ("an infobase entry"). */
const char	*model_article(const struct model_entity *m);
/* The field called json in m, or NULL (MF_HIDDEN fields are not found). */
const struct model_field *model_field(const struct model_entity *m,
	    const char *json);
/*
 * Check a create or update body against m: unknown members and
 * server-owned ones are refused, required ones must be there (create),
 * each value must have its field's type and limits (null clears an
 * optional field). 0, or -1 with e naming the first bad field.
 */
int	 model_validate(const struct model_entity *m, struct json_object *body,
	    enum model_write w, struct model_error *e);
/*
 * The canonical JSON of a value: objects with their keys sorted (byte
 * order), no white space, strings as json-c writes them (UTF-8 as is,
 * "/" not escaped). Into the arena.
 */
char	*model_canonical_json(struct arena *a, struct json_object *v);
/*
 * contentHash: lowercase hex SHA-256 of the canonical JSON of an object
 * holding every MF_HASHED field of m by its JSON name, taken from entity
 * (absent → null).
 */
char	*model_content_hash(struct arena *a, const struct model_entity *m,
	    struct json_object *entity);
/* An opaque list cursor for the last row's sort key and id. */
char	*model_cursor_encode(struct arena *a, const char *key, const char *id);
/* Open a cursor; 0, or -1 when it is not one of ours. */
int	 model_cursor_decode(struct arena *a, const char *cursor,
	    const char **key, const char **id);
/*
 * A query value for filter f of m, checked against its field: 0, or -1
 * with e naming the parameter.
 */
int	 model_filter_check(const struct model_entity *m,
	    const struct model_filter *f, const char *value,
	    struct model_error *e);
/* The filter of m called param (or "updatedSince"…), or NULL. */
const struct model_filter *model_filter(const struct model_entity *m,
	    const char *param);
/*
 * Check each element of an array (or the one object) v against m as a
 * create body, naming failures from path ("questTemplates[2].title").
 */
int	 model_validate_nested(const struct model_entity *m,
	    struct json_object *v, const char *path, struct model_error *e);
/* Quest templates: the quests schedule rules and plan templates make. */
extern const struct model_entity	model_quest_templates;

/* A wall-clock time in some time zone, to the minute. */
struct model_civil {
	int	 y, mo, d, h, mi;
};

/* "YYYY-MM-DD[ HH:MI]" (or T): 0, or -1 when not a real date. */
int	 model_civil_parse(const char *s, struct model_civil *c);
/* "YYYY-MM-DD HH:MI" */
void	 model_civil_format(const struct model_civil *c, char out[20]);
void	 model_civil_add_days(struct model_civil *c, int days);
/*
 * The occurrences of schedule rule (JSON as stored) from..until, both
 * inclusive, in local time, oldest first, at most max into out: their
 * count, or -1 when the rule is not valid. daily/weekly/monthly fall at
 * 00:00; a monthly dayOfMonth past the month's end is its last day.
 */
int	 model_schedule_occurrences(struct json_object *rule,
	    const struct model_civil *from, const struct model_civil *until,
	    struct model_civil *out, int max);
/* Does s look like an IANA time zone name (Area/Location, UTC)? */
int	 model_zone_name_ok(const char *s);

/*
 * Parse an ISO 8601 date-time with a zone ("2026-01-02T12:00:00Z",
 * "…T12:00:00.5+02:00") into milliseconds since the epoch; 0 or -1.
 */
int	 model_time_parse(const char *s, int64_t *ms);

#endif
