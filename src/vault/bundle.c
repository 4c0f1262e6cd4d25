/*
 * bundle.c - a bundle file read once, in either layout: the single JSON
 * file (*.vault: blobs inline as base64) or the zip (*.vault.zip:
 * vault/bundle.json and vault/blobs/<sha256>.<ext>, read with
 * libarchive one member at a time). What is kept: the envelope's text,
 * the manifest, and each blob's bytes spilled to an unlinked file under
 * the configured directory, its SHA-256 checked against its id on the
 * way. Memory stays bounded by one blob (its base64, in the JSON layout)
 * plus the metadata, whatever the bundle's size.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "vault/import.h"

#define B64_CHUNK	(64 * 1024)	/* base64 decoded this much at once */
#define NAME_MAX_ZIP	1024		/* a member's name, bytes */
#define MEMBERS_SLACK	16		/* members past one per entity */
#define DATA_CHUNK	(64 * 1024)
#define RATIO_SLACK	(1LL << 20)	/* a small zip may unpack this much */
#define BUNDLE_JSON	"vault/bundle.json"
#define BLOBS_DIR	"vault/blobs/"
#define MANIFEST_MAX	100000		/* manifest.blobs entries */
#define MIME_MAX	255		/* an entry's mimeType, bytes */
#define NODES_MAX	256		/* values of one built value */

struct reading {
	struct vault_bundle	*b;
	const struct vault_limits *lim;
	struct vault_report	*rep;
	enum vault_error	 fail;		/* the first failure */
	unsigned		 seen;		/* top-level members met */
};

static int
is_sha(const char *s, size_t n)
{
	return n == 64 && strspn(s, "0123456789abcdef") == 64;
}

static enum vault_error __attribute__((format(printf, 4, 5)))
failed(struct reading *r, enum vault_error e, const char *path,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vault_report_error(r->rep, path, "%s", msg);
	if (r->fail == VAULT_OK)
		r->fail = e;
	if (e == VAULT_TOO_LARGE)
		r->rep->too_large = 1;
	return e;
}

/* Write n bytes to the spill file, adding to its length. */
static int
spill(struct reading *r, const void *p, size_t n)
{
	if (fd_write_all(r->b->spill, p, n) != 0) {
		failed(r, VAULT_UNAVAILABLE, "$", "cannot spill a blob to the "
		    "temporary directory: %s", strerror(errno));
		return -1;
	}
	r->b->spilled += (long long)n;
	return 0;
}

/* A blob about to be spilled: its row. */
static struct vault_blob *
blob_begin(struct reading *r, const char *sha)
{
	struct vault_bundle	*b = r->b;
	struct vault_blob	*v;

	/* One id twice is found once they are sorted (vault_bundle_read). */
	if (b->nblobs == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->blobs = realloc(b->blobs, b->cap * sizeof(*b->blobs));
		if (b->blobs == NULL)
			fatal("realloc: out of memory");
	}
	v = &b->blobs[b->nblobs++];
	memset(v, 0, sizeof(*v));
	snprintf(v->sha, sizeof(v->sha), "%s", sha);
	v->off = b->spilled;
	return v;
}

/* The blob's bytes are all there: its hash must be its id. */
static int
blob_end(struct reading *r, struct vault_blob *v, EVP_MD_CTX *md,
    const char *path)
{
	unsigned char		 d[32];
	char			 got[65];
	unsigned int		 dl = 0;

	v->size = r->b->spilled - v->off;
	EVP_DigestFinal_ex(md, d, &dl);
	hex_lower(got, d, sizeof(d));
	if (strcmp(got, v->sha) != 0) {
		vault_report_error(r->rep, path, "the bytes of blob %s have "
		    "SHA-256 %s: a blob's id is the hash of its bytes", v->sha,
		    got);
		if (r->fail == VAULT_OK)
			r->fail = VAULT_INVALID;
		return -1;
	}
	return 0;
}

static long long
blob_max(const struct vault_limits *lim)
{
	long long	 m = lim->audio_max > lim->image_max ? lim->audio_max :
	    lim->image_max;

	return m < STORAGE_OBJECT_MAX ? m : STORAGE_OBJECT_MAX;
}

