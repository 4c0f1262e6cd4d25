/*
 * check_blobs.c - blobs through nginx and a real S3 server
 * (@20minutes/s3rver, which checks SigV4 and presigned URLs): upload to
 * the presigned PUT passiond hands out, complete, download through a
 * 302 that nginx carries without the bytes, a byte range; what the store
 * refuses (tampered, other key, other type or length, expired); limits
 * and the quota; a size or type mismatch at completion; another user's
 * blob; deletion; the store stopped.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "net/net.h"
#include "storage/storage.h"
#include "harness.h"
#include "../common/run.h"

#define DOWNLOAD_TTL	4	/* seconds (the expiry test waits it) */
#define SWEEP_AGE	10	/* seconds: storage_sweep_age (maintain);
				   the young blob must stay younger */

static char		 dir[64], endpoint[64], alice[128], bob[128];
static pid_t		 s3;
static struct storage	 st;
static struct net	 net;

static void
setup(void)
{
	char	 conf[2048];

	snprintf(dir, sizeof(dir), "/tmp/check_blobs.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	s3 = harness_s3_start(dir, endpoint, sizeof(endpoint));
	snprintf(conf, sizeof(conf), "%sjob_workers = 1\njob_retry_base = 1\n"
	    "storage_sweep_age = %d\n"
	    "outbound_connect_timeout = 1\noutbound_timeout = 2\n"
	    "storage_download_ttl = %d\nstorage_audio_max = 20M\n"
	    "storage_image_max = 1M\nstorage_quota = 32M\n"
	    "storage_multipart_threshold = 8M\n",
	    harness_s3_conf(dir, endpoint), SWEEP_AGE, DOWNLOAD_TTL);
	suite_start_pair("blobs", conf, alice, bob, sizeof(alice));
	/* The test's own view of the bucket: what is really there. */
	harness_s3_client(endpoint, &st);
	net_init(&net, 1, 5);
}

static void
teardown(void)
{
	net_cleanup(&net);
	suite_stop_s3(s3, dir);
}

/* n printable bytes that differ along their length. */
static char *
data(size_t n)
{
	char	*p = malloc(n + 1);
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + i / 26) % 26);
	p[n] = '\0';
	return p;
}

/* Whether the object key is in the bucket. */
static int
in_store(const char *key)
{
	struct arena		 a;
	struct storage_object	 o;
	enum storage_status	 s;

	arena_init(&a, 16 * 1024);
	s = storage_head(&st, &net, &a, key, time(NULL), &o);
	arena_cleanup(&a);
	ck_assert(s == STORAGE_OK || s == STORAGE_NOTFOUND);
	return s == STORAGE_OK;
}

/* A blob's object key, from the database. */
static const char *
key_of(const char *id)
{
	char	 q[256];

	snprintf(q, sizeof(q), "SELECT object_key FROM blobs WHERE id = '%s'",
	    id);
	return suite_sql(q);
}

/*
 * POST /api/blobs for cookie: its status; id and the upload URL copied
 * out (when 201).
 */
static long
create(const char *cookie, const char *name, const char *type, long long n,
    const char *kind, char *id, char *url)
{
	struct resp	 r;
	char		 body[1024];
	long		 status;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"mimeType\":\"%s\","
	    "\"sizeBytes\":%lld,\"kind\":\"%s\"}", name, type, n, kind);
	status = api_req("POST", "/api/blobs", cookie, body, &r);
	if (status == 201) {
		snprintf(id, 64, "%s", resp_str(&r, "id"));
		snprintf(url, 4096, "%s", resp_str(&r, "upload.url"));
	}
	resp_free(&r);
	return status;
}

/* PUT body to url with Content-Type type; the store's status. */
static long
put(const char *url, const char *type, const char *body)
{
	struct resp	 r;
	long		 status;

	http_do_h("PUT", url, NULL, NULL, type, body, &r);
	status = r.status;
	resp_free(&r);
	return status;
}

/* A ready audio blob of cookie's with body; its id into id. */
static void
ready_blob(const char *cookie, const char *body, char *id)
{
	api_blob(cookie, "r.wav", "audio/wav", "audio", body, 0, id);
}

