/*
 * seal.c - the secrets a job carries in its payload (a magic link's
 * token, a vault passphrase): sealed with the jobs key (AES-256-GCM,
 * bound to what they are for by aad), so that a copy of the jobs table
 * holds nothing usable; the "secret" member is dropped from the row when
 * the job ends (db_job_done, db_job_retry).
 */
#include "config.h"

#include <string.h>

#include "jobs/jobs.h"

const char *
jobs_secret_seal(struct arena *a, const struct auth_keys *k, const char *aad,
    const char *plain)
{
	unsigned char	*sealed;
	size_t		 n;

	sealed = auth_seal(a, k->jobs, plain, strlen(plain), aad, &n);
	return b64url_encode(a, sealed, n);
}

unsigned char *
jobs_secret_open(struct arena *a, const struct auth_keys *k, const char *aad,
    const char *secret, size_t *len)
{
	unsigned char	*raw;
	size_t		 n;

	raw = b64url_decode(a, secret, &n);
	return raw != NULL && k->ready ? auth_open(a, k->jobs, raw, n, aad,
	    len) : NULL;
}
