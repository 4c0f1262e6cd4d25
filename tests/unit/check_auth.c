/*
 * check_auth.c - token crypto (with RFC test vectors), email
 * normalisation, signup policy, the CSRF rule and redirect checks.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "../common/run.h"


static const struct {
	const char	*raw, *b64url;
} b64_cases[] = {
	{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
	{ "\xfb\xff\xbf", "-_-_" },
};

START_TEST(b64url_table)
{
	struct arena	 a;
	unsigned char	*dec;
	size_t		 n;

	arena_init(&a, 1024);
	ck_assert_str_eq(b64url_encode(&a, (const unsigned char *)
	    b64_cases[_i].raw, strlen(b64_cases[_i].raw)), b64_cases[_i].b64url);
	dec = b64url_decode(&a, b64_cases[_i].b64url, &n);
	ck_assert_ptr_nonnull(dec);
	ck_assert_uint_eq(n, strlen(b64_cases[_i].raw));
	ck_assert(memcmp(dec, b64_cases[_i].raw, n) == 0);
	arena_cleanup(&a);
}
END_TEST

START_TEST(b64url_refuses_junk)
{
	struct arena	 a;
	size_t		 n;

	arena_init(&a, 1024);
	ck_assert_ptr_null(b64url_decode(&a, "Zm9v+", &n));
	ck_assert_ptr_null(b64url_decode(&a, "Zm9v/", &n));
	ck_assert_ptr_null(b64url_decode(&a, "Zm9=", &n));
	ck_assert_ptr_null(b64url_decode(&a, "Z", &n));
	ck_assert_ptr_null(b64url_decode(&a, "Zm*v", &n));
	arena_cleanup(&a);
}
END_TEST

START_TEST(digests_match_vectors)
{
	struct arena	 a;

	arena_init(&a, 1024);
	/* FIPS 180-2 "abc". */
	ck_assert_str_eq(sha256_hex(&a, "abc", 3, NULL, 0),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* With a key appended: SHA-256("ab" || "c"). */
	ck_assert_str_eq(sha256_hex(&a, "ab", 2,
	    (const unsigned char *)"c", 1),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* RFC 7636 appendix B. */
	ck_assert_str_eq(auth_pkce_challenge(&a,
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
	    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	/* Tokens: 32 random bytes, 43 base64url characters, never equal. */
	{
		char *t1 = auth_token_new(&a), *t2 = auth_token_new(&a);

		ck_assert_uint_eq(strlen(t1), 43);
		ck_assert_str_ne(t1, t2);
	}
	arena_cleanup(&a);
}
END_TEST

START_TEST(seal_open_and_tamper)
{
	struct arena		 a;
	struct auth_keys	 k;
	unsigned char		*sealed, *plain;
	size_t			 n, pn;

	arena_init(&a, 1024);
	ck_assert_int_eq(auth_keys_derive(&k, "short"), -1);
	ck_assert_int_eq(auth_keys_derive(&k,
	    "0123456789abcdef0123456789abcdef-secret"), 0);
	ck_assert(memcmp(k.cookie, k.tokens, AUTH_KEY_LEN) != 0);
	sealed = auth_seal(&a, k.tokens, "refresh-token", 13, "google", &n);
	ck_assert_uint_eq(n, 12 + 13 + 16);
	plain = auth_open(&a, k.tokens, sealed, n, "google", &pn);
	ck_assert_ptr_nonnull(plain);
	ck_assert_str_eq((char *)plain, "refresh-token");
	/* Wrong context, wrong key, one flipped bit, truncation: refused. */
	ck_assert_ptr_null(auth_open(&a, k.tokens, sealed, n, "entra", &pn));
	ck_assert_ptr_null(auth_open(&a, k.cookie, sealed, n, "google", &pn));
	sealed[14] ^= 1;
	ck_assert_ptr_null(auth_open(&a, k.tokens, sealed, n, "google", &pn));
	ck_assert_ptr_null(auth_open(&a, k.tokens, sealed, 20, "google", &pn));
	ck_assert(auth_str_eq("abc", "abc"));
	ck_assert(!auth_str_eq("abc", "abd"));
	ck_assert(!auth_str_eq("abc", "abcd"));
	arena_cleanup(&a);
}
END_TEST

static const struct {
	const char	*in, *out;
} email_cases[] = {
	{ "alice@example.org", "alice@example.org" },
	{ "  Alice@Example.ORG \t", "alice@example.org" },
	{ "\xef\xbc\xa1lice@example.org", "alice@example.org" }, /* fullwidth A */
	{ "J\xc3\x96RG@example.de", "j\xc3\xb6rg@example.de" },
	{ "a@b@example.org", NULL },
	{ "@example.org", NULL },
	{ "alice@", NULL },
	{ "alice", NULL },
	{ "alice@localhost", NULL },
	{ "al ice@example.org", NULL },
	{ "alice@example.org\r\nBcc: x@y.z", NULL },
	{ "<alice@example.org>", NULL },
	{ "\xff@example.org", NULL },
	{ "", NULL },
};

START_TEST(email_table)
{
	struct arena	 a;
	char		*got;

	arena_init(&a, 1024);
	got = auth_email_normalize(&a, email_cases[_i].in);
	if (email_cases[_i].out == NULL)
		ck_assert_msg(got == NULL, "'%s' gave '%s'", email_cases[_i].in,
		    got);
	else
		ck_assert_msg(got && strcmp(got, email_cases[_i].out) == 0,
		    "'%s' gave '%s'", email_cases[_i].in, got ? got : "NULL");
	arena_cleanup(&a);
}
END_TEST

static const struct {
	const char	*mode, *allow, *email;
	int		 verified, ok;
} signup_cases[] = {
	{ "open", "", "x@y.org", 0, 1 },
	{ "closed", "x@y.org", "x@y.org", 1, 0 },
	{ "allowlist", "x@y.org, @corp.example", "x@y.org", 1, 1 },
	{ "allowlist", "x@y.org, @corp.example", "x@y.org", 0, 0 },
	{ "allowlist", "x@y.org, @corp.example", "bob@corp.example", 1, 1 },
	{ "allowlist", "x@y.org, @corp.example", "bob@evilcorp.example", 1, 0 },
	{ "allowlist", "x@y.org, @corp.example", "xx@y.org", 1, 0 },
	{ "allowlist", "", "x@y.org", 1, 0 },
};

START_TEST(signup_table)
{
	struct config	 c;

	memset(&c, 0, sizeof(c));
	c.signup = (char *)signup_cases[_i].mode;
	c.signup_allow = (char *)signup_cases[_i].allow;
	ck_assert_int_eq(auth_signup_allowed(&c, signup_cases[_i].email,
	    signup_cases[_i].verified), signup_cases[_i].ok);
}
END_TEST

static const struct {
	const char	*method, *site, *origin, *cookie;
	int		 ok;
} csrf_cases[] = {
	{ "GET", "cross-site", "https://evil.example", "s=1", 1 },
	{ "POST", "same-origin", NULL, "s=1", 1 },
	{ "POST", "none", NULL, "s=1", 1 },
	{ "POST", "cross-site", NULL, "s=1", 0 },
	{ "POST", "same-site", NULL, "s=1", 0 },
	{ "DELETE", "cross-site", "https://app.example", "s=1", 0 },
	{ "POST", NULL, "https://app.example", "s=1", 1 },
	{ "POST", NULL, "HTTPS://APP.EXAMPLE", "s=1", 1 },
	{ "POST", NULL, "https://evil.example", "s=1", 0 },
	{ "POST", NULL, "null", "s=1", 0 },
	{ "PUT", NULL, NULL, "s=1", 0 },
	{ "PUT", NULL, NULL, NULL, 1 },
	{ "PATCH", NULL, NULL, "", 1 },
};

START_TEST(csrf_table)
{
	ck_assert_int_eq(auth_csrf_ok(csrf_cases[_i].method,
	    csrf_cases[_i].site, csrf_cases[_i].origin, csrf_cases[_i].cookie,
	    "https://app.example"), csrf_cases[_i].ok);
}
END_TEST

static const struct {
	const char	*url;
	int		 ok;
} redirect_cases[] = {
	{ "/", 1 }, { "/quests?x=1", 1 }, { "https://app.example", 1 },
	{ "https://app.example/a", 1 }, { "https://app.example?x", 1 },
	{ "//evil.example/a", 0 }, { "/\\evil.example", 0 },
	{ "https://app.example.evil.example/", 0 },
	{ "https://app.example@evil.example/", 0 },
	{ "http://app.example/", 0 }, { "javascript:alert(1)", 0 },
	{ "evil.example", 0 }, { "", 0 }, { "/a\r\nSet-Cookie: x", 0 },
};

START_TEST(redirect_table)
{
	ck_assert_msg(auth_same_origin_url(redirect_cases[_i].url,
	    "https://app.example") == redirect_cases[_i].ok, "%s",
	    redirect_cases[_i].url);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("auth");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, b64url_table, 0, N(b64_cases));
	tcase_add_test(tc, b64url_refuses_junk);
	tcase_add_test(tc, digests_match_vectors);
	tcase_add_test(tc, seal_open_and_tamper);
	tcase_add_loop_test(tc, email_table, 0, N(email_cases));
	tcase_add_loop_test(tc, signup_table, 0, N(signup_cases));
	tcase_add_loop_test(tc, csrf_table, 0, N(csrf_cases));
	tcase_add_loop_test(tc, redirect_table, 0, N(redirect_cases));
	suite_add_tcase(s, tc);
	return check_run(s, CK_NORMAL);
}
