/*
 * fuzz.h - what the fuzz targets share: the libFuzzer entry point (each
 * target defines it) and the invariant check that aborts, so a broken
 * invariant is a crash the fuzzer keeps.
 */
#ifndef PASSION_FUZZ_H
#define PASSION_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif
