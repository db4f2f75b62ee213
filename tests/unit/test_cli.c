/* SPDX-License-Identifier: MIT */
/*
 * The entrybox command line as a user meets it, without KVM or a guest: bad
 * usage is exit status 2 with exactly one line on stderr, a missing QEMU is 3,
 * and `list` names every model, scenario and rule.  The binary under test is
 * $ENTRYBOX_BIN.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check/rules.h"
#include "check_run.h"

struct outcome {
	int status;               /* exit status, -1 when killed by a signal */
	char out[16384];
	char err[4096];
};

static const char *entrybox_bin(void)
{
	const char *bin = getenv("ENTRYBOX_BIN");
	ck_assert_msg(bin && *bin, "ENTRYBOX_BIN is not set");
	return bin;
}

static void slurp(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
}

/* Runs entrybox with args (NULL-terminated, without argv[0]); env_set, when
 * not NULL, is one NAME=VALUE added to the environment. */
static void run_with_env(struct outcome *o, const char *env_set, const char *const *args)
{
	char out_path[] = "/tmp/test-cli-out-XXXXXX";
	char err_path[] = "/tmp/test-cli-err-XXXXXX";
	int ofd = mkstemp(out_path), efd = mkstemp(err_path);
	ck_assert(ofd >= 0 && efd >= 0);
	const char *argv[32];
	size_t n = 0;
	argv[n++] = entrybox_bin();
	for (size_t i = 0; args[i] && n + 1 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(ofd, 1) < 0 || dup2(efd, 2) < 0)
			_exit(126);
		if (env_set)
			putenv((char *)env_set);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	slurp(ofd, o->out, sizeof(o->out));
	slurp(efd, o->err, sizeof(o->err));
	close(ofd);
	close(efd);
	unlink(out_path);
	unlink(err_path);
}

static void run(struct outcome *o, const char *const *args)
{
	run_with_env(o, NULL, args);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Status `want`, nothing on stdout, one "entrybox: " line on stderr. */
static void assert_one_line_error(const struct outcome *o, int want, const char *what)
{
	ck_assert_msg(o->status == want, "%s: status %d, want %d; stderr: %s", what, o->status, want, o->err);
	ck_assert_msg(count_lines(o->err) == 1, "%s: %d stderr lines: %s", what, count_lines(o->err), o->err);
	ck_assert_msg(strncmp(o->err, "entrybox: ", 10) == 0, "%s: stderr '%s'", what, o->err);
	ck_assert_msg(o->out[0] == '\0', "%s: unexpected stdout: %s", what, o->out);
}

/* Each row: arguments, and a word the one error line must contain. */
struct bad_usage {
	const char *args[8];
	const char *mentions;
};

static const struct bad_usage bad_usages[] = {
	{ { NULL }, "missing command" },
	{ { "frobnicate" }, "'frobnicate'" },
	{ { "run", "--entry", "foo" }, "unknown model 'foo'" },
	{ { "qemu", "--entry", "foo" }, "unknown model 'foo'" },
	{ { "run", "--scenario", "no-such-scenario" }, "unknown scenario 'no-such-scenario'" },
	{ { "qemu", "--scenario", "" }, "unknown scenario" },
	{ { "run", "--pti", "yes" }, "--pti" },
	{ { "run", "--pcid", "ON" }, "--pcid" },
	{ { "run", "--vcpus", "two" }, "--vcpus" },
	{ { "run", "--vcpus", "0" }, "--vcpus" },
	{ { "run", "--vcpus", "-1" }, "--vcpus" },
	{ { "run", "--tasks", "1000" }, "--tasks" },
	{ { "run", "--tasks", " 2" }, "--tasks" },
	{ { "run", "--iters", "99999999999999999999999" }, "--iters" },
	{ { "run", "--iters", "10x" }, "--iters" },
	{ { "run", "--timeout", "0" }, "--timeout" },
	{ { "run", "--timeout", "nan" }, "--timeout" },
	{ { "run", "--timeout", "1e9" }, "--timeout" },
	{ { "qemu", "--accel", "hvf" }, "--accel" },
	{ { "run", "--accel", "tcg" }, "--accel" },
	{ { "run", "--inject", "bogus@x" }, "unknown kind 'bogus'" },
	{ { "run", "--trace" }, "--trace" },
	{ { "run", "--bogus" }, "--bogus" },
	{ { "run", "-x" }, "-x" },
	{ { "run", "--pti" }, "needs a value" },
	{ { "run", "lonely" }, "lonely" },
	{ { "run", "Key=value" }, "Key=value" },
	{ { "run", "=value" }, "=value" },
	{ { "run", "key=" }, "key=" },
	{ { "run", "key=a b" }, "key=a b" },
	{ { "run", "key=$(reboot)" }, "key=" },
	{ { "run", "key=a;b" }, "key=a;b" },
	{ { "run", "bug=none", "bug=skip-swapgs" }, "twice" },
	{ { "run", "pti=off" }, "--pti" },
	{ { "qemu", "scenario=boot" }, "--scenario" },
	/* The guest's own parser, before anything boots: keys belong to their model. */
	{ { "run", "hv=vmm" }, "bad guest argument: key 'hv' is an option of entry=xen, not of entry=kpti" },
	{ { "qemu", "--entry", "pertask", "bug=skip-swapgs" }, "not of entry=pertask (which takes no option)" },
	{ { "libvirt", "--entry", "pervcpu", "pervcpu_sleep=nap" }, "bad value 'nap' for pervcpu_sleep (expected forbid|copy|pin)" },
	{ { "run", "--entry", "ukl", "ukl_tasks=9" }, "(expected 0..8)" },
	{ { "run", "frobs=1" }, "unknown key 'frobs' (entry=kpti takes bug=)" },
	{ { "matrix", "--extra", "frobs=1" }, "--extra frobs=1: no model takes it" },
	{ { "matrix", "--extra", "bug=nosuch" }, "--extra bug=nosuch: no model takes it" },
	{ { "new-model", "Bad", "--from", "kpti" }, "lower-case" },
	{ { "new-model", "x" }, "--from" },
	{ { "list", "models" }, "models" },
	{ { "list", "--all" }, "--all" },
};

START_TEST(bad_usage_is_status_2_with_one_line)
{
	const struct bad_usage *b = &bad_usages[_i];
	struct outcome o;
	run(&o, b->args);
	char what[128];
	snprintf(what, sizeof(what), "case %d (%s %s %s)", _i, b->args[0] ? b->args[0] : "",
		 b->args[0] && b->args[1] ? b->args[1] : "", b->args[0] && b->args[1] && b->args[2] ? b->args[2] : "");
	assert_one_line_error(&o, 2, what);
	ck_assert_msg(strstr(o.err, b->mentions), "%s: stderr '%s' does not mention '%s'", what, o.err, b->mentions);
}
END_TEST

START_TEST(unknown_model_message_is_exact)
{
	struct outcome o;
	const char *args[] = { "run", "--entry", "foo", NULL };
	run(&o, args);
	ck_assert_int_eq(o.status, 2);
	ck_assert_str_eq(o.err, "entrybox: unknown model 'foo' (see entrybox list)\n");
}
END_TEST

START_TEST(unreadable_guest_is_status_2)
{
	struct outcome o;
	const char *missing[] = { "qemu", "--guest", "/nonexistent/guest.elf", NULL };
	run(&o, missing);
	assert_one_line_error(&o, 2, "missing guest");
	char text_path[] = "/tmp/test-cli-guest-XXXXXX";
	int fd = mkstemp(text_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "not an ELF image\n", 17), 17);
	close(fd);
	const char *not_elf[] = { "qemu", "--guest", text_path, NULL };
	run(&o, not_elf);
	unlink(text_path);
	assert_one_line_error(&o, 2, "non-ELF guest");
	const char *dir[] = { "run", "--guest", "/tmp", NULL };
	run(&o, dir);
	assert_one_line_error(&o, 2, "directory as guest");
}
END_TEST

