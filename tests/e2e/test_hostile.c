/* SPDX-License-Identifier: MIT */
/*
 * The VMM against hostile guests (tests/guests/): each misbehaving guest must
 * end with one clear outcome, the right exit status, and bounded memory.
 */
#include <check.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "e2e_util.h"

/* Guest RAM is 64 MiB; the VMM may touch all of it but nothing may grow with the guest's misdeeds. */
#define MAX_RSS_KB (160L * 1024)

struct hostile_run {
	int status;
	long maxrss_kb;
	json_object *json;
};

static char dir[] = "/tmp/entrybox-test-hostile.XXXXXX";

static void guest_path(const char *name, char *buf, size_t len)
{
	const char *gdir = getenv("HOSTILE_GUEST_DIR");
	ck_assert_msg(gdir != NULL, "HOSTILE_GUEST_DIR is not set");
	snprintf(buf, len, "%s/hostile-%s.elf", gdir, name);
	ck_assert_msg(access(buf, R_OK) == 0, "no guest %s", buf);
}

/* Runs entrybox on one guest; wait4 gives that child's own peak RSS. */
static void run_guest(const char *name, const char *timeout, struct hostile_run *out)
{
	const char *bin = getenv("ENTRYBOX_BIN");
	ck_assert_msg(bin != NULL, "ENTRYBOX_BIN is not set");
	char guest[512], json[256];
	guest_path(name, guest, sizeof(guest));
	snprintf(json, sizeof(json), "%s/%s.json", dir, name);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl(bin, bin, "run", "--guest", guest, "--timeout", timeout, "--json", json, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	struct rusage ru;
	ck_assert_int_eq(wait4(pid, &status, 0, &ru), pid);
	ck_assert_msg(WIFEXITED(status), "%s: entrybox died (status 0x%x)", name, status);
	out->status = WEXITSTATUS(status);
	out->maxrss_kb = ru.ru_maxrss;
	out->json = json_object_from_file(json);
	ck_assert_msg(out->json != NULL, "%s: no JSON result", name);
}

static void assert_outcome(const char *name, const struct hostile_run *r, const char *end)
{
	const char *got = e2e_str(r->json, "end");
	const char *reason = e2e_str(r->json, "end_reason");
	ck_assert_msg(got && strcmp(got, end) == 0, "%s: end %s, expected %s (%s)", name, got ? got : "(none)", end,
		      reason ? reason : "");
	ck_assert_msg(reason && reason[0] && !strchr(reason, '\n'), "%s: end_reason must be one line", name);
	ck_assert_msg(r->status == 1, "%s: status %d, expected 1", name, r->status);
	ck_assert_msg(r->maxrss_kb < MAX_RSS_KB, "%s: max RSS %ld KiB", name, r->maxrss_kb);
}

START_TEST(refused_command_line_in_the_guests_words)
{
	char guest[512];
	guest_path("refuse", guest, sizeof(guest));
	setenv("ENTRYBOX_BIN", getenv("ENTRYBOX_BIN"), 1);
	const char *args[] = { "run", "--guest", guest, "--timeout", "10", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(r.json, "no JSON: %s", r.stderr_text);
	/* The guest's reason, its escape sequence made harmless. */
	ck_assert_str_eq(e2e_str(r.json, "refused"), "key 'zap' is an option of entry=nobody ?[2J");
	ck_assert_msg(strstr(r.stderr_text, "entrybox: the guest refused its command line: key 'zap' is an option of entry=nobody ?[2J\n"),
		      "stderr: %s", r.stderr_text);
	ck_assert_msg(!strchr(r.stderr_text, 0x1b), "an escape reached the terminal");
	e2e_free(&r);
}
END_TEST

START_TEST(console_flood)
{
	struct hostile_run r;
	/* A byte an exit: under nested TCG with ASan the limit's 256 KiB of exits
	 * take tens of seconds, so the watchdog is far enough to be told apart. */
	run_guest("flood", "200", &r);
	/* The console limit stops a flood before the watchdog, and memory stays flat. */
	assert_outcome("flood", &r, "hostile");
	ck_assert_int_gt(e2e_int(r.json, "exits"), 1000);
	json_object_put(r.json);
}
END_TEST

START_TEST(random_ports)
{
	struct hostile_run r;
	run_guest("ports", "20", &r);
	assert_outcome("ports", &r, "guest-exit");
	ck_assert_int_eq(e2e_int(r.json, "guest_exit_code"), 0x42);
	json_object_put(r.json);
}
END_TEST

START_TEST(absurd_checkpoint_address)
{
	struct hostile_run r;
	run_guest("checkpoint", "5", &r);
	assert_outcome("checkpoint", &r, "hostile");
	ck_assert_ptr_nonnull(strstr(e2e_str(r.json, "end_reason"), "0xfffffff0"));
	json_object_put(r.json);
}
END_TEST

START_TEST(garbage_layout)
{
	struct hostile_run r;
	run_guest("layout", "5", &r);
	assert_outcome("layout", &r, "hostile");
	ck_assert_ptr_nonnull(strstr(e2e_str(r.json, "end_reason"), "layout"));
	json_object_put(r.json);
}
END_TEST

START_TEST(never_exits)
{
	struct hostile_run r;
	run_guest("forever", "1", &r);
	assert_outcome("forever", &r, "timeout");
	json_object_put(r.json);
}
END_TEST

START_TEST(triple_fault_at_once)
{
	struct hostile_run r;
	run_guest("triple", "5", &r);
	assert_outcome("triple", &r, "triple-fault");
	json_object_put(r.json);
}
END_TEST

START_TEST(repeated_verdicts)
{
	char guest[512];
	e2e_hostile_guest("verdicts", guest, sizeof(guest));
	const char *args[] = { "run", "--guest", guest, "--timeout", "20", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	e2e_assert_repeated_verdicts(&r, "kvm");
	e2e_free(&r);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");
	/* The flood's 256 KiB of one-byte exits take minutes under nested TCG with ASan. */
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, console_flood);
	tcase_add_test(tc, refused_command_line_in_the_guests_words);
	tcase_add_test(tc, random_ports);
	tcase_add_test(tc, absurd_checkpoint_address);
	tcase_add_test(tc, garbage_layout);
	tcase_add_test(tc, never_exits);
	tcase_add_test(tc, triple_fault_at_once);
	tcase_add_test(tc, repeated_verdicts);
	suite_add_tcase(s, tc);
	int status = check_run(s);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return status;
}
