/*
 * check_storage.c - SigV4 against the S3 examples of the AWS Signature
 * Version 4 documentation, whose signatures are published: the
 * header-signed GET Object, PUT Object, GET Bucket Lifecycle and GET
 * Bucket (list) requests, and the presigned GET; plus S3's URI encoding
 * and the signing key's cache.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "storage/storage.h"
#include "../common/run.h"

/* The documentation's credentials, date and bucket. */
static const struct sigv4_creds aws = { "AKIAIOSFODNN7EXAMPLE",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3" };
#define DATE	"20130524T000000Z"
#define HOST	"examplebucket.s3.amazonaws.com"

static const struct sigv4_pair get_h[] = {
	{ "Host", HOST }, { "Range", "bytes=0-9" },
	{ "x-amz-content-sha256", SIGV4_EMPTY_SHA }, { "x-amz-date", DATE },
};
static const struct sigv4_pair put_h[] = {
	{ "Host", HOST }, { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
	{ "x-amz-date", DATE }, { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
	{ "x-amz-content-sha256",
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072" },
};
static const struct sigv4_pair bucket_h[] = {
	{ "Host", HOST }, { "x-amz-date", DATE },
	{ "x-amz-content-sha256", SIGV4_EMPTY_SHA },
};
static const struct sigv4_pair lifecycle_q[] = { { "lifecycle", "" } };
static const struct sigv4_pair list_q[] = { { "max-keys", "2" },
	{ "prefix", "J" } };

static const struct {
	struct sigv4_request	 r;
	const char		*signature;
} examples[] = {
	{ { "GET", "/test.txt", NULL, 0, get_h, 4, SIGV4_EMPTY_SHA, DATE, 0 },
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" },
	{ { "PUT", "/test$file.text", NULL, 0, put_h, 5,
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
	    DATE, 0 },
	    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd" },
	{ { "GET", "/", lifecycle_q, 1, bucket_h, 3, SIGV4_EMPTY_SHA, DATE, 0 },
	    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543" },
	{ { "GET", "/", list_q, 2, bucket_h, 3, SIGV4_EMPTY_SHA, DATE, 0 },
	    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7" },
};

START_TEST(documented_signatures)
{
	struct sigv4_key_cache	 cache = { 0 };
	struct arena		 a;
	char			 sig[65];

	arena_init(&a, 4096);
	sigv4_signature(&a, &aws, &cache, &examples[_i].r, sig);
	ck_assert_str_eq(sig, examples[_i].signature);
	arena_cleanup(&a);
}
END_TEST

START_TEST(documented_authorization_header)
{
	struct sigv4_key_cache	 cache = { 0 };
	struct arena		 a;

	arena_init(&a, 4096);
	ck_assert_str_eq(sigv4_authorization(&a, &aws, &cache,
	    &examples[0].r), "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
	    "20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;"
	    "x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd"
	    "35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	arena_cleanup(&a);
}
END_TEST

/* The documentation's presigned GET: 24 hours (its published signature;
 * the query sorted, as the AWS SDK writes it). */
START_TEST(documented_presigned_url)
{
	static const struct sigv4_pair h[] = { { "host", HOST } };
	struct sigv4_request	 r = { "GET", "/test.txt", NULL, 0, h, 1,
	    SIGV4_UNSIGNED, DATE, 0 };
	struct sigv4_key_cache	 cache = { 0 };
	struct arena		 a;

	arena_init(&a, 4096);
	ck_assert_str_eq(sigv4_presign(&a, &aws, &cache, "https://" HOST, &r,
	    86400), "https://examplebucket.s3.amazonaws.com/test.txt?"
	    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
	    "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&"
	    "X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
	    "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d"
	    "157751f604d404&X-Amz-SignedHeaders=host");
	/* One to seven days, no more. */
	ck_assert_ptr_null(sigv4_presign(&a, &aws, &cache, "https://" HOST,
	    &r, 0));
	ck_assert_ptr_null(sigv4_presign(&a, &aws, &cache, "https://" HOST,
	    &r, 604801));
	ck_assert_ptr_nonnull(sigv4_presign(&a, &aws, &cache, "https://" HOST,
	    &r, 604800));
	arena_cleanup(&a);
}
END_TEST

static const struct {
	const char	*in;
	int		 slash;
	const char	*out;
} encodings[] = {
	{ "a b+c%d~e(f)'g*h", 1, "a%20b%2Bc%25d~e%28f%29%27g%2Ah" },
	{ "u/1//./x", 1, "u/1//./x" },
	{ "u/1//./x", 0, "u%2F1%2F%2F.%2Fx" },
	{ "\xc3\xa9t\xc3\xa9 \xf0\x9f\x8e\xb5", 1,
	    "%C3%A9t%C3%A9%20%F0%9F%8E%B5" },
	{ "A-Z_a.z~0", 0, "A-Z_a.z~0" },
	{ "=&?#", 0, "%3D%26%3F%23" },
};

START_TEST(uri_encoding)
{
	struct buf	 b;

	buf_init(&b, 4096);
	sigv4_encode(&b, encodings[_i].in, encodings[_i].slash);
	ck_assert_str_eq(b.data, encodings[_i].out);
	buf_cleanup(&b);
}
END_TEST

START_TEST(signing_key_is_cached_per_day)
{
	struct sigv4_key_cache	 cache = { 0 };
	unsigned char		 k1[32];
	struct sigv4_creds	 other = aws;

	memcpy(k1, sigv4_signing_key(&aws, "20130524", &cache), 32);
	ck_assert_int_eq(memcmp(sigv4_signing_key(&aws, "20130524", &cache),
	    k1, 32), 0);
	ck_assert_int_ne(memcmp(sigv4_signing_key(&aws, "20130525", &cache),
	    k1, 32), 0);
	other.region = "auto";
	ck_assert_int_ne(memcmp(sigv4_signing_key(&other, "20130524",
	    &cache), k1, 32), 0);
	ck_assert_int_eq(memcmp(sigv4_signing_key(&aws, "20130524", &cache),
	    k1, 32), 0);
}
END_TEST

START_TEST(amz_date)
{
	char	 d[17];

	sigv4_amz_date(1369353600LL, d);
	ck_assert_str_eq(d, "20130524T000000Z");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("storage");
	TCase	*tc = tcase_create("sigv4");

	tcase_add_loop_test(tc, documented_signatures, 0, N(examples));
	tcase_add_test(tc, documented_authorization_header);
	tcase_add_test(tc, documented_presigned_url);
	tcase_add_loop_test(tc, uri_encoding, 0, N(encodings));
	tcase_add_test(tc, signing_key_is_cached_per_day);
	tcase_add_test(tc, amz_date);
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
