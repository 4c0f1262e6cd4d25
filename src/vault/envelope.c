/*
 * envelope.c - a bundle's metadata envelope, read and written exactly as
 * the old browser app's WebCrypto did: key = PBKDF2-HMAC-SHA256(UTF-8
 * passphrase, salt, iterations) → 32 bytes; AES-256-GCM with a 96-bit
 * IV, no additional data, the 16-byte tag after the ciphertext (or,
 * read only, in "tag"). A wrong passphrase and a changed ciphertext are
 * the same failure: the tag does not verify.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "vault/vault.h"

#define KEY_LEN		32
#define IV_LEN		12
#define TAG_LEN		16
#define SALT_LEN	32	/* what seal writes; open takes 16 or more */

const char *
vault_error_code(enum vault_error e)
{
	switch (e) {
	case VAULT_OK:
		return "ok";
	case VAULT_BAD_PASSPHRASE:
		return "bad_passphrase";
	case VAULT_UNSUPPORTED:
		return "unsupported_version";
	case VAULT_INVALID:
		return "invalid_data";
	case VAULT_TOO_LARGE:
		return "too_large";
	case VAULT_UNAVAILABLE:
		return "unavailable";
	case VAULT_CORRUPT:
	default:
		return "corrupt_bundle";
	}
}

int
vault_import_restartable(const char *code)
{
	/* A wrong passphrase, or the jobs worker giving up (the store or
	 * the database away three times): the same bundle may yet do. */
	return code != NULL && (strcmp(code, "bad_passphrase") == 0 ||
	    strcmp(code, "internal") == 0);
}

/* The value of a base64 character, or -1. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
vault_b64_decode_into(const char *s, size_t n, unsigned char *out,
    size_t *len)
{
	unsigned char	*o = out;
	size_t		 i, pad = 0;
	int		 v[4] = { 0, 0, 0, 0 }, k;

	if (n % 4 != 0)
		return -1;
	if (n > 0 && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++) {
			/* '=' only as the padding of the last group. */
			if (s[i + k] == '=' && i + 4 == n && k >= 4 - (int)pad)
				v[k] = 0;
			else if ((v[k] = b64_value((unsigned char)s[i + k])) < 0)
				return -1;
		}
		*o++ = (unsigned char)(v[0] << 2 | v[1] >> 4);
		*o++ = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		*o++ = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	/* The bits the padding stands for must be zero (canonical). */
	if ((pad == 1 && (v[2] & 3) != 0) || (pad == 2 && (v[1] & 15) != 0))
		return -1;
	*len = (size_t)(o - out) - pad;
	return 0;
}

unsigned char *
vault_b64_decode(struct arena *a, const char *s, size_t n, size_t *len)
{
	unsigned char	*out = arena_alloc(a, n / 4 * 3 + 1);

	if (vault_b64_decode_into(s, n, out, len) != 0)
		return NULL;
	out[*len] = '\0';
	return out;
}