/* A blob inline (the JSON layout): base64 decoded a chunk at a time. */
static int
inline_blob(struct reading *r, const char *sha, const char *s, size_t n)
{
	unsigned char		*out;
	struct vault_blob	*v;
	EVP_MD_CTX		*md;
	char			 path[96];
	size_t			 at, len, got;
	int			 rc = -1;

	snprintf(path, sizeof(path), "$.blobs.%.64s", sha);
	if (!is_sha(sha, strlen(sha))) {
		failed(r, VAULT_CORRUPT, "$.blobs", "%s: a blob's id is the "
		    "SHA-256 of its bytes in lowercase hex", sha);
		return -1;
	}
	if ((long long)(n / 4 * 3) > blob_max(r->lim) + 3) {
		failed(r, VAULT_TOO_LARGE, path, "blob %s is larger than a "
		    "blob may be", sha);
		return -1;
	}
	v = blob_begin(r, sha);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("EVP_DigestInit_ex failed");
	out = malloc(B64_CHUNK / 4 * 3);
	if (out == NULL)
		fatal("malloc: out of memory");
	for (at = 0; at < n; at += len) {
		len = n - at < B64_CHUNK ? n - at : B64_CHUNK;
		/* Padding only at the very end. */
		if (vault_b64_decode_into(s + at, len, out, &got) != 0 ||
		    (at + len < n && got != len / 4 * 3)) {
			failed(r, VAULT_CORRUPT, path, "blob %s is not "
			    "base64", sha);
			goto out;
		}
		EVP_DigestUpdate(md, out, got);
		if (spill(r, out, got) != 0)
			goto out;
	}
	rc = blob_end(r, v, md, path);
out:
	free(out);
	EVP_MD_CTX_free(md);
	return rc;
}

static const char *const members[] = { "version", "createdAt", "deviceId",
	"metadataEnvelope", "manifest", "blobs" };

static enum vault_json_take
on_member(void *ud, const char *key)
{
	struct reading	*r = ud;
	size_t		 i;

	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (strcmp(key, members[i]) == 0)
			break;
	if (i == sizeof(members) / sizeof(members[0])) {
		vault_report_warn(r->rep, "$", "%s: not a member of a bundle; "
		    "ignored", key);
		return VJ_SKIP;
	}
	if ((r->seen & (1u << i)) != 0) {
		failed(r, VAULT_CORRUPT, "$", "%s: given twice", key);
		return VJ_SKIP;
	}
	r->seen |= 1u << i;
	/* The envelope, the largest part, streamed to its reader. */
	if (strcmp(key, "metadataEnvelope") == 0 && r->b->on_envelope != NULL)
		return VJ_STREAM;
	/* The manifest's entries one by one (a few bytes each, kept). */
	if (strcmp(key, "manifest") == 0)
		return VJ_EACH_IN;
	return strcmp(key, "blobs") == 0 ? VJ_EACH : VJ_VALUE;
}

/*
 * manifest.blobs[index]: its shape and checksum now, what it says of
 * the blob (size, type) kept for apply_manifest, when every blob is
 * known. At most MANIFEST_MAX, refused as too large before the next.
 */
