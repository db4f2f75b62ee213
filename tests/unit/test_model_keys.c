/* SPDX-License-Identifier: MIT */
/* The entry models' own command-line keys: models.def's option rows as the
 * guest's parser (guest/boot/cmdline.c, compiled for the host) reads them. */
#include <check.h>
#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmdline.h"

static struct boot_options opts;
static char err[200];

static bool parse(const char *line)
{
	memset(&opts, 0xa5, sizeof(opts));
	strcpy(err, "untouched");
	return cmdline_parse(line, &opts, err, sizeof(err));
}

START_TEST(table_is_consistent)
{
	ck_assert(entry_table_consistent());
	ck_assert_uint_eq(entry_table_model_count(), ENTRY_MODELS);
	ck_assert_uint_eq(entry_table_option_count(), ENTRY_OPTIONS);
	for (unsigned i = 0; i < entry_table_option_count(); i++) {
		const struct entry_option_desc *o = entry_table_option(i);
		ck_assert_uint_lt(o->model, ENTRY_MODELS);
		ck_assert_int_eq(entry_table_option_find(o->model, o->key, strlen(o->key)), (int)i);
		ck_assert_msg(o->numeric || entry_table_value_count(i) >= 1, "%s has no value", o->key);
		for (unsigned v = 0; v < entry_table_value_count(i); v++) {
			const struct entry_value_desc *d = entry_table_value(i, v);
			ck_assert_int_eq(entry_table_value_find(i, d->name, strlen(d->name)), (int)v);
			ck_assert(d->help && d->help[0]);
		}
	}
	ck_assert_ptr_null(entry_table_option(ENTRY_OPTIONS));
	ck_assert_ptr_null(entry_table_value(ENTRY_OPT_xen_hv, 2));
	ck_assert_ptr_null(entry_table_model_name(ENTRY_MODELS));
}
END_TEST

START_TEST(names_up_to_31_characters)
{
	for (unsigned m = 0; m < entry_table_model_count(); m++)
		ck_assert_uint_le(strlen(entry_table_model_name(m)), 31);
}
END_TEST

START_TEST(defaults)
{
	ck_assert(parse("entry=pervcpu"));
	ck_assert(ENTRY_OPT_IS(&opts, pervcpu, pervcpu_sleep, forbid));
	ck_assert(ENTRY_OPT_IS(&opts, xen, hv, shim));
	ck_assert_uint_eq(ENTRY_OPT(&opts, ukl, ukl_tasks), 0);
	ck_assert(ENTRY_OPT_IS(&opts, ukl, ukl_df, workaround));
}
END_TEST

START_TEST(every_value_parses)
{
	char line[128];

	for (unsigned i = 0; i < entry_table_option_count(); i++) {
		const struct entry_option_desc *o = entry_table_option(i);
		const char *model = entry_table_model_name(o->model);
		for (unsigned v = 0; v < entry_table_value_count(i); v++) {
			snprintf(line, sizeof(line), "entry=%s %s=%s", model, o->key, entry_table_value(i, v)->name);
			ck_assert_msg(parse(line), "%s: %s", line, err);
			ck_assert_uint_eq(opts.opt[i], v);
		}
		if (o->numeric) {
			snprintf(line, sizeof(line), "%s=%lu entry=%s", o->key, o->hi, model);
			ck_assert_msg(parse(line), "%s: %s", line, err);
			ck_assert_uint_eq(opts.opt[i], o->hi);
		}
	}
	ck_assert(parse("entry=pervcpu pervcpu_sleep=pin"));
	ck_assert(ENTRY_OPT_IS(&opts, pervcpu, pervcpu_sleep, pin));
	ck_assert(parse("entry=xen hv=vmm"));
	ck_assert(ENTRY_OPT_IS(&opts, xen, hv, vmm));
	ck_assert(parse("entry=ukl pti=off tasks=4 ukl_tasks=3 ukl_df=ist"));
	ck_assert_uint_eq(ENTRY_OPT(&opts, ukl, ukl_tasks), 3);
	ck_assert(ENTRY_OPT_IS(&opts, ukl, ukl_df, ist));
}
END_TEST

START_TEST(bad_values_name_the_key)
{
	ck_assert(!parse("entry=pervcpu pervcpu_sleep=sometimes"));
	ck_assert_msg(strstr(err, "pervcpu_sleep") && strstr(err, "forbid|copy|pin"), "err: %s", err);
	ck_assert(!parse("entry=xen hv=xen"));
	ck_assert_msg(strstr(err, "shim|vmm"), "err: %s", err);
	ck_assert(!parse("entry=ukl ukl_tasks=9"));
	ck_assert_msg(strstr(err, "ukl_tasks") && strstr(err, "0..8"), "err: %s", err);
	ck_assert(!parse("ukl_df=maybe entry=ukl"));
	ck_assert_msg(strstr(err, "workaround|ist|none"), "err: %s", err);
}
END_TEST

START_TEST(keys_belong_to_their_model)
{
	ck_assert(!parse("entry=kpti ukl_tasks=1"));
	ck_assert_msg(strstr(err, "is an option of entry=ukl, not of entry=kpti"), "err: %s", err);
	ck_assert(!parse("entry=pervcpu hv=shim"));
	ck_assert_msg(strstr(err, "is an option of entry=xen"), "err: %s", err);
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

	tcase_add_test(tc, table_is_consistent);
	tcase_add_test(tc, names_up_to_31_characters);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_value_parses);
	tcase_add_test(tc, bad_values_name_the_key);
	tcase_add_test(tc, keys_belong_to_their_model);
	tcase_add_test(tc, new_scenarios_and_models_are_listed);
	suite_add_tcase(s, tc);
	return check_run(s);
}