START_TEST(upload_complete_download)
{
	char		*bytes = data(5000), id[64], url[4096], path[256];
	char		 loc[4096], line[1024], want[512];
	struct resp	 r, g;
	FILE		*f;
	int		 found = 0;

	ck_assert_int_eq(api_req("POST", "/api/blobs", alice, "{\"name\":"
	    "\"Song (final) \\u00e9 \\\"v2\\\".wav\",\"mimeType\":\"Audio/WAV\","
	    "\"sizeBytes\":5000,\"kind\":\"audio\"}", &r), 201);
	snprintf(id, sizeof(id), "%s", resp_str(&r, "id"));
	snprintf(url, sizeof(url), "%s", resp_str(&r, "upload.url"));
	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_str_eq(resp_header(&r, "Location"), path);
	ck_assert_str_eq(resp_str(&r, "blob.state"), "pending");
	ck_assert_str_eq(resp_str(&r, "blob.mimeType"), "audio/wav");
	ck_assert_str_eq(resp_str(&r, "upload.method"), "PUT");
	ck_assert_str_eq(resp_str(&r, "upload.headers.Content-Type"),
	    "audio/wav");
	ck_assert_ptr_nonnull(resp_str(&r, "upload.expiresAt"));
	ck_assert_int_eq(strncmp(url, endpoint, strlen(endpoint)), 0);
	resp_free(&r);
	/* The key: {user_id}/audio/{id}.wav. */
	snprintf(want, sizeof(want), "%s.wav", id);
	ck_assert_ptr_nonnull(strstr(key_of(id), want));
	ck_assert_int_eq(strncmp(key_of(id), suite_sql("SELECT id FROM users "
	    "WHERE email = 'alice@example.org'"), 36), 0);

	/* Pending: no download, and nothing to complete yet. */
	ck_assert_int_eq(api_status("GET", path, alice, NULL), 404);
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", id);
	ck_assert_int_eq(api_req("POST", path, alice, "{}", &r), 409);
	ck_assert_str_eq(resp_str(&r, "error.code"), "not_uploaded");
	resp_free(&r);

	/* The browser's part: the bytes straight to the store. */
	ck_assert_int_eq(put(url, "audio/wav", bytes), 200);
	ck_assert_int_eq(api_req("POST", path, alice, "{}", &r), 200);
	ck_assert_str_eq(resp_str(&r, "state"), "ready");
	ck_assert_str_eq(resp_str(&r, "sizeBytes"), "5000");
	resp_free(&r);
	/* Its new state is in the change feed. */
	{
		struct json_object *feed = api_feed(alice), *b;

		snprintf(want, sizeof(want), "blobs/%s", id);
		ck_assert(json_object_object_get_ex(feed, want, &b));
		ck_assert_str_eq(json_object_get_string(json_object_object_get(
		    b, "state")), "ready");
		json_object_put(feed);
	}
	ck_assert_int_eq(api_status("POST", path, alice, "{}"), 200);

	/* The download: a 302 through nginx, then the store. */
	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 302);
	ck_assert_str_eq(resp_header(&r, "Cache-Control"), "private, no-store");
	snprintf(loc, sizeof(loc), "%s", resp_header(&r, "Location"));
	ck_assert_int_eq(strncmp(loc, endpoint, strlen(endpoint)), 0);
	ck_assert_str_eq(r.body, "");
	resp_free(&r);
	http_get(loc, &g);
	ck_assert_int_eq(g.status, 200);
	ck_assert_str_eq(g.body, bytes);
	ck_assert_str_eq(resp_header(&g, "Content-Type"), "audio/wav");
	ck_assert_str_eq(resp_header(&g, "Content-Disposition"), "inline; "
	    "filename=\"Song (final) __ _v2_.wav\"; filename*=UTF-8''"
	    "Song%20%28final%29%20%C3%A9%20%22v2%22.wav");
	resp_free(&g);
	/* Audio players seek. */
	http_do_h("GET", loc, NULL, "Range: bytes=100-199", NULL, NULL, &g);
	ck_assert_int_eq(g.status, 206);
	ck_assert_uint_eq(strlen(g.body), 100);
	ck_assert_int_eq(memcmp(g.body, bytes + 100, 100), 0);
	resp_free(&g);
	/* nginx carried a few hundred bytes at most, never the audio. */
	snprintf(want, sizeof(want), "GET %s HTTP/1.1\" 302 ", path);
	snprintf(line, sizeof(line), "%s/nginx-access.log", suite_st.dir);
	f = fopen(line, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *at = strstr(line, want);

		if (at != NULL) {
			ck_assert_int_lt(atol(at + strlen(want)), 1024);
			found++;
		}
	}
	fclose(f);
	ck_assert_int_eq(found, 1);

	/* The URL as JSON; an attachment on request. */
	snprintf(path, sizeof(path), "/api/blobs/%s?redirect=false", id);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 200);
	ck_assert_int_eq(strncmp(resp_str(&r, "url"), endpoint,
	    strlen(endpoint)), 0);
	ck_assert_ptr_nonnull(resp_str(&r, "expiresAt"));
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/blobs/%s?download=true", id);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 302);
	http_get(resp_header(&r, "Location"), &g);
	ck_assert_int_eq(strncmp(resp_header(&g, "Content-Disposition"),
	    "attachment; ", 12), 0);
	resp_free(&g);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/blobs/%s?redirect=no", id);
	ck_assert_int_eq(api_status("GET", path, alice, NULL), 400);
	snprintf(path, sizeof(path), "/api/blobs/%s?other=1", id);
	ck_assert_int_eq(api_status("GET", path, alice, NULL), 400);

	/* HEAD: the metadata. */
	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_int_eq(api_req("HEAD", path, alice, NULL, &r), 200);
	ck_assert_str_eq(resp_header(&r, "X-Blob-Size"), "5000");
	ck_assert_str_eq(resp_header(&r, "X-Blob-State"), "ready");
	ck_assert_str_eq(resp_header(&r, "X-Blob-Kind"), "audio");
	ck_assert_str_eq(resp_header(&r, "X-Blob-Type"), "audio/wav");
	ck_assert_ptr_null(resp_header(&r, "Location"));
	resp_free(&r);

	/* The list and the usage. */
	ck_assert_int_eq(api_req("GET", "/api/blobs?kind=audio", alice, NULL,
	    &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, id));
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/blobs?kind=image", alice, NULL,
	    &r), 200);
	ck_assert_ptr_null(strstr(r.body, id));
	resp_free(&r);
	ck_assert_int_eq(api_status("GET", "/api/blobs?kind=video", alice,
	    NULL), 400);
	ck_assert_int_eq(api_status("GET", "/api/blobs?cursor=bm9wZQ", alice,
	    NULL), 400);
	ck_assert_int_eq(api_req("GET", "/api/blobs/usage", alice, NULL, &r),
	    200);
	ck_assert_ptr_nonnull(resp_str(&r, "kinds.audio.bytes"));
	ck_assert_str_eq(resp_str(&r, "quotaBytes"), "33554432");
	resp_free(&r);
	free(bytes);
}
END_TEST

START_TEST(the_store_refuses_other_uploads)
{
	char	*bytes = data(300), id[64], url[4096], bad[4096], other[64];
	char	 path[256], loc[4096];
	struct resp r;
	char	*p;

	ck_assert_int_eq(create(alice, "x.mp3", "audio/mpeg", 300, "audio",
	    id, url), 201);
	/* Another type, another length: the signature does not hold. */
	ck_assert_int_eq(put(url, "audio/wav", bytes), 403);
	ck_assert_int_eq(put(url, "audio/mpeg", bytes + 1), 403);
	/* A tampered signature. */
	snprintf(bad, sizeof(bad), "%s", url);
	p = strstr(bad, "X-Amz-Signature=") + 16;
	*p = *p == '0' ? '1' : '0';
	ck_assert_int_eq(put(bad, "audio/mpeg", bytes), 403);
	/* Another key with the same signature. */
	ck_assert_int_eq(create(alice, "y.mp3", "audio/mpeg", 300, "audio",
	    other, bad), 201);
	snprintf(bad, sizeof(bad), "%s", url);
	p = strstr(bad, id);
	memcpy(p, other, 36);
	ck_assert_int_eq(put(bad, "audio/mpeg", bytes), 403);
	ck_assert(!in_store(key_of(id)));
	ck_assert(!in_store(key_of(other)));
	/* The right one goes in. */
	ck_assert_int_eq(put(url, "audio/mpeg", bytes), 200);
	ck_assert(in_store(key_of(id)));
	/* A download URL past its lifetime. */
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", id);
	ck_assert_int_eq(api_status("POST", path, alice, "{}"), 200);
	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 302);
	snprintf(loc, sizeof(loc), "%s", resp_header(&r, "Location"));
	resp_free(&r);
	http_get(loc, &r);
	ck_assert_msg(r.status == 200, "%ld %s: %s", r.status, loc, r.body);
	resp_free(&r);
	harness_sleep_ms((DOWNLOAD_TTL + 1) * 1000);
	http_get(loc, &r);
	ck_assert_int_eq(r.status, 403);
	resp_free(&r);
	free(bytes);
}
END_TEST

/* POST /api/blobs with body: status, and error.field when 4xx. */
static void
refused(const char *cookie, const char *body, long status, const char *field,
    const char *message)
{
	struct resp	 r;

	ck_assert_int_eq(api_req("POST", "/api/blobs", cookie, body, &r),
	    status);
	if (field != NULL)
		ck_assert_str_eq(resp_str(&r, "error.field"), field);
	if (message != NULL)
		ck_assert_msg(strstr(resp_str(&r, "error.message"), message) !=
		    NULL, "%s: %s", body, r.body);
	resp_free(&r);
}

