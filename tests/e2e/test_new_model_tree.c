/* SPDX-License-Identifier: MIT */
/*
 * A new model is its folder and its rows, for real: a copy of the source
 * tree gets one throw-away model per template from `entrybox new-model` and
 * a throw-away pervcpu sleep policy (its file and its row), builds with no
 * other edit (meson lists the folders, the option parser, `entrybox list`
 * and the per-model tests read the rows), and the copy's own e2e catalog
 * runs a throw-away model.
 *
 *   test_new_model_tree build    copy the tree, add the models, build  (suite e2e)
 *   test_new_model_tree catalog  run them under KVM                    (suite kvm)
 *
 * The copy lives at $ENTRYBOX_NEW_MODEL_TREE (src/ and build/), so the kvm
 * part runs where KVM is (tools/svm-box.sh) on what the build part built.
 */
#include <check.h>
#include "check_run.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e_util.h"

static const char *const templates[] = { "kpti", "pertask", "pervcpu", "xen", "ukl" };
#define NTEMPLATES (sizeof(templates) / sizeof(templates[0]))
/* The copy's catalog runs this one in full; the others a few scenarios each. */
#define CATALOG_MODEL "tmp-pervcpu"

static char src[1024], build[1024], logpath[1100];

/* A fourth pervcpu sleep policy: the task keeps the vCPU while it waits, as pin does. */
static const char policy_file[] =
	"/* pervcpu_sleep=hold: a throw-away policy (tests/e2e/test_new_model_tree.c). */\n"
	"#include \"pervcpu/policy.h\"\n"
	"#include \"sched/sched.h\"\n"
	"\n"
	"static long hold_block(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg)\n"
	"{\n"
	"	long ret;\n"
	"\n"
	"	(void)regs;\n"
	"	(void)in_entry;\n"
	"	sched_reserve(current_task());\n"
	"	ret = wait(arg);\n"
	"	sched_reserve(NULL);\n"
	"	return ret;\n"
	"}\n"
	"\n"
	"const struct pervcpu_policy pervcpu_policy_hold = {\n"
	"	.name = \"hold\", .block_in_entry = ENTRY_BLOCK_PINS_CPU, .block = hold_block,\n"
	"};\n";
static const char policy_row[] =
	"ENTRY_VALUE(pervcpu, pervcpu_sleep, hold, \"hold\", \"a throw-away policy: the task keeps the vCPU\")\n";

static void append(const char *path, const char *text, bool create)
{
	FILE *f = fopen(path, create ? "wx" : "a");
	ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
	ck_assert(fputs(text, f) >= 0);
	ck_assert(fclose(f) == 0);
}

static const char *need_env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !v[0]) {
		fprintf(stderr, "%s is not set\n", name);
		exit(2);
	}
	return v;
}

static void paths(void)
{
	const char *tree = need_env("ENTRYBOX_NEW_MODEL_TREE");
	if (strlen(tree) > 900) {
		fprintf(stderr, "ENTRYBOX_NEW_MODEL_TREE is too long\n");
		exit(2);
	}
	if (mkdir(tree, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "cannot create %s: %s\n", tree, strerror(errno));
		exit(2);
	}
	snprintf(src, sizeof(src), "%s/src", tree);
	snprintf(build, sizeof(build), "%s/build", tree);
	snprintf(logpath, sizeof(logpath), "%s/commands.log", tree);
}

/* Runs argv with stdout and stderr appended to the log; the exit status, -1 on a signal. */
static int run(const char *const *argv, const char *const *env)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		dprintf(2, "$");
		for (int i = 0; argv[i]; i++)
			dprintf(2, " %s", argv[i]);
		dprintf(2, "\n");
		for (int i = 0; env && env[i]; i += 2)
			setenv(env[i], env[i + 1], 1);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void must_run(const char *what, const char *const *argv, const char *const *env)
{
	int rc = run(argv, env);
	ck_assert_msg(rc == 0, "%s failed (status %d): see %s", what, rc, logpath);
}

/* ---- build ----------------------------------------------------------------------------------- */

START_TEST(copy_add_and_build)
{
	const char *from = need_env("ENTRYBOX_SOURCE");
	char copy[9000], bin[4096];
	snprintf(bin, sizeof(bin), "%s", need_env("ENTRYBOX_BIN"));
	unlink(logpath);
	/* The tree as it is, without builds or history; mtimes kept, so the copy's
	 * build reuses what an earlier run built. */
	snprintf(copy, sizeof(copy),
		 "rm -rf '%s' && mkdir -p '%s' && tar -C '%s' --exclude='./build*' --exclude=./.git -cf - . | tar -C '%s' -xf -",
		 src, src, from, src);
	must_run("copying the tree", (const char *const[]){ "sh", "-c", copy, NULL }, NULL);
	for (size_t i = 0; i < NTEMPLATES; i++) {
		char name[64];
		snprintf(name, sizeof(name), "tmp-%s", templates[i]);
		must_run(name, (const char *const[]){ bin, "new-model", name, "--from", templates[i], "--source", src, NULL },
			 NULL);
	}
	/* A new pervcpu policy: one file, one row. */
	char policy[1200];
	snprintf(policy, sizeof(policy), "%s/entry/pervcpu/hold.c", src);
	append(policy, policy_file, true);
	snprintf(policy, sizeof(policy), "%s/entry/pervcpu/policies.def", src);
	append(policy, policy_row, false);
	/* Once more: the name is taken now, and nothing is written. */
	ck_assert_int_eq(run((const char *const[]){ bin, "new-model", "tmp-kpti", "--from", "kpti", "--source", src, NULL },
			     NULL), 2);
	char setup[9000];
	snprintf(setup, sizeof(setup), "if [ -f '%s/build.ninja' ]; then meson setup --reconfigure '%s' '%s'; "
		 "else meson setup '%s' '%s'; fi", build, build, src, build, src);
	must_run("meson setup", (const char *const[]){ "sh", "-c", setup, NULL }, NULL);
	must_run("ninja", (const char *const[]){ "ninja", "-C", build, "-j2", "guest/entrybox-guest.elf", "tools/entrybox",
						 "tests/test_e2e_catalog", NULL }, NULL);
	/* The copy's CLI knows the models and their options. */
	char list[9000];
	snprintf(list, sizeof(list), "'%s/tools/entrybox' list | grep -q '^  tmp-pervcpu ' && "
		 "'%s/tools/entrybox' list | grep -A1 '^  tmp-xen ' | grep -q 'hv=' && "
		 "'%s/tools/entrybox' list | grep -q '^        hold  *a throw-away policy'", build, build, build);
	must_run("entrybox list of the copy", (const char *const[]){ "sh", "-c", list, NULL }, NULL);
}
END_TEST

