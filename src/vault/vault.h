/*
 * vault.h - Vault bundles (../shared/spec/vault-v3.md, docs/vault.md):
 * the crypto envelope that holds a bundle's metadata, as the old
 * browser app wrote it with WebCrypto (PBKDF2-HMAC-SHA256, then
 * AES-256-GCM with the tag after the ciphertext), on OpenSSL.
 */
#ifndef PASSION_VAULT_H
#define PASSION_VAULT_H

#include <stddef.h>

#include "util/util.h"

#define VAULT_ITER_MIN		10000
#define VAULT_ITER_MAX		10000000
#define VAULT_ITER_WRITE	100000	/* what export writes */

/* Why a bundle cannot be read: the import's result codes. */
enum vault_error {
	VAULT_OK = 0,
	VAULT_BAD_PASSPHRASE,	/* the tag does not verify: a wrong
				   passphrase or a changed ciphertext */
	VAULT_CORRUPT,		/* not an envelope: JSON, base64, sizes */
	VAULT_UNSUPPORTED	/* another version, algorithm or iterations */
};

/* The code of e as the API says it ("bad_passphrase", …). */
const char	*vault_error_code(enum vault_error e);
/*
 * Standard base64 with padding, strictly (no white space, padding only
 * at the end): the bytes into the arena, *len their count. NULL when s
 * is not that.
 */
unsigned char	*vault_b64_decode(struct arena *a, const char *s, size_t n,
		    size_t *len);
/*
 * Open an envelope (its JSON text, n bytes) with passphrase: the
 * plaintext (NUL-terminated) into *out, its length in *len. Otherwise
 * the error, with what is wrong in err.
 */
enum vault_error vault_envelope_open(struct arena *a, const char *json,
		    size_t n, const char *passphrase, unsigned char **out,
		    size_t *len, char *err, size_t errlen);
/*
 * Seal plain (len bytes) with passphrase under a fresh salt and IV,
 * iterations of PBKDF2: the envelope's JSON text, into the arena.
 */
char		*vault_envelope_seal(struct arena *a, const unsigned char *plain,
		    size_t len, const char *passphrase, long iterations);

#endif