START_TEST(limits_and_quota)
{
	char		 c[128], id[64], url[4096], id2[64], path[512];
	struct resp	 r;
	int		 i;

	suite_user("quota@example.org", c, sizeof(c));
	refused(c, "{\"name\":\"a\",\"mimeType\":\"video/mp4\",\"sizeBytes\":1,"
	    "\"kind\":\"audio\"}", 422, "mimeType", "audio/mpeg, audio/wav");
	refused(c, "{\"name\":\"a\",\"mimeType\":\"image/png\",\"sizeBytes\":1,"
	    "\"kind\":\"audio\"}", 422, "mimeType", NULL);
	refused(c, "{\"name\":\"a\",\"mimeType\":\"image/png\",\"sizeBytes\":1,"
	    "\"kind\":\"video\"}", 422, "kind", NULL);
	refused(c, "{\"name\":\"a\",\"mimeType\":\"audio/wav\",\"sizeBytes\":0,"
	    "\"kind\":\"audio\"}", 422, "sizeBytes", NULL);
	refused(c, "{\"name\":\"a\",\"mimeType\":\"audio/wav\",\"sizeBytes\":"
	    "20971521,\"kind\":\"audio\"}", 413, "sizeBytes", "20 MiB");
	refused(c, "{\"name\":\"a\",\"mimeType\":\"image/gif\",\"sizeBytes\":"
	    "1048577,\"kind\":\"image\"}", 413, "sizeBytes", "1 MiB");
	refused(c, "{\"name\":\"a\",\"mimeType\":\"audio/wav\",\"sizeBytes\":"
	    "6000000000,\"kind\":\"audio\"}", 422, "sizeBytes", NULL);
	refused(c, "{\"mimeType\":\"audio/wav\",\"sizeBytes\":1,\"kind\":"
	    "\"audio\"}", 422, "name", NULL);
	refused(c, "{\"name\":\"a\\u0001b\",\"mimeType\":\"audio/wav\","
	    "\"sizeBytes\":1,\"kind\":\"audio\"}", 422, "name", NULL);
	refused(c, "{\"name\":\"a\",\"mimeType\":\"audio/wav\",\"sizeBytes\":1,"
	    "\"kind\":\"audio\",\"sha256\":\"ABCDEF0123456789ABCDEF0123456789"
	    "ABCDEF0123456789ABCDEF0123456789\"}", 422, "sha256", NULL);
	refused(c, "{\"name\":\"a\",\"mimeType\":\"audio/wav\",\"sizeBytes\":1,"
	    "\"kind\":\"audio\",\"state\":\"ready\"}", 422, "state", NULL);
	refused(c, "{\"name\":\"a\",\"mimeType\":\"audio/wav\",\"sizeBytes\":1,"
	    "\"kind\":\"audio\",\"objectKey\":\"x\"}", 422, "objectKey", NULL);
	refused(c, "[]", 400, NULL, NULL);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM blobs WHERE user_id "
	    "= " OF("quota@example.org")), 0);

	/* 32 MiB of quota: four of 8 MiB fit, a fifth does not. */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(create(c, "1.wav", "audio/wav", 8388608,
		    "audio", i == 0 ? id : id2, url), 201);
	refused(c, "{\"name\":\"3.wav\",\"mimeType\":\"audio/wav\",\"sizeBytes\":"
	    "8388608,\"kind\":\"audio\"}", 413, NULL, "32 MiB of the 32 MiB");
	ck_assert_int_eq(suite_count("SELECT count(*) FROM blobs WHERE user_id "
	    "= " OF("quota@example.org")), 4);
	/* A pending blob deleted gives its room back. */
	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_int_eq(api_status("DELETE", path, c, NULL), 204);
	ck_assert_int_eq(create(c, "3.wav", "audio/wav", 8388608, "audio", id,
	    url), 201);
	/* The four blobs, two to a page, each once. */
	ck_assert_int_eq(api_req("GET", "/api/blobs?limit=2", c, NULL, &r),
	    200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 2);
	snprintf(path, sizeof(path), "/api/blobs?limit=2&cursor=%s",
	    resp_str(&r, "nextCursor"));
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", path, c, NULL, &r), 200);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.json, "data")), 2);
	ck_assert_ptr_null(resp_str(&r, "nextCursor"));
	resp_free(&r);
}
END_TEST

/*
 * An import's bundle counts against the quota while it is kept
 * (sql/0015), and a user has three such imports at most: 32 MiB of
 * quota, a 20 MiB bundle, then a 15 MiB blob or a second 20 MiB bundle
 * does not fit; three small bundles, and a fourth is 409.
 */
START_TEST(import_bundles_count_against_the_quota)
{
	char		 c[128], path[128], ids[3][64];
	struct resp	 r;
	int		 i;

	suite_user("bundles@example.org", c, sizeof(c));
	ck_assert_int_eq(api_req("POST", "/api/vault/imports", c,
	    "{\"name\":\"big.vault\",\"sizeBytes\":20971520}", &r), 201);
	snprintf(ids[0], sizeof(ids[0]), "%s", resp_str(&r, "id"));
	resp_free(&r);
	refused(c, "{\"name\":\"a.wav\",\"mimeType\":\"audio/wav\","
	    "\"sizeBytes\":15728640,\"kind\":\"audio\"}", 413, NULL,
	    "20 MiB of the 32 MiB");
	ck_assert_int_eq(api_req("POST", "/api/vault/imports", c,
	    "{\"name\":\"b.vault\",\"sizeBytes\":20971520}", &r), 413);
	ck_assert_str_eq(resp_str(&r, "error.code"), "quota_exceeded");
	ck_assert(strstr(resp_str(&r, "error.message"), "this bundle (20 MiB)")
	    != NULL);
	resp_free(&r);
	ck_assert_int_eq(api_req("GET", "/api/blobs/usage", c, NULL, &r), 200);
	ck_assert_str_eq(resp_str(&r, "usedBytes"), "20971520");
	ck_assert_str_eq(resp_str(&r, "imports.count"), "1");
	ck_assert_str_eq(resp_str(&r, "imports.bytes"), "20971520");
	resp_free(&r);
	for (i = 1; i < 3; i++) {
		ck_assert_int_eq(api_req("POST", "/api/vault/imports", c,
		    "{\"name\":\"s.vault\",\"sizeBytes\":1000}", &r), 201);
		snprintf(ids[i], sizeof(ids[i]), "%s", resp_str(&r, "id"));
		resp_free(&r);
	}
	ck_assert_int_eq(api_req("POST", "/api/vault/imports", c,
	    "{\"name\":\"s.vault\",\"sizeBytes\":1000}", &r), 409);
	ck_assert_str_eq(resp_str(&r, "error.code"), "too_many_imports");
	resp_free(&r);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM vault_imports WHERE "
	    "user_id = " OF("bundles@example.org")), 3);
	/* One deleted gives its place and its bytes back. */
	snprintf(path, sizeof(path), "/api/vault/imports/%s", ids[0]);
	ck_assert_int_eq(api_status("DELETE", path, c, NULL), 204);
	ck_assert_int_eq(api_status("POST", "/api/vault/imports", c,
	    "{\"name\":\"b.vault\",\"sizeBytes\":20971520}"), 201);
}
END_TEST

/*
 * What an upload may carry is what its URL signs: a blob's sha256 is
 * signed as x-amz-checksum-sha256 (the store refuses other bytes; s3rver
 * checks the signature, so an upload without that header, or with
 * another hash, is refused); headers nobody signed (Cache-Control,
 * Content-Encoding, x-amz-meta-*) make the completion 422 and the
 * object goes; a hash for a blob uploaded in parts is 422; a download
 * answers with the server's caching.
 */