/* Standard base64 with padding of in[0..n), into the arena. */
static char *
b64_encode(struct arena *a, const unsigned char *in, size_t n)
{
	char	*out = arena_alloc(a, 4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

/* The string member name of o, or NULL. */
static const char *
str(struct json_object *o, const char *name, size_t *len)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* A member that must be base64: decoded, or NULL after err. */
static unsigned char *
b64_member(struct arena *a, struct json_object *o, const char *name,
    size_t *len, char *err, size_t errlen)
{
	const char	*s;
	unsigned char	*out;
	size_t		 n;

	if ((s = str(o, name, &n)) == NULL ||
	    (out = vault_b64_decode(a, s, n, len)) == NULL) {
		snprintf(err, errlen, "envelope: %s is not base64", name);
		return NULL;
	}
	return out;
}

static int
derive(const char *passphrase, const unsigned char *salt, size_t slen,
    long iterations, unsigned char key[KEY_LEN])
{
	return PKCS5_PBKDF2_HMAC(passphrase, (int)strlen(passphrase), salt,
	    (int)slen, (int)iterations, EVP_sha256(), KEY_LEN, key) == 1 ? 0 :
	    -1;
}

/* The envelope's parts, checked; VAULT_OK or why not (err said). */
static enum vault_error
parts(struct arena *a, struct json_object *env, long *iterations,
    unsigned char **salt, size_t *slen, unsigned char **iv,
    const char **ct, size_t *ctlen, unsigned char **tag, char *err,
    size_t errlen)
{
	struct json_object	*kdf, *v;
	const char		*s;
	size_t			 n, ivlen, tlen;

	if (!json_object_is_type(env, json_type_object)) {
		snprintf(err, errlen, "envelope: not a JSON object");
		return VAULT_CORRUPT;
	}
	if (!json_object_object_get_ex(env, "version", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != 1) {
		snprintf(err, errlen, "envelope: version 1 is the one known");
		return VAULT_UNSUPPORTED;
	}
	if (!json_object_object_get_ex(env, "kdf", &kdf) ||
	    !json_object_is_type(kdf, json_type_object)) {
		snprintf(err, errlen, "envelope: no kdf");
		return VAULT_CORRUPT;
	}
	if ((s = str(kdf, "algorithm", &n)) == NULL || strcmp(s, "PBKDF2") ||
	    (s = str(kdf, "hash", &n)) == NULL || strcmp(s, "SHA-256")) {
		snprintf(err, errlen, "envelope: PBKDF2 with SHA-256 is the "
		    "key derivation known");
		return VAULT_UNSUPPORTED;
	}
	if (!json_object_object_get_ex(kdf, "iterations", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < VAULT_ITER_MIN ||
	    json_object_get_int64(v) > VAULT_ITER_MAX) {
		snprintf(err, errlen, "envelope: iterations must be %d to %d",
		    VAULT_ITER_MIN, VAULT_ITER_MAX);
		return VAULT_UNSUPPORTED;
	}
	*iterations = (long)json_object_get_int64(v);
	/* The ciphertext is decoded as it is decrypted (decrypt()). */
	if ((*salt = b64_member(a, kdf, "salt", slen, err, errlen)) == NULL ||
	    (*iv = b64_member(a, env, "iv", &ivlen, err, errlen)) == NULL ||
	    (*tag = b64_member(a, env, "tag", &tlen, err, errlen)) == NULL)
		return VAULT_CORRUPT;
	if (*ct == NULL || *ctlen % 4 != 0) {
		snprintf(err, errlen, "envelope: ciphertext is not base64");
		return VAULT_CORRUPT;
	}
	if (*slen < 16 || ivlen != IV_LEN) {
		snprintf(err, errlen, "envelope: a salt of 16 bytes or more and "
		    "an IV of 12");
		return VAULT_CORRUPT;
	}
	if (tlen == 0)
		*tag = NULL;	/* WebCrypto's layout: the ciphertext's end */
	else if (tlen != TAG_LEN) {
		snprintf(err, errlen, "envelope: a tag is 16 bytes");
		return VAULT_CORRUPT;
	}
	return VAULT_OK;
}

#define B64_CHUNK	(64 * 1024)	/* base64 decoded this much at once */

/*
 * Decrypt the base64 ciphertext ct (n characters), a chunk at a time, into
 * sink; the tag is tag, or (NULL) the last 16 bytes of the ciphertext.
 * Nothing the sink got may be used unless VAULT_OK: the tag is checked
 * only at the end.
 */
static enum vault_error
decrypt(EVP_CIPHER_CTX *c, const char *ct, size_t n, const unsigned char *tag,
    int (*sink)(void *, const unsigned char *, size_t), void *ud, char *err,
    size_t errlen)
{
	unsigned char	*in, *out, held[TAG_LEN];
	size_t		 at, len, got, pad, total, body, fed = 0, nheld = 0, use;
	int		 k;
	enum vault_error e = VAULT_OK;

	pad = n >= 2 && ct[n - 1] == '=' ? (ct[n - 2] == '=' ? 2 : 1) : 0;
	total = n / 4 * 3 - pad;
	if (tag == NULL && total < TAG_LEN) {
		snprintf(err, errlen, "envelope: the ciphertext is shorter than "
		    "its tag");
		return VAULT_CORRUPT;
	}
	body = tag == NULL ? total - TAG_LEN : total;
	in = malloc(B64_CHUNK / 4 * 3);
	out = malloc(B64_CHUNK / 4 * 3 + 32);
	if (in == NULL || out == NULL)
		fatal("malloc: out of memory");
	for (at = 0; at < n && e == VAULT_OK; at += len) {
		len = n - at < B64_CHUNK ? n - at : B64_CHUNK;
		if (vault_b64_decode_into(ct + at, len, in, &got) != 0 ||
		    (at + len < n && got != len / 4 * 3)) {
			snprintf(err, errlen, "envelope: ciphertext is not "
			    "base64");
			e = VAULT_CORRUPT;
			break;
		}
		/* The body is decrypted; what is past it is the tag. */
		use = body - fed < got ? body - fed : got;
		if (use > 0 && (EVP_DecryptUpdate(c, out, &k, in, (int)use) !=
		    1 || (k > 0 && sink(ud, out, (size_t)k) != 0))) {
			snprintf(err, errlen, "decrypting failed");
			e = VAULT_UNAVAILABLE;
			break;
		}
		fed += use;
		memcpy(held + nheld, in + use, got - use);
		nheld += got - use;
	}
	if (e == VAULT_OK && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG,
	    TAG_LEN, (void *)(tag != NULL ? tag : held)) == 1 &&
	    EVP_DecryptFinal_ex(c, out, &k) == 1) {
		if (k > 0 && sink(ud, out, (size_t)k) != 0)
			e = VAULT_UNAVAILABLE;
	} else if (e == VAULT_OK) {
		snprintf(err, errlen, "the passphrase is wrong, or the bundle "
		    "was changed");
		e = VAULT_BAD_PASSPHRASE;
	}
	OPENSSL_cleanse(out, B64_CHUNK / 4 * 3 + 32);
	OPENSSL_cleanse(in, B64_CHUNK / 4 * 3);
	free(in);
	free(out);
	return e;
}

/*
 * The envelope read as a stream (yajl): its small members built, the
 * ciphertext taken where it lies in the text (no copy of the largest
 * part; copied only when the text escaped it, which yajl then decodes).
 */
struct env_read {
	struct json_object	*env;
	const char		*base;
	size_t			 n;
	const char		*ct;
	size_t			 ctlen;
	char			*ct_copy;
};

static enum vault_json_take
env_member(void *ud, const char *key)
{
	(void)ud;
	(void)key;
	return VJ_VALUE;
}

static int
env_value(void *ud, const char *key, long index, const char *name,
    struct json_object *v)
{
	struct env_read	*e = ud;

	(void)index;
	(void)name;
	json_object_object_add(e->env, key, json_object_get(v));
	return 0;
}

static int
env_string(void *ud, const char *key, const char *name, const char *s,
    size_t len)
{
	struct env_read	*e = ud;

	(void)name;
	if (strcmp(key, "ciphertext") != 0) {
		json_object_object_add(e->env, key,
		    json_object_new_string_len(s, (int)len));
		return 0;
	}
	free(e->ct_copy);
	e->ct_copy = NULL;
	if (s >= e->base && s + len <= e->base + e->n)
		e->ct = s;
	else {
		if ((e->ct_copy = malloc(len + 1)) == NULL)
			fatal("malloc: out of memory");
		memcpy(e->ct_copy, s, len);
		e->ct = e->ct_copy;
	}
	e->ctlen = len;
	return 0;
}

/* Open the envelope json (n bytes) with passphrase into sink. */
static enum vault_error
open_into(struct arena *a, const char *json, size_t n, const char *passphrase,
    int (*sink)(void *, const unsigned char *, size_t), void *ud, char *err,
    size_t errlen)
{
	struct vault_json_reader jr;
	struct env_read		 er;
	EVP_CIPHER_CTX		*c = NULL;
	unsigned char		 key[KEY_LEN], *salt, *iv, *tag;
	enum vault_error	 e;
	size_t			 slen;
	long			 iterations;
	char			 why[256];

	memset(&er, 0, sizeof(er));
	er.env = json_object_new_object();
	er.base = json;
	er.n = n;
	memset(&jr, 0, sizeof(jr));
	jr.member = env_member;
	jr.value = env_value;
	jr.string = env_string;
	jr.ud = &er;
	jr.max_depth = 8;
	if (vault_json_parse(&jr, -1, json, n, NULL, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "envelope: %s", why);
		e = VAULT_CORRUPT;
		goto out;
	}
	e = parts(a, er.env, &iterations, &salt, &slen, &iv, &er.ct, &er.ctlen,
	    &tag, err, errlen);
	if (e == VAULT_OK) {
		if (derive(passphrase, salt, slen, iterations, key) != 0 ||
		    (c = EVP_CIPHER_CTX_new()) == NULL ||
		    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL,
		    NULL) != 1 || EVP_CIPHER_CTX_ctrl(c,
		    EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) != 1 ||
		    EVP_DecryptInit_ex(c, NULL, NULL, key, iv) != 1) {
			snprintf(err, errlen, "the cipher could not be set up");
			e = VAULT_UNAVAILABLE;
		} else
			e = decrypt(c, er.ct, er.ctlen, tag, sink, ud, err,
			    errlen);
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_CIPHER_CTX_free(c);
	json_object_put(er.env);
	free(er.ct_copy);
	return e;
}

static int
buf_sink(void *ud, const unsigned char *p, size_t n)
{
	return buf_append(ud, (const char *)p, n);
}

struct fd_sink {
	int		 fd;
	long long	 len;
};

static int
fd_sink(void *ud, const unsigned char *p, size_t n)
{
	struct fd_sink	*f = ud;

	if (fd_write_all(f->fd, p, n) != 0)
		return -1;
	f->len += (long long)n;
	return 0;
}

enum vault_error
vault_envelope_open_fd(struct arena *a, const char *json, size_t n,
    const char *passphrase, int fd, long long *len, char *err, size_t errlen)
{
	struct fd_sink	 f = { fd, 0 };
	enum vault_error e;

	e = open_into(a, json, n, passphrase, fd_sink, &f, err, errlen);
	*len = f.len;
	if (e == VAULT_UNAVAILABLE && err[0] == '\0')
		snprintf(err, errlen, "writing the plaintext: %s",
		    strerror(errno));
	/* Nothing unverified stays behind. */
	if (e != VAULT_OK && ftruncate(fd, 0) != 0)
		fatal("ftruncate: %s", strerror(errno));
	return e;
}

enum vault_error
vault_envelope_open(struct arena *a, const char *json, size_t n,
    const char *passphrase, unsigned char **out, size_t *len, char *err,
    size_t errlen)
{
	struct buf	 b;
	enum vault_error e;

	*out = NULL;
	*len = 0;
	err[0] = '\0';
	buf_init(&b, n);	/* the plaintext is shorter than its base64 */
	e = open_into(a, json, n, passphrase, buf_sink, &b, err, errlen);
	if (e == VAULT_OK) {
		*out = arena_alloc(a, b.len + 1);
		memcpy(*out, b.data ? b.data : "", b.len);
		(*out)[b.len] = '\0';
		*len = b.len;
	}
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.len);
	buf_cleanup(&b);
	return e;
}

char *
vault_envelope_seal(struct arena *a, const unsigned char *plain, size_t len,
    const char *passphrase, long iterations)
{
	struct json_object	*env, *kdf;
	EVP_CIPHER_CTX		*c;
	unsigned char		 key[KEY_LEN], salt[SALT_LEN], iv[IV_LEN], *ct;
	char			*out;
	int			 k = 0, f = 0;

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    RAND_bytes(iv, sizeof(iv)) != 1)
		fatal("RAND_bytes failed");
	ct = arena_alloc(a, len + TAG_LEN);
	if (derive(passphrase, salt, sizeof(salt), iterations, key) != 0 ||
	    (c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, key, iv) != 1 ||
	    EVP_EncryptUpdate(c, ct, &k, plain, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(c, ct + k, &f) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    ct + k + f) != 1)
		fatal("vault: AES-256-GCM failed");
	OPENSSL_cleanse(key, sizeof(key));
	EVP_CIPHER_CTX_free(c);
	env = json_object_new_object();
	kdf = json_object_new_object();
	json_object_object_add(kdf, "algorithm",
	    json_object_new_string("PBKDF2"));
	json_object_object_add(kdf, "hash", json_object_new_string("SHA-256"));
	json_object_object_add(kdf, "iterations",
	    json_object_new_int64(iterations));
	json_object_object_add(kdf, "salt", json_object_new_string(
	    b64_encode(a, salt, sizeof(salt))));
	json_object_object_add(env, "version", json_object_new_int(1));
	json_object_object_add(env, "kdf", kdf);
	json_object_object_add(env, "iv", json_object_new_string(b64_encode(a,
	    iv, sizeof(iv))));
	json_object_object_add(env, "ciphertext", json_object_new_string(
	    b64_encode(a, ct, (size_t)(k + f) + TAG_LEN)));
	json_object_object_add(env, "tag", json_object_new_string(""));
	out = arena_strdup(a, json_object_to_json_string_ext(env,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(env);
	return out;
}
