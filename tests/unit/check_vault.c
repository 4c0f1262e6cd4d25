/*
 * check_vault.c - the metadata envelope against one written by WebCrypto
 * (node's crypto.subtle, as the old browser app did: PBKDF2-HMAC-SHA256
 * then AES-256-GCM, the tag after the ciphertext); what must be refused
 * and with which code; sealing and opening again; strict base64.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "vault/vault.h"
#include "../common/run.h"


/*
 * Written by crypto.subtle: passphrase PASS, salt 01..20, IV a0..ab,
 * 10 000 iterations, plaintext PLAIN.
 */
#define PASS	"correct horse battery staple \xc3\xa9"
#define PLAIN	"{\"schemaVersion\":3,\"quests\":[]}"
#define SALT	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define IV	"oKGio6Slpqeoqaqr"
#define CT	"OYeAL8wgi82WN0QELy0h/LCbmzc/iftFoTuQXDNnGF4mWPWY9aPiWgNcCo0jCQU="

/* An envelope with these parts. */
static const char *
envelope(char *buf, size_t len, const char *version, const char *alg,
    const char *hash, const char *iterations, const char *salt,
    const char *iv, const char *ct, const char *tag)
{
	snprintf(buf, len, "{\"version\":%s,\"kdf\":{\"algorithm\":\"%s\","
	    "\"hash\":\"%s\",\"iterations\":%s,\"salt\":\"%s\"},\"iv\":\"%s\","
	    "\"ciphertext\":\"%s\",\"tag\":\"%s\"}", version, alg, hash,
	    iterations, salt, iv, ct, tag);
	return buf;
}

static enum vault_error
open_text(const char *json, const char *pass, char *out, size_t len)
{
	struct arena		 a;
	unsigned char		*plain;
	size_t			 n;
	char			 err[256];
	enum vault_error	 e;

	arena_init(&a, 64 * 1024);
	e = vault_envelope_open(&a, json, strlen(json), pass, &plain, &n, err,
	    sizeof(err));
	snprintf(out, len, "%s", e == VAULT_OK ? (char *)plain : err);
	arena_cleanup(&a);
	return e;
}

START_TEST(opens_what_webcrypto_wrote)
{
	char	 env[1024], out[256];

	envelope(env, sizeof(env), "1", "PBKDF2", "SHA-256", "10000", SALT, IV,
	    CT, "");
	ck_assert_int_eq(open_text(env, PASS, out, sizeof(out)), VAULT_OK);
	ck_assert_str_eq(out, PLAIN);
}
END_TEST

START_TEST(the_tag_apart_is_read_too)
{
	struct arena	 a;
	unsigned char	*ct;
	char		 env[1024], out[256], body[128], tag[64];
	size_t		 n;

	/* The same bytes with the last 16 moved into "tag". */
	arena_init(&a, 4096);
	ct = vault_b64_decode(&a, CT, strlen(CT), &n);
	ck_assert_ptr_nonnull(ct);
	ck_assert_uint_eq(n, strlen(PLAIN) + 16);
	EVP_EncodeBlock((unsigned char *)body, ct, (int)(n - 16));
	EVP_EncodeBlock((unsigned char *)tag, ct + n - 16, 16);
	envelope(env, sizeof(env), "1", "PBKDF2", "SHA-256", "10000", SALT, IV,
	    body, tag);
	ck_assert_int_eq(open_text(env, PASS, out, sizeof(out)), VAULT_OK);
	ck_assert_str_eq(out, PLAIN);
	arena_cleanup(&a);
}
END_TEST

static int
into_buf(void *ud, const unsigned char *p, size_t n)
{
	return buf_append(ud, (const char *)p, n);
}

/* text opened by the stream, fed step bytes at a time: its plaintext. */
static enum vault_error
stream_open(const char *text, size_t step, struct buf *out)
{
	struct vault_envelope_stream *st;
	struct arena		 a;
	enum vault_error	 e;
	size_t			 at, n = strlen(text);
	char			 err[256];

	arena_init(&a, 64 * 1024);
	st = vault_envelope_stream_new(&a, PASS, NULL, into_buf, out);
	for (at = 0; at < n; at += step)
		vault_envelope_stream_feed(st, text + at, n - at < step ?
		    n - at : step);
	e = vault_envelope_stream_end(st, err, sizeof(err));
	vault_envelope_stream_free(st);
	arena_cleanup(&a);
	buf_putc(out, '\0');
	return e;
}

