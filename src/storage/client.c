/*
 * client.c - the calls passiond makes to the store itself, signed with
 * an Authorization header (x-amz-content-sha256 included, which
 * libcurl's own SigV4 leaves out), through the worker's libcurl handle
 * and its outbound timeouts: HEAD and DELETE of an object, the three
 * steps of a multipart upload, DeleteObjects and ListObjectsV2.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "storage/storage.h"

#define DELETE_BATCH	1000	/* DeleteObjects' most keys */

/* The calls, as the counts name them (storage_op_names), and their method. */
const char *const storage_op_names[STORAGE_OPS] = { "head", "put",
	"upload_part", "get", "delete", "create_multipart",
	"complete_multipart", "abort_multipart", "delete_objects", "list" };
const char *const storage_outcome_names[STATS_OUTCOMES] = { "ok",
	"not_found", "denied", "unavailable", "error" };
static const char *const op_methods[STORAGE_OPS] = { "HEAD", "PUT", "PUT",
	"GET", "DELETE", "POST", "POST", "DELETE", "POST", "GET" };

/* One call: what is sent, besides the signature. */
struct call {
	enum storage_op		 op;
	const char		*method;
	const char		*key;		/* "": the bucket */
	const struct sigv4_pair	*query;
	size_t			 nquery;
	const char		*content_type;	/* signed; NULL: none */
	int			 md5;		/* send Content-MD5 */
	const char		*body;		/* NULL: none */
	size_t			 len;
	const char		*sha;		/* body's SHA-256 (hex) if known */
	int			 fd;		/* ≥ 0: the body goes here */
	long long		 max;		/* at most this many bytes */
	long long		 got;		/* how many it had */
};

/* The S3 status of a response: 2xx ok, 404 not found, 403 denied. */
static enum storage_status
status_of(long http)
{
	if (http >= 200 && http < 300)
		return STORAGE_OK;
	if (http == 404)
		return STORAGE_NOTFOUND;
	if (http == 403)
		return STORAGE_DENIED;
	if (http >= 500 || http == 0)
		return STORAGE_UNAVAILABLE;
	return STORAGE_ERROR;
}

/* base64(MD5(body)): DeleteObjects must carry it. */
static const char *
content_md5(struct arena *a, const char *body, size_t len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	if (EVP_Digest(body, len, md, &mdlen, EVP_md5(), NULL) != 1)
		fatal("EVP_Digest(md5) failed");
	return b64_encode(a, md, mdlen);
}