START_TEST(uploads_are_what_was_signed)
{
	static const char *const unsigned_headers[] = {
	    "Cache-Control: public, max-age=31536000",
	    "Content-Encoding: gzip", "x-amz-meta-note: hello" };
	struct arena	 a;
	struct resp	 r;
	char		 c[128], body[512], id[64], url[4096], sum[64], path[512];
	char		*bytes = data(1000), *sha;
	int		 i;

	arena_init(&a, 16 * 1024);
	suite_user("signed@example.org", c, sizeof(c));
	sha = sha256_hex(&a, bytes, 1000, NULL, 0);
	snprintf(body, sizeof(body), "{\"name\":\"s.wav\",\"mimeType\":"
	    "\"audio/wav\",\"sizeBytes\":1000,\"kind\":\"audio\","
	    "\"sha256\":\"%s\"}", sha);
	ck_assert_int_eq(api_req("POST", "/api/blobs", c, body, &r), 201);
	snprintf(id, sizeof(id), "%s", resp_str(&r, "id"));
	snprintf(url, sizeof(url), "%s", resp_str(&r, "upload.url"));
	snprintf(sum, sizeof(sum), "%s", resp_str(&r,
	    "upload.headers.x-amz-checksum-sha256"));
	resp_free(&r);
	ck_assert_str_eq(sum, storage_checksum_sha256(&a, sha));
	ck_assert(strstr(url, "x-amz-checksum-sha256") != NULL);
	/* Without the hash, or with another one: refused by the store. */
	ck_assert_int_eq(put(url, "audio/wav", bytes), 403);
	http_do_h("PUT", url, NULL, "x-amz-checksum-sha256: "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "audio/wav", bytes,
	    &r);
	ck_assert_int_eq(r.status, 403);
	resp_free(&r);
	snprintf(body, sizeof(body), "x-amz-checksum-sha256: %s", sum);
	http_do_h("PUT", url, NULL, body, "audio/wav", bytes, &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", id);
	ck_assert_int_eq(api_status("POST", path, c, NULL), 200);
	/* Its download: the server's type and caching. */
	snprintf(path, sizeof(path), "/api/blobs/%s?redirect=false", id);
	ck_assert_int_eq(api_req("GET", path, c, NULL, &r), 200);
	ck_assert(strstr(resp_str(&r, "url"), "response-cache-control=private")
	    != NULL);
	resp_free(&r);

	/* Headers the URL did not sign: the completion refuses them. */
	for (i = 0; i < N(unsigned_headers); i++) {
		ck_assert_int_eq(create(c, "u.wav", "audio/wav", 1000, "audio",
		    id, url), 201);
		http_do_h("PUT", url, NULL, unsigned_headers[i], "audio/wav",
		    bytes, &r);
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
		snprintf(path, sizeof(path), "/api/blobs/%s/complete", id);
		ck_assert_int_eq(api_req("POST", path, c, NULL, &r), 422);
		ck_assert_str_eq(resp_str(&r, "error.code"), "upload_mismatch");
		ck_assert_msg(strstr(resp_str(&r, "error.message"), "did not "
		    "sign") != NULL, "%s", resp_str(&r, "error.message"));
		resp_free(&r);
		ck_assert(!in_store(key_of(id)));
	}
	/* A hash for an upload in parts (past 8 MiB here): 422. */
	snprintf(body, sizeof(body), "{\"name\":\"m.wav\",\"mimeType\":"
	    "\"audio/wav\",\"sizeBytes\":9000000,\"kind\":\"audio\","
	    "\"sha256\":\"%s\"}", sha);
	ck_assert_int_eq(api_req("POST", "/api/blobs", c, body, &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "sha256");
	resp_free(&r);
	free(bytes);
	arena_cleanup(&a);
}
END_TEST

START_TEST(mismatch_at_complete)
{
	char		*bytes = data(1000), id[64], url[4096], path[256];
	struct arena	 a;
	struct resp	 r;

	ck_assert_int_eq(create(alice, "m.flac", "audio/flac", 1000, "audio",
	    id, url), 201);
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", id);
	/* Put there by other means: the wrong length, then the wrong type. */
	arena_init(&a, 64 * 1024);
	ck_assert_int_eq(put(storage_presign(&a, &st, "PUT", key_of(id), 60,
	    time(NULL), NULL, -1, NULL, 0), "audio/flac", bytes + 1), 200);
	ck_assert_int_eq(api_req("POST", path, alice, "{}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.code"), "upload_mismatch");
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"), "999"));
	resp_free(&r);
	ck_assert(!in_store(key_of(id)));
	ck_assert_int_eq(put(storage_presign(&a, &st, "PUT", key_of(id), 60,
	    time(NULL), NULL, -1, NULL, 0), "audio/ogg", bytes), 200);
	ck_assert_int_eq(api_req("POST", path, alice, "{}", &r), 422);
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "audio/ogg"));
	resp_free(&r);
	ck_assert(!in_store(key_of(id)));
	snprintf(path, sizeof(path), "SELECT state FROM blobs WHERE id = '%s'",
	    id);
	ck_assert_str_eq(suite_sql(path), "pending");
	/* The right upload still completes. */
	ck_assert_int_eq(put(url, "audio/flac", bytes), 200);
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", id);
	ck_assert_int_eq(api_status("POST", path, alice, "{}"), 200);
	arena_cleanup(&a);
	free(bytes);
}
END_TEST

/* PUT bytes [from, from + n) of all to url; the store's ETag into etag. */
static long
put_part(const char *url, const char *all, size_t from, size_t n, char *etag,
    size_t len)
{
	struct resp	 r;
	char		*part = strndup(all + from, n);
	long		 status;

	http_do_h("PUT", url, NULL, NULL, NULL, part, &r);
	status = r.status;
	if (status == 200)
		snprintf(etag, len, "%s", resp_header(&r, "ETag"));
	resp_free(&r);
	free(part);
	return status;
}

/* {"parts":[…]} of the three ETags. */
static const char *
parts_body(char etags[3][128])
{
	static char		 out[1024];
	struct json_object	*o = json_object_new_object(), *a, *p;
	int			 i;

	a = json_object_new_array();
	for (i = 0; i < 3; i++) {
		p = json_object_new_object();
		json_object_object_add(p, "partNumber",
		    json_object_new_int(i + 1));
		json_object_object_add(p, "etag", json_object_new_string(
		    etags[i]));
		json_object_array_add(a, p);
	}
	json_object_object_add(o, "parts", a);
	snprintf(out, sizeof(out), "%s", json_object_to_json_string(o));
	json_object_put(o);
	return out;
}

/* POST /api/blobs/{id}/parts for nums (JSON); its status. */
static long
part_urls(const char *id, const char *nums, struct resp *r)
{
	char	 path[256], body[1024];

	snprintf(path, sizeof(path), "/api/blobs/%s/parts", id);
	snprintf(body, sizeof(body), "{\"partNumbers\":%s}", nums);
	return api_req("POST", path, alice, body, r);
}

