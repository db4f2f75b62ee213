/* SPDX-License-Identifier: MIT */
/* The arguments of the subcommands that run a guest (run, qemu). */
#ifndef ENTRYBOX_RUN_ARGS_H
#define ENTRYBOX_RUN_ARGS_H

#include <stdbool.h>

#include "cli/cli_common.h"
#include "cli/selection.h"

struct run_args {
	struct selection sel;
	struct run_options opts;
	bool with_accel;          /* qemu: accepts --accel */
	bool accel_kvm;           /* --accel kvm (default tcg: the reference CPU) */
	const char *help;         /* printed by --help */
};

/* Parses argv (argv[0] = subcommand).  Returns 0, CLI_HELP_SHOWN, or
 * EBX_STATUS_USAGE after one error line. */
int run_args_parse(const char *cmd, int argc, char **argv, struct run_args *a);

#endif
