/* SPDX-License-Identifier: MIT */
/* syscall-loop: every task makes iters checked null syscalls (user/user_regs.S). */
#include "scenarios/scenario.h"
#include "lib/printf.h"

static enum scenario_outcome judge_syscall_loop(const struct boot_options *o, char *detail, size_t len)
{
	if (!scenario_all_exited_ok(detail, len))
		return OUTCOME_FAIL;
	ksnprintf(detail, len, "%u tasks x %lu syscalls, every register as the ABI promises", o->tasks, o->iters);
	return OUTCOME_PASS;
}

const struct scenario scenario_syscall_loop = { .runs_tasks = true, .judge = judge_syscall_loop };