START_TEST(multipart_upload)
{
	const size_t	 size = 12 << 20, part = 5 << 20;
	char		*bytes = data(size), id[64], url[4096], path[256];
	char		 urls[3][4096], etags[3][128], body[1024];
	char		 loc[4096];
	struct resp	 r, g;
	size_t		 i;

	snprintf(body, sizeof(body), "{\"name\":\"long.wav\",\"mimeType\":"
	    "\"audio/wav\",\"sizeBytes\":%zu,\"kind\":\"audio\"}", size);
	ck_assert_int_eq(api_req("POST", "/api/blobs", alice, body, &r), 201);
	snprintf(id, sizeof(id), "%s", resp_str(&r, "id"));
	ck_assert_str_eq(resp_str(&r, "multipart.partSize"), "5242880");
	ck_assert_str_eq(resp_str(&r, "multipart.partCount"), "3");
	ck_assert_ptr_null(resp_str(&r, "upload.url"));
	resp_free(&r);
	snprintf(path, sizeof(path), "SELECT upload_id IS NOT NULL FROM blobs "
	    "WHERE id = '%s'", id);
	ck_assert_str_eq(suite_sql(path), "t");

	/* Part URLs: only real part numbers, each once. */
	ck_assert_int_eq(part_urls(id, "[0]", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "partNumbers[0]");
	resp_free(&r);
	ck_assert_int_eq(part_urls(id, "[1,4]", &r), 422);
	resp_free(&r);
	ck_assert_int_eq(part_urls(id, "[2,2]", &r), 422);
	resp_free(&r);
	ck_assert_int_eq(part_urls(id, "[]", &r), 422);
	resp_free(&r);
	ck_assert_int_eq(part_urls(id, "\"1\"", &r), 422);
	resp_free(&r);
	ck_assert_int_eq(part_urls(id, "[3,1,2]", &r), 200);
	ck_assert_ptr_nonnull(resp_str(&r, "expiresAt"));
	for (i = 0; i < 3; i++) {
		struct json_object *p = json_object_array_get_idx(
		    json_object_object_get(r.json, "parts"), i);
		int n = json_object_get_int(json_object_object_get(p,
		    "partNumber"));

		snprintf(urls[n - 1], sizeof(urls[0]), "%s",
		    json_object_get_string(json_object_object_get(p, "url")));
		ck_assert_int_eq(json_object_get_int64(json_object_object_get(
		    p, "sizeBytes")), n < 3 ? (long long)part :
		    (long long)(size - 2 * part));
	}
	resp_free(&r);

	/* A part of another length is refused by the store. */
	ck_assert_int_eq(put_part(urls[0], bytes, 0, part - 1, etags[0],
	    sizeof(etags[0])), 403);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(put_part(urls[i], bytes, i * part, i < 2 ?
		    part : size - 2 * part, etags[i], sizeof(etags[i])), 200);

	/* Completion wants every part, in order, with its ETag. */
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", id);
	ck_assert_int_eq(api_req("POST", path, alice, "{}", &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "parts");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"parts\":[{\"partNumber\":1,\"etag\":"
	    "\"%s\"},{\"partNumber\":3,\"etag\":\"x\"},{\"partNumber\":2,"
	    "\"etag\":\"x\"}]}", "x");
	ck_assert_int_eq(api_req("POST", path, alice, body, &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "parts[1]");
	resp_free(&r);
	snprintf(body, sizeof(body), "%s", parts_body(etags));
	ck_assert_int_eq(api_req("POST", path, alice, body, &r), 200);
	ck_assert_str_eq(resp_str(&r, "state"), "ready");
	resp_free(&r);
	/* No more parts for a ready blob. */
	ck_assert_int_eq(part_urls(id, "[1]", &r), 409);
	ck_assert_str_eq(resp_str(&r, "error.code"), "not_multipart");
	resp_free(&r);

	/* Downloaded whole, byte for byte. */
	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_int_eq(api_req("GET", path, alice, NULL, &r), 302);
	snprintf(loc, sizeof(loc), "%s", resp_header(&r, "Location"));
	resp_free(&r);
	http_get(loc, &g);
	ck_assert_int_eq(g.status, 200);
	ck_assert_uint_eq(strlen(g.body), size);
	ck_assert(memcmp(g.body, bytes, size) == 0);
	resp_free(&g);
	free(bytes);
	(void)url;
}
END_TEST

START_TEST(multipart_abort_leaves_nothing)
{
	char		*bytes = data(9 << 20), id[64], path[256], key[256];
	char		 first[4096], etag[128], body[256], cmd[512];
	struct resp	 r;

	snprintf(body, sizeof(body), "{\"name\":\"a.ogg\",\"mimeType\":"
	    "\"audio/ogg\",\"sizeBytes\":%d,\"kind\":\"audio\"}", 9 << 20);
	ck_assert_int_eq(api_req("POST", "/api/blobs", alice, body, &r), 201);
	snprintf(id, sizeof(id), "%s", resp_str(&r, "id"));
	resp_free(&r);
	snprintf(key, sizeof(key), "%s", key_of(id));
	ck_assert_int_eq(part_urls(id, "[1]", &r), 200);
	snprintf(first, sizeof(first), "%s", json_object_get_string(
	    json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(r.json, "parts"), 0), "url")));
	resp_free(&r);
	ck_assert_int_eq(put_part(first, bytes, 0, 5 << 20, etag,
	    sizeof(etag)), 200);
	/* The server keeps an upload's parts in a directory named by it. */
	snprintf(path, sizeof(path), "SELECT upload_id FROM blobs WHERE id = "
	    "'%s'", id);
	snprintf(cmd, sizeof(cmd), "find %s -name '%s' | grep -q .", dir,
	    suite_sql(path));
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_int_eq(api_status("DELETE", path, alice, NULL), 204);
	/* The upload is gone with its parts, and there is no object. */
	ck_assert_int_ne(system(cmd), 0);
	ck_assert(!in_store(key));
	ck_assert_int_eq(api_status("GET", path, alice, NULL), 404);
	free(bytes);
}
END_TEST

/* Whether key leaves the store within ms (the jobs worker removes it). */
static int
gone_within(const char *key, int ms)
{
	int	 waited;

	for (waited = 0; waited < ms; waited += 100) {
		if (!in_store(key))
			return 1;
		harness_sleep_ms(100);
	}
	return !in_store(key);
}

/* POST a track with blob to library lib of cookie's; its status. */
static long
track(const char *cookie, const char *lib, const char *blob, struct resp *r)
{
	char	 path[256], body[256];

	snprintf(path, sizeof(path), "/api/reference-libraries/%s/tracks", lib);
	snprintf(body, sizeof(body), "{\"name\":\"ref\",\"blobId\":\"%s\"}",
	    blob);
	return api_req("POST", path, cookie, body, r);
}

/* A new library of cookie's; its id into lib. */
static void
library(const char *cookie, char *lib)
{
	struct resp	 r;

	ck_assert_int_eq(api_req("POST", "/api/reference-libraries", cookie,
	    "{\"name\":\"refs\"}", &r), 201);
	snprintf(lib, 64, "%s", resp_str(&r, "id"));
	resp_free(&r);
}

