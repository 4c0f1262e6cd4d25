/*
 * encode.c - the encodings every room uses: random bytes and UUIDs,
 * base64url, lowercase hex and SHA-256 in hex (OpenSSL's libcrypto).
 */
#include "config.h"

#include <errno.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/util.h"

void
random_bytes(unsigned char *out, size_t n)
{
	if (RAND_bytes(out, (int)n) != 1)
		fatal("RAND_bytes failed");
}

void
uuid_new(char out[37])
{
	unsigned char	 b[16];

	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* RFC 9562 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void
hex_lower(char *out, const unsigned char *in, size_t n)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

char *
b64_encode(struct arena *a, const unsigned char *in, size_t n)
{
	char	*out = arena_alloc(a, 4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

char *
b64url_encode(struct arena *a, const unsigned char *in, size_t n)
{
	char	*out = arena_alloc(a, 4 * ((n + 2) / 3) + 1);
	int	 len, i;

	len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	for (i = 0; i < len; i++)
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	return out;
}

unsigned char *
b64url_decode(struct arena *a, const char *in, size_t *outlen)
{
	size_t		 n = strlen(in), padded, i;
	char		*buf;
	unsigned char	*out;
	int		 len;

	if (n % 4 == 1 || n > (1 << 20))
		return NULL;
	padded = (n + 3) / 4 * 4;
	buf = arena_alloc(a, padded + 1);
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '+' || c == '/' || c == '=')
			return NULL;
		buf[i] = c;
	}
	for (; i < padded; i++)
		buf[i] = '=';
	buf[padded] = '\0';
	out = arena_alloc(a, padded / 4 * 3 + 1);
	len = EVP_DecodeBlock(out, (unsigned char *)buf, (int)padded);
	if (len < 0)
		return NULL;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	*outlen = (size_t)len - (padded - n);
	return out;
}

char *
sha256_hex(struct arena *a, const void *in, size_t n,
    const unsigned char *key, size_t klen)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	 md[32];
	char		*hex = arena_alloc(a, 65);
	unsigned int	 mdlen;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, in, n) != 1 ||
	    (klen > 0 && EVP_DigestUpdate(ctx, key, klen) != 1) ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		fatal("SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	hex_lower(hex, md, sizeof(md));
	return hex;
}

int
sha256_fd(int fd, char hex[65], long long *size)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	 md[32], buf[64 * 1024];
	unsigned int	 mdlen;
	ssize_t		 n;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatal("SHA-256 failed");
	*size = 0;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			EVP_MD_CTX_free(ctx);
			return -1;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			fatal("SHA-256 failed");
		*size += n;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		fatal("SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	hex_lower(hex, md, sizeof(md));
	return 0;
}
