/*
 * run.h - run one Check suite and turn its result into an exit status.
 */
#ifndef PASSION_TEST_RUN_H
#define PASSION_TEST_RUN_H

#include <check.h>
#include <stdlib.h>

/* The number of rows of a test table, for tcase_add_loop_test. */
#define N(a)	((int)(sizeof(a) / sizeof((a)[0])))

static inline int
check_run(Suite *s, enum print_output mode)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, mode);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
