/* SPDX-License-Identifier: MIT */
/* The entry models' own command-line keys (pervcpu_sleep=, hv=, ukl_tasks=,
 * ukl_df=) in guest/cmdline.c, compiled for the host. */
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

START_TEST(defaults)
{
	ck_assert(parse("entry=pervcpu"));
	ck_assert_int_eq(opts.pervcpu_sleep, PERVCPU_SLEEP_FORBID);
	ck_assert_int_eq(opts.hv, XEN_HV_SHIM);
	ck_assert_uint_eq(opts.ukl_tasks, 0);
	ck_assert_int_eq(opts.ukl_df, UKL_DF_WORKAROUND);
}
END_TEST

START_TEST(every_value_parses)
{
	ck_assert(parse("entry=pervcpu pervcpu_sleep=copy"));
	ck_assert_int_eq(opts.pervcpu_sleep, PERVCPU_SLEEP_COPY);
	ck_assert(parse("entry=pervcpu pervcpu_sleep=pin"));
	ck_assert_int_eq(opts.pervcpu_sleep, PERVCPU_SLEEP_PIN);
	ck_assert(parse("entry=xen hv=vmm"));
	ck_assert_int_eq(opts.hv, XEN_HV_VMM);
	ck_assert(parse("entry=ukl pti=off tasks=4 ukl_tasks=3 ukl_df=ist"));
	ck_assert_uint_eq(opts.ukl_tasks, 3);
	ck_assert_int_eq(opts.ukl_df, UKL_DF_IST);
	ck_assert_str_eq(cmdline_pervcpu_sleep_name(PERVCPU_SLEEP_PIN), "pin");
	ck_assert_str_eq(cmdline_hv_name(XEN_HV_VMM), "vmm");
	ck_assert_str_eq(cmdline_ukl_df_name(UKL_DF_IST), "ist");
	ck_assert_ptr_null(cmdline_ukl_df_name((enum ukl_df)7));
}
END_TEST

START_TEST(bad_values_name_the_key)
{
	ck_assert(!parse("pervcpu_sleep=sometimes"));
	ck_assert_msg(strstr(err, "pervcpu_sleep") && strstr(err, "forbid|copy|pin"), "err: %s", err);
	ck_assert(!parse("hv=xen"));
	ck_assert_msg(strstr(err, "shim|vmm"), "err: %s", err);
	ck_assert(!parse("entry=ukl ukl_tasks=9"));
	ck_assert_msg(strstr(err, "ukl_tasks"), "err: %s", err);
	ck_assert(!parse("ukl_df=maybe"));
	ck_assert_msg(strstr(err, "workaround|ist"), "err: %s", err);
}
END_TEST

START_TEST(ukl_tasks_needs_ukl_and_enough_tasks)
{
	ck_assert(!parse("entry=kpti ukl_tasks=1"));
	ck_assert_msg(strstr(err, "needs entry=ukl"), "err: %s", err);
	ck_assert(!parse("entry=ukl tasks=2 ukl_tasks=3"));
	ck_assert_msg(strstr(err, "more than tasks"), "err: %s", err);
	ck_assert(parse("entry=ukl tasks=3 ukl_tasks=3"));
}
END_TEST

START_TEST(new_scenarios_and_models_are_listed)
{
	const char *want_models[] = { "pertask", "pervcpu", "ukl", "xen" };
	const char *want_scenarios[] = { "sleep-in-entry", "ukl-stack-df" };

	for (size_t i = 0; i < sizeof(want_models) / sizeof(want_models[0]); i++) {
		char line[64];
		snprintf(line, sizeof(line), "entry=%s", want_models[i]);
		ck_assert_msg(parse(line), "%s: %s", line, err);
		ck_assert_str_eq(cmdline_model_name(opts.model), want_models[i]);
	}
	for (size_t i = 0; i < sizeof(want_scenarios) / sizeof(want_scenarios[0]); i++) {
		char line[64];
		snprintf(line, sizeof(line), "scenario=%s", want_scenarios[i]);
		ck_assert_msg(parse(line), "%s: %s", line, err);
		ck_assert_str_eq(cmdline_scenario_name(opts.scenario), want_scenarios[i]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("model-keys");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_value_parses);
	tcase_add_test(tc, bad_values_name_the_key);
	tcase_add_test(tc, ukl_tasks_needs_ukl_and_enough_tasks);
	tcase_add_test(tc, new_scenarios_and_models_are_listed);
	suite_add_tcase(s, tc);
	return check_run(s);
}
