/*
 * storage.h - the object store (R2, or any S3-compatible one): AWS
 * Signature Version 4, computed in-process with OpenSSL, for presigned
 * URLs that browsers use directly and for the few calls passiond makes
 * itself. Knows nothing of HTTP requests or the database.
 */
#ifndef PASSION_STORAGE_H
#define PASSION_STORAGE_H

#include <stddef.h>

#include "conf/conf.h"
#include "net/net.h"
#include "util/util.h"

/* Who signs, and for what: the scope of a signing key. */
struct sigv4_creds {
	const char	*access_key;
	const char	*secret;
	const char	*region;	/* "auto" for R2 */
	const char	*service;	/* "s3" */
};

/*
 * The signing key of one (date, region, service): four HMACs, the same
 * for a whole day, so it is kept and reused (sigv4_signing_key).
 */
struct sigv4_key_cache {
	char		 date[9];
	char		 region[64];
	char		 service[16];
	char		 access_key[128];
	unsigned char	 key[32];
	int		 valid;
};

/* A query parameter or a header, as given (not yet encoded). */
struct sigv4_pair {
	const char	*name;
	const char	*value;
};

/* What to sign: a request, its headers and its payload's hash. */
struct sigv4_request {
	const char			*method;
	const char			*path;	/* "/bucket/key", not encoded */
	const struct sigv4_pair		*query;
	size_t				 nquery;
	const struct sigv4_pair		*headers;	/* host among them */
	size_t				 nheaders;
	const char			*payload_hash;	/* hex, or UNSIGNED-PAYLOAD */
	const char			*amz_date;	/* YYYYMMDDTHHMMSSZ */
	/* Presigned: say X-Amz-Content-Sha256=UNSIGNED-PAYLOAD in the
	 * query, as the AWS SDKs do. */
	int				 sha256_param;
};

#define SIGV4_UNSIGNED	"UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_EXPIRES_MAX	604800	/* seven days */

/*
 * Append s URI-encoded as S3 wants it: every byte but A-Z a-z 0-9 - . _ ~
 * as %XX (upper-case hex), and '/' kept when keep_slash (an object key's
 * path; never normalised: "//" and "./" stay).
 */
void	 sigv4_encode(struct buf *b, const char *s, int keep_slash);
/* The key for creds on date (YYYYMMDD), from cache when it has it. */
const unsigned char *sigv4_signing_key(const struct sigv4_creds *c,
	    const char *date, struct sigv4_key_cache *cache);
/*
 * The canonical request of r (for tests and the log), and its signed
 * header names ("host;x-amz-date") into *signed_headers. Into a.
 */
char	*sigv4_canonical_request(struct arena *a, const struct sigv4_request *r,
	    const char **signed_headers);
/* The signature of r (64 hex digits + NUL into sig). */
void	 sigv4_signature(struct arena *a, const struct sigv4_creds *c,
	    struct sigv4_key_cache *cache, const struct sigv4_request *r,
	    char sig[65]);
/*
 * The Authorization header's value for r ("AWS4-HMAC-SHA256
 * Credential=…, SignedHeaders=…, Signature=…"). r's headers must hold
 * x-amz-date and x-amz-content-sha256 as the request will send them.
 */
char	*sigv4_authorization(struct arena *a, const struct sigv4_creds *c,
	    struct sigv4_key_cache *cache, const struct sigv4_request *r);
/*
 * A presigned URL: origin ("https://host[:port]") + the encoded path +
 * the query (r's own parameters and the X-Amz-* ones, the signature
 * among them, sorted: as the AWS SDK writes it), for r's method and
 * headers (host, and any others the client must send as signed, such as
 * content-type), valid expires seconds (1..SIGV4_EXPIRES_MAX) from
 * r->amz_date, payload UNSIGNED-PAYLOAD. NULL when expires is out of
 * range.
 */
char	*sigv4_presign(struct arena *a, const struct sigv4_creds *c,
	    struct sigv4_key_cache *cache, const char *origin,
	    const struct sigv4_request *r, long expires);
/* YYYYMMDDTHHMMSSZ of t (UTC) into out. */
void	 sigv4_amz_date(long long t, char out[17]);

/* --- store.c: the bucket --- */

struct storage {
	struct sigv4_creds	 creds;
	struct sigv4_key_cache	 keys;
	const char		*endpoint;	/* "" : no store configured */
	const char		*bucket;
	int			 virtual_host;	/* bucket.host, else /bucket/ */
	char			 errstr[256];	/* the last call's failure */
};