START_TEST(tracks_use_their_blob)
{
	char		 lib[64], blob[64], other[64], pending[64], img[64];
	char		 bobs[64], url[4096], key[256], path[256], tr[64];
	struct resp	 r;

	library(alice, lib);
	ready_blob(alice, "track audio", blob);
	ready_blob(bob, "bob's", bobs);
	ck_assert_int_eq(create(alice, "p.wav", "audio/wav", 5, "audio",
	    pending, url), 201);
	ck_assert_int_eq(create(alice, "c.png", "image/png", 5, "image", img,
	    url), 201);
	ck_assert_int_eq(put(url, "image/png", "pngxx"), 200);
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", img);
	ck_assert_int_eq(api_status("POST", path, alice, "{}"), 200);

	/* A path under /api/blobs that is no blob's: 404, not 405. */
	ck_assert_int_eq(api_req("POST", "/api/blobs/upload", alice, "{}", &r),
	    404);
	ck_assert_str_eq(resp_str(&r, "error.code"), "not_found");
	resp_free(&r);
	/* Only a ready audio blob of hers, used by nothing else; each
	 * cause said, but bob's blob is as good as a missing one. */
	ck_assert_int_eq(track(alice, lib, bobs, &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "blobId");
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "no audio blob"));
	resp_free(&r);
	ck_assert_int_eq(track(alice, lib, "0b6c5e2a-1111-4222-8333-"
	    "444455559999", &r), 422);
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "no audio blob"));
	resp_free(&r);
	ck_assert_int_eq(track(alice, lib, pending, &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "blobId");
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "is not ready: complete its upload first"));
	resp_free(&r);
	ck_assert_int_eq(track(alice, lib, img, &r), 422);
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "is not an audio blob"));
	resp_free(&r);
	ck_assert_int_eq(track(alice, lib, "not-a-uuid", &r), 422);
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", "/api/reference-libraries/nope/"
	    "tracks", alice, "{\"name\":\"x\",\"blobId\":\"00000000-0000-"
	    "4000-8000-000000000000\"}", &r), 404);
	resp_free(&r);
	ck_assert_int_eq(track(alice, lib, blob, &r), 201);
	snprintf(tr, sizeof(tr), "%s", resp_str(&r, "id"));
	snprintf(key, sizeof(key), "%s", key_of(blob));
	ck_assert_str_eq(resp_str(&r, "blobKey"), key);
	ck_assert_str_eq(resp_str(&r, "blobId"), blob);
	ck_assert_str_eq(resp_str(&r, "mimeType"), "audio/wav");
	resp_free(&r);
	ck_assert_int_eq(track(alice, lib, blob, &r), 422);
	ck_assert_ptr_nonnull(strstr(resp_str(&r, "error.message"),
	    "is used by another track or project already"));
	resp_free(&r);
	/* Bob cannot take it by naming it. */
	ready_blob(alice, "second", other);
	ck_assert_int_eq(track(bob, lib, other, &r), 404);
	resp_free(&r);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM reference_tracks "
	    "WHERE user_id = " OF("alice@example.org") " AND library_id = "
	    "(SELECT library_id FROM reference_tracks WHERE blob_id IS NOT "
	    "NULL LIMIT 1)"), 1);
	/* In use: not deleted on its own. */
	snprintf(path, sizeof(path), "/api/blobs/%s", blob);
	ck_assert_int_eq(api_req("DELETE", path, alice, NULL, &r), 409);
	ck_assert_str_eq(resp_str(&r, "error.code"), "blob_in_use");
	resp_free(&r);
	ck_assert(in_store(key));
	/* The track deleted takes its blob, then its object. */
	snprintf(path, sizeof(path), "/api/reference-tracks/%s", tr);
	ck_assert_int_eq(api_status("DELETE", path, alice, NULL), 204);
	snprintf(path, sizeof(path), "SELECT count(*) FROM blobs WHERE id = "
	    "'%s'", blob);
	ck_assert_int_eq(suite_count(path), 0);
	ck_assert(gone_within(key, 10000));
}
END_TEST

START_TEST(library_project_and_account_take_their_objects)
{
	char		 c[128], lib[64], b1[64], b2[64], img[64], url[4096];
	char		 k1[256], k2[256], ki[256], kp[256], path[256];
	char		 pending[64], body[256];
	struct resp	 r;

	suite_user("leaving@example.org", c, sizeof(c));
	/* A library with two tracks. */
	library(c, lib);
	ready_blob(c, "one", b1);
	ready_blob(c, "two", b2);
	ck_assert_int_eq(track(c, lib, b1, &r), 201);
	resp_free(&r);
	ck_assert_int_eq(track(c, lib, b2, &r), 201);
	resp_free(&r);
	snprintf(k1, sizeof(k1), "%s", key_of(b1));
	snprintf(k2, sizeof(k2), "%s", key_of(b2));
	snprintf(path, sizeof(path), "/api/reference-libraries/%s", lib);
	ck_assert_int_eq(api_status("DELETE", path, c, NULL), 204);
	ck_assert(gone_within(k1, 10000));
	ck_assert(gone_within(k2, 10000));

	/* A project's cover: an image blob, taken with the project. */
	ck_assert_int_eq(create(c, "c.webp", "image/webp", 4, "image", img,
	    url), 201);
	ck_assert_int_eq(put(url, "image/webp", "webp"), 200);
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", img);
	ck_assert_int_eq(api_status("POST", path, c, "{}"), 200);
	snprintf(ki, sizeof(ki), "%s", key_of(img));
	ready_blob(c, "not an image", b1);
	snprintf(body, sizeof(body), "{\"name\":\"p\",\"coverBlobId\":"
	    "\"%s\"}", b1);
	ck_assert_int_eq(api_req("POST", "/api/projects", c, body, &r), 422);
	ck_assert_str_eq(resp_str(&r, "error.field"), "coverBlobId");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"name\":\"p\",\"coverBlobId\":"
	    "\"%s\"}", img);
	ck_assert_int_eq(api_req("POST", "/api/projects", c, body, &r), 201);
	ck_assert_str_eq(resp_str(&r, "coverBlobId"), img);
	snprintf(path, sizeof(path), "/api/projects/%s", resp_str(&r, "id"));
	resp_free(&r);
	ck_assert_int_eq(api_status("DELETE", path, c, NULL), 204);
	ck_assert(gone_within(ki, 10000));

	/* The account: every object, a multipart upload's too. */
	snprintf(kp, sizeof(kp), "%s", key_of(b1));
	snprintf(body, sizeof(body), "{\"name\":\"big.wav\",\"mimeType\":"
	    "\"audio/wav\",\"sizeBytes\":%d,\"kind\":\"audio\"}", 9 << 20);
	ck_assert_int_eq(api_req("POST", "/api/blobs", c, body, &r), 201);
	snprintf(pending, sizeof(pending), "%s", resp_str(&r, "id"));
	resp_free(&r);
	snprintf(path, sizeof(path), "SELECT upload_id FROM blobs WHERE id = "
	    "'%s'", pending);
	snprintf(body, sizeof(body), "find %s -name '%s' | grep -q .", dir,
	    suite_sql(path));
	ck_assert_int_eq(system(body), 0);
	ck_assert(in_store(kp));
	ck_assert_int_eq(api_status("DELETE", "/api/me", c, NULL), 204);
	ck_assert(gone_within(kp, 10000));
	for (int i = 0; i < 100 && system(body) == 0; i++)
		harness_sleep_ms(100);
	ck_assert_int_ne(system(body), 0);
	ck_assert_int_eq(suite_count("SELECT count(*) FROM blob_deletions"), 0);
}
END_TEST

