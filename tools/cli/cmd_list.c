/* SPDX-License-Identifier: MIT */
/* entrybox list: what a run can select and what it checks. */
#include <stdio.h>
#include <string.h>

#include "check/ptregs_check.h"
#include "check/rules.h"
#include "check/switch_check.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "inject/inject_spec.h"
#include "model_table.h"

static const char list_help[] =
	"usage: entrybox list\nLists the entry models with their options, the scenarios, rules and injection kinds.\n";

static void row(const char *name, const char *summary)
{
	printf("  %-24s %s\n", name, summary);
}

static void list_option(unsigned option)
{
	const struct entry_option_desc *o = entry_table_option(option);
	char key[40];

	snprintf(key, sizeof(key), "%s=", o->key);
	if (o->numeric) {
		printf("      %-20s %lu..%lu (default %lu): %s\n", key, o->lo, o->hi, o->lo, o->summary);
		return;
	}
	printf("      %-20s %s\n", key, o->summary);
	for (unsigned v = 0; v < entry_table_value_count(option); v++) {
		const struct entry_value_desc *d = entry_table_value(option, v);
		printf("        %-18s %s%s\n", d->name, v == 0 ? "(default) " : "", d->help);
	}
}

static void list_models(void)
{
	puts("models (--entry), each with its options (trailing KEY=VALUE arguments of that model):");
	for (unsigned m = 0; m < entry_table_model_count(); m++) {
		row(entry_table_model_name(m), entry_table_model_summary(m));
		for (unsigned o = 0; o < entry_table_option_count(); o++)
			if (entry_table_option(o)->model == m)
				list_option(o);
	}
}

static void list_kernel_options(void)
{
	puts("kernel options (trailing KEY=VALUE arguments every model takes):");
	printf("      %-20s %s\n", "timer=", "the LAPIC timer ticks on every CPU and preempts tasks where the model allows");
	printf("        %-18s %s\n", "off", "(default) only scenarios that need it (preempt, sysret-ss-attrs) tick");
	printf("        %-18s %s\n", "on", "every scenario runs under preemption");
	printf("      %-20s %s\n", "espfix=", "an IRET to a 16-bit stack segment (LDT) returns through the per-CPU ministack");
	printf("        %-18s %s\n", "on", "(default) ESPFIX64: ESP[31:16] are the user's own");
	printf("        %-18s %s\n", "off", "a plain IRET: ESP[31:16] show the kernel stack's address (scenario espfix)");
	printf("      %-20s %s\n", "kernel_bug=", "break one invariant of the kernel or of the paths every model shares");
	static const char *const bugs[][2] = {
#define KERNEL_BUG(id, value, help) { value, help },
#include "entrybox/kernel_bugs.def"
#undef KERNEL_BUG
	};
	for (size_t i = 0; i < sizeof(bugs) / sizeof(bugs[0]); i++)
		printf("        %-18s %s%s\n", bugs[i][0], i == 0 ? "(default) " : "", bugs[i][1]);
}

static void list_scenarios(void)
{
	puts("scenarios (--scenario):");
#define SCENARIO(id, name, summary) row(name, summary);
#include "entrybox/scenarios.def"
#undef SCENARIO
}

static void list_rules(void)
{
	size_t n = 0;
	const struct rule *rules = rules_table(&n);
	puts("rules (checked by entrybox run at every exit, and on the faulting instruction of every kernel-mode #PF, #GP,"
	     " #DF and #UD it watches):");
	for (size_t i = 0; i < n; i++)
		row(rules[i].name, rules[i].summary);
	puts("rules (checked at the guest's checkpoints):");
	row(PTREGS_RULE, PTREGS_RULE_SUMMARY);
	row(SWITCH_RULE, SWITCH_RULE_SUMMARY);
}

static void list_injections(void)
{
	puts("injection kinds (entrybox run --inject SPEC, repeatable):");
	for (unsigned k = 0; k < INJ_KIND_COUNT; k++)
		row(inject_kind_name((enum inject_kind)k), inject_kind_summary((enum inject_kind)k));
	puts("injection grammar:");
	fputs(inject_grammar, stdout);
}

static int handle(void *ctx, int opt, const char *arg)
{
	(void)ctx;
	if (opt == OPT_HELP) {
		fputs(list_help, stdout);
		return CLI_HELP_SHOWN;
	}
	return cli_fail(EBX_STATUS_USAGE, "list: unexpected argument '%s'", arg ? arg : "?");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, OPT_HELP }, { NULL, 0, NULL, 0 } };
	int rc = cli_parse("list", argc, argv, opts, handle, NULL);
	if (rc != 0)
		return rc == CLI_HELP_SHOWN ? EBX_STATUS_OK : rc;
	list_models();
	list_kernel_options();
	list_scenarios();
	list_rules();
	list_injections();
	return fflush(stdout) == 0 ? EBX_STATUS_OK : EBX_STATUS_ENV;
}