/* ---- catalog --------------------------------------------------------------------------------- */

static void copy_binaries(char *bin, size_t blen, char *guest, size_t glen)
{
	snprintf(bin, blen, "%s/tools/entrybox", build);
	snprintf(guest, glen, "%s/guest/entrybox-guest.elf", build);
	if (access(bin, X_OK) != 0 || access(guest, R_OK) != 0) {
		fprintf(stderr, "%s: the throw-away tree is not built (%s): run the new-model-tree test first "
			"(meson test -C BUILD new-model-tree)\n", program_invocation_short_name, build);
		exit(EXIT_FAILURE);
	}
}

START_TEST(copy_runs_its_catalog)
{
	char bin[1100], guest[1100], cat[1100];
	copy_binaries(bin, sizeof(bin), guest, sizeof(guest));
	snprintf(cat, sizeof(cat), "%s/tests/test_e2e_catalog", build);
	const char *const env[] = { "ENTRYBOX_BIN", bin, "ENTRYBOX_GUEST", guest, "ENTRYBOX_CATALOG_MODELS", CATALOG_MODEL,
				    "CK_DEFAULT_TIMEOUT", "120", NULL };
	must_run("the copy's e2e catalog of " CATALOG_MODEL, (const char *const[]){ cat, NULL }, env);
}
END_TEST

/* Every throw-away model boots and judges as its template would: the same traits, the same expectations. */
START_TEST(each_copy_runs)
{
	char bin[1100], guest[1100], name[64];
	const char *t = templates[_i / 2];
	const char *scenario = (_i & 1) ? "sleep-in-entry" : "syscall-loop";
	copy_binaries(bin, sizeof(bin), guest, sizeof(guest));
	setenv("ENTRYBOX_BIN", bin, 1);
	snprintf(name, sizeof(name), "tmp-%s", t);
	const char *pti = strcmp(t, "ukl") ? "on" : "off";
	const char *args[] = { "run", "--guest", guest, "--entry", name, "--pti", pti, "--vcpus", "2", "--scenario",
			       scenario, "--iters", "40", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.status == 0 && r.json, "%s %s: status %d, outcome %s expected %s: %s", name, scenario, r.status,
		      e2e_str(r.json, "outcome"), e2e_str(r.json, "expected"), r.stderr_text);
	ck_assert_str_eq(e2e_str(r.json, "model"), name);
	ck_assert_int_eq(e2e_int(r.json, "violation_count"), 0);
	e2e_free(&r);
}
END_TEST

/* The throw-away policy judges as its traits say: it keeps the vCPU, so the sleep passes. */
START_TEST(new_policy_runs)
{
	char bin[1100], guest[1100];
	const char *vcpus = _i ? "2" : "1";
	copy_binaries(bin, sizeof(bin), guest, sizeof(guest));
	setenv("ENTRYBOX_BIN", bin, 1);
	const char *args[] = { "run", "--guest", guest, "--entry", "pervcpu", "--vcpus", vcpus, "--scenario",
			       "sleep-in-entry", "pervcpu_sleep=hold", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.status == 0 && r.json, "pervcpu_sleep=hold vcpus=%s: status %d: %s", vcpus, r.status, r.stderr_text);
	ck_assert_str_eq(e2e_str(r.json, "outcome"), "pass");
	ck_assert_str_eq(e2e_str(r.json, "options"), "pervcpu_sleep=hold");
	e2e_free(&r);
}
END_TEST

int main(int argc, char **argv)
{
	bool catalog = argc > 1 && strcmp(argv[1], "catalog") == 0;
	paths();
	if (catalog)
		e2e_require_kvm();
	Suite *s = suite_create(catalog ? "new-model-catalog" : "new-model-tree");
	TCase *tc = tcase_create(catalog ? "catalog" : "build");
	tcase_set_timeout(tc, catalog ? 900 : 1200);
	if (catalog) {
		tcase_add_test(tc, copy_runs_its_catalog);
		tcase_add_loop_test(tc, each_copy_runs, 0, (int)(2 * NTEMPLATES));
		tcase_add_loop_test(tc, new_policy_runs, 0, 2);
	} else {
		tcase_add_test(tc, copy_add_and_build);
	}
	suite_add_tcase(s, tc);
	return check_run(s);
}
