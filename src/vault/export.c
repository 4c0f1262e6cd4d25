/*
 * export.c - everything a user owns as a v3 zip bundle (docs/vault.md):
 * vault/blobs/<sha256>.<ext> for each of the user's audio and image
 * blobs (once per content), then vault/bundle.json (the manifest, and
 * the metadata sealed under the passphrase with a fresh salt and IV,
 * 100 000 iterations). The metadata lists each blob as it is (id, name,
 * kind, type, size, sha256, createdAt; contentSha256 names its bytes in
 * the bundle) under "blobs", and a track or a project names its blob by
 * that id. libarchive writes the zip as a stream (data descriptors,
 * no seeking back) into the caller's sink, a chunk at a time: the whole
 * file is never in memory. A blob is fetched once into a temporary file
 * (its hash names its member, and so must be known before its bytes).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "model/model.h"
#include "vault/import.h"

#define CHUNK		(64 * 1024)

struct xblob {
	const char	*id, *key, *mime, *sha, *ext, *created, *kind, *name;
	const char	*known;		/* its sha256 as stored (NULL: none) */
	long long	 size;
	int		 first;		/* the first of its content: a member */
};

struct exporting {
	struct vault_export	*ex;
	struct archive		*ar;
	struct xblob		*blobs;
	int			 nblobs;
	int			 sink_failed;
	int64_t			 last_progress;
	struct idmap		 shas;	/* the contents written */
	struct idmap		 keys;	/* the objects fetched: blob + 1 */
};

/* Tell the progress, at most every 250 ms. */
static void
tell(struct exporting *x)
{
	if (x->ex->progress == NULL || time_mono_ms() - x->last_progress < 250)
		return;
	x->last_progress = time_mono_ms();
	x->ex->progress(x->ex->ud, x->ex->bytes, x->ex->entities);
}

static la_ssize_t
sink_write(struct archive *ar, void *ud, const void *p, size_t n)
{
	struct exporting	*x = ud;

	(void)ar;
	if (x->ex->write(x->ex->ud, p, n) != 0) {
		x->sink_failed = 1;
		return -1;
	}
	x->ex->bytes += (long long)n;
	tell(x);
	return (la_ssize_t)n;
}

static enum vault_error __attribute__((format(printf, 3, 4)))
failed(struct exporting *x, enum vault_error e, const char *fmt, ...)
{
	va_list	 ap;

	if (x->ex->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(x->ex->err, sizeof(x->ex->err), fmt, ap);
		va_end(ap);
	}
	return e;
}

static int
member(struct exporting *x, const char *name, long long size)
{
	struct archive_entry	*e = archive_entry_new();
	int			 rc;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, time(NULL), 0);
	rc = archive_write_header(x->ar, e);
	archive_entry_free(e);
	return rc == ARCHIVE_OK ? 0 : -1;
}

