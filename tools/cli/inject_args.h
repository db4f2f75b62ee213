/* SPDX-License-Identifier: MIT */
/* `entrybox run --inject SPEC... [--sweep-mode snapshot|reboot] [--sweep-horizon return|end]`, taken out of
 * argv before the shared run/qemu parser sees it (as trace_args.h does). */
#ifndef ENTRYBOX_INJECT_ARGS_H
#define ENTRYBOX_INJECT_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "inject/inject_spec.h"

#define INJECT_ARGS_MAX 8

struct inject_args {
	struct inject_spec specs[INJECT_ARGS_MAX];
	size_t n;
	bool sweep_reboot;
	bool sweep_to_end;        /* --sweep-horizon end */
};

/* Removes --inject, --sweep-mode and --sweep-horizon (with their values) from argv, *argc
 * updated.  Returns 0, or EBX_STATUS_USAGE after one error line. */
int inject_args_extract(int *argc, char **argv, struct inject_args *out);

#endif