/* Send c, signed at now; r its response (its body, unless c->fd). */
static enum storage_status
call(struct storage *s, struct net *n, struct arena *a, struct call *c,
    long long now, struct net_resp *r)
{
	struct sigv4_pair	 h[5];
	struct sigv4_request	 q;
	struct buf		 url;
	const char		*hdr[8], *sha, *u;
	char			 date[17], err[256];
	size_t			 i, nh = 0;
	int			 rc;
	int64_t			 t0;
	enum storage_status	 st;

	storage_request(a, s, c->method, c->key, now, date, h, &q);
	sha = c->sha != NULL ? c->sha : c->body != NULL ?
	    sha256_hex(a, c->body, c->len, NULL, 0) : SIGV4_EMPTY_SHA;
	h[q.nheaders].name = "x-amz-content-sha256";
	h[q.nheaders++].value = sha;
	h[q.nheaders].name = "x-amz-date";
	h[q.nheaders++].value = date;
	if (c->content_type != NULL) {
		h[q.nheaders].name = "content-type";
		h[q.nheaders++].value = c->content_type;
		hdr[nh++] = arena_printf(a, "Content-Type: %s",
		    c->content_type);
	}
	if (c->md5) {
		h[q.nheaders].name = "content-md5";
		h[q.nheaders].value = content_md5(a, c->body, c->len);
		hdr[nh++] = arena_printf(a, "Content-MD5: %s",
		    h[q.nheaders++].value);
	}
	q.query = c->query;
	q.nquery = c->nquery;
	q.payload_hash = sha;
	hdr[nh++] = arena_printf(a, "x-amz-content-sha256: %s", sha);
	hdr[nh++] = arena_printf(a, "x-amz-date: %s", date);
	hdr[nh++] = arena_printf(a, "Authorization: %s", sigv4_authorization(a,
	    &s->creds, &s->keys, &q));
	hdr[nh] = NULL;
	buf_init(&url, 64 * 1024);
	buf_puts(&url, storage_url(a, s, c->key));
	for (i = 0; i < c->nquery; i++) {
		buf_putc(&url, i == 0 ? '?' : '&');
		sigv4_encode(&url, c->query[i].name, 0);
		buf_putc(&url, '=');
		sigv4_encode(&url, c->query[i].value, 0);
	}
	u = arena_strndup(a, url.data, url.len);
	buf_cleanup(&url);
	memset(r, 0, sizeof(*r));
	t0 = time_mono_us();
	if (c->fd >= 0)
		rc = net_download(n, u, hdr, c->fd, c->max, &r->status,
		    &c->got, err, sizeof(err));
	else
		rc = net_request(n, a, c->method, u, hdr, c->body, c->len, r,
		    err, sizeof(err));
	st = rc != 0 ? STORAGE_UNAVAILABLE : status_of(r->status);
	stats_observe(&stats_mine->store_duration, time_mono_us() - t0);
	stats_count(&stats_mine->store_calls[c->op][st]);
	if (rc != 0)
		snprintf(s->errstr, sizeof(s->errstr), "%s %.100s: %.120s",
		    c->method, c->key, err);
	else if (st != STORAGE_OK)
		snprintf(s->errstr, sizeof(s->errstr), "%s %.100s: HTTP %ld "
		    "%.100s", c->method, c->key, r->status, r->body != NULL &&
		    r->len > 0 ? r->body : "");
	return st;
}

/* A call of op on key with query, no body (yet). */
static void
call_init(struct call *c, enum storage_op op, const char *key,
    const struct sigv4_pair *query, size_t nquery)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->op = op;
	c->method = op_methods[op];
	c->key = key;
	c->query = query;
	c->nquery = nquery;
}

/* A call with no body and no query on key. */
static enum storage_status
call_key(struct storage *s, struct net *n, struct arena *a,
    enum storage_op op, const char *key, long long now, struct net_resp *r)
{
	struct call	 c;

	call_init(&c, op, key, NULL, 0);
	return call(s, n, a, &c, now, r);
}

/* What an object may carry only if its uploader sent it unsigned. */
static const char *const foreign[] = { "Content-Encoding:",
	"Cache-Control:", "Content-Disposition:", "Content-Language:",
	"Expires:", "x-amz-meta-", "x-amz-website-redirect-location:" };

enum storage_status
storage_head(struct storage *s, struct net *n, struct arena *a,
    const char *key, long long now, struct storage_object *o)
{
	struct net_resp		 r;
	enum storage_status	 st;
	const char		*len;
	size_t			 i;

	memset(o, 0, sizeof(*o));
	st = call_key(s, n, a, STORAGE_OP_HEAD, key, now, &r);
	if (st != STORAGE_OK)
		return st;
	len = net_resp_header(a, &r, "Content-Length");
	o->size = len ? strtoll(len, NULL, 10) : -1;
	o->content_type = net_resp_header(a, &r, "Content-Type");
	o->etag = net_resp_header(a, &r, "ETag");
	for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]) &&
	    o->foreign == NULL; i++)
		o->foreign = net_resp_header_line(a, &r, foreign[i]);
	return STORAGE_OK;
}

enum storage_status
storage_put(struct storage *s, struct net *n, struct arena *a,
    const char *key, const char *content_type, const void *body, size_t len,
    const char *sha256, long long now)
{
	struct net_resp	 r;
	struct call	 c;

	call_init(&c, STORAGE_OP_PUT, key, NULL, 0);
	c.content_type = content_type;
	c.body = body;
	c.len = len;
	c.sha = sha256;
	return call(s, n, a, &c, now, &r);
}

enum storage_status
storage_upload_part(struct storage *s, struct net *n, struct arena *a,
    const char *key, const char *upload_id, int number, const void *body,
    size_t len, long long now, const char **etag)
{
	struct sigv4_pair	 q[2] = { { "partNumber", NULL },
	    { "uploadId", upload_id } };
	struct net_resp		 r;
	struct call		 c;
	enum storage_status	 st;

	q[0].value = arena_printf(a, "%d", number);
	call_init(&c, STORAGE_OP_UPLOAD_PART, key, q, 2);
	c.body = body;
	c.len = len;
	*etag = NULL;
	if ((st = call(s, n, a, &c, now, &r)) != STORAGE_OK)
		return st;
	*etag = net_resp_header(a, &r, "ETag");
	if (*etag == NULL) {
		snprintf(s->errstr, sizeof(s->errstr), "PUT %.100s part %d: "
		    "no ETag in the answer", key, number);
		return STORAGE_ERROR;
	}
	return STORAGE_OK;
}

enum storage_status
storage_get_fd(struct storage *s, struct net *n, struct arena *a,
    const char *key, int fd, long long max, long long now, long long *size)
{
	struct net_resp		 r;
	struct call		 c;
	enum storage_status	 st;

	call_init(&c, STORAGE_OP_GET, key, NULL, 0);
	c.fd = fd;
	c.max = max;
	st = call(s, n, a, &c, now, &r);
	*size = c.got;
	return st;
}

enum storage_status
storage_delete(struct storage *s, struct net *n, struct arena *a,
    const char *key, long long now)
{
	struct net_resp		 r;
	enum storage_status	 st;

	/* Gone already is what was asked. */
	st = call_key(s, n, a, STORAGE_OP_DELETE, key, now, &r);
	return st == STORAGE_NOTFOUND ? STORAGE_OK : st;
}

/*
 * A 200 whose body is an <Error> (S3 may answer CompleteMultipartUpload
 * so, having started the reply before the work failed).
 */
static enum storage_status
body_error(struct storage *s, struct arena *a, const struct net_resp *r,
    const char *what)
{
	const char	*code = storage_xml_text(a, r->body, r->len, "Code");

	if (r->body == NULL || strstr(r->body, "<Error") == NULL)
		return STORAGE_OK;
	snprintf(s->errstr, sizeof(s->errstr), "%s: %s", what, code ? code :
	    "an error");
	return code != NULL && (strcmp(code, "InternalError") == 0 ||
	    strcmp(code, "SlowDown") == 0 || strcmp(code,
	    "ServiceUnavailable") == 0) ? STORAGE_UNAVAILABLE : STORAGE_ERROR;
}

enum storage_status
storage_multipart_create(struct storage *s, struct net *n, struct arena *a,
    const char *key, const char *content_type, long long now,
    const char **upload_id)
{
	static const struct sigv4_pair	 q[] = { { "uploads", "" } };
	struct net_resp			 r;
	struct call			 c;
	enum storage_status		 st;

	call_init(&c, STORAGE_OP_CREATE_MULTIPART, key, q, 1);
	c.content_type = content_type;
	*upload_id = NULL;
	if ((st = call(s, n, a, &c, now, &r)) != STORAGE_OK)
		return st;
	*upload_id = storage_xml_text(a, r.body, r.len, "UploadId");
	if (*upload_id == NULL || **upload_id == '\0') {
		snprintf(s->errstr, sizeof(s->errstr), "POST %.100s?uploads: "
		    "no UploadId in the answer", key);
		return STORAGE_ERROR;
	}
	return STORAGE_OK;
}

enum storage_status
storage_multipart_complete(struct storage *s, struct net *n, struct arena *a,
    const char *key, const char *upload_id, const struct storage_part *parts,
    size_t nparts, long long now)
{
	struct sigv4_pair	 q[1] = { { "uploadId", upload_id } };
	struct net_resp		 r;
	struct call		 c;
	struct buf		 b;
	enum storage_status	 st;
	size_t			 i;

	buf_init(&b, 8 * 1024 * 1024);
	buf_puts(&b, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/"
	    "doc/2006-03-01/\">");
	for (i = 0; i < nparts; i++) {
		buf_printf(&b, "<Part><PartNumber>%d</PartNumber><ETag>",
		    parts[i].number);
		storage_xml_escape(&b, parts[i].etag);
		buf_puts(&b, "</ETag></Part>");
	}
	buf_puts(&b, "</CompleteMultipartUpload>");
	call_init(&c, STORAGE_OP_COMPLETE_MULTIPART, key, q, 1);
	c.content_type = "application/xml";
	c.body = arena_strndup(a, b.data, b.len);
	c.len = b.len;
	buf_cleanup(&b);
	if ((st = call(s, n, a, &c, now, &r)) != STORAGE_OK)
		return st;
	return body_error(s, a, &r, "CompleteMultipartUpload");
}

enum storage_status
storage_multipart_abort(struct storage *s, struct net *n, struct arena *a,
    const char *key, const char *upload_id, long long now)
{
	struct sigv4_pair	 q[1] = { { "uploadId", upload_id } };
	struct net_resp		 r;
	struct call		 c;
	enum storage_status	 st;

	call_init(&c, STORAGE_OP_ABORT_MULTIPART, key, q, 1);
	/* An upload already gone (completed, aborted, expired) is fine. */
	st = call(s, n, a, &c, now, &r);
	return st == STORAGE_NOTFOUND ? STORAGE_OK : st;
}

enum storage_status
storage_delete_many(struct storage *s, struct net *n, struct arena *a,
    const char *const *keys, size_t nkeys, int *failed, long long now)
{
	static const struct sigv4_pair	 q[] = { { "delete", "" } };
	static const char *const	 fields[] = { "Key" };
	struct storage_xml_rec		*errs;
	struct net_resp			 r;
	struct call			 c;
	struct buf			 b;
	enum storage_status		 st;
	size_t				 i, k, nerrs;

	if (nkeys > DELETE_BATCH)
		fatal("storage_delete_many: %zu keys", nkeys);
	memset(failed, 0, nkeys * sizeof(*failed));
	if (nkeys == 0)
		return STORAGE_OK;
	buf_init(&b, 2 * 1024 * 1024);
	buf_puts(&b, "<Delete xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\"><Quiet>true</Quiet>");
	for (i = 0; i < nkeys; i++) {
		buf_puts(&b, "<Object><Key>");
		storage_xml_escape(&b, keys[i]);
		buf_puts(&b, "</Key></Object>");
	}
	buf_puts(&b, "</Delete>");
	call_init(&c, STORAGE_OP_DELETE_OBJECTS, "", q, 1);
	c.content_type = "application/xml";
	c.md5 = 1;
	c.body = arena_strndup(a, b.data, b.len);
	c.len = b.len;
	buf_cleanup(&b);
	if ((st = call(s, n, a, &c, now, &r)) != STORAGE_OK)
		return st;
	/* Quiet: only the keys that could not be deleted are named. */
	if (storage_xml_records(a, r.body, r.len, "Error", fields, 1, &errs,
	    &nerrs) != 0) {
		snprintf(s->errstr, sizeof(s->errstr), "DeleteObjects: the "
		    "answer is not XML");
		return STORAGE_ERROR;
	}
	for (k = 0; k < nerrs; k++)
		for (i = 0; i < nkeys; i++)
			if (errs[k].v[0] != NULL &&
			    strcmp(errs[k].v[0], keys[i]) == 0)
				failed[i] = 1;
	if (nerrs > 0)
		snprintf(s->errstr, sizeof(s->errstr), "DeleteObjects: %zu of "
		    "%zu keys not deleted", nerrs, nkeys);
	return STORAGE_OK;
}