static int
manifest_entry(struct reading *r, long index, struct json_object *o)
{
	struct vault_manifest	*e;
	struct json_object	*v;
	const char		*id, *ck;
	char			 path[64];

	snprintf(path, sizeof(path), "$.manifest.blobs[%ld]", index);
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "id", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		failed(r, VAULT_INVALID, path, "%s", "an object with the "
		    "blob's id");
		return -1;
	}
	id = json_object_get_string(v);
	if (json_object_object_get_ex(o, "checksum", &v) &&
	    (ck = json_object_get_string(v)) != NULL && strcmp(ck, id) != 0) {
		failed(r, VAULT_INVALID, path, "%s", "checksum: must be the "
		    "blob's id (its SHA-256)");
		return -1;
	}
	if (strlen(id) >= sizeof(e->id)) {
		vault_report_warn(r->rep, path, "blob %s is not in the bundle",
		    id);
		return 0;
	}
	if (r->b->nmanifest == MANIFEST_MAX) {
		failed(r, VAULT_TOO_LARGE, "$.manifest.blobs", "more than %d "
		    "entries", MANIFEST_MAX);
		return -1;
	}
	if (r->b->nmanifest == r->b->manifest_cap) {
		r->b->manifest_cap = r->b->manifest_cap ? r->b->manifest_cap *
		    2 : 64;
		r->b->manifest = reallocarray(r->b->manifest,
		    r->b->manifest_cap, sizeof(*r->b->manifest));
		if (r->b->manifest == NULL)
			fatal("reallocarray: out of memory");
	}
	e = &r->b->manifest[r->b->nmanifest++];
	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->index = index;
	if (json_object_object_get_ex(o, "size", &v)) {
		e->has_size = 1;
		e->size = json_object_get_int64(v);
	}
	if (json_object_object_get_ex(o, "mimeType", &v) &&
	    json_object_is_type(v, json_type_string)) {
		if (json_object_get_string_len(v) > MIME_MAX) {
			failed(r, VAULT_INVALID, path, "mimeType: at most %d "
			    "bytes", MIME_MAX);
			return -1;
		}
		if ((e->mime = strdup(json_object_get_string(v))) == NULL)
			fatal("strdup: out of memory");
	}
	return 0;
}

static int
on_value(void *ud, const char *key, long index, const char *name,
    struct json_object *v)
{
	struct reading		*r = ud;

	if (r->fail != VAULT_OK)
		return -1;
	if (strcmp(key, "version") == 0) {
		if (!json_object_is_type(v, json_type_int) ||
		    (json_object_get_int64(v) != 2 &&
		    json_object_get_int64(v) != 3)) {
			failed(r, VAULT_UNSUPPORTED, "$.version", "%s",
			    "version: this server reads bundles of version 2 "
			    "and 3");
			return -1;
		}
		r->b->version = (long)json_object_get_int64(v);
	} else if (strcmp(key, "manifest") == 0) {
		if (name == NULL || strcmp(name, "blobs") != 0)
			return 0;
		if (index >= 0)
			return manifest_entry(r, index, v);
		failed(r, VAULT_CORRUPT, "$.manifest", "%s", "manifest: an "
		    "object with a \"blobs\" array");
		return -1;
	} else if (strcmp(key, "blobs") == 0) {
		failed(r, VAULT_CORRUPT, "$.blobs", "%s", "blobs: each member "
		    "is the base64 of a blob's bytes");
		return -1;
	} else if (strcmp(key, "metadataEnvelope") == 0) {
		failed(r, VAULT_CORRUPT, "$.metadataEnvelope", "%s",
		    "metadataEnvelope: the envelope's JSON as a string");
		return -1;
	}
	return 0;
}

static int
on_string(void *ud, const char *key, const char *name, const char *s,
    size_t len)
{
	struct reading	*r = ud;

	if (r->fail != VAULT_OK)
		return -1;
	if (strcmp(key, "blobs") == 0)
		return inline_blob(r, name != NULL ? name : "", s, len);
	if (strcmp(key, "metadataEnvelope") == 0) {
		free(r->b->envelope);
		r->b->envelope = malloc(len + 1);
		if (r->b->envelope == NULL)
			fatal("malloc: out of memory");
		memcpy(r->b->envelope, s, len);
		r->b->envelope[len] = '\0';
		r->b->envelope_len = len;
		return 0;
	}
	/* createdAt, deviceId: informative. */
	return 0;
}

/* A piece of the streamed envelope (p NULL: its end), to its reader. */
static int
on_chunk(void *ud, const char *key, const char *p, size_t n)
{
	struct reading	*r = ud;
	enum vault_error e;

	(void)key;
	if (r->fail != VAULT_OK)
		return -1;
	e = r->b->on_envelope(r->b->ud, p, n);
	if (p == NULL)
		r->b->envelope_seen = 1;
	if (e != VAULT_OK)
		r->fail = e;	/* the callback said why */
	return e == VAULT_OK ? 0 : -1;
}