/*
 * As it comes: in pieces of any size (a byte at a time too), with its
 * slashes escaped as json-c writes them ("\/"), its members in another
 * order (the ciphertext before the key's: decrypted at the end).
 */
START_TEST(opens_as_it_comes)
{
	static const size_t steps[] = { 1, 2, 3, 5, 7, 64, 100000 };
	char		 env[1024], esc[2048], moved[1024];
	const char	*p;
	struct buf	 out;
	size_t		 i, k = 0;

	envelope(env, sizeof(env), "1", "PBKDF2", "SHA-256", "10000", SALT, IV,
	    CT, "");
	for (p = env; *p != '\0'; p++) {
		if (*p == '/')
			esc[k++] = '\\';
		esc[k++] = *p;
	}
	esc[k] = '\0';
	snprintf(moved, sizeof(moved), "{\"ciphertext\":\"%s\",\"tag\":\"\","
	    "\"iv\":\"%s\",\"version\":1,\"kdf\":{\"algorithm\":\"PBKDF2\","
	    "\"hash\":\"SHA-256\",\"iterations\":10000,\"salt\":\"%s\"}}", CT,
	    IV, SALT);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		buf_init(&out, 1 << 20);
		ck_assert_int_eq(stream_open(esc, steps[i], &out), VAULT_OK);
		ck_assert_str_eq(out.data, PLAIN);
		buf_cleanup(&out);
		buf_init(&out, 1 << 20);
		ck_assert_int_eq(stream_open(moved, steps[i], &out), VAULT_OK);
		ck_assert_str_eq(out.data, PLAIN);
		buf_cleanup(&out);
	}
	/* Cut short, or base64 broken across a piece: refused. */
	buf_init(&out, 1 << 20);
	env[strlen(env) - 30] = '\0';
	ck_assert_int_eq(stream_open(env, 3, &out), VAULT_CORRUPT);
	buf_cleanup(&out);
}
END_TEST

/* A report cut to fit stays UTF-8, whatever the bundle's names. */
START_TEST(reports_stay_utf8)
{
	struct vault_report	 r;
	struct json_object	*o;
	char			 key[1024];
	const char		*m;
	size_t			 i;

	for (i = 0; i + 2 < sizeof(key); i += 2)
		memcpy(key + i, "\xc3\xa9", 2);
	key[i] = '\0';
	vault_report_init(&r);
	/* "xx": the cut falls inside a character. */
	vault_report_warn(&r, key, "xx%s: not a kind of this server's data", key);
	o = json_object_array_get_idx(r.warnings, 0);
	m = json_object_get_string(json_object_object_get(o, "message"));
	ck_assert(utf8_valid(m, strlen(m), NULL));
	m = json_object_get_string(json_object_object_get(o, "path"));
	ck_assert(utf8_valid(m, strlen(m), NULL));
	vault_report_free(&r);
}
END_TEST

START_TEST(wrong_passphrase_or_changed_bytes)
{
	char	 env[1024], out[256], ct[128];

	envelope(env, sizeof(env), "1", "PBKDF2", "SHA-256", "10000", SALT, IV,
	    CT, "");
	ck_assert_int_eq(open_text(env, "correct horse battery staple e", out,
	    sizeof(out)), VAULT_BAD_PASSPHRASE);
	ck_assert_int_eq(open_text(env, "", out, sizeof(out)),
	    VAULT_BAD_PASSPHRASE);
	/* One bit of the ciphertext, then of the tag. */
	snprintf(ct, sizeof(ct), "%s", CT);
	ct[0] = ct[0] == 'O' ? 'P' : 'O';
	envelope(env, sizeof(env), "1", "PBKDF2", "SHA-256", "10000", SALT, IV,
	    ct, "");
	ck_assert_int_eq(open_text(env, PASS, out, sizeof(out)),
	    VAULT_BAD_PASSPHRASE);
	snprintf(ct, sizeof(ct), "%s", CT);
	ct[strlen(ct) - 3] = ct[strlen(ct) - 3] == 'C' ? 'D' : 'C';
	envelope(env, sizeof(env), "1", "PBKDF2", "SHA-256", "10000", SALT, IV,
	    ct, "");
	ck_assert_int_eq(open_text(env, PASS, out, sizeof(out)),
	    VAULT_BAD_PASSPHRASE);
	/* Another salt or IV: another key stream, the tag fails. */
	envelope(env, sizeof(env), "1", "PBKDF2", "SHA-256", "10000",
	    "AAIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=", IV, CT, "");
	ck_assert_int_eq(open_text(env, PASS, out, sizeof(out)),
	    VAULT_BAD_PASSPHRASE);
}
END_TEST