enum storage_status
storage_list(struct storage *s, struct net *n, struct arena *a,
    const char *prefix, const char *token, long long now,
    struct storage_listed **items, size_t *count, const char **next)
{
	static const char *const	 fields[] = { "Key", "Size",
	    "LastModified" };
	struct sigv4_pair		 q[3];
	struct storage_xml_rec		*recs;
	struct net_resp			 r;
	struct call			 c;
	enum storage_status		 st;
	size_t				 i, nrecs;
	const char			*more;

	q[0].name = "list-type";
	q[0].value = "2";
	q[1].name = "prefix";
	q[1].value = prefix;
	q[2].name = "continuation-token";
	q[2].value = token;
	call_init(&c, STORAGE_OP_LIST, "", q, token != NULL ? 3 : 2);
	*items = NULL;
	*count = 0;
	*next = NULL;
	if ((st = call(s, n, a, &c, now, &r)) != STORAGE_OK)
		return st;
	if (storage_xml_records(a, r.body, r.len, "Contents", fields, 3, &recs,
	    &nrecs) != 0) {
		snprintf(s->errstr, sizeof(s->errstr), "ListObjectsV2: the "
		    "answer is not XML");
		return STORAGE_ERROR;
	}
	*items = arena_calloc(a, (nrecs + 1) * sizeof(**items));
	for (i = 0; i < nrecs; i++) {
		(*items)[i].key = recs[i].v[0];
		(*items)[i].size = recs[i].v[1] ? strtoll(recs[i].v[1], NULL,
		    10) : -1;
		(*items)[i].last_modified = recs[i].v[2];
	}
	*count = nrecs;
	more = storage_xml_text(a, r.body, r.len, "IsTruncated");
	if (more != NULL && strcmp(more, "true") == 0)
		*next = storage_xml_text(a, r.body, r.len,
		    "NextContinuationToken");
	return STORAGE_OK;
}

enum storage_status
storage_put_fd(struct storage *s, struct net *n, struct arena *a,
    const struct storage_source *src, const char *key,
    const char *content_type)
{
	struct storage_part	*parts = NULL;
	enum storage_status	 st;
	const char		*upload = NULL, *etag;
	long long		 off, len, part = (long long)src->part;
	int			 i, nparts;

	if (src->size <= part) {
		if (fd_pread_all(src->fd, src->buf, (size_t)src->size, src->off) != 0)
			goto unread;
		return storage_put(s, n, a, key, content_type, src->buf,
		    (size_t)src->size, src->sha256, time(NULL));
	}
	st = storage_multipart_create(s, n, a, key, content_type, time(NULL),
	    &upload);
	if (st != STORAGE_OK)
		return st;
	nparts = (int)((src->size + part - 1) / part);
	if ((parts = calloc((size_t)nparts, sizeof(*parts))) == NULL)
		fatal("calloc: out of memory");
	for (i = 0; i < nparts; i++) {
		off = (long long)i * part;
		len = src->size - off < part ? src->size - off : part;
		if (fd_pread_all(src->fd, src->buf, (size_t)len, src->off + off) != 0)
			goto unread;
		st = storage_upload_part(s, n, a, key, upload, i + 1, src->buf,
		    (size_t)len, time(NULL), &etag);
		if (st != STORAGE_OK)
			goto fail;
		parts[i].number = i + 1;
		parts[i].etag = etag;
		if (src->on_part != NULL)
			src->on_part(src->ud, len);
	}
	st = storage_multipart_complete(s, n, a, key, upload, parts,
	    (size_t)nparts, time(NULL));
	if (st == STORAGE_OK) {
		free(parts);
		return st;
	}
	goto fail;
unread:
	snprintf(s->errstr, sizeof(s->errstr), "reading the bytes for %.100s: "
	    "%s", key, strerror(errno));
	st = STORAGE_ERROR;
fail:
	if (upload != NULL)
		(void)storage_multipart_abort(s, n, a, key, upload, time(NULL));
	free(parts);
	return st;
}