/* The store of cfg (its strings are borrowed: cfg must outlive s). */
void	 storage_init(struct storage *s, const struct config *cfg);
/* Is a store configured? */
int	 storage_enabled(const struct storage *s);
/* The origin ("scheme://host[:port]") of the bucket, and its Host. */
void	 storage_origin(struct arena *a, const struct storage *s,
	    const char **url, const char **host);
/*
 * Start r, a request for method on key signed at now: its path, its
 * date (into date) and the Host header as h[0] (r->nheaders 1; the
 * caller adds more from h[1] on). The bucket's origin URL.
 */
const char *storage_request(struct arena *a, const struct storage *s,
	    const char *method, const char *key, long long now, char date[17],
	    struct sigv4_pair *h, struct sigv4_request *r);
/* The URL of key (encoded), without a query. */
const char *storage_url(struct arena *a, const struct storage *s,
	    const char *key);
/*
 * The request path of key ("/bucket/key" or "/key"), not encoded; of
 * the bucket itself when key is "" ("/bucket" or "/").
 */
const char *storage_path(struct arena *a, const struct storage *s,
	    const char *key);
/*
 * A presigned URL for method on key, valid expires seconds from now
 * (seconds since the epoch), with content_type signed when not NULL,
 * content_length signed when ≥ 0, and query's parameters
 * (response-content-type, partNumber, …). NULL when expires is out of
 * range.
 */
char	*storage_presign(struct arena *a, struct storage *s,
	    const char *method, const char *key, long expires, long long now,
	    const char *content_type, long long content_length,
	    const struct sigv4_pair *query, size_t nquery);

/* A SHA-256 in hex as x-amz-checksum-sha256 says it (base64), or NULL. */
const char *storage_checksum_sha256(struct arena *a, const char *hex);
/*
 * A presigned PUT of key as storage_presign's, checksum (from
 * storage_checksum_sha256; NULL: none) signed as x-amz-checksum-sha256:
 * the uploader must send it, and the store keeps only bytes of that
 * hash.
 */
char	*storage_presign_put(struct arena *a, struct storage *s,
	    const char *key, long expires, long long now,
	    const char *content_type, long long content_length,
	    const char *checksum);

#define STORAGE_OBJECT_MAX	5368709120LL	/* one PUT: R2's and S3's limit */

/* A type of blob: its kind (audio, image), MIME type and extension. */
struct storage_type {
	const char	*kind, *type, *ext;
};

/* The type (any case) if kind takes it, or NULL. */
const struct storage_type *storage_type(const char *kind, const char *type);
/* The types of kind, for a message: "audio/mpeg, audio/wav, …". */
const char *storage_kind_types(struct arena *a, const char *kind);

/* --- client.c: calls passiond makes itself --- */

enum storage_status {
	STORAGE_OK = 0,
	STORAGE_NOTFOUND,	/* no such object */
	STORAGE_DENIED,		/* 403: keys or signature refused */
	STORAGE_UNAVAILABLE,	/* cannot reach it, 5xx, or timed out */
	STORAGE_ERROR		/* anything else */
};
/* The calls below, for the counts (util/stats.c): storage_op_names[op],
 * by outcome, storage_outcome_names[status]. */
enum storage_op { STORAGE_OP_HEAD, STORAGE_OP_PUT, STORAGE_OP_UPLOAD_PART,
	STORAGE_OP_GET, STORAGE_OP_DELETE, STORAGE_OP_CREATE_MULTIPART,
	STORAGE_OP_COMPLETE_MULTIPART, STORAGE_OP_ABORT_MULTIPART,
	STORAGE_OP_DELETE_OBJECTS, STORAGE_OP_LIST, STORAGE_OPS };
extern const char *const storage_op_names[STORAGE_OPS];
extern const char *const storage_outcome_names[STATS_OUTCOMES];
_Static_assert(STORAGE_OPS <= STATS_STORE_OPS, "stats: store operations");
_Static_assert(STORAGE_ERROR + 1 == STATS_OUTCOMES, "stats: outcomes");

/* An object's metadata, as HEAD says it. */
struct storage_object {
	long long	 size;		/* -1: not said */
	const char	*content_type;
	const char	*etag;
	/* A header an uploader set that passiond never does (its line:
	 * "Content-Encoding: gzip", "x-amz-meta-a: b"), or NULL. */
	const char	*foreign;
};

/* HEAD key, now being the signing time (seconds since the epoch). */
enum storage_status storage_head(struct storage *s, struct net *n,
	    struct arena *a, const char *key, long long now,
	    struct storage_object *o);
/*
 * PUT body (len bytes, at most 5 GiB) at key with content_type; sha256
 * its SHA-256 in hex when known (the store checks it), else computed.
 */
enum storage_status storage_put(struct storage *s, struct net *n,
	    struct arena *a, const char *key, const char *content_type,
	    const void *body, size_t len, const char *sha256, long long now);
/* UploadPart number of upload_id with body: *etag, the part's ETag. */
enum storage_status storage_upload_part(struct storage *s, struct net *n,
	    struct arena *a, const char *key, const char *upload_id,
	    int number, const void *body, size_t len, long long now,
	    const char **etag);
/*
 * GET key into fd (at most max bytes; more fails as a transport error
 * would, errstr saying so): *size the
 * bytes written. A status other than 2xx leaves its error text in fd.
 */
enum storage_status storage_get_fd(struct storage *s, struct net *n,
	    struct arena *a, const char *key, int fd, long long max,
	    long long now, long long *size);
/* DELETE key (an object already gone is STORAGE_OK). */
enum storage_status storage_delete(struct storage *s, struct net *n,
	    struct arena *a, const char *key, long long now);

/* A part of a multipart upload, as its PUT's ETag names it. */
struct storage_part {
	int		 number;	/* 1..10000 */
	const char	*etag;
};

/* CreateMultipartUpload of key with content_type: *upload_id. */
enum storage_status storage_multipart_create(struct storage *s,
	    struct net *n, struct arena *a, const char *key,
	    const char *content_type, long long now, const char **upload_id);
/* CompleteMultipartUpload of the parts (in order). */
enum storage_status storage_multipart_complete(struct storage *s,
	    struct net *n, struct arena *a, const char *key,
	    const char *upload_id, const struct storage_part *parts,
	    size_t nparts, long long now);
/* AbortMultipartUpload (one already gone is STORAGE_OK). */
enum storage_status storage_multipart_abort(struct storage *s,
	    struct net *n, struct arena *a, const char *key,
	    const char *upload_id, long long now);
/*
 * DeleteObjects of keys (at most 1000; gone ones count as deleted):
 * failed[i] set for each key the store could not delete.
 */
enum storage_status storage_delete_many(struct storage *s, struct net *n,
	    struct arena *a, const char *const *keys, size_t nkeys,
	    int *failed, long long now);

/* Bytes to put from a file: size bytes of fd at off. */
struct storage_source {
	int		 fd;
	long long	 off, size;
	const char	*sha256;	/* hex, or NULL: signed on a single PUT */
	unsigned char	*buf;		/* part bytes */
	size_t		 part;		/* one PUT up to this, parts above */
	void		(*on_part)(void *ud, long long bytes);	/* or NULL */
	void		*ud;
};
/*
 * Put src at key: one PUT, or a multipart upload of src->part-sized
 * parts (aborted when one fails). A read of fd that fails is
 * STORAGE_ERROR, errstr saying so.
 */
enum storage_status storage_put_fd(struct storage *s, struct net *n,
	    struct arena *a, const struct storage_source *src,
	    const char *key, const char *content_type);

/* An object as ListObjectsV2 names it. */
struct storage_listed {
	const char	*key;
	long long	 size;
	const char	*last_modified;		/* ISO 8601 */
};

/*
 * One page (up to 1000) of the objects under prefix, after token (NULL:
 * the first page); *next the next page's token, or NULL at the end.
 */
enum storage_status storage_list(struct storage *s, struct net *n,
	    struct arena *a, const char *prefix, const char *token,
	    long long now, struct storage_listed **items, size_t *count,
	    const char **next);

/* --- xml.c: the store's XML --- */

#define STORAGE_XML_FIELDS	4

/* The texts of up to STORAGE_XML_FIELDS children of one element. */
struct storage_xml_rec {
	const char	*v[STORAGE_XML_FIELDS];
};

/* Append s with XML's special characters escaped. */
void	 storage_xml_escape(struct buf *b, const char *s);
/*
 * Each element called name in the document body: the texts of its
 * children called fields[i] into v[i] (NULL when absent); with no
 * fields, its own text into v[0]. 0, or -1 when body is not XML.
 */
int	 storage_xml_records(struct arena *a, const char *body, size_t len,
	    const char *name, const char *const *fields, size_t nfields,
	    struct storage_xml_rec **out, size_t *n);
/* The text of the first element called name, or NULL. */
const char *storage_xml_text(struct arena *a, const char *body, size_t len,
	    const char *name);

#endif
