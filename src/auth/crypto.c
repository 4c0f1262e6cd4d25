/*
 * crypto.c - the token crypto, all on OpenSSL: CSPRNG, base64url,
 * SHA-256, HKDF key derivation and AES-256-GCM sealing. No secret is
 * logged or kept longer than its arena.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth/auth.h"

#define GCM_NONCE	12
#define GCM_TAG		16

static int
hkdf(const char *secret, const char *info, unsigned char *out)
{
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*ctx;
	OSSL_PARAM	 params[5], *p = params;
	int		 rc;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf == NULL)
		return -1;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return -1;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)secret, strlen(secret));
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)"passiond", 8);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, strlen(info));
	*p = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(ctx, out, AUTH_KEY_LEN, params) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(ctx);
	return rc;
}

int
auth_keys_derive(struct auth_keys *k, const char *secret)
{
	memset(k, 0, sizeof(*k));
	if (secret == NULL || strlen(secret) < 32)
		return -1;
	if (hkdf(secret, "passiond cookie v1", k->cookie) != 0 ||
	    hkdf(secret, "passiond tokens v1", k->tokens) != 0 ||
	    hkdf(secret, "passiond email v1", k->email) != 0 ||
	    hkdf(secret, "passiond jobs v1", k->jobs) != 0 ||
	    hkdf(secret, "passiond sync v1", k->sync) != 0)
		return -1;
	k->ready = 1;
	return 0;
}

char *
auth_token_new(struct arena *a)
{
	unsigned char	 raw[AUTH_TOKEN_LEN];
	char		*t;

	random_bytes(raw, sizeof(raw));
	t = b64url_encode(a, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	return t;
}

char *
auth_pkce_challenge(struct arena *a, const char *verifier)
{
	unsigned char	 md[32];

	SHA256((const unsigned char *)verifier, strlen(verifier), md);
	return b64url_encode(a, md, sizeof(md));
}

unsigned char *
auth_seal(struct arena *a, const unsigned char *key, const void *plain,
    size_t n, const char *aad, size_t *outlen)
{
	EVP_CIPHER_CTX	*ctx = EVP_CIPHER_CTX_new();
	unsigned char	*out = arena_alloc(a, GCM_NONCE + n + GCM_TAG);
	int		 len, fin;

	random_bytes(out, GCM_NONCE);
	if (ctx == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad,
	    (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(ctx, out + GCM_NONCE, &len, plain, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + GCM_NONCE + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG,
	    out + GCM_NONCE + n) != 1)
		fatal("AES-256-GCM seal failed");
	EVP_CIPHER_CTX_free(ctx);
	*outlen = GCM_NONCE + n + GCM_TAG;
	return out;
}

unsigned char *
auth_open(struct arena *a, const unsigned char *key,
    const unsigned char *sealed, size_t n, const char *aad, size_t *outlen)
{
	EVP_CIPHER_CTX	*ctx;
	unsigned char	*out;
	size_t		 clen;
	int		 len, fin, ok;

	if (n < GCM_NONCE + GCM_TAG)
		return NULL;
	clen = n - GCM_NONCE - GCM_TAG;
	out = arena_alloc(a, clen + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		fatal("EVP_CIPHER_CTX_new: out of memory");
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
	    sealed) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad,
	    (int)strlen(aad)) == 1 &&
	    EVP_DecryptUpdate(ctx, out, &len, sealed + GCM_NONCE,
	    (int)clen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG,
	    (void *)(sealed + n - GCM_TAG)) == 1 &&
	    EVP_DecryptFinal_ex(ctx, out + len, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return NULL;
	out[clen] = '\0';
	*outlen = clen;
	return out;
}

char *
auth_mac(struct arena *a, const unsigned char *key, const char *text)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;

	if (HMAC(EVP_sha256(), key, AUTH_KEY_LEN, (const unsigned char *)text,
	    strlen(text), md, &n) == NULL || n < 16)
		return NULL;
	return b64url_encode(a, md, 16);
}

int
auth_str_eq(const char *a, const char *b)
{
	size_t	 n = strlen(a);

	if (n != strlen(b))
		return 0;
	return CRYPTO_memcmp(a, b, n) == 0;
}
