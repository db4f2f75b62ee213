/* SPDX-License-Identifier: MIT */
/* seccomp confinement of the VMM: once set up, the whole process -- the main
 * thread that reads the console and writes the results as well as the vCPU
 * threads -- is refused what a run does not need, and the run goes on. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "e2e_util.h"

static void assert_refused(const struct e2e_run *r, const char *who, const char *call)
{
	char want[160];
	snprintf(want, sizeof(want), "confine selftest (%s): %s refused: Operation not permitted", who, call);
	ck_assert_msg(strstr(r->stderr_text, want) != NULL, "no '%s' in stderr: %s", want, r->stderr_text);
}

START_TEST(forbidden_calls_are_refused_in_every_thread)
{
	setenv("ENTRYBOX_CONFINE_SELFTEST", "1", 1);
	const char *args[] = { "run", "--scenario", "syscall-loop", "--iters", "5", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	unsetenv("ENTRYBOX_CONFINE_SELFTEST");
	static const char *const everywhere[] = { "execve", "open", "socket" };
	for (size_t i = 0; i < sizeof(everywhere) / sizeof(everywhere[0]); i++) {
		assert_refused(&r, "main thread", everywhere[i]);
		assert_refused(&r, "vCPU thread", everywhere[i]);
	}
	/* A terminal ioctl (TIOCSTI would type into the user's shell) and executable memory. */
	assert_refused(&r, "main thread", "ioctl FIONREAD");
	assert_refused(&r, "main thread", "mmap PROT_EXEC");
	ck_assert_ptr_null(strstr(r.stderr_text, "was allowed"));
	/* Confined, the run itself still does everything it needs, the JSON file included. */
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.stderr_text);
	ck_assert_ptr_nonnull(r.json);
	ck_assert_str_eq(e2e_str(r.json, "outcome"), "pass");
	ck_assert_str_eq(e2e_str(r.json, "confinement"), "process");
	e2e_free(&r);
}
END_TEST

START_TEST(a_snapshot_sweep_runs_confined)
{
	/* A sweep restores the VM and starts the vCPU threads again, per point, confined. */
	const char *args[] = { "run", "--scenario", "syscall-loop", "--iters", "5", "--inject", "nmi@each:syscall",
			       NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.stderr_text);
	ck_assert_str_eq(e2e_str(r.json, "confinement"), "process");
	json_object *sweep;
	ck_assert(json_object_object_get_ex(r.json, "sweep", &sweep));
	ck_assert_int_gt(e2e_int(sweep, "points"), 50);
	ck_assert_int_eq(e2e_int(sweep, "survived"), e2e_int(sweep, "points"));
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
	ck_assert_str_eq(e2e_str(r.json, "confinement"), "off");
	e2e_free(&r);
}
END_TEST

static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

START_TEST(a_stopped_and_continued_run_goes_on)
{
	/* Ctrl-Z and fg: a stop with no handler resumes the waits of every
	 * thread (the watchdog's, the session lock's) by restart_syscall. */
	char err_path[] = "/tmp/ebx-confine-err-XXXXXX";
	int efd = mkstemp(err_path);
	ck_assert_int_ge(efd, 0);
	unlink(err_path);
	const char *argv[] = { getenv("ENTRYBOX_BIN"), "run", "--scenario", "syscall-loop", "--iters", "20000",
			       "--timeout", "60", NULL };
	ck_assert_ptr_nonnull(argv[0]);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(efd, 2);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	pause_ms(500);
	for (int i = 0; i < 3; i++) {
		kill(pid, SIGSTOP);
		pause_ms(200);
		kill(pid, SIGCONT);
		pause_ms(200);
	}
	int wst = 0;
	waitpid(pid, &wst, 0);
	char text[4096];
	ssize_t got = pread(efd, text, sizeof(text) - 1, 0);
	text[got > 0 ? got : 0] = '\0';
	close(efd);
	ck_assert_msg(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "wait status 0x%x: %s", wst, text);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	Suite *s = suite_create("confine");
	TCase *tc = tcase_create("confine");
	tcase_add_test(tc, forbidden_calls_are_refused_in_every_thread);
	tcase_add_test(tc, a_snapshot_sweep_runs_confined);
	tcase_add_test(tc, no_confine_skips_the_filter);
	tcase_add_test(tc, a_stopped_and_continued_run_goes_on);
	suite_add_tcase(s, tc);
	return check_run(s);
}
