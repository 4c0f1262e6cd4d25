/*
 * fuzz_bundle.c - a vault bundle's bytes, either layout, through the
 * reader an import starts with (vault_bundle_read: yajl over the JSON,
 * libarchive over the zip, blobs spilled and hashed). Whatever the
 * bytes, it answers a verdict without crashing; a bundle it takes has an
 * envelope and a version it reads, and blobs whose spilled bytes fit in
 * the spill file, each hashing to its id.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "vault/vault.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vault_limits	 lim = { 1 << 20, 1 << 20, 1 << 20, 1000, 16,
	    100, "/tmp", 0 };
	struct vault_bundle	 b;
	struct vault_report	 rep;
	enum vault_error	 e;
	unsigned char		 buf[4096], md[32];
	char			 hex[65];
	unsigned int		 ml;
	size_t			 i;
	int			 fd, k;

	fd = memfd_create("bundle", 0);
	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(write(fd, data, size) == (ssize_t)size);
	memset(&b, 0, sizeof(b));
	vault_report_init(&rep);
	e = vault_bundle_read(&b, fd, &lim, &rep);
	if (e == VAULT_OK) {
		FUZZ_ASSERT(b.envelope != NULL);
		FUZZ_ASSERT(b.version == 2 || b.version == 3);
		for (i = 0; i < b.nblobs; i++) {
			EVP_MD_CTX *c = EVP_MD_CTX_new();
			long long off = b.blobs[i].off, left = b.blobs[i].size;

			FUZZ_ASSERT(off >= 0 && off + left <= b.spilled);
			EVP_DigestInit_ex(c, EVP_sha256(), NULL);
			while (left > 0) {
				ssize_t n = pread(b.spill, buf, left <
				    (long long)sizeof(buf) ? (size_t)left :
				    sizeof(buf), off);

				FUZZ_ASSERT(n > 0);
				EVP_DigestUpdate(c, buf, (size_t)n);
				off += n;
				left -= n;
			}
			EVP_DigestFinal_ex(c, md, &ml);
			EVP_MD_CTX_free(c);
			for (k = 0; k < 32; k++)
				snprintf(hex + 2 * k, 3, "%02x", md[k]);
			FUZZ_ASSERT(strcmp(hex, b.blobs[i].sha) == 0);
		}
	} else
		FUZZ_ASSERT(rep.nerrors > 0 || e == VAULT_UNAVAILABLE);
	vault_bundle_free(&b);
	vault_report_free(&rep);
	close(fd);
	return 0;
}