START_TEST(maintain_sweeps_the_store)
{
	char		 c[128], id[64], url[4096], key[256], orphan[256];
	char		 out[256], q[256], fresh[64], fkey[256];
	struct arena	 a;

	suite_user("sweep@example.org", c, sizeof(c));
	/* A blob uploaded but never completed, and left. */
	ck_assert_int_eq(create(c, "left.wav", "audio/wav", 4, "audio", id,
	    url), 201);
	ck_assert_int_eq(put(url, "audio/wav", "left"), 200);
	snprintf(key, sizeof(key), "%s", key_of(id));
	/* An object no row names, under the user's prefix. */
	snprintf(orphan, sizeof(orphan), "%.36s/audio/orphan.wav", key);
	arena_init(&a, 16 * 1024);
	ck_assert_int_eq(put(storage_presign(&a, &st, "PUT", orphan, 60,
	    time(NULL), NULL, -1, NULL, 0), "audio/wav", "orphan"), 200);
	arena_cleanup(&a);
	harness_sleep_ms((SWEEP_AGE + 1) * 1000);
	/* Younger than the age: kept, with its object. */
	ck_assert_int_eq(create(c, "new.wav", "audio/wav", 3, "audio", fresh,
	    url), 201);
	ck_assert_int_eq(put(url, "audio/wav", "new"), 200);
	snprintf(fkey, sizeof(fkey), "%s", key_of(fresh));

	snprintf(out, sizeof(out), "%s/maintain.out", dir);
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", out), 0);
	ck_assert(harness_file_has(out, "blobs left pending, removed: ", 0));
	ck_assert(harness_file_has(out, "objects with no blob, queued: 1", 0));
	snprintf(q, sizeof(q), "SELECT count(*) FROM blobs WHERE id = '%s'",
	    id);
	ck_assert_int_eq(suite_count(q), 0);
	ck_assert(!in_store(key));
	ck_assert(!in_store(orphan));
	snprintf(q, sizeof(q), "SELECT count(*) FROM blobs WHERE id = '%s'",
	    fresh);
	ck_assert_int_eq(suite_count(q), 1);
	ck_assert(in_store(fkey));
	ck_assert_int_eq(suite_count("SELECT count(*) FROM blob_deletions"), 0);
}
END_TEST

START_TEST(store_down_when_a_track_goes)
{
	char		 lib[64], blob[64], key[256], tr[64], path[512];
	char		 out[256];
	struct resp	 r;

	library(alice, lib);
	ready_blob(alice, "outlives the store", blob);
	snprintf(key, sizeof(key), "%s", key_of(blob));
	ck_assert_int_eq(track(alice, lib, blob, &r), 201);
	snprintf(tr, sizeof(tr), "%s", resp_str(&r, "id"));
	resp_free(&r);
	kill(s3, SIGSTOP);
	/* The row goes now; the object waits for the store. */
	snprintf(path, sizeof(path), "/api/reference-tracks/%s", tr);
	ck_assert_int_eq(api_status("DELETE", path, alice, NULL), 204);
	snprintf(path, sizeof(path), "SELECT count(*) FROM blob_deletions "
	    "WHERE object_key = '%s'", key);
	ck_assert_int_eq(suite_count(path), 1);
	snprintf(out, sizeof(out), "%s/maintain-down.out", dir);
	/* maintain says so (the jobs worker may hold the queue's rows). */
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", out), 1);
	ck_assert(harness_file_has(out, "passionctl: maintain: ", 0));
	ck_assert_int_eq(suite_count(path), 1);
	kill(s3, SIGCONT);
	/* Back: the job's next attempt or maintain removes it. */
	ck_assert_int_eq(harness_passionctl(&suite_st, "maintain", out), 0);
	ck_assert(!in_store(key));
	ck_assert_int_eq(suite_count(path), 0);
}
END_TEST

/*
 * node tests/peers/sdk.mjs args, stdin from a file holding in (NULL:
 * none); its first output line into out. Its exit status.
 */
