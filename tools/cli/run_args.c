/* SPDX-License-Identifier: MIT */
#include "run_args.h"

#include <stdio.h>
#include <string.h>

static const struct option run_long_options[] = {
	SELECTION_LONG_OPTIONS,
	RUN_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static const struct option qemu_long_options[] = {
	SELECTION_LONG_OPTIONS,
	RUN_LONG_OPTIONS,
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ NULL, 0, NULL, 0 },
};

static int set_accel(struct run_args *a, const char *arg)
{
	if (strcmp(arg, "kvm") != 0 && strcmp(arg, "tcg") != 0)
		return cli_fail(EBX_STATUS_USAGE, "--accel takes kvm or tcg, not '%s'", arg);
	a->accel_kvm = strcmp(arg, "kvm") == 0;
	return 0;
}

static int handle(void *ctx, int opt, const char *arg)
{
	struct run_args *a = ctx;
	if (opt == 0)
		return selection_add_extra(&a->sel, arg);
	if (opt == OPT_HELP) {
		fputs(a->help, stdout);
		return CLI_HELP_SHOWN;
	}
	if (opt == OPT_ACCEL && a->with_accel)
		return set_accel(a, arg);
	int rc = selection_apply(&a->sel, opt, arg);
	if (rc != 1)
		return rc;
	rc = run_options_apply(&a->opts, opt, arg);
	/* getopt_long only returns ids from our tables, so this is a table bug. */
	return rc != 1 ? rc : cli_fail(EBX_STATUS_USAGE, "internal: unhandled option %d", opt);
}

int run_args_parse(const char *cmd, int argc, char **argv, struct run_args *a)
{
	selection_defaults(&a->sel);
	memset(&a->opts, 0, sizeof(a->opts));
	a->accel_kvm = false;
	return cli_parse(cmd, argc, argv, a->with_accel ? qemu_long_options : run_long_options, handle, a);
}
