/*
 * check_store.c - the object store client against a real S3 server
 * (@20minutes/s3rver, which checks SigV4 and presigned URLs): an upload
 * to a presigned PUT, the object read back by presigned GET (and a byte
 * range, as audio players seek), HEAD and DELETE signed with an
 * Authorization header; what the server must refuse (a tampered or
 * expired signature, another key, another Content-Type, a wrong
 * secret); and an unreachable or frozen store costing at most the
 * outbound timeout.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "storage/storage.h"
#include "util/util.h"
#include "../common/run.h"

static char		 dir[64], endpoint[64];
static pid_t		 s3;
static struct storage	 st;
static struct net	 net;

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	s3 = harness_s3_start(dir, endpoint, sizeof(endpoint));
	harness_s3_client(endpoint, &st);
	net_init(&net, 1, 2);
}

static void
teardown(void)
{
	char	 cmd[128];

	net_cleanup(&net);
	harness_s3_stop(s3);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Upload body to key through a presigned PUT; the HTTP status. */
static long
upload(const char *key, const char *ctype, const char *sent_type,
    const char *body)
{
	struct arena	 a;
	struct resp	 r;
	long		 status;

	arena_init(&a, 16 * 1024);
	http_do_h("PUT", storage_presign(&a, &st, "PUT", key, 300, time(NULL),
	    ctype, -1, NULL, 0), NULL, NULL, sent_type, body, &r);
	status = r.status;
	resp_free(&r);
	arena_cleanup(&a);
	return status;
}

START_TEST(upload_read_head_delete)
{
	static const char body[] = "RIFF....WAVEfmt not really audio, 0123456789"
	    "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
	    "0123456789abcdefghijklmnopqrstuvwxyz0123456789";
	const char		*key = "0b6c/audio/ré cord (1).wav";
	struct storage_object	 o;
	struct arena		 a;
	struct resp		 r;
	char			*get;

	arena_init(&a, 16 * 1024);
	ck_assert_int_eq(upload(key, "audio/wav", "audio/wav", body), 200);
	ck_assert_int_eq(storage_head(&st, &net, &a, key, time(NULL), &o),
	    STORAGE_OK);
	ck_assert_int_eq(o.size, (long long)strlen(body));
	ck_assert_str_eq(o.content_type, "audio/wav");
	ck_assert_ptr_nonnull(o.etag);
	/* Read back, whole and a range. */
	get = storage_presign(&a, &st, "GET", key, 60, time(NULL), NULL, -1,
	    NULL, 0);
	http_get(get, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, body);
	resp_free(&r);
	http_do_h("GET", get, NULL, "Range: bytes=100-119", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 206);
	ck_assert_int_eq(strncmp(r.body, body + 100, 20), 0);
	ck_assert_uint_eq(strlen(r.body), 20);
	resp_free(&r);
	/* Delete; then it is gone, and deleting again is no error. */
	ck_assert_int_eq(storage_delete(&st, &net, &a, key, time(NULL)),
	    STORAGE_OK);
	ck_assert_int_eq(storage_head(&st, &net, &a, key, time(NULL), &o),
	    STORAGE_NOTFOUND);
	ck_assert_int_eq(storage_delete(&st, &net, &a, key, time(NULL)),
	    STORAGE_OK);
	arena_cleanup(&a);
}
END_TEST

/*
 * storage_put_fd: a file's range in parts (5 MiB, the least S3 takes),
 * read back whole; a range past the file's end fails as a read, and its
 * multipart upload leaves no object.
 */
