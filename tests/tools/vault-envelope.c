/*
 * vault-envelope.c - passiond's envelope code from the command line, for
 * tests/vault/compare-envelope.sh to check against WebCrypto both ways:
 *   vault-envelope open PASSPHRASE < envelope.json   prints the plaintext
 *   vault-envelope seal PASSPHRASE ITERATIONS < plain prints an envelope
 * Exit 1 with the error's code on stderr when an envelope cannot be read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault.h"

int
main(int argc, char **argv)
{
	struct arena		 a;
	struct buf		 in;
	unsigned char		*out;
	char			 chunk[65536], err[256];
	size_t			 n, len;
	enum vault_error	 e;

	if (argc < 3 || (strcmp(argv[1], "open") != 0 &&
	    strcmp(argv[1], "seal") != 0) || (strcmp(argv[1], "seal") == 0 &&
	    argc != 4)) {
		fprintf(stderr, "usage: vault-envelope open PASS | seal PASS "
		    "ITERATIONS\n");
		return 2;
	}
	buf_init(&in, 64 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_append(&in, chunk, n) != 0)
			return 2;
	arena_init(&a, 64 * 1024);
	e = VAULT_OK;
	if (strcmp(argv[1], "seal") == 0)
		fputs(vault_envelope_seal(&a, (const unsigned char *)(in.data ?
		    in.data : ""), in.len, argv[2], atol(argv[3])), stdout);
	else if ((e = vault_envelope_open(&a, in.data ? in.data : "", in.len,
	    argv[2], &out, &len, err, sizeof(err))) == VAULT_OK)
		fwrite(out, 1, len, stdout);
	else
		fprintf(stderr, "%s: %s\n", vault_error_code(e), err);
	arena_cleanup(&a);
	buf_cleanup(&in);
	return e == VAULT_OK ? 0 : 1;
}