/* Fetch blob b into a temporary file, hashing it: fd, or -1. */
static int
fetch(struct exporting *x, struct xblob *b, char sha[65])
{
	struct vault_export	*ex = x->ex;
	unsigned char		 buf[CHUNK], d[32];
	unsigned int		 dl;
	long long		 got;
	EVP_MD_CTX		*md;
	ssize_t			 n;
	int			 fd;

	if ((fd = fd_temp(ex->tmpdir, "passion-export")) < 0) {
		failed(x, VAULT_UNAVAILABLE, "the temporary directory: %s",
		    strerror(errno));
		return -1;
	}
	if (storage_get_fd(ex->store, ex->net, ex->arena, b->key, fd, b->size,
	    time(NULL), &got) != STORAGE_OK || got != b->size ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		failed(x, VAULT_UNAVAILABLE, "fetching a blob: %.200s",
		    ex->store->errstr);
		close(fd);
		return -1;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("EVP_DigestInit_ex failed");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(md, buf, (size_t)n);
	EVP_DigestFinal_ex(md, d, &dl);
	EVP_MD_CTX_free(md);
	hex_lower(sha, d, sizeof(d));
	if (n < 0 || lseek(fd, 0, SEEK_SET) != 0) {
		failed(x, VAULT_UNAVAILABLE, "the temporary file: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Each blob into the zip, named by the hash of its bytes: a content
 * once (two blobs of the same bytes are one member). Every blob is
 * fetched and hashed: a stored sha256 is not taken on trust, and one
 * that does not name the blob's bytes is a warning of the export's,
 * never its failure (the bytes are exported as they are, under
 * contentSha256; sha256 says what was stored).
 */
static enum vault_error
write_blobs(struct exporting *x)
{
	unsigned char	 buf[CHUNK];
	char		 sha[65], name[128];
	ssize_t		 n;
	int		 i, fd;

	for (i = 0; i < x->nblobs; i++) {
		struct xblob *b = &x->blobs[i];
		struct ident *k = imp_idmap_add(&x->keys, b->key);

		/* An object rows share (an import's, sql/0018): fetched once. */
		fd = -1;
		if (k == NULL)
			snprintf(sha, sizeof(sha), "%s", x->blobs[IDENT_USE(
			    imp_idmap_find(&x->keys, b->key)) - 1].sha);
		else if ((fd = fetch(x, b, sha)) < 0)
			return VAULT_UNAVAILABLE;
		else
			IDENT_SET_USE(k, i + 1);
		if (b->known != NULL && strcmp(b->known, sha) != 0)
			vault_report_warn(&x->ex->report, "$.blobs", "blob %s: "
			    "its bytes are not those its sha256 names; exported "
			    "as they are (contentSha256 %s)", b->id, sha);
		b->sha = arena_strdup(x->ex->arena, sha);
		if (fd < 0 || imp_idmap_add(&x->shas, sha) == NULL) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		b->first = 1;
		snprintf(name, sizeof(name), "vault/blobs/%s.%s", sha, b->ext);
		/* Audio and images do not shrink: stored as they are. */
		archive_write_zip_set_compression_store(x->ar);
		if (member(x, name, b->size) != 0) {
			close(fd);
			return failed(x, VAULT_UNAVAILABLE, "the zip: %s",
			    archive_error_string(x->ar));
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (archive_write_data(x->ar, buf, (size_t)n) != n) {
				close(fd);
				return failed(x, VAULT_UNAVAILABLE, "writing "
				    "the zip: %.200s", x->sink_failed ? "the sink" :
				    archive_error_string(x->ar));
			}
		close(fd);
		if (n < 0)
			return failed(x, VAULT_UNAVAILABLE, "the temporary "
			    "file: %s", strerror(errno));
	}
	return VAULT_OK;
}

/* One kind's rows being written into the metadata. */
struct kind_out {
	struct exporting	*x;
	struct buf		*out;
	long			 n;
	int			 single;
};

/* A row as the bundle has it: without this server's object keys. */
static void
metadata_row(void *ud, const struct db_row *row)
{
	struct kind_out		*k = ud;
	const struct model_entity *m = row->m;
	struct json_object	*e;
	size_t			 i;

	if (k->single && k->n > 0)
		return;
	e = db_row_json(row);
	for (i = 0; i < m->nfields; i++)
		if ((m->fields[i].flags & MF_LOCAL) != 0)
			json_object_object_del(e, m->fields[i].json);
	buf_puts(k->out, k->n++ ? "," : "");
	buf_puts(k->out, json_object_to_json_string_ext(e,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(e);
	k->x->ex->entities++;
	tell(k->x);
}

/* "blobs": each of the user's blobs as it is, and its content's hash. */
static void
metadata_blobs(struct exporting *x, struct buf *out)
{
	struct json_object	*o;
	int			 i;

	buf_puts(out, ",\"blobs\":[");
	for (i = 0; i < x->nblobs; i++) {
		const struct xblob *b = &x->blobs[i];

		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(b->id));
		json_object_object_add(o, "kind",
		    json_object_new_string(b->kind));
		json_object_object_add(o, "name",
		    json_object_new_string(b->name));
		json_object_object_add(o, "mimeType",
		    json_object_new_string(b->mime));
		json_object_object_add(o, "sizeBytes",
		    json_object_new_int64(b->size));
		/* As it was (it may have none); its bytes' in the bundle. */
		json_object_object_add(o, "sha256", b->known != NULL ?
		    json_object_new_string(b->known) : NULL);
		json_object_object_add(o, "contentSha256",
		    json_object_new_string(b->sha));
		json_object_object_add(o, "createdAt",
		    json_object_new_string(b->created));
		buf_puts(out, i ? "," : "");
		buf_puts(out, json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	buf_putc(out, ']');
	vault_report_count(&x->ex->report, "blobs", "exported", x->nblobs);
}

/* The metadata's JSON text: every kind's rows, as a v3 bundle has them. */
static enum vault_error
metadata(struct exporting *x, struct buf *out)
{
	struct vault_export	*ex = x->ex;
	struct kind_out		 k;
	struct arena		 ka;
	enum db_status		 st;
	char			 now[32];
	size_t			 i;

	time_iso8601(time_wall_ms(), now, sizeof(now));
	buf_printf(out, "{\"schemaVersion\":3,\"deviceId\":\"%s\","
	    "\"updatedAt\":\"%s\"", ex->device_id, now);
	/* Before the entities: an importer knows them when they name one. */
	metadata_blobs(x, out);
	for (i = 0; model_entities[i] != NULL; i++) {
		const struct model_entity *m = model_entities[i];

		if ((m->flags & ME_OBJECTS) != 0)
			continue;
		memset(&k, 0, sizeof(k));
		k.x = x;
		k.out = out;
		k.single = (m->flags & ME_SINGLETON) != 0;
		buf_printf(out, ",\"%s\":%s", m->vault, k.single ? "" : "[");
		/* One kind's rows at a time in memory. */
		arena_init(&ka, 64 * 1024);
		st = db_vault_each(ex->db, &ka, m, ex->user_id, metadata_row,
		    &k);
		arena_cleanup(&ka);
		if (st != DB_OK)
			return failed(x, VAULT_UNAVAILABLE, "reading the rows: "
			    "%.200s", ex->db->errstr);
		if (k.single && k.n == 0)
			buf_puts(out, "null");
		buf_puts(out, k.single ? "" : "]");
		vault_report_count(&ex->report, m->vault, "exported", k.n);
	}
	buf_putc(out, '}');
	if (out->len >= out->cap - 1)
		return failed(x, VAULT_TOO_LARGE, "%s", "the metadata is larger "
		    "than an export may hold");
	return VAULT_OK;
}

/* vault/bundle.json: the manifest and the sealed metadata. */
static enum vault_error
write_bundle(struct exporting *x, const struct buf *meta)
{
	struct vault_export	*ex = x->ex;
	struct json_object	*o, *man, *list, *b;
	const char		*env, *text;
	char			 now[32];
	size_t			 len;
	int			 i;

	env = vault_envelope_seal(ex->arena, (const unsigned char *)meta->data,
	    meta->len, ex->passphrase, VAULT_ITER_WRITE);
	if (env == NULL)
		return failed(x, VAULT_UNAVAILABLE, "%s", "sealing the "
		    "metadata failed");
	time_iso8601(time_wall_ms(), now, sizeof(now));
	o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_int(3));
	json_object_object_add(o, "createdAt", json_object_new_string(now));
	json_object_object_add(o, "deviceId",
	    json_object_new_string(ex->device_id));
	json_object_object_add(o, "metadataEnvelope",
	    json_object_new_string(env));
	man = json_object_new_object();
	list = json_object_new_array();
	for (i = 0; i < x->nblobs; i++) {
		if (!x->blobs[i].first)
			continue;
		b = json_object_new_object();
		json_object_object_add(b, "id",
		    json_object_new_string(x->blobs[i].sha));
		json_object_object_add(b, "size",
		    json_object_new_int64(x->blobs[i].size));
		json_object_object_add(b, "mimeType",
		    json_object_new_string(x->blobs[i].mime));
		json_object_object_add(b, "createdAt",
		    json_object_new_string(x->blobs[i].created));
		json_object_object_add(b, "checksum",
		    json_object_new_string(x->blobs[i].sha));
		json_object_object_add(b, "contentType",
		    json_object_new_string("reference"));
		json_object_array_add(list, b);
	}
	json_object_object_add(man, "blobs", list);
	json_object_object_add(o, "manifest", man);
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN,
	    &len);
	archive_write_zip_set_compression_deflate(x->ar);
	if (member(x, "vault/bundle.json", (long long)len) != 0 ||
	    archive_write_data(x->ar, text, len) != (la_ssize_t)len) {
		json_object_put(o);
		return failed(x, VAULT_UNAVAILABLE, "writing the zip: %s",
		    x->sink_failed ? "the sink" : archive_error_string(x->ar));
	}
	json_object_put(o);
	return VAULT_OK;
}

enum vault_error
vault_export_run(struct vault_export *ex)
{
	struct exporting	 x;
	struct buf		 meta;
	struct db_blob		*bl;
	enum vault_error	 e;
	int			 i;

	memset(&x, 0, sizeof(x));
	x.ex = ex;
	ex->err[0] = '\0';
	buf_init(&meta, (size_t)ex->meta_max);
	/* One snapshot of the user's rows for the whole export. */
	if (db_tx_begin_snapshot(ex->db, ex->user_id) != DB_OK) {
		e = failed(&x, VAULT_UNAVAILABLE, "%.200s", ex->db->errstr);
		goto out;
	}
	if (db_vault_blob_list(ex->db, ex->arena, ex->user_id, &bl,
	    &x.nblobs) != DB_OK) {
		e = failed(&x, VAULT_UNAVAILABLE, "%.200s", ex->db->errstr);
		goto out;
	}
	x.blobs = arena_calloc(ex->arena, sizeof(*x.blobs) *
	    (size_t)(x.nblobs + 1));
	for (i = 0; i < x.nblobs; i++) {
		const struct storage_type *t;

		x.blobs[i].id = bl[i].id;
		x.blobs[i].key = bl[i].object_key;
		x.blobs[i].mime = bl[i].mime_type;
		x.blobs[i].size = bl[i].size;
		x.blobs[i].sha = x.blobs[i].known = bl[i].sha256;
		x.blobs[i].created = bl[i].created_at;
		x.blobs[i].kind = bl[i].kind;
		x.blobs[i].name = bl[i].name;
		t = storage_type(bl[i].kind, x.blobs[i].mime);
		x.blobs[i].ext = t != NULL ? t->ext : "bin";
	}
	x.ar = archive_write_new();
	if (x.ar == NULL)
		fatal("archive_write_new: out of memory");
	archive_write_set_format_zip(x.ar);
	archive_write_set_bytes_in_last_block(x.ar, 1);
	if (archive_write_open2(x.ar, &x, NULL, sink_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		e = failed(&x, VAULT_UNAVAILABLE, "the zip: %s",
		    archive_error_string(x.ar));
		goto out;
	}
	/* The blobs first: the metadata names them by their hashes. */
	if ((e = write_blobs(&x)) != VAULT_OK ||
	    (e = metadata(&x, &meta)) != VAULT_OK ||
	    (e = write_bundle(&x, &meta)) != VAULT_OK)
		goto out;
	if (archive_write_close(x.ar) != ARCHIVE_OK) {
		e = failed(&x, VAULT_UNAVAILABLE, "closing the zip: %s",
		    archive_error_string(x.ar));
		goto out;
	}
	if (ex->progress != NULL)
		ex->progress(ex->ud, ex->bytes, ex->entities);
	e = VAULT_OK;
out:
	db_tx_rollback(ex->db);
	if (x.ar != NULL)
		archive_write_free(x.ar);
	explicit_bzero(meta.data, meta.len);
	buf_cleanup(&meta);
	imp_idmap_free(&x.shas);
	imp_idmap_free(&x.keys);
	return e;
}