START_TEST(a_file_goes_up_in_parts)
{
	const long long		 size = (11LL << 20) + 123;
	struct storage_source	 src = { -1, 1000, size, NULL, NULL, 5 << 20,
	    NULL, NULL };
	struct storage_object	 o;
	struct arena		 a;
	char			 path[128], put[65], got[65];
	long long		 n = 0, m = 0;
	unsigned char		*buf = malloc(5 << 20);
	long long		 i;
	FILE			*f;
	int			 fd;

	ck_assert_ptr_nonnull(buf);
	arena_init(&a, 16 * 1024);
	snprintf(path, sizeof(path), "%s/big", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (i = 0; i < size + 1000; i++)
		fputc((int)(i * 7 % 251), f);
	fclose(f);
	src.fd = open(path, O_RDONLY);
	src.buf = buf;
	ck_assert_int_eq(storage_put_fd(&st, &net, &a, &src, "big/parts",
	    "audio/wav"), STORAGE_OK);
	ck_assert_int_eq(storage_head(&st, &net, &a, "big/parts", time(NULL),
	    &o), STORAGE_OK);
	ck_assert_int_eq(o.size, size);
	lseek(src.fd, 1000, SEEK_SET);
	ck_assert_int_eq(sha256_fd(src.fd, put, &n), 0);
	snprintf(path, sizeof(path), "%s/back", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_eq(storage_get_fd(&st, &net, &a, "big/parts", fd,
	    size, time(NULL), &m), STORAGE_OK);
	lseek(fd, 0, SEEK_SET);
	ck_assert_int_eq(sha256_fd(fd, got, &m), 0);
	close(fd);
	ck_assert_int_eq(m, size);
	ck_assert_str_eq(got, put);
	src.size = size + 2000;
	ck_assert_int_eq(storage_put_fd(&st, &net, &a, &src, "big/short",
	    "audio/wav"), STORAGE_ERROR);
	ck_assert_ptr_nonnull(strstr(st.errstr, "reading the bytes"));
	ck_assert_int_eq(storage_head(&st, &net, &a, "big/short", time(NULL),
	    &o), STORAGE_NOTFOUND);
	close(src.fd);
	free(buf);
	arena_cleanup(&a);
}
END_TEST

START_TEST(the_store_refuses_what_was_not_signed)
{
	struct storage_object	 o;
	struct storage		 bad;
	struct arena		 a;
	struct resp		 r;
	char			*url, *p;

	arena_init(&a, 16 * 1024);
	ck_assert_int_eq(upload("k/ok.wav", "audio/wav", "audio/wav", "x"),
	    200);
	/* Another Content-Type than the one signed. */
	ck_assert_int_eq(upload("k/t.wav", "audio/wav", "text/html", "x"), 403);
	/* A tampered signature. */
	url = storage_presign(&a, &st, "GET", "k/ok.wav", 60, time(NULL),
	    NULL, -1, NULL, 0);
	p = strstr(url, "X-Amz-Signature=") + 16;
	*p = *p == 'a' ? 'b' : 'a';
	http_get(url, &r);
	ck_assert_int_eq(r.status, 403);
	resp_free(&r);
	/* Another key under the same signature. */
	url = storage_presign(&a, &st, "GET", "k/ok.wav", 60, time(NULL),
	    NULL, -1, NULL, 0);
	p = strstr(url, "ok.wav");
	memcpy(p, "no", 2);
	http_get(url, &r);
	ck_assert_int_eq(r.status, 403);
	resp_free(&r);
	/* Expired: signed an hour ago for a minute. */
	http_get(storage_presign(&a, &st, "GET", "k/ok.wav", 60,
	    time(NULL) - 3600, NULL, -1, NULL, 0), &r);
	ck_assert_int_eq(r.status, 403);
	resp_free(&r);
	/* A wrong secret. */
	bad = st;
	bad.creds.secret = "not-the-secret";
	memset(&bad.keys, 0, sizeof(bad.keys));
	ck_assert_int_eq(storage_head(&bad, &net, &a, "k/ok.wav", time(NULL),
	    &o), STORAGE_DENIED);
	arena_cleanup(&a);
}
END_TEST

START_TEST(an_unreachable_store_costs_the_timeout)
{
	struct storage_object	 o;
	struct storage		 gone;
	struct arena		 a;
	int64_t			 t0;

	arena_init(&a, 16 * 1024);
	gone = st;
	gone.endpoint = arena_printf(&a, "http://127.0.0.1:%d",
	    harness_free_port());
	ck_assert_int_eq(storage_head(&gone, &net, &a, "k", time(NULL), &o),
	    STORAGE_UNAVAILABLE);
	/* Frozen: the whole call is bounded (2 s here). */
	kill(s3, SIGSTOP);
	t0 = time_mono_ms();
	ck_assert_int_eq(storage_head(&st, &net, &a, "k/ok.wav", time(NULL),
	    &o), STORAGE_UNAVAILABLE);
	ck_assert_int_lt(time_mono_ms() - t0, 4000);
	ck_assert_ptr_nonnull(strstr(st.errstr, "HEAD"));
	kill(s3, SIGCONT);
	arena_cleanup(&a);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("store");
	TCase	*tc = tcase_create("store");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, upload_read_head_delete);
	tcase_add_test(tc, a_file_goes_up_in_parts);
	tcase_add_test(tc, the_store_refuses_what_was_not_signed);
	tcase_add_test(tc, an_unreachable_store_costs_the_timeout);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
