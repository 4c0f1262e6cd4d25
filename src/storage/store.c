/*
 * store.c - the bucket as passiond addresses it: object keys into URLs
 * (path-style or virtual-host), and presigned URLs for them.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "storage/storage.h"

void
storage_init(struct storage *s, const struct config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->creds.access_key = cfg->storage_access_key_id;
	s->creds.secret = cfg->storage_secret;
	s->creds.region = cfg->storage_region;
	s->creds.service = "s3";
	s->endpoint = cfg->storage_endpoint;
	s->bucket = cfg->storage_bucket;
	s->virtual_host = strcmp(cfg->storage_addressing, "virtual") == 0;
}

int
storage_enabled(const struct storage *s)
{
	return s->endpoint != NULL && *s->endpoint != '\0';
}

void
storage_origin(struct arena *a, const struct storage *s, const char **url,
    const char **host)
{
	const char	*sep = strstr(s->endpoint, "://");
	const char	*h = sep ? sep + 3 : s->endpoint;

	if (s->virtual_host) {
		*host = arena_printf(a, "%s.%s", s->bucket, h);
		*url = arena_printf(a, "%.*s%s", (int)(h - s->endpoint),
		    s->endpoint, *host);
	} else {
		*host = h;
		*url = s->endpoint;
	}
}

const char *
storage_path(struct arena *a, const struct storage *s, const char *key)
{
	size_t	 bl = s->virtual_host ? 0 : strlen(s->bucket);
	size_t	 kl = strlen(key);
	char	*out = arena_alloc(a, bl + kl + 3), *o = out;

	/* "/bucket/key" or "/key"; the bucket itself: "/bucket" or "/". */
	*o++ = '/';
	memcpy(o, s->bucket, bl);
	o += bl;
	if (bl > 0 && kl > 0)
		*o++ = '/';
	memcpy(o, key, kl + 1);
	return out;
}

const char *
storage_url(struct arena *a, const struct storage *s, const char *key)
{
	const char	*url, *host;
	struct buf	 b;
	char		*out;

	storage_origin(a, s, &url, &host);
	buf_init(&b, 64 * 1024);
	buf_puts(&b, url);
	sigv4_encode(&b, storage_path(a, s, key), 1);
	out = arena_strndup(a, b.data, b.len);
	buf_cleanup(&b);
	return out;
}

const char *
storage_request(struct arena *a, const struct storage *s,
    const char *method, const char *key, long long now, char date[17],
    struct sigv4_pair *h, struct sigv4_request *r)
{
	const char	*url, *host;

	storage_origin(a, s, &url, &host);
	sigv4_amz_date(now, date);
	h[0].name = "host";
	h[0].value = host;
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->path = storage_path(a, s, key);
	r->headers = h;
	r->nheaders = 1;
	r->amz_date = date;
	return url;
}

/* storage_presign, with checksum (x-amz-checksum-sha256) signed too. */
static char *
presign(struct arena *a, struct storage *s, const char *method,
    const char *key, long expires, long long now, const char *content_type,
    long long content_length, const char *checksum,
    const struct sigv4_pair *query, size_t nquery)
{
	struct sigv4_pair	 h[4];
	struct sigv4_request	 r;
	const char		*url;
	char			 date[17];

	url = storage_request(a, s, method, key, now, date, h, &r);
	/* Signed Content-Type and Content-Length: the upload must be what
	 * was announced, or the store refuses the signature. */
	if (content_type != NULL) {
		h[r.nheaders].name = "content-type";
		h[r.nheaders++].value = content_type;
	}
	if (content_length >= 0) {
		h[r.nheaders].name = "content-length";
		h[r.nheaders++].value = arena_printf(a, "%lld", content_length);
	}
	/* The bytes' SHA-256: the store refuses others (BadDigest). */
	if (checksum != NULL) {
		h[r.nheaders].name = "x-amz-checksum-sha256";
		h[r.nheaders++].value = checksum;
	}
	r.query = query;
	r.nquery = nquery;
	r.payload_hash = SIGV4_UNSIGNED;
	r.sha256_param = 1;
	stats_count(&stats_mine->presigns[strcmp(method, "GET") == 0 ? 0 :
	    strcmp(method, "PUT") == 0 ? 1 : 2]);
	return sigv4_presign(a, &s->creds, &s->keys, url, &r, expires);
}

char *
storage_presign(struct arena *a, struct storage *s, const char *method,
    const char *key, long expires, long long now, const char *content_type,
    long long content_length, const struct sigv4_pair *query, size_t nquery)
{
	return presign(a, s, method, key, expires, now, content_type,
	    content_length, NULL, query, nquery);
}

const char *
storage_checksum_sha256(struct arena *a, const char *hex)
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 d[32];
	size_t			 i;

	if (strlen(hex) != 64 || strspn(hex, digits) != 64)
		return NULL;
	for (i = 0; i < sizeof(d); i++)
		d[i] = (unsigned char)((strchr(digits, hex[2 * i]) - digits) << 4 |
		    (strchr(digits, hex[2 * i + 1]) - digits));
	return b64_encode(a, d, sizeof(d));
}

char *
storage_presign_put(struct arena *a, struct storage *s, const char *key,
    long expires, long long now, const char *content_type,
    long long content_length, const char *checksum)
{
	return presign(a, s, "PUT", key, expires, now, content_type,
	    content_length, checksum, NULL, 0);
}

/* The types a kind takes, and the extension its objects get. */
static const struct storage_type types[] = {
	{ "audio", "audio/mpeg", "mp3" },
	{ "audio", "audio/wav", "wav" },
	{ "audio", "audio/x-wav", "wav" },
	{ "audio", "audio/wave", "wav" },
	{ "audio", "audio/flac", "flac" },
	{ "audio", "audio/ogg", "ogg" },
	{ "audio", "audio/aac", "aac" },
	{ "audio", "audio/mp4", "m4a" },
	{ "audio", "audio/m4a", "m4a" },
	{ "audio", "audio/x-m4a", "m4a" },
	{ "audio", "audio/webm", "webm" },
	{ "image", "image/png", "png" },
	{ "image", "image/jpeg", "jpg" },
	{ "image", "image/webp", "webp" },
	{ "image", "image/gif", "gif" },
};

const struct storage_type *
storage_type(const char *kind, const char *type)
{
	size_t	 i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].kind, kind) == 0 &&
		    strcasecmp(types[i].type, type) == 0)
			return &types[i];
	return NULL;
}

const char *
storage_kind_types(struct arena *a, const char *kind)
{
	const char	*s = "";
	size_t		 i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].kind, kind) == 0)
			s = arena_printf(a, "%s%s%s", s, *s ? ", " : "",
			    types[i].type);
	return s;
}