static int
on_progress(void *ud)
{
	struct reading	*r = ud;

	if (r->b->progress != NULL)
		r->b->progress(r->b->ud, r->b->read);
	return r->fail != VAULT_OK ? -1 : 0;
}

/* The bundle's JSON (fd, or mem), read. */
static void
read_json(struct reading *r, int fd, const char *mem, size_t len)
{
	struct vault_json_reader	 jr;
	char				 err[256];
	int				 rc;

	memset(&jr, 0, sizeof(jr));
	jr.member = on_member;
	jr.value = on_value;
	jr.string = on_string;
	jr.chunk = on_chunk;
	jr.progress = on_progress;
	jr.ud = r;
	jr.max_depth = r->lim->depth_max;
	/* Every value built here is small (a manifest entry the largest). */
	jr.max_nodes = NODES_MAX;
	rc = vault_json_parse(&jr, fd, mem, len, fd >= 0 ? &r->b->read : NULL,
	    err, sizeof(err));
	if (rc != 0 && r->fail == VAULT_OK)
		failed(r, rc == -2 ? VAULT_TOO_LARGE : VAULT_CORRUPT, "$",
		    "the bundle: %s", err);
}

/* Is a member's name one that could land outside where it is read? */
static int
unsafe_name(const char *n)
{
	const char	*p;

	if (*n == '/' || *n == '\\' || strchr(n, '\\') != NULL ||
	    (n[0] != '\0' && n[1] == ':'))
		return 1;
	for (p = n; p != NULL; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return 1;
	}
	return 0;
}

/*
 * Read the current member's data: a blob spilled (v), or bundle.json into
 * its own file (jfd), so that neither is ever whole in memory.
 */
static int
zip_data(struct reading *r, struct archive *ar, const char *name,
    long long *unpacked, long long unpack_max, struct vault_blob *v,
    int jfd)
{
	char		*buf = malloc(DATA_CHUNK);
	EVP_MD_CTX	*md = NULL;
	la_ssize_t	 n;
	int		 rc = -1;

	if (buf == NULL)
		fatal("malloc: out of memory");
	if (v != NULL && ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1))
		fatal("EVP_DigestInit_ex failed");
	for (;;) {
		n = archive_read_data(ar, buf, DATA_CHUNK);
		if (n == 0)
			break;
		if (n < 0) {
			failed(r, VAULT_CORRUPT, name, "%s", archive_error_string(
			    ar) ? archive_error_string(ar) : "unreadable");
			goto out;
		}
		*unpacked += n;
		if (*unpacked > unpack_max) {
			failed(r, VAULT_TOO_LARGE, name, "%s", "the zip unpacks "
			    "to more than the limit allows for its size (a zip "
			    "bomb?)");
			goto out;
		}
		if (v != NULL) {
			if (r->b->spilled - v->off + n > blob_max(r->lim)) {
				failed(r, VAULT_TOO_LARGE, name, "%s", "larger "
				    "than a blob may be");
				goto out;
			}
			EVP_DigestUpdate(md, buf, (size_t)n);
			if (spill(r, buf, (size_t)n) != 0)
				goto out;
		} else if (fd_write_all(jfd, buf, (size_t)n) != 0) {
			failed(r, VAULT_UNAVAILABLE, name, "the temporary "
			    "directory: %s", strerror(errno));
			goto out;
		}
		r->b->read = archive_filter_bytes(ar, -1);
		on_progress(r);
	}
	rc = v != NULL ? blob_end(r, v, md, name) : 0;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

/*
 * A zip bundle, a member at a time as libarchive streams it. Long (about
 * 95 lines): each member's rules (a blob, bundle.json, what is refused)
 * side by side in one loop, since they share the reader's state.
 */
