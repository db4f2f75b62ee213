/* SPDX-License-Identifier: MIT */
/* entrybox list: what a run can select and what it checks. */
#include <stdio.h>
#include <string.h>

#include "check/ptregs_check.h"
#include "check/rules.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "inject/inject_spec.h"

static const char list_help[] = "usage: entrybox list\nLists the entry models, scenarios and rules.\n";

static void row(const char *name, const char *summary)
{
	printf("  %-24s %s\n", name, summary);
}

static void list_models(void)
{
	puts("models (--entry):");
#define ENTRY_MODEL(id, name, summary) row(name, summary);
#include "models.def"
#undef ENTRY_MODEL
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
	puts("rules (checked at every exit by entrybox run):");
	for (size_t i = 0; i < n; i++)
		row(rules[i].name, rules[i].summary);
	puts("rules (checked at the guest's checkpoints):");
	row(PTREGS_RULE, PTREGS_RULE_SUMMARY);
}

static void list_options(void)
{
	puts("model options (trailing KEY=VALUE arguments; values, default first):");
#define OPTION(key, values, summary) printf("  %-24s %s: %s\n", key "=", values, summary);
#include "entrybox/options.def"
#undef OPTION
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
	list_scenarios();
	list_options();
	list_rules();
	list_injections();
	return fflush(stdout) == 0 ? EBX_STATUS_OK : EBX_STATUS_ENV;
}
