/* SPDX-License-Identifier: MIT */
/* seccomp confinement of the VMM's vCPU threads: forbidden calls are refused, the run goes on. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "e2e_util.h"

START_TEST(forbidden_calls_are_refused)
{
	setenv("ENTRYBOX_CONFINE_SELFTEST", "1", 1);
	const char *args[] = { "run", "--scenario", "syscall-loop", "--iters", "5", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	unsetenv("ENTRYBOX_CONFINE_SELFTEST");
	ck_assert_msg(strstr(r.stderr_text, "confine selftest: execve refused: Operation not permitted") != NULL,
		      "stderr: %s", r.stderr_text);
	ck_assert_msg(strstr(r.stderr_text, "confine selftest: open refused: Operation not permitted") != NULL,
		      "stderr: %s", r.stderr_text);
	/* Confined, the run itself still does everything it needs. */
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.stderr_text);
	ck_assert_str_eq(e2e_str(r.json, "outcome"), "pass");
	e2e_free(&r);
}
END_TEST

START_TEST(no_confine_skips_the_filter)
{
	setenv("ENTRYBOX_CONFINE_SELFTEST", "1", 1);
	const char *args[] = { "run", "--no-confine", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	unsetenv("ENTRYBOX_CONFINE_SELFTEST");
	ck_assert_msg(strstr(r.stderr_text, "confine selftest") == NULL, "stderr: %s", r.stderr_text);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.stderr_text);
	e2e_free(&r);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	Suite *s = suite_create("confine");
	TCase *tc = tcase_create("confine");
	tcase_add_test(tc, forbidden_calls_are_refused);
	tcase_add_test(tc, no_confine_skips_the_filter);
	suite_add_tcase(s, tc);
	return check_run(s);
}