START_TEST(missing_qemu_is_status_3)
{
	/* Any ELF passes the CLI's guest check; QEMU is looked for only after it. */
	const char *args[] = { "qemu", "--guest", entrybox_bin(), NULL };
	struct outcome o;
	run_with_env(&o, "ENTRYBOX_QEMU=/nonexistent/qemu-system-x86_64", args);
	assert_one_line_error(&o, 3, "missing QEMU");
	run_with_env(&o, "PATH=/nonexistent", args);
	assert_one_line_error(&o, 3, "QEMU not on PATH");
}
END_TEST

START_TEST(help_is_status_0)
{
	static const char *const cases[][3] = {
		{ "--help", NULL, NULL }, { "run", "--help", NULL }, { "qemu", "--help", NULL }, { "list", "--help", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct outcome o;
		run(&o, cases[i]);
		ck_assert_msg(o.status == 0, "%s %s: status %d", cases[i][0], cases[i][1] ? cases[i][1] : "", o.status);
		ck_assert_msg(strstr(o.out, "usage: entrybox"), "%s: no usage on stdout", cases[i][0]);
		ck_assert_str_eq(o.err, "");
	}
}
END_TEST

/* `list` prints each name as the first word of an indented row. */
static bool lists(const char *out, const char *name)
{
	char row[96];
	snprintf(row, sizeof(row), "\n  %s ", name);
	return strstr(out, row) != NULL;
}

START_TEST(list_names_everything)
{
	struct outcome o;
	const char *args[] = { "list", NULL };
	run(&o, args);
	ck_assert_msg(o.status == 0, "status %d: %s", o.status, o.err);
	ck_assert_str_eq(o.err, "");
	size_t expected_rows = 0;
#define ENTRY_MODEL(id, name, summary) \
	ck_assert_msg(lists(o.out, name), "model %s not listed", name); \
	expected_rows++;
#include "models.def"
#undef ENTRY_MODEL
#define SCENARIO(id, name, summary) \
	ck_assert_msg(lists(o.out, name), "scenario %s not listed", name); \
	expected_rows++;
#include "entrybox/scenarios.def"
#undef SCENARIO
	size_t nrules = 0;
	const struct rule *rules = rules_table(&nrules);
	ck_assert_uint_gt(nrules, 0);
	for (size_t i = 0; i < nrules; i++)
		ck_assert_msg(lists(o.out, rules[i].name), "rule %s not listed", rules[i].name);
	expected_rows += nrules;
	/* at least one row per entry, plus the section headings */
	ck_assert_int_ge(count_lines(o.out), (int)expected_rows + 3);
	ck_assert_msg(lists(o.out, "pt-regs"), "the checkpoint rule pt-regs is not listed");
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *usage = tcase_create("usage");
	tcase_add_loop_test(usage, bad_usage_is_status_2_with_one_line, 0,
			    (int)(sizeof(bad_usages) / sizeof(bad_usages[0])));
	tcase_add_test(usage, unknown_model_message_is_exact);
	tcase_add_test(usage, unreadable_guest_is_status_2);
	tcase_add_test(usage, help_is_status_0);
	suite_add_tcase(s, usage);
	TCase *env = tcase_create("environment");
	tcase_add_test(env, missing_qemu_is_status_3);
	suite_add_tcase(s, env);
	TCase *list = tcase_create("list");
	tcase_add_test(list, list_names_everything);
	suite_add_tcase(s, list);
	return s;
}

int main(void)
{
	return check_run(cli_suite());
}
