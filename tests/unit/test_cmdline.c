/* SPDX-License-Identifier: MIT */
/* The guest command-line parser (guest/cmdline.c), compiled for the host. */
#include <check.h>
#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmdline.h"

static struct boot_options opts;
static char err[160];

static bool parse(const char *line)
{
	memset(&opts, 0xa5, sizeof(opts));
	strcpy(err, "untouched");
	return cmdline_parse(line, &opts, err, sizeof(err));
}

static unsigned scenario_index(const char *name)
{
	for (unsigned i = 0; i < cmdline_scenario_count(); i++) {
		if (!strcmp(cmdline_scenario_name(i), name))
			return i;
	}
	ck_abort_msg("scenario %s not in scenarios.def", name);
	return 0;
}

START_TEST(defaults_for_empty_line)
{
	ck_assert(parse(""));
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(cmdline_model_name(opts.model), "kpti");
	ck_assert_str_eq(cmdline_scenario_name(opts.scenario), "boot");
	ck_assert(opts.pti);
	ck_assert(!opts.pcid);
	ck_assert_uint_eq(opts.vcpus, 1);
	ck_assert_uint_eq(opts.tasks, 2);
	ck_assert_uint_eq(opts.iters, 200);
	ck_assert_uint_eq(ENTRY_OPT(&opts, kpti, bug), ENTRY_VAL(kpti, bug, none));
	ck_assert(!opts.timer);
	ck_assert_uint_eq(opts.kernel_bug, EBX_KBUG_none);
	ck_assert(opts.espfix);
	ck_assert(parse(NULL));
	ck_assert(parse("   \t "));
}
END_TEST

START_TEST(every_key)
{
	ck_assert_msg(parse("entry=kpti pti=off pcid=on vcpus=8 tasks=1 scenario=user-pf iters=10000000 bug=skip-swapgs"),
		      "%s", err);
	ck_assert(!opts.pti);
	ck_assert(opts.pcid);
	ck_assert_uint_eq(opts.vcpus, 8);
	ck_assert_uint_eq(opts.tasks, 1);
	ck_assert_uint_eq(opts.scenario, scenario_index("user-pf"));
	ck_assert_uint_eq(opts.iters, 10000000);
	ck_assert(ENTRY_OPT_IS(&opts, kpti, bug, skip_swapgs));
}
END_TEST

/* timer=, espfix= and kernel_bug= are the kernel's: every model takes them, beside its own bug=. */
START_TEST(kernel_keys_on_every_model)
{
	for (unsigned m = 0; m < cmdline_model_count(); m++) {
		char line[160];
		snprintf(line, sizeof(line), "entry=%s timer=on espfix=off kernel_bug=naive-nmi", cmdline_model_name(m));
		ck_assert_msg(parse(line), "%s: %s", line, err);
		ck_assert(opts.timer);
		ck_assert(!opts.espfix);
		ck_assert_uint_eq(opts.kernel_bug, EBX_KBUG_naive_nmi);
	}
	ck_assert_msg(parse("entry=kpti bug=syscall-user-stack kernel_bug=sysret-ss-null"), "%s", err);
	ck_assert(ENTRY_OPT_IS(&opts, kpti, bug, syscall_user_stack));
	ck_assert_uint_eq(opts.kernel_bug, EBX_KBUG_sysret_ss_null);
	ck_assert_msg(parse("entry=ukl pti=off bug=ukl-trust-app-rsp"), "%s", err);
	ck_assert(ENTRY_OPT_IS(&opts, ukl, bug, trust_app_rsp));
	ck_assert_str_eq(cmdline_kernel_bug_name(EBX_KBUG_db_trust_cs), "db-trust-cs");
	ck_assert_ptr_null(cmdline_kernel_bug_name(EBX_KBUG_COUNT));
}
END_TEST

START_TEST(every_scenario_name)
{
	char line[64];
	for (unsigned i = 0; i < cmdline_scenario_count(); i++) {
		snprintf(line, sizeof(line), "scenario=%s", cmdline_scenario_name(i));
		ck_assert_msg(parse(line), "%s: %s", line, err);
		ck_assert_uint_eq(opts.scenario, i);
	}
	ck_assert_ptr_null(cmdline_scenario_name(cmdline_scenario_count()));
}
END_TEST

START_TEST(extra_spaces_and_newline)
{
	ck_assert_msg(parse("  tasks=3   iters=5\n"), "%s", err);
	ck_assert_uint_eq(opts.tasks, 3);
	ck_assert_uint_eq(opts.iters, 5);
}
END_TEST

