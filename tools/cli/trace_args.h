/* SPDX-License-Identifier: MIT */
/*
 * The options only `entrybox run` has (--trace, --trace-path, --trace-bare,
 * --trace-trips, --trace-max-steps, --trace-drop-step, --no-confine).  They are taken out of argv before the shared run/qemu
 * parser sees it, so that parser and its option table stay common to both.
 */
#ifndef ENTRYBOX_TRACE_ARGS_H
#define ENTRYBOX_TRACE_ARGS_H

#include <stdbool.h>

#include "trace/trace.h"

struct vmm_args {
	struct trace_config trace;
	bool tracing;             /* --trace given */
	bool no_confine;
};

/* Removes the options above from argv (shifting the rest down, *argc updated).
 * Returns 0, or EBX_STATUS_USAGE after one error line. */
int vmm_args_extract(int *argc, char **argv, struct vmm_args *out);

#endif
