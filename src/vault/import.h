/*
 * import.h - what the stages of an import share (import*.c): the run's
 * state, and each stage's entry points. vault/'s own; not for other rooms.
 */
#ifndef PASSION_VAULT_IMPORT_H
#define PASSION_VAULT_IMPORT_H

#include "model/model.h"
#include "vault/vault.h"

#define ROW_MAX		(2 * 1024 * 1024)	/* a row's JSON */
#define BATCH_ROWS	500
#define BATCH_BYTES	(4 * 1024 * 1024)
#define BATCHES		16	/* sets of columns gathered at once */
#define IDS_BATCH	5000
#define PART_SIZE	(8LL << 20)		/* blobs put in parts of */
#define ERRORS_STOP	1000	/* stop reading after this many errors */

/*
 * An id of the bundle, in 8 bytes (a million of them fit in a few MB):
 * where its text is in the map, and what it is — the user's already
 * (IDENT_DUP), another user's (IDENT_TAKEN: written with a new id, made
 * from it, imp_new_id), and a blob row's use + 1 (IDENT_USE).
 */
struct ident {
	uint32_t	 off;	/* its text: chunk << 20 | at, + 1 (0: free) */
	uint32_t	 meta;
};
#define IDENT_DUP	0x1u
#define IDENT_TAKEN	0x2u
#define IDENT_USE(i)	((long)((i)->meta >> 2))	/* use + 1, or 0 */
#define IDENT_SET_USE(i, u) ((i)->meta = ((i)->meta & 3u) | \
	((uint32_t)(u) << 2))

#define IDS_CHUNK	(1 << 20)	/* the ids' text, in blocks of */

struct idmap {
	struct ident	*slots;
	size_t		 cap, n;
	char		**text;		/* blocks of at most IDS_CHUNK */
	size_t		 ntext, used, last;	/* blocks; the last's use, size */
};

/*
 * A blob to put: a row of the metadata's "blobs" (row: its id kept
 * where it is free, its name and createdAt), or one an entity names by
 * its SHA-256 (an old app's bundle: a new id for that entity).
 */
struct use {
	const struct vault_blob	*blob;
	const struct storage_type *type;
	long			 kind, index;	/* the element it is */
	char			*eid;		/* its id (NULL: none) */
	int			 row;		/* a row of "blobs" */
	const char		*name, *created;	/* a row's */
	int			 unhashed;	/* a row without sha256 */
	int			 named;		/* entities naming a row */
	char			 uuid[37];
	const char		*key;		/* once put */
	long			 same;	/* 1 + the earlier use whose object
					   it shares, or 0 (sql/0018) */
};

/*
 * A reference to check: the kind and id it names, and where it is —
 * the naming entity's kind, field, key ("$.rewardLedger") and index in
 * it. Texts are in run's reftext; the key is kept once for a run of
 * entities, the path made again only for an error (imp_ref_path): a
 * million references kept their paths' texts, 30 MB.
 */
#define REF_NO_INDEX	UINT32_MAX	/* a singleton's: "$.settings" */
struct ref {
	int		 kind;
	uint16_t	 from, field;
	uint32_t	 id, key, index;
};

struct kind {
	const struct model_entity *m;
	int		 single;	/* skillTree, settings */
	struct idmap	 ids;
	long		 count;
	int		 has_mine;	/* a singleton the user has already */
	long		*uses;		/* use index of each element, or -1 */
	long		 nuses_cap;
};

/* Rows of one kind with the same columns (mask: m->fields[i] present). */
struct batch {
	unsigned long long	 mask;
	struct buf		 rows;	/* "[{…},{…}" */
	long			 n;
};