static const struct {
	const char *line, *err_contains;
} bad_lines[] = {
	{ "foo=1", "unknown key 'foo'" },
	{ "pti", "expected KEY=VALUE, got 'pti'" },
	{ "pti=", "bad value '' for pti" },
	{ "pti=yes", "bad value 'yes' for pti (expected on|off)" },
	{ "pcid=ON", "bad value 'ON' for pcid" },
	{ "entry=nosuchmodel", "bad value 'nosuchmodel' for entry" },
	{ "scenario=boots", "bad value 'boots' for scenario" },
	{ "scenario=boo", "bad value 'boo' for scenario" },
	{ "vcpus=0", "bad value '0' for vcpus (expected 1..8)" },
	{ "vcpus=9", "bad value '9' for vcpus" },
	{ "tasks=-1", "bad value '-1' for tasks" },
	{ "tasks=2x", "bad value '2x' for tasks" },
	{ "iters=0", "bad value '0' for iters" },
	{ "iters=10000001", "bad value '10000001' for iters" },
	{ "iters=99999999999999999999", "for iters" },
	{ "bug=skip", "bad value 'skip' for bug (expected none|skip-user-cr3|skip-swapgs|syscall-user-stack)" },
	{ "tasks=2 tasks=3", "key given twice: 'tasks'" },
	{ "bug=none bug=none", "key given twice: 'bug'" },
	{ "entry=kpti entry=xen", "key given twice: 'entry'" },
	{ "=1", "unknown key '' (entry=kpti takes bug=)" },
	{ "tasks=2 console=ttyS0", "unknown key 'console' (entry=kpti takes bug=)" },
	/* Keys belong to their model, wherever entry= stands. */
	{ "hv=vmm", "key 'hv' is an option of entry=xen, not of entry=kpti (which takes bug=)" },
	{ "bug=none entry=pertask", "key 'bug' is an option of entry=kpti, not of entry=pertask (which takes no option)" },
	{ "entry=ukl ukl_tasks=9", "bad value '9' for ukl_tasks (expected 0..8)" },
	{ "timer=yes", "bad value 'yes' for timer (expected on|off)" },
	{ "kernel_bug=skip-swapgs", "bad value 'skip-swapgs' for kernel_bug" },
	{ "timer=on timer=off", "key given twice: 'timer'" },
	{ "espfix=yes", "bad value 'yes' for espfix (expected on|off)" },
	{ "espfix=on espfix=off", "key given twice: 'espfix'" },
	{ "entry=pertask bug=syscall-user-stack", "key 'bug' is an option of entry=kpti, not of entry=pertask" },
};

START_TEST(bad_line_is_refused)
{
	ck_assert_msg(!parse(bad_lines[_i].line), "accepted '%s'", bad_lines[_i].line);
	ck_assert_msg(strstr(err, bad_lines[_i].err_contains), "'%s' gave '%s'", bad_lines[_i].line, err);
	ck_assert(!strchr(err, '\n'));
}
END_TEST

START_TEST(too_long_line)
{
	char line[CMDLINE_MAX_LEN + 64];
	memset(line, ' ', sizeof(line));
	strcpy(line + CMDLINE_MAX_LEN, "tasks=3");
	ck_assert(!parse(line));
	ck_assert(strstr(err, "longer than 1024"));
	/* Exactly at the limit is fine. */
	memset(line, ' ', sizeof(line));
	strcpy(line + CMDLINE_MAX_LEN - 7, "tasks=3");
	ck_assert_msg(parse(line), "%s", err);
	ck_assert_uint_eq(opts.tasks, 3);
}
END_TEST

START_TEST(model_options_print_as_given)
{
	char buf[64];

	ck_assert_msg(parse("ukl_df=ist pti=off entry=ukl ukl_tasks=3"), "%s", err);
	cmdline_model_options(&opts, buf, sizeof(buf));
	ck_assert_str_eq(buf, "ukl_tasks=3 ukl_df=ist bug=none");
	ck_assert(parse("entry=pertask"));
	cmdline_model_options(&opts, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	ck_assert(parse(""));
	cmdline_model_options(&opts, buf, sizeof(buf));
	ck_assert_str_eq(buf, "bug=none");
}
END_TEST

START_TEST(tiny_error_buffer_stays_terminated)
{
	char small[8];
	memset(small, 'x', sizeof(small));
	ck_assert(!cmdline_parse("foo=1", &opts, small, sizeof(small)));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, defaults_for_empty_line);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, kernel_keys_on_every_model);
	tcase_add_test(tc, every_scenario_name);
	tcase_add_test(tc, extra_spaces_and_newline);
	tcase_add_loop_test(tc, bad_line_is_refused, 0, (int)(sizeof(bad_lines) / sizeof(bad_lines[0])));
	tcase_add_test(tc, too_long_line);
	tcase_add_test(tc, model_options_print_as_given);
	tcase_add_test(tc, tiny_error_buffer_stays_terminated);
	suite_add_tcase(s, tc);
	return check_run(s);
}
