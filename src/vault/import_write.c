/*
 * import_write.c - pass 2 of an import: each entity as its row (new ids,
 * references remapped, the blob's new id, the description's import
 * defaults), gathered by set of columns into batches of one statement.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vault/import.h"

/* --- pass 2: write ---------------------------------------------------- */

/* Write batch b (of kind r->bkind) and empty it. */
static enum db_status
flush_one(struct run *r, struct batch *b)
{
	struct vault_import	*im = r->im;
	const struct model_entity *m;
	struct buf		 cols;
	size_t			 i;
	long			 n = 0;

	if (b->n == 0 || r->dbst != DB_OK)
		return r->dbst;
	m = r->kinds[r->bkind].m;
	buf_init(&cols, 64 * 1024);
	for (i = 0; i < m->nfields; i++)
		if ((b->mask & (1ULL << i)) != 0)
			buf_printf(&cols, "%s%s", cols.len ? ", " : "",
			    m->fields[i].column);
	buf_putc(&b->rows, ']');
	/* Sent, not waited for: its rows are all written, or the import
	 * fails (the status of the one before comes back here). */
	r->dbst = db_vault_insert(im->db, &r->scratch, m, im->user_id,
	    arena_strndup(&r->scratch, cols.data, cols.len),
	    arena_strndup(&r->scratch, b->rows.data, b->rows.len));
	buf_cleanup(&cols);
	n = b->n;
	r->written += n;
	vault_report_count(&im->report, m->vault, "imported", n);
	b->rows.len = 0;
	b->n = 0;
	arena_reset(&r->scratch);
	return r->dbst;
}

/* Write every batch gathered. */
enum db_status
imp_flush(struct run *r)
{
	int	 i;

	for (i = 0; i < r->nbatches; i++)
		flush_one(r, &r->batches[i]);
	r->nbatches = 0;
	return r->dbst;
}

/* Every batch gathered written, and the last one's status read. */
enum db_status
imp_flush_end(struct run *r)
{
	if (imp_flush(r) == DB_OK)
		r->dbst = db_vault_insert_wait(r->im->db);
	return r->dbst;
}

/* The batch for rows of kind k with columns mask (others flushed). */
static struct batch *
batch_for(struct run *r, long k, unsigned long long mask)
{
	struct batch	*b;
	int		 i, big = 0;

	if (r->nbatches > 0 && r->bkind != k)
		imp_flush(r);
	r->bkind = k;
	for (i = 0; i < r->nbatches; i++)
		if (r->batches[i].mask == mask)
			break;
	if (i == r->nbatches) {
		if (r->nbatches == BATCHES) {
			/* Full: the largest goes, its place is reused. */
			for (i = 1; i < BATCHES; i++)
				if (r->batches[i].n > r->batches[big].n)
					big = i;
			flush_one(r, &r->batches[big]);
			i = big;
		} else
			r->nbatches++;
		r->batches[i].mask = mask;
		if (r->batches[i].rows.cap == 0)
			buf_init(&r->batches[i].rows, 256LL * 1024 * 1024);
	}
	b = &r->batches[i];
	if (b->n >= BATCH_ROWS || b->rows.len >= BATCH_BYTES)
		flush_one(r, b);
	return b;
}

/*
 * The contentHash of entity v of m (JSON names) once stored, computed
 * as the API computes it (model_content_hash) from the row the database
 * will hold (model_as_stored: defaults, normalised values), with what
 * its blob gives it as the trigger of sql/0006 and 0008 copies it: its
 * server fields mimeType and sizeBytes (a track's) are the blob's, and
 * its hash_as field the blob's sha256. NULL
 * when m has no hash. In the scratch arena.
 */
static const char *
row_hash(struct run *r, const struct model_entity *m, const struct use *u,
    struct json_object *v)
{
	const struct model_field *bf = imp_blob_field(m);
	struct json_object	*st;
	const char		*h;
	size_t			 i;

	if (model_field(m, "contentHash") == NULL)
		return NULL;
	if (bf != NULL && u != NULL) {
		for (i = 0; i < m->nfields; i++) {
			const struct model_field *f = &m->fields[i];

			if ((f->flags & MF_SERVER) == 0)
				continue;
			if (strcmp(f->json, "mimeType") == 0)
				json_object_object_add(v, f->json,
				    json_object_new_string(u->type->type));
			else if (strcmp(f->json, "sizeBytes") == 0)
				json_object_object_add(v, f->json,
				    json_object_new_int64(u->blob->size));
		}
		if (bf->hash_as != NULL)
			json_object_object_add(v, bf->hash_as, u->unhashed ? NULL :
			    json_object_new_string(u->blob->sha));
	}
	st = model_as_stored(m, v);
	h = model_content_hash(&r->scratch, m, st);
	json_object_put(st);
	return h;
}