struct run {
	struct vault_import	*im;
	struct vault_bundle	 b;
	struct kind		*kinds;
	size_t			 nkinds;
	struct use		*uses;
	size_t			 nuses, cap_uses;
	struct ref		*refs;
	size_t			 nrefs, cap_refs;
	long			 total;
	int			 pass;		/* 1: check, 2: write */
	int			 v2;		/* producer-hub v2 metadata */
	int			 loops_library;	/* made, in this pass */
	int			 stop;		/* a limit was passed */
	int			 corrupt;	/* the metadata is not JSON */
	char			*zone;		/* settings' timeZone, to ask */
	char			 now[32];	/* the import's time */
	/*
	 * The batches being gathered (pass 2), of one kind: rows with the
	 * same columns go in one statement, so one per set of columns.
	 */
	long			 bkind;
	struct batch		 batches[BATCHES];
	int			 nbatches;
	long long		 written;
	enum db_status		 dbst;
	int64_t			 last_progress;
	struct arena		 scratch;	/* one batch's statements */
	struct idmap		 outside;	/* references out of the bundle */
	struct idmap		 reftext;	/* the references' texts */
	uint32_t		 ref_key;	/* the last key kept there */
	unsigned char		 salt[16];	/* new ids are made with */
	int			 plain;		/* the metadata, decrypted */
	struct vault_envelope_stream *env;	/* opening it, as it comes */
};

/* --- import_ids.c: ids, kinds, references, the database's view --- */

/* The map's entry for id, or NULL. */
struct ident	*imp_idmap_find(const struct idmap *m, const char *id);
/* Add id (at most 4096 bytes); NULL when it is there already. */
struct ident	*imp_idmap_add(struct idmap *m, const char *id);
/* The text of entry i. */
const char	*imp_ident_id(const struct idmap *m, const struct ident *i);
/* Text kept in m's blocks (none of its table): its handle; its text. */
uint32_t	 imp_text_keep(struct idmap *m, const char *s);
const char	*imp_text(const struct idmap *m, uint32_t handle);
void		 imp_idmap_free(struct idmap *m);
/* The kind of a bundle's key ("quests"), or -1. */
long		 imp_kind_of(const struct run *r, const char *key);
/* The kind field f names (its ref, the bundle's own ids), or -1. */
long		 imp_ref_kind(const struct run *r, const struct model_field *f);
/* Where ref is in the bundle: "$.rewardLedger[7].sourceEventId". */
const char	*imp_ref_path(struct run *r, const struct ref *ref, char *buf,
		    size_t len);
/*
 * The id an entity of kind k is written with, into out: its own, or
 * (another user's) one made from it, the same for the whole run.
 */
const char	*imp_new_id(const struct run *r, long k, const char *id,
		    char out[37]);
/*
 * Ask the database which ids are the user's (duplicates), another
 * user's (remapped), and whether references outside the bundle are the
 * user's (errors when not).
 */
enum db_status	 imp_check_db(struct run *r);

/* --- import_check.c: pass 1, each entity checked --- */

/* The field of m that names a blob of the bundle (its kind), or NULL. */
const struct model_field *imp_blob_field(const struct model_entity *m);
/* The use of element index of kind k, or -1. */
long		 imp_use_of(const struct run *r, long k, long index);
/* Check element index of kind k (at path); errors into the report. */
void		 imp_check_entity(struct run *r, long k, long index,
		    struct json_object *v, const char *path);

/* --- import_store.c: the blobs put into the store, and their rows --- */

/* Is the entity that uses u skipped (a duplicate)? */
int		 imp_use_skipped(const struct run *r, const struct use *u,
		    const char *id);
/* The id u is written with (kept, remapped or new), into u->uuid. */
void		 imp_use_id(struct run *r, struct use *u);
/* Put u's bytes at its key: 0, or -1 with im->err. */
int		 imp_put_use(struct run *r, struct use *u, unsigned char *buf);
/* Remove what was put; what cannot be removed now is queued. */
void		 imp_remove_put(struct run *r);
/* The blob rows of the uses put (one statement). */
enum db_status	 imp_insert_blobs(struct run *r);

/* --- import_write.c: pass 2, rows written in batches --- */

/* Element index of kind k as its row, into its batch. */
void		 imp_write_entity(struct run *r, long k, long index,
		    struct json_object *v);
/* Write every batch gathered (the last may still be in flight). */
enum db_status	 imp_flush(struct run *r);
/* The same, and the last batch's status read. */
enum db_status	 imp_flush_end(struct run *r);

/* --- import.c: the run --- */

/* An error at path into the report (reading stops after ERRORS_STOP). */
int		 imp_error(struct run *r, const char *path, const char *msg);
/* Tell the import's progress (at most every 250 ms unless force). */
void		 imp_progress(struct run *r, int force);

#endif
