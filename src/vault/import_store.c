/*
 * import_store.c - the blobs an import's new entities name, put into the
 * store (in parts above PART_SIZE), their rows inserted with the import,
 * and what was put removed again (or queued) when the import fails.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vault/import.h"

/* --- the store ---------------------------------------------------------- */

/* Is the entity that uses u skipped (a duplicate)? */
int
imp_use_skipped(const struct run *r, const struct use *u, const char *id)
{
	const struct kind	*kd = &r->kinds[u->kind];
	const struct ident	*i;

	if (kd->has_mine)
		return 1;
	i = id != NULL ? imp_idmap_find(&kd->ids, id) : NULL;
	return i != NULL && (i->meta & IDENT_DUP) != 0;
}

/* The id u is written with (kept, remapped or new), into u->uuid. */
void
imp_use_id(struct run *r, struct use *u)
{
	char	 made[37];

	if (u->row)
		snprintf(u->uuid, sizeof(u->uuid), "%s", imp_new_id(r, u->kind,
		    u->eid, made));
	else
		uuid_new(u->uuid);
}

/* Progress as a part of a blob goes. */
static void
part_done(void *ud, long long bytes)
{
	(void)bytes;
	imp_progress(ud, 0);
}

/* Put u's bytes at its key: 0, or -1 with im->err. */
int
imp_put_use(struct run *r, struct use *u, unsigned char *buf)
{
	struct vault_import	*im = r->im;
	const struct vault_blob	*bl = u->blob;
	struct storage_source	 src = { r->b.spill, bl->off, bl->size,
	    bl->sha, buf, PART_SIZE, part_done, r };
	const char		*key;

	key = arena_printf(im->arena, "%s/%s/%s.%s", im->user_id,
	    strcmp(u->type->kind, "audio") == 0 ? "audio" : "images", u->uuid,
	    u->type->ext);
	if (storage_put_fd(im->store, im->net, im->arena, &src, key,
	    u->type->type) != STORAGE_OK) {
		snprintf(im->err, sizeof(im->err), "the store: %.200s",
		    im->store->errstr);
		return -1;
	}
	u->key = key;
	return 0;
}

/* Remove what was put; what cannot be removed now is queued. */
void
imp_remove_put(struct run *r)
{
	struct vault_import	*im = r->im;
	const char		**keys;
	struct buf		 q;
	int			*failed;
	size_t			 i, n = 0, j;
	enum storage_status	 st;
	const char		*p[1];

	keys = calloc(r->nuses + 1, sizeof(*keys));
	failed = calloc(r->nuses + 1, sizeof(*failed));
	if (keys == NULL || failed == NULL)
		fatal("calloc: out of memory");
	buf_init(&q, 64LL * 1024 * 1024);
	for (i = 0; i < r->nuses; i += 1000) {
		n = 0;
		for (j = i; j < r->nuses && j < i + 1000; j++)
			if (r->uses[j].key != NULL && r->uses[j].same == 0)
				keys[n++] = r->uses[j].key;
		st = storage_delete_many(im->store, im->net, im->arena, keys, n,
		    failed, time(NULL));
		for (j = 0; j < n; j++)
			if (st != STORAGE_OK || failed[j]) {
				buf_puts(&q, q.len == 0 ? "[" : ",");
				buf_printf(&q, "\"%s\"", keys[j]);
			}
	}
	if (q.len > 0) {
		buf_putc(&q, ']');
		p[0] = arena_strndup(im->arena, q.data, q.len);
		db_tx_rollback(im->db);
		if (db_vault_forget_objects(im->db, im->arena, p[0]) != DB_OK)
			log_warn("vault import: %s: left for maintain's sweep",
			    im->db->errstr);
	}
	buf_cleanup(&q);
	free(keys);
	free(failed);
}

/* The blob rows of the uses put (one statement). */
enum db_status
imp_insert_blobs(struct run *r)
{
	struct vault_import	*im = r->im;
	struct json_object	*a = json_object_new_array(), *o;
	const char		*p[2];
	size_t			 i;
	long			 rows = 0;
	enum db_status		 st;

	for (i = 0; i < r->nuses; i++) {
		const struct use *u = &r->uses[i];

		if (u->key == NULL)
			continue;
		rows += u->row;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(u->uuid));
		json_object_object_add(o, "kind",
		    json_object_new_string(u->type->kind));
		/* A row's name and time as it had them; else made up. */
		json_object_object_add(o, "name", json_object_new_string(
		    u->name != NULL ? u->name : arena_printf(im->arena,
		    "%.12s.%s", u->blob->sha, u->type->ext)));
		if (u->created != NULL)
			json_object_object_add(o, "created_at",
			    json_object_new_string(u->created));
		json_object_object_add(o, "object_key",
		    json_object_new_string(u->key));
		json_object_object_add(o, "mime_type",
		    json_object_new_string(u->type->type));
		json_object_object_add(o, "size_bytes",
		    json_object_new_int64(u->blob->size));
		json_object_object_add(o, "sha256", u->unhashed ? NULL :
		    json_object_new_string(u->blob->sha));
		json_object_array_add(a, o);
	}
	p[0] = im->user_id;
	p[1] = arena_strdup(im->arena, json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	st = db_vault_blobs(im->db, im->arena, p[0], p[1]);
	if (st == DB_OK && rows > 0)
		vault_report_count(&im->report, model_blobs.vault, "imported",
		    rows);
	return st;
}