static int
sdk(const char *args, const char *in, char *out, size_t len)
{
	char	 cmd[2048], inf[128], outf[128];
	FILE	*f;
	int	 rc;

	snprintf(inf, sizeof(inf), "%s/sdk.in", dir);
	snprintf(outf, sizeof(outf), "%s/sdk.out", dir);
	f = fopen(inf, "w");
	ck_assert_ptr_nonnull(f);
	fputs(in ? in : "", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "node %s/sdk.mjs %s < %s > %s 2> %s.err",
	    harness_peers(), args, inf, outf, outf);
	rc = system(cmd);
	f = fopen(outf, "r");
	ck_assert_ptr_nonnull(f);
	if (fgets(out, (int)len, f) == NULL)
		*out = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Write n bytes of data() to path; the bytes (caller frees). */
static char *
file_of(const char *path, size_t n)
{
	char	*bytes = data(n);
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
	fclose(f);
	return bytes;
}

/* The file's bytes equal bytes[0..n). */
static int
same_file(const char *path, const char *bytes, size_t n)
{
	char	*got = malloc(n + 1);
	FILE	*f = fopen(path, "r");
	size_t	 r;

	ck_assert_ptr_nonnull(f);
	r = fread(got, 1, n + 1, f);
	fclose(f);
	r = r == n && memcmp(got, bytes, n) == 0;
	free(got);
	return (int)r;
}

START_TEST(the_aws_sdk_uploads_to_our_urls)
{
	const size_t	 big = 11 << 20;
	char		 file[128], back[128], args[512], out[65536], path[256];
	char		 body[512], *bytes;
	struct resp	 r;

	/* One PUT, through the SDK's HTTP handler, then read back by its
	 * S3 client. */
	snprintf(file, sizeof(file), "%s/sdk.flac", dir);
	bytes = file_of(file, 70000);
	ck_assert_int_eq(api_req("POST", "/api/blobs", alice, "{\"name\":"
	    "\"sdk.flac\",\"mimeType\":\"audio/flac\",\"sizeBytes\":70000,"
	    "\"kind\":\"audio\"}", &r), 201);
	snprintf(args, sizeof(args), "put %s", file);
	ck_assert_int_eq(sdk(args, r.body, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "200");
	snprintf(path, sizeof(path), "/api/blobs/%s/complete",
	    resp_str(&r, "id"));
	ck_assert_int_eq(api_status("POST", path, alice, "{}"), 200);
	snprintf(back, sizeof(back), "%s/sdk.back", dir);
	snprintf(args, sizeof(args), "get %s '%s' %s", endpoint,
	    key_of(resp_str(&r, "id")), back);
	resp_free(&r);
	ck_assert_int_eq(sdk(args, NULL, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "audio/flac");
	ck_assert(same_file(back, bytes, 70000));
	free(bytes);

	/* Multipart: the parts through the SDK, completed with its ETags. */
	snprintf(file, sizeof(file), "%s/sdk-big.wav", dir);
	bytes = file_of(file, big);
	snprintf(body, sizeof(body), "{\"name\":\"big.wav\",\"mimeType\":"
	    "\"audio/wav\",\"sizeBytes\":%zu,\"kind\":\"audio\"}", big);
	ck_assert_int_eq(api_req("POST", "/api/blobs", alice, body, &r), 201);
	snprintf(path, sizeof(path), "/api/blobs/%s/parts", resp_str(&r,
	    "id"));
	snprintf(back, sizeof(back), "%s", resp_str(&r, "id"));
	resp_free(&r);
	ck_assert_int_eq(api_req("POST", path, alice, "{\"partNumbers\":"
	    "[1,2,3]}", &r), 200);
	snprintf(args, sizeof(args), "parts %s %d", file, 5 << 20);
	ck_assert_int_eq(sdk(args, r.body, out, sizeof(out)), 0);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", back);
	ck_assert_int_eq(api_req("POST", path, alice, out, &r), 200);
	ck_assert_str_eq(resp_str(&r, "sizeBytes"), "11534336");
	resp_free(&r);
	snprintf(args, sizeof(args), "get %s '%s' %s/sdk-big.back", endpoint,
	    key_of(back), dir);
	ck_assert_int_eq(sdk(args, NULL, out, sizeof(out)), 0);
	snprintf(path, sizeof(path), "%s/sdk-big.back", dir);
	ck_assert(same_file(path, bytes, big));
	free(bytes);
}
END_TEST

START_TEST(another_users_blob)
{
	char		 id[64], pending[64], url[4096], path[256];
	char		 before[512];
	static const char *const routes[][2] = {
		{ "GET", "" }, { "HEAD", "" }, { "DELETE", "" },
		{ "POST", "/complete" }, { "POST", "/parts" },
	};
	size_t		 i;

	ready_blob(alice, "mine", id);
	ck_assert_int_eq(create(alice, "p.wav", "audio/wav", 4, "audio",
	    pending, url), 201);
	snprintf(path, sizeof(path), "SELECT row(b.*)::text FROM blobs b "
	    "WHERE id = '%s'", id);
	snprintf(before, sizeof(before), "%s", suite_sql(path));
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const char *body = strcmp(routes[i][0], "POST") == 0 ?
		    "{\"partNumbers\":[1]}" : NULL;

		snprintf(path, sizeof(path), "/api/blobs/%s%s", id,
		    routes[i][1]);
		ck_assert_msg(api_status(routes[i][0], path, bob, body) == 404,
		    "%s %s", routes[i][0], path);
		snprintf(path, sizeof(path), "/api/blobs/%s%s", pending,
		    routes[i][1]);
		ck_assert_int_eq(api_status(routes[i][0], path, bob, body), 404);
	}
	ck_assert_int_eq(api_status("GET", "/api/blobs/not-a-uuid", alice,
	    NULL), 404);
	ck_assert_int_eq(api_status("DELETE", "/api/blobs/not-a-uuid", alice,
	    NULL), 404);
	snprintf(path, sizeof(path), "SELECT row(b.*)::text FROM blobs b "
	    "WHERE id = '%s'", id);
	ck_assert_str_eq(suite_sql(path), before);
	ck_assert(in_store(key_of(id)));
	ck_assert_int_eq(api_status("GET", "/api/blobs", bob, NULL), 200);
	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_int_eq(api_status("GET", path, alice, NULL), 302);
}
END_TEST

START_TEST(delete_removes_the_object)
{
	char	 id[64], key[256], path[256];

	ready_blob(alice, "gone soon", id);
	snprintf(key, sizeof(key), "%s", key_of(id));
	ck_assert(in_store(key));
	snprintf(path, sizeof(path), "/api/blobs/%s", id);
	ck_assert_int_eq(api_status("DELETE", path, alice, NULL), 204);
	ck_assert(!in_store(key));
	ck_assert_int_eq(api_status("GET", path, alice, NULL), 404);
	ck_assert_int_eq(api_status("DELETE", path, alice, NULL), 404);
}
END_TEST

START_TEST(store_stopped)
{
	char		*bytes = data(64), id[64], ready[64], url[4096];
	char		 path[256], q[256], again[64];
	struct resp	 r;

	ready_blob(alice, "still here", ready);
	ck_assert_int_eq(create(alice, "s.wav", "audio/wav", 64, "audio", id,
	    url), 201);
	ck_assert_int_eq(put(url, "audio/wav", bytes), 200);
	/* Frozen: calls time out (outbound_timeout = 2). */
	kill(s3, SIGSTOP);
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", id);
	ck_assert_int_eq(api_req("POST", path, alice, "{}", &r), 503);
	ck_assert_str_eq(resp_str(&r, "error.code"), "storage_unavailable");
	ck_assert_ptr_nonnull(resp_header(&r, "Retry-After"));
	resp_free(&r);
	/* Signing needs no store: downloads and new uploads still go. */
	snprintf(path, sizeof(path), "/api/blobs/%s", ready);
	ck_assert_int_eq(api_status("GET", path, alice, NULL), 302);
	ck_assert_int_eq(create(alice, "t.wav", "audio/wav", 8, "audio",
	    again, url), 201);
	ck_assert_int_eq(api_req("DELETE", path, alice, NULL, &r), 503);
	ck_assert_str_eq(resp_str(&r, "error.code"), "storage_unavailable");
	resp_free(&r);
	kill(s3, SIGCONT);
	/* The rows are as they were. (A call that timed out may still be
	 * done by the store once it wakes: the object may be gone, which
	 * the next DELETE takes as done.) */
	snprintf(q, sizeof(q), "SELECT state FROM blobs WHERE id = '%s'", id);
	ck_assert_str_eq(suite_sql(q), "pending");
	snprintf(q, sizeof(q), "SELECT count(*) FROM blobs WHERE id = '%s'",
	    ready);
	ck_assert_int_eq(suite_count(q), 1);
	/* Back: the same requests go through. */
	snprintf(path, sizeof(path), "/api/blobs/%s/complete", id);
	ck_assert_int_eq(api_status("POST", path, alice, "{}"), 200);
	snprintf(path, sizeof(path), "/api/blobs/%s", ready);
	ck_assert_int_eq(api_status("DELETE", path, alice, NULL), 204);
	free(bytes);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("blobs");
	TCase	*tc = tcase_create("blobs");

	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, upload_complete_download);
	tcase_add_test(tc, the_store_refuses_other_uploads);
	tcase_add_test(tc, limits_and_quota);
	tcase_add_test(tc, import_bundles_count_against_the_quota);
	tcase_add_test(tc, uploads_are_what_was_signed);
	tcase_add_test(tc, mismatch_at_complete);
	tcase_add_test(tc, multipart_upload);
	tcase_add_test(tc, multipart_abort_leaves_nothing);
	tcase_add_test(tc, the_aws_sdk_uploads_to_our_urls);
	tcase_add_test(tc, another_users_blob);
	tcase_add_test(tc, delete_removes_the_object);
	tcase_add_test(tc, tracks_use_their_blob);
	tcase_add_test(tc, library_project_and_account_take_their_objects);
	tcase_add_test(tc, store_stopped);
	tcase_add_test(tc, store_down_when_a_track_goes);
	tcase_add_test(tc, maintain_sweeps_the_store);
	harness_add_no_crash(tc, &suite_st);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
