/* SPDX-License-Identifier: MIT */
/* Running one Check suite the way every test program here does. */
#ifndef ENTRYBOX_CHECK_RUN_H
#define ENTRYBOX_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

/* Runs s (forking each test) and returns the process exit status. */
static inline int check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