/* What is refused, and as what. */
static const struct {
	const char		*version, *alg, *hash, *iter, *salt, *iv, *ct;
	const char		*tag;
	enum vault_error	 want;
} refused[] = {
	{ "2", "PBKDF2", "SHA-256", "10000", SALT, IV, CT, "",
	    VAULT_UNSUPPORTED },
	{ "1", "scrypt", "SHA-256", "10000", SALT, IV, CT, "",
	    VAULT_UNSUPPORTED },
	{ "1", "PBKDF2", "SHA-1", "10000", SALT, IV, CT, "",
	    VAULT_UNSUPPORTED },
	{ "1", "PBKDF2", "SHA-256", "9999", SALT, IV, CT, "",
	    VAULT_UNSUPPORTED },
	{ "1", "PBKDF2", "SHA-256", "10000001", SALT, IV, CT, "",
	    VAULT_UNSUPPORTED },
	{ "1", "PBKDF2", "SHA-256", "\"10000\"", SALT, IV, CT, "",
	    VAULT_UNSUPPORTED },
	{ "1", "PBKDF2", "SHA-256", "10000", "AQID*AUG", IV, CT, "",
	    VAULT_CORRUPT },
	{ "1", "PBKDF2", "SHA-256", "10000", SALT, "oKGio6Slpqeo", CT, "",
	    VAULT_CORRUPT },			/* an IV of 9 bytes */
	{ "1", "PBKDF2", "SHA-256", "10000", SALT, IV, "OYeAL8wgi82W N0Q", "",
	    VAULT_CORRUPT },			/* white space */
	{ "1", "PBKDF2", "SHA-256", "10000", SALT, IV, "OYeAL8w", "",
	    VAULT_CORRUPT },			/* not a multiple of 4 */
	{ "1", "PBKDF2", "SHA-256", "10000", SALT, IV, "OY=A", "",
	    VAULT_CORRUPT },			/* padding inside */
	{ "1", "PBKDF2", "SHA-256", "10000", SALT, IV, "AAAAAAAAAAA=", "",
	    VAULT_CORRUPT },			/* shorter than a tag */
	{ "1", "PBKDF2", "SHA-256", "10000", SALT, IV, CT, "AAAA",
	    VAULT_CORRUPT },			/* a tag of 3 bytes */
	{ "1", "PBKDF2", "SHA-256", "10000", "AQID", IV, CT, "",
	    VAULT_CORRUPT },			/* a salt of 3 bytes */
};

START_TEST(refusals)
{
	char	 env[1024], out[256];

	envelope(env, sizeof(env), refused[_i].version, refused[_i].alg,
	    refused[_i].hash, refused[_i].iter, refused[_i].salt,
	    refused[_i].iv, refused[_i].ct, refused[_i].tag);
	ck_assert_msg(open_text(env, PASS, out, sizeof(out)) ==
	    refused[_i].want, "%s: %s", env, out);
}
END_TEST

START_TEST(not_an_envelope)
{
	static const char *const bad[] = { "", "{", "[]", "\"x\"", "{}",
	    "{\"version\":1}", "{\"version\":1,\"kdf\":[]}",
	    "{\"version\":1,\"kdf\":{\"algorithm\":\"PBKDF2\",\"hash\":"
	    "\"SHA-256\",\"iterations\":10000,\"salt\":\"" SALT "\"}}" };
	char	 env[1024], out[256];
	size_t	 i;

	for (i = 0; i < N(bad); i++)
		ck_assert_msg(open_text(bad[i], PASS, out, sizeof(out)) !=
		    VAULT_OK, "%s", bad[i]);
	/* Trailing bytes after the object. */
	envelope(env, sizeof(env), "1", "PBKDF2", "SHA-256", "10000", SALT, IV,
	    CT, "");
	strncat(env, " x", sizeof(env) - strlen(env) - 1);
	ck_assert_int_eq(open_text(env, PASS, out, sizeof(out)),
	    VAULT_CORRUPT);
	ck_assert_str_eq(vault_error_code(VAULT_BAD_PASSPHRASE),
	    "bad_passphrase");
	ck_assert_str_eq(vault_error_code(VAULT_CORRUPT), "corrupt_bundle");
	ck_assert_str_eq(vault_error_code(VAULT_UNSUPPORTED),
	    "unsupported_version");
}
END_TEST

