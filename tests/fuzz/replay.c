/*
 * replay.c - run a fuzz target over its corpus without libFuzzer: every
 * file in tests/fuzz/corpus/<target>/ once. Linked with each target into
 * tests/fuzz/replay_<target>, which make check runs, so every input a
 * fuzzer ever found (and the seeds) stays a test in every build.
 *
 *   replay_<target> [DIR|FILE ...]   (default: the target's corpus)
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error FUZZ_TARGET names the corpus directory
#endif

static int
run_file(const char *path)
{
	FILE		*f = fopen(path, "rb");
	struct stat	 st;
	uint8_t		*buf;
	size_t		 n;

	if (f == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		abort();
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
run_path(const char *path, int *count)
{
	struct stat	 st;
	struct dirent	*e;
	DIR		*d;
	char		 p[4096];
	int		 rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "no such corpus: %s\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	d = opendir(path);
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		rc |= run_path(p, count);
	}
	if (d != NULL)
		closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	const char	*top = getenv("abs_top_srcdir");
	char		 dir[4096];
	int		 i, rc = 0, count = 0;

	if (argc < 2) {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
		    top ? top : ".", FUZZ_TARGET);
		rc = run_path(dir, &count);
	}
	for (i = 1; i < argc; i++)
		rc |= run_path(argv[i], &count);
	printf("%s: %d inputs replayed\n", FUZZ_TARGET, count);
	if (count == 0)
		return 1;
	return rc == 0 ? 0 : 1;
}