static void
read_zip(struct reading *r, int fd, long long size)
{
	struct archive		*ar = archive_read_new();
	struct archive_entry	*e;
	struct vault_blob	*v;
	struct idmap		 names;
	char			 sha[65];
	const char		*name, *base, *dot;
	long long		 unpacked = 0, unpack_max;
	int			 rc, have_json = 0, jfd = -1;

	memset(&names, 0, sizeof(names));
	unpack_max = size * r->lim->ratio_max + RATIO_SLACK;
	if (unpack_max > r->lim->bundle_max)
		unpack_max = r->lim->bundle_max;
	if (ar == NULL)
		fatal("archive_read_new: out of memory");
	archive_read_support_format_zip(ar);
	if (archive_read_open_fd(ar, fd, DATA_CHUNK) != ARCHIVE_OK) {
		failed(r, VAULT_CORRUPT, "$", "not a zip: %s",
		    archive_error_string(ar));
		goto out;
	}
	while (r->fail == VAULT_OK &&
	    (rc = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		if (name == NULL || *name == '\0' || unsafe_name(name)) {
			failed(r, VAULT_CORRUPT, "$", "a member's name leads "
			    "outside the bundle: %s", name ? name : "(none)");
			break;
		}
		/* Each name once (a hash set: a name checked against every
		 * earlier one was quadratic), and no more members than a
		 * bundle of vault_entities_max entities can have. */
		if (strlen(name) > NAME_MAX_ZIP) {
			failed(r, VAULT_CORRUPT, "$", "a member's name is longer "
			    "than %d bytes", NAME_MAX_ZIP);
			break;
		}
		if (names.n >= (size_t)r->lim->entities_max + MEMBERS_SLACK) {
			failed(r, VAULT_TOO_LARGE, "$", "the zip has more than "
			    "%ld members, more than a bundle of this server's "
			    "entity limit can", r->lim->entities_max +
			    MEMBERS_SLACK);
			break;
		}
		if (imp_idmap_add(&names, name) == NULL) {
			failed(r, VAULT_CORRUPT, name, "%s", "the zip has two "
			    "members of this name");
			break;
		}
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		if (archive_entry_filetype(e) != AE_IFREG) {
			failed(r, VAULT_CORRUPT, name, "%s", "a member that is "
			    "not a file (a link?)");
			break;
		}
		if (strcmp(name, BUNDLE_JSON) == 0) {
			if ((jfd < 0 && (jfd = fd_temp(r->lim->tmpdir,
			    "passion-bundle-json")) < 0) || zip_data(r, ar, name,
			    &unpacked, unpack_max, NULL, jfd) != 0) {
				if (jfd < 0)
					failed(r, VAULT_UNAVAILABLE, "$", "the "
					    "temporary directory: %s",
					    strerror(errno));
				break;
			}
			have_json = 1;
			continue;
		}
		/* vault/blobs/<sha256>[.<ext>] (the prefix checked first). */
		base = strncmp(name, BLOBS_DIR, strlen(BLOBS_DIR)) == 0 ?
		    name + strlen(BLOBS_DIR) : NULL;
		dot = base != NULL ? strchr(base, '.') : NULL;
		if (base != NULL && is_sha(base, dot ? (size_t)(dot - base) :
		    strlen(base)) && (dot == NULL || strchr(dot, '/') == NULL)) {
			memcpy(sha, base, 64);
			sha[64] = '\0';
			v = blob_begin(r, sha);
			if (zip_data(r, ar, name, &unpacked, unpack_max, v,
			    -1) != 0)
				break;
			continue;
		}
		vault_report_warn(r->rep, name, "%s", "not part of a bundle; "
		    "ignored");
	}
	if (r->fail == VAULT_OK && rc != ARCHIVE_EOF)
		failed(r, VAULT_CORRUPT, "$", "the zip: %s",
		    archive_error_string(ar) ? archive_error_string(ar) :
		    "unreadable");
	if (r->fail == VAULT_OK && !have_json)
		failed(r, VAULT_CORRUPT, "$", "%s", "the zip has no "
		    BUNDLE_JSON);
	if (r->fail == VAULT_OK)
		read_json(r, lseek(jfd, 0, SEEK_SET) == 0 ? jfd : -1, "", 0);
	r->b->read = size;
out:
	imp_idmap_free(&names);
	if (jfd >= 0)
		close(jfd);
	archive_read_free(ar);
}

static int
blob_cmp(const void *x, const void *y)
{
	return strcmp(((const struct vault_blob *)x)->sha,
	    ((const struct vault_blob *)y)->sha);
}

const struct vault_blob *
vault_bundle_blob(const struct vault_bundle *b, const char *sha)
{
	struct vault_blob	 k;

	if (b->nblobs == 0 || strlen(sha) != 64)
		return NULL;
	memcpy(k.sha, sha, 65);
	return bsearch(&k, b->blobs, b->nblobs, sizeof(*b->blobs), blob_cmp);
}

/* Types and sizes from the manifest; what it says must be so. */
static void
apply_manifest(struct reading *r)
{
	const struct vault_manifest	*e;
	struct vault_blob		*bl;
	char				 path[64];
	size_t				 i;

	for (i = 0; i < r->b->nmanifest && r->fail == VAULT_OK; i++) {
		e = &r->b->manifest[i];
		snprintf(path, sizeof(path), "$.manifest.blobs[%ld]", e->index);
		bl = (struct vault_blob *)vault_bundle_blob(r->b, e->id);
		if (bl == NULL) {
			vault_report_warn(r->rep, path, "blob %s is not in the "
			    "bundle", e->id);
			continue;
		}
		if (e->has_size && e->size != bl->size) {
			failed(r, VAULT_INVALID, path, "%s", "size: not the "
			    "size of the blob's bytes");
			return;
		}
		if (e->mime != NULL)
			bl->mime = e->mime;
	}
}

enum vault_error
vault_bundle_read(struct vault_bundle *b, int fd,
    const struct vault_limits *lim, struct vault_report *rep)
{
	struct reading	 r;
	struct stat	 st;
	unsigned char	 head[4] = { 0, 0, 0, 0 };
	size_t		 i;

	memset(&r, 0, sizeof(r));
	r.b = b;
	r.lim = lim;
	r.rep = rep;
	b->spill = -1;
	if (fstat(fd, &st) != 0)
		return failed(&r, VAULT_UNAVAILABLE, "$", "the bundle: %s",
		    strerror(errno));
	if (st.st_size > lim->bundle_max)
		return failed(&r, VAULT_TOO_LARGE, "$", "%s", "the bundle is "
		    "larger than this server takes");
	if (st.st_size < 2)
		return failed(&r, VAULT_CORRUPT, "$", "%s", "the bundle is "
		    "empty");
	if ((b->spill = fd_temp(lim->tmpdir, "passion-vault")) < 0)
		return failed(&r, VAULT_UNAVAILABLE, "$", "the temporary "
		    "directory: %s", strerror(errno));
	if (pread(fd, head, sizeof(head), 0) < 0)
		return failed(&r, VAULT_UNAVAILABLE, "$", "the bundle: %s",
		    strerror(errno));
	b->zip = memcmp(head, "PK\003\004", 4) == 0;
	if (b->zip)
		read_zip(&r, fd, (long long)st.st_size);
	else
		read_json(&r, fd, NULL, 0);
	if (r.fail == VAULT_OK && b->version == 0)
		failed(&r, VAULT_UNSUPPORTED, "$.version", "%s", "version: "
		    "missing");
	if (r.fail == VAULT_OK && b->envelope == NULL && !b->envelope_seen)
		failed(&r, VAULT_CORRUPT, "$.metadataEnvelope", "%s",
		    "metadataEnvelope: missing");
	if (r.fail == VAULT_OK) {
		if (b->nblobs > 0)
			qsort(b->blobs, b->nblobs, sizeof(*b->blobs),
			    blob_cmp);
		for (i = 1; i < b->nblobs && r.fail == VAULT_OK; i++)
			if (strcmp(b->blobs[i - 1].sha, b->blobs[i].sha) == 0)
				failed(&r, VAULT_CORRUPT, "$", "blob %s is in "
				    "the bundle twice", b->blobs[i].sha);
		if (r.fail == VAULT_OK)
			apply_manifest(&r);
	}
	return r.fail;
}

void
vault_bundle_free(struct vault_bundle *b)
{
	size_t	 i;

	free(b->envelope);
	free(b->blobs);
	for (i = 0; i < b->nmanifest; i++)
		free(b->manifest[i].mime);
	free(b->manifest);
	if (b->spill >= 0)
		close(b->spill);
	memset(b, 0, sizeof(*b));
	b->spill = -1;
}
