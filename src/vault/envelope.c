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
#include <stdarg.h>
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

/* The value of each base64 character, or -1: a table, since every byte
 * of a bundle's ciphertext goes through it. */
static signed char	 b64_table[256];

static void
b64_table_init(void)
{
	static const char	 alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int			 i;

	memset(b64_table, -1, sizeof(b64_table));
	for (i = 0; i < 64; i++)
		b64_table[(unsigned char)alphabet[i]] = (signed char)i;
}

static int
b64_value(unsigned char c)
{
	if (b64_table[0] == 0)		/* not made yet (once made, NUL's is -1) */
		b64_table_init();
	return b64_table[c];
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

/*
 * What the key needs of the envelope (version, kdf, iv), checked;
 * VAULT_OK or why not (err said).
 */
static enum vault_error
parts_key(struct arena *a, struct json_object *env, long *iterations,
    unsigned char **salt, size_t *slen, unsigned char **iv, char *err,
    size_t errlen)
{
	struct json_object	*kdf, *v;
	const char		*s;
	size_t			 n, ivlen;

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
	if ((*salt = b64_member(a, kdf, "salt", slen, err, errlen)) == NULL ||
	    (*iv = b64_member(a, env, "iv", &ivlen, err, errlen)) == NULL)
		return VAULT_CORRUPT;
	if (*slen < 16 || ivlen != IV_LEN) {
		snprintf(err, errlen, "envelope: a salt of 16 bytes or more and "
		    "an IV of 12");
		return VAULT_CORRUPT;
	}
	return VAULT_OK;
}

/* The envelope's tag: *tag NULL for WebCrypto's layout (the ciphertext's
 * last 16 bytes), else its 16 bytes; VAULT_OK or why not. */
static enum vault_error
parts_tag(struct arena *a, struct json_object *env, unsigned char **tag,
    char *err, size_t errlen)
{
	size_t	 tlen;

	if ((*tag = b64_member(a, env, "tag", &tlen, err, errlen)) == NULL)
		return VAULT_CORRUPT;
	if (tlen == 0)
		*tag = NULL;
	else if (tlen != TAG_LEN) {
		snprintf(err, errlen, "envelope: a tag is 16 bytes");
		return VAULT_CORRUPT;
	}
	return VAULT_OK;
}

#define B64_CHUNK	(64 * 1024)	/* base64 decoded this much at once */

/*
 * An envelope opened as it is read (docs/vault.md, "The envelope"): its
 * small members kept, its ciphertext (VJ_STREAM) base64-decoded and
 * decrypted a piece at a time into the sink, the last 16 bytes held back
 * (the tag, in WebCrypto's layout; body when a "tag" member is given).
 * A ciphertext met before the kdf and iv that make its key is decoded
 * into an unlinked file first, and decrypted from there at the end.
 * Nothing the sink got may be used unless the end says VAULT_OK.
 */
struct vault_envelope_stream {
	struct arena		*a;
	const char		*passphrase, *tmpdir;
	int			(*sink)(void *, const unsigned char *, size_t);
	void			*ud;
	struct vault_json_reader jr;
	struct vault_json	*j;
	struct json_object	*env;		/* its small members */
	EVP_CIPHER_CTX		*c;		/* once the key is known */
	int			 ct;		/* the ciphertext: 1 in, 2 read */
	char			 quad[4];	/* base64 left over */
	int			 nq, padded;
	unsigned char		 held[TAG_LEN];
	size_t			 nheld;
	int			 spill;		/* before the key: decoded here */
	unsigned char		*in, *out;
	enum vault_error	 e;
	char			 err[256];
};

static int __attribute__((format(printf, 3, 4)))
env_fail(struct vault_envelope_stream *st, enum vault_error e,
    const char *fmt, ...)
{
	va_list	 ap;

	if (st->e == VAULT_OK) {
		st->e = e;
		va_start(ap, fmt);
		vsnprintf(st->err, sizeof(st->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The key from the members read so far, and the cipher set up. */
static int
key_setup(struct vault_envelope_stream *st)
{
	unsigned char	 key[KEY_LEN], *salt, *iv;
	size_t		 slen;
	long		 iterations;
	enum vault_error e;
	char		 why[256];

	if (!json_object_is_type(st->env, json_type_object))
		return env_fail(st, VAULT_CORRUPT, "envelope: not a JSON "
		    "object");
	if ((e = parts_key(st->a, st->env, &iterations, &salt, &slen, &iv, why,
	    sizeof(why))) != VAULT_OK)
		return env_fail(st, e, "%s", why);
	if (derive(st->passphrase, salt, slen, iterations, key) != 0 ||
	    (st->c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(st->c, EVP_aes_256_gcm(), NULL, NULL, NULL) !=
	    1 || EVP_CIPHER_CTX_ctrl(st->c, EVP_CTRL_GCM_SET_IVLEN, IV_LEN,
	    NULL) != 1 || EVP_DecryptInit_ex(st->c, NULL, NULL, key, iv) != 1) {
		OPENSSL_cleanse(key, sizeof(key));
		return env_fail(st, VAULT_UNAVAILABLE, "the cipher could not "
		    "be set up");
	}
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

/* Decrypt n bytes of the body into the sink. */
static int
body(struct vault_envelope_stream *st, const unsigned char *p, size_t n)
{
	size_t	 take;
	int	 k;

	for (; n > 0; p += take, n -= take) {
		take = n < B64_CHUNK ? n : B64_CHUNK;
		if (EVP_DecryptUpdate(st->c, st->out, &k, p, (int)take) != 1 ||
		    (k > 0 && st->sink(st->ud, st->out, (size_t)k) != 0))
			return env_fail(st, VAULT_UNAVAILABLE, "decrypting "
			    "failed");
	}
	return 0;
}

/* n decoded bytes of the ciphertext: spilled, or decrypted but the last
 * TAG_LEN, held back. */
static int
ct_bytes(struct vault_envelope_stream *st, const unsigned char *p, size_t n)
{
	size_t	 d, from_held;

	if (st->c == NULL)
		return fd_write_all(st->spill, p, n) == 0 ? 0 : env_fail(st,
		    VAULT_UNAVAILABLE, "the temporary file: %s",
		    strerror(errno));
	if (st->nheld + n <= TAG_LEN) {
		memcpy(st->held + st->nheld, p, n);
		st->nheld += n;
		return 0;
	}
	d = st->nheld + n - TAG_LEN;
	from_held = d < st->nheld ? d : st->nheld;
	if (body(st, st->held, from_held) != 0)
		return -1;
	memmove(st->held, st->held + from_held, st->nheld - from_held);
	st->nheld -= from_held;
	d -= from_held;
	if (body(st, p, d) != 0)
		return -1;
	memcpy(st->held + st->nheld, p + d, n - d);
	st->nheld += n - d;
	return 0;
}

/* Decode s (n characters, whole groups) into the ciphertext. */
static int
ct_decode(struct vault_envelope_stream *st, const char *s, size_t n)
{
	size_t	 at, len, got;

	for (at = 0; at < n; at += len) {
		len = n - at < B64_CHUNK ? n - at : B64_CHUNK;
		/* Padding ends it: nothing may follow. */
		if (st->padded || vault_b64_decode_into(s + at, len, st->in,
		    &got) != 0)
			return env_fail(st, VAULT_CORRUPT, "envelope: "
			    "ciphertext is not base64");
		st->padded = got != len / 4 * 3;
		if (ct_bytes(st, st->in, got) != 0)
			return -1;
	}
	return 0;
}

/* The ciphertext's next characters (p NULL: its end). */
static int
ct_chunk(struct vault_envelope_stream *st, const char *p, size_t n)
{
	size_t	 whole;

	if (p == NULL) {
		if (st->nq != 0)
			return env_fail(st, VAULT_CORRUPT, "envelope: "
			    "ciphertext is not base64");
		st->ct = 2;
		return 0;
	}
	if (st->ct == 0) {
		st->ct = 1;
		/* Its key now if it can be made; else spilled till the end. */
		if (json_object_object_get_ex(st->env, "kdf", NULL) &&
		    json_object_object_get_ex(st->env, "iv", NULL)) {
			if (key_setup(st) != 0)
				return -1;
		} else if ((st->spill = fd_temp(st->tmpdir, "passion-ct")) < 0)
			return env_fail(st, VAULT_UNAVAILABLE, "%s: %s",
			    st->tmpdir, strerror(errno));
	}
	/* A group split across pieces, completed first. */
	while (st->nq > 0 && n > 0) {
		st->quad[st->nq++] = *p++;
		n--;
		if (st->nq == 4) {
			st->nq = 0;
			if (ct_decode(st, st->quad, 4) != 0)
				return -1;
		}
	}
	if (n == 0)
		return 0;	/* the group still waits for its rest */
	whole = n / 4 * 4;
	if (ct_decode(st, p, whole) != 0)
		return -1;
	memcpy(st->quad, p + whole, n - whole);
	st->nq = (int)(n - whole);
	return 0;
}

static enum vault_json_take
env_member(void *ud, const char *key)
{
	(void)ud;
	return strcmp(key, "ciphertext") == 0 ? VJ_STREAM : VJ_VALUE;
}

static int
env_value(void *ud, const char *key, long index, const char *name,
    struct json_object *v)
{
	struct vault_envelope_stream *st = ud;

	(void)index;
	(void)name;
	json_object_object_add(st->env, key, json_object_get(v));
	return 0;
}

static int
env_chunk(void *ud, const char *key, const char *p, size_t n)
{
	(void)key;
	return ct_chunk(ud, p, n);
}

struct vault_envelope_stream *
vault_envelope_stream_new(struct arena *a, const char *passphrase,
    const char *tmpdir, int (*sink)(void *, const unsigned char *, size_t),
    void *ud)
{
	struct vault_envelope_stream *st = calloc(1, sizeof(*st));

	if (st == NULL || (st->in = malloc(B64_CHUNK / 4 * 3)) == NULL ||
	    (st->out = malloc(B64_CHUNK + 32)) == NULL)
		fatal("malloc: out of memory");
	st->a = a;
	st->passphrase = passphrase;
	st->tmpdir = tmpdir != NULL ? tmpdir : "/tmp";
	st->sink = sink;
	st->ud = ud;
	st->spill = -1;
	st->env = json_object_new_object();
	st->jr.member = env_member;
	st->jr.value = env_value;
	st->jr.chunk = env_chunk;
	st->jr.ud = st;
	st->jr.max_depth = 8;
	st->j = vault_json_new(&st->jr);
	return st;
}

int
vault_envelope_stream_feed(struct vault_envelope_stream *st, const char *p,
    size_t n)
{
	char	 why[256];

	if (st->e != VAULT_OK)
		return -1;
	if (vault_json_feed(st->j, p, n, why, sizeof(why)) != 0)
		return env_fail(st, VAULT_CORRUPT, "envelope: %s", why);
	return 0;
}

/* A spilled ciphertext, decrypted now that its key is known. */
static int
replay(struct vault_envelope_stream *st)
{
	int	 fd = st->spill;
	ssize_t	 n;

	st->spill = -1;
	if (lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return env_fail(st, VAULT_UNAVAILABLE, "the temporary file: %s",
		    strerror(errno));
	}
	while ((n = read(fd, st->in, B64_CHUNK / 4 * 3)) > 0)
		if (ct_bytes(st, st->in, (size_t)n) != 0)
			break;
	close(fd);
	if (n < 0)
		return env_fail(st, VAULT_UNAVAILABLE, "the temporary file: %s",
		    strerror(errno));
	return st->e == VAULT_OK ? 0 : -1;
}

enum vault_error
vault_envelope_stream_end(struct vault_envelope_stream *st, char *err,
    size_t errlen)
{
	unsigned char	*tag, out[32];
	char		 why[256];
	enum vault_error e;
	int		 k;

	if (st->e == VAULT_OK && vault_json_end(st->j, why, sizeof(why)) != 0)
		env_fail(st, VAULT_CORRUPT, "envelope: %s", why);
	if (st->e == VAULT_OK && st->ct != 2)
		env_fail(st, VAULT_CORRUPT, "envelope: ciphertext is not "
		    "base64");
	if (st->e == VAULT_OK && st->c == NULL && key_setup(st) == 0 &&
	    st->spill >= 0)
		replay(st);
	if (st->e == VAULT_OK && (e = parts_tag(st->a, st->env, &tag, why,
	    sizeof(why))) != VAULT_OK)
		env_fail(st, e, "%s", why);
	if (st->e == VAULT_OK && tag == NULL && st->nheld < TAG_LEN)
		env_fail(st, VAULT_CORRUPT, "envelope: the ciphertext is "
		    "shorter than its tag");
	/* A tag of its own: what was held back is body. */
	if (st->e == VAULT_OK && tag != NULL && body(st, st->held,
	    st->nheld) != 0)
		tag = NULL;
	if (st->e == VAULT_OK) {
		if (EVP_CIPHER_CTX_ctrl(st->c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
		    (void *)(tag != NULL ? tag : st->held)) == 1 &&
		    EVP_DecryptFinal_ex(st->c, out, &k) == 1) {
			if (k > 0 && st->sink(st->ud, out, (size_t)k) != 0)
				env_fail(st, VAULT_UNAVAILABLE, "decrypting "
				    "failed");
		} else
			env_fail(st, VAULT_BAD_PASSPHRASE, "the passphrase is "
			    "wrong, or the bundle was changed");
	}
	snprintf(err, errlen, "%s", st->err);
	return st->e;
}

void
vault_envelope_stream_free(struct vault_envelope_stream *st)
{
	if (st == NULL)
		return;
	if (st->spill >= 0)
		close(st->spill);
	vault_json_free(st->j);
	json_object_put(st->env);
	EVP_CIPHER_CTX_free(st->c);
	OPENSSL_cleanse(st->out, B64_CHUNK + 32);
	OPENSSL_cleanse(st->held, sizeof(st->held));
	free(st->in);
	free(st->out);
	free(st);
}

/* Open the envelope json (n bytes) with passphrase into sink. */
static enum vault_error
open_into(struct arena *a, const char *json, size_t n, const char *passphrase,
    int (*sink)(void *, const unsigned char *, size_t), void *ud, char *err,
    size_t errlen)
{
	struct vault_envelope_stream *st;
	enum vault_error	 e;

	st = vault_envelope_stream_new(a, passphrase, NULL, sink, ud);
	(void)vault_envelope_stream_feed(st, json, n);
	e = vault_envelope_stream_end(st, err, errlen);
	vault_envelope_stream_free(st);
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
