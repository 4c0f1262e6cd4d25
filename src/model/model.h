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
	MT_TEXT,	/* a string, min..max characters */
	MT_ENUM,	/* one of values[] */
	MT_INT,		/* a whole number in min..max */
	MT_BOOL,
	MT_TIME,	/* ISO 8601 with a zone; out in UTC with ms */
	MT_TAGS,	/* an array of at most max strings (each ≤ 100 chars) */
	MT_OBJECT,	/* any JSON object, at most max bytes */
	MT_ARRAY	/* any JSON array, at most max bytes */
};

#define MF_REQUIRED	0x01	/* must be given on create */
#define MF_SERVER	0x02	/* set by the server: refused on write */
#define MF_HASHED	0x04	/* part of contentHash */
#define MF_CREATE_ONLY	0x08	/* may be given on create only (id) */
#define MF_REF		0x10	/* names another of the user's entities */

#define ME_EVENTS	0x01	/* writes append to log_events */

struct model_field {
	const char		*column;	/* SQL */
	const char		*json;		/* Vault v3 name */
	enum model_type		 type;
	unsigned		 flags;
	long long		 min, max;	/* length, range or size */
	const char *const	*values;	/* MT_ENUM, NULL-terminated */
};

struct model_entity {
	const char		*table;
	const char		*name;		/* "quest": messages, events */
	const struct model_field *fields;
	size_t			 nfields;
	unsigned		 flags;		/* ME_ */
	/*
	 * Lists run newest first on this time column, then by id, both
	 * descending; an index on (user_id, column, id) serves them.
	 */
	const char		*order;
};

/* A failed check: the field's JSON path, the message, the status. */
struct model_error {
	int	 status;	/* 422 (invalid) or 413 (too large) */
	char	 field[96];
	char	 message[256];
};

enum model_write { MODEL_CREATE, MODEL_UPDATE };

/* The entities (entities.c). */
extern const struct model_entity	model_quests;
extern const struct model_entity	model_skill_trees;

/* The field called json in m, or NULL. */
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
 * Parse an ISO 8601 date-time with a zone ("2026-01-02T12:00:00Z",
 * "…T12:00:00.5+02:00") into milliseconds since the epoch; 0 or -1.
 */
int	 model_time_parse(const char *s, int64_t *ms);

#endif
