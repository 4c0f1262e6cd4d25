/*
 * presign.c - presigned URLs per second on one core (bench/run prints
 * it): storage_presign for a GET of a typical object key with the two
 * response headers a download asks for (GET /api/blobs/{id}), the
 * signing key cached as in a worker, the arena reset every 100 as a
 * worker's is per request. Usage: bench/presign [N]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/storage.h"

int
main(int argc, char **argv)
{
	struct config	 cfg;
	struct storage	 s;
	struct arena	 a;
	struct timespec	 t0, t1;
	struct sigv4_pair q[2] = {
		{ "response-content-disposition", "inline; filename=\"Bench mix "
		    "(final) _.wav\"; filename*=UTF-8''Bench%20mix%20%28final"
		    "%29%20%C3%A9.wav" },
		{ "response-content-type", "audio/wav" },
	};
	long		 i, n = argc > 1 ? atol(argv[1]) : 200000;
	double		 secs;

	memset(&cfg, 0, sizeof(cfg));
	cfg.storage_access_key_id = "0123456789abcdef0123456789abcdef";
	cfg.storage_secret = "0123456789abcdef0123456789abcdef0123456789abcdef";
	cfg.storage_region = "auto";
	cfg.storage_endpoint = "https://0123456789abcdef.r2.cloudflarestorage.com";
	cfg.storage_bucket = "passion";
	cfg.storage_addressing = "path";
	storage_init(&s, &cfg);
	arena_init(&a, 64 * 1024);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if (storage_presign(&a, &s, "GET", "0b6c5e2a-1111-2222-3333-"
		    "444455556666/audio/5f0c7d8e-aaaa-bbbb-cccc-ddddeeeeffff.wav",
		    3600, 1764000000LL + i / 1000, NULL, -1, q, 2) == NULL)
			return 1;
		if (i % 100 == 99)
			arena_reset(&a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	arena_cleanup(&a);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%ld presigns in %.2f s: %.0f per second, %.2f us each\n", n,
	    secs, (double)n / secs, secs / (double)n * 1e6);
	return 0;
}