/* Times the database wants and the bundle may lack: its createdAt. */
static void
fill_times(const struct run *r, const struct model_entity *m,
    struct json_object *v)
{
	struct json_object	*o;
	const char		*created;
	size_t			 i;

	created = json_object_object_get_ex(v, "createdAt", &o) && o != NULL ?
	    json_object_get_string(o) : r->now;
	if (model_field(m, "createdAt") != NULL && o == NULL)
		json_object_object_add(v, "createdAt",
		    json_object_new_string(created));
	for (i = 0; i < m->nfields; i++)
		if ((m->fields[i].flags & MF_IMPORT_CREATED) != 0 &&
		    (!json_object_object_get_ex(v, m->fields[i].json, &o) ||
		    o == NULL))
			json_object_object_add(v, m->fields[i].json,
			    json_object_new_string(created));
}

void
imp_write_entity(struct run *r, long k, long index, struct json_object *v)
{
	const struct model_entity	*m = r->kinds[k].m;
	struct json_object		*o, *row;
	const struct ident		*id = NULL;
	const struct model_field	*bf = imp_blob_field(m);
	struct batch			*b;
	const char			*hash;
	char				 made[37];
	unsigned long long		 mask = 0;
	size_t				 i;
	long				 to, u = -1;

	/* Blobs' rows are written with their objects (import_store.c). */
	if (r->kinds[k].has_mine || m == &model_blobs)
		return;
	if (json_object_object_get_ex(v, "id", &o) && o != NULL &&
	    (id = imp_idmap_find(&r->kinds[k].ids, json_object_get_string(o))) !=
	    NULL && (id->meta & IDENT_DUP) != 0)
		return;
	/* What the bundle's row becomes: new ids, the blob's row. */
	if (id != NULL && (id->meta & IDENT_TAKEN) != 0)
		json_object_object_add(v, "id", json_object_new_string(
		    imp_new_id(r, k, json_object_get_string(o), made)));
	if (model_field(m, "id") != NULL && (!json_object_object_get_ex(v,
	    "id", &o) || o == NULL)) {
		char	 uuid[37];

		/* No id in the bundle: one is made, as the API would. */
		uuid_new(uuid);
		json_object_object_add(v, "id", json_object_new_string(uuid));
	}
	for (i = 0; i < m->nfields; i++)
		if ((to = imp_ref_kind(r, &m->fields[i])) >= 0 &&
		    json_object_object_get_ex(v, m->fields[i].json, &o) &&
		    o != NULL)
			json_object_object_add(v, m->fields[i].json,
			    json_object_new_string(imp_new_id(r, to,
			    json_object_get_string(o), made)));
	if (bf != NULL && (u = imp_use_of(r, k, index)) >= 0)
		json_object_object_add(v, bf->json, json_object_new_string(
		    r->uses[u].uuid));
	else
		u = -1;
	if (m->import != NULL)
		m->import(v);
	fill_times(r, m, v);
	/* Its contentHash now, from the row as it will be stored. */
	hash = row_hash(r, m, u >= 0 ? &r->uses[u] : NULL, v);
	/* The row by column name; absent and null fields left to defaults. */
	row = json_object_new_object();
	for (i = 0; i < m->nfields; i++) {
		const struct model_field *f = &m->fields[i];
		char	 col[64];

		if (hash != NULL && strcmp(f->json, "contentHash") == 0) {
			json_object_object_add(row, "content_hash",
			    json_object_new_string(hash));
			mask |= 1ULL << i;
			continue;
		}
		if (!model_import_field(f) || !json_object_object_get_ex(v,
		    f->json, &o) || o == NULL)
			continue;
		snprintf(col, sizeof(col), "%s", f->column[0] == '"' ?
		    f->column + 1 : f->column);
		col[strcspn(col, "\"")] = '\0';
		json_object_object_add(row, col, json_object_get(o));
		mask |= 1ULL << i;
	}
	b = batch_for(r, k, mask);
	buf_puts(&b->rows, b->n++ == 0 ? "[" : ",");
	buf_puts(&b->rows, json_object_to_json_string_ext(row,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(row);
}