START_TEST(seal_then_open)
{
	struct arena	 a;
	const char	*one, *two;
	char		 out[256];

	arena_init(&a, 64 * 1024);
	one = vault_envelope_seal(&a, (const unsigned char *)PLAIN,
	    strlen(PLAIN), PASS, VAULT_ITER_MIN);
	two = vault_envelope_seal(&a, (const unsigned char *)PLAIN,
	    strlen(PLAIN), PASS, VAULT_ITER_MIN);
	/* A fresh salt and IV each time; the tag after the ciphertext. */
	ck_assert_str_ne(one, two);
	ck_assert_ptr_nonnull(strstr(one, "\"tag\":\"\""));
	ck_assert_ptr_nonnull(strstr(one, "\"iterations\":10000"));
	ck_assert_int_eq(open_text(one, PASS, out, sizeof(out)), VAULT_OK);
	ck_assert_str_eq(out, PLAIN);
	ck_assert_int_eq(open_text(two, "other", out, sizeof(out)),
	    VAULT_BAD_PASSPHRASE);
	arena_cleanup(&a);
}
END_TEST

/* Strict base64: what decodes, and to how many bytes (-1: refused). */
static const struct {
	const char	*in;
	long		 len;
} b64[] = {
	{ "", 0 }, { "AA==", 1 }, { "AAA=", 2 }, { "AAAA", 3 },
	{ "+/+/", 3 }, { "AB==", -1 }, { "AAB=", -1 }, { "A===", -1 },
	{ "====", -1 }, { "AA=A", -1 }, { "AA", -1 }, { "AA\nA", -1 },
	{ "AA-_", -1 }, { "AA==AAAA", -1 },
};


/*
 * Into a file, as an import opens it: a plaintext larger than one chunk
 * of the stream comes out whole; a wrong passphrase leaves the file
 * empty (nothing unverified to read).
 */
START_TEST(opens_into_a_file)
{
	struct arena	 a;
	unsigned char	*plain = malloc(300000);
	char		*env, err[256], back[4096];
	long long	 len = -1;
	size_t		 i;
	FILE		*f = tmpfile();
	int		 fd = fileno(f);

	for (i = 0; i < 300000; i++)
		plain[i] = (unsigned char)('a' + i % 26);
	arena_init(&a, 64 * 1024);
	env = vault_envelope_seal(&a, plain, 300000, PASS, VAULT_ITER_MIN);
	ck_assert_int_eq(vault_envelope_open_fd(&a, env, strlen(env), PASS, fd,
	    &len, err, sizeof(err)), VAULT_OK);
	ck_assert_int_eq(len, 300000);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 300000);
	ck_assert_int_eq(pread(fd, back, 26, 299974), 26);
	ck_assert(memcmp(back, plain + 299974, 26) == 0);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(vault_envelope_open_fd(&a, env, strlen(env), "nope",
	    fd, &len, err, sizeof(err)), VAULT_BAD_PASSPHRASE);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	arena_cleanup(&a);
	fclose(f);
	free(plain);
}
END_TEST

START_TEST(strict_base64)
{
	struct arena	 a;
	unsigned char	*out;
	size_t		 n = 0;

	arena_init(&a, 4096);
	out = vault_b64_decode(&a, b64[_i].in, strlen(b64[_i].in), &n);
	if (b64[_i].len < 0)
		ck_assert_msg(out == NULL, "%s decoded", b64[_i].in);
	else {
		ck_assert_msg(out != NULL, "%s refused", b64[_i].in);
		ck_assert_uint_eq(n, (size_t)b64[_i].len);
	}
	arena_cleanup(&a);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("vault");
	TCase	*tc = tcase_create("envelope");

	tcase_add_test(tc, opens_what_webcrypto_wrote);
	tcase_add_test(tc, the_tag_apart_is_read_too);
	tcase_add_test(tc, opens_as_it_comes);
	tcase_add_test(tc, reports_stay_utf8);
	tcase_add_test(tc, wrong_passphrase_or_changed_bytes);
	tcase_add_loop_test(tc, refusals, 0, N(refused));
	tcase_add_test(tc, not_an_envelope);
	tcase_add_test(tc, seal_then_open);
	tcase_add_test(tc, opens_into_a_file);
	tcase_add_loop_test(tc, strict_base64, 0, N(b64));
	suite_add_tcase(s, tc);
	return check_run(s, CK_VERBOSE);
}
