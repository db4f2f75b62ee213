/* SPDX-License-Identifier: MIT */
/* regs-roundtrip: the kernel compares its saved pt_regs with the registers
 * each task loaded (and the VMM with what it saw at SYSCALL). */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "user/user_abi.h"

static enum scenario_outcome judge_regs_roundtrip(const struct boot_options *o, char *detail, size_t len)
{
	if (!scenario_all_exited_ok(detail, len))
		return OUTCOME_FAIL;
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		if (t->regs_checks != REGS_SEEDS || t->regs_bad) {
			ksnprintf(detail, len, "task %u: %u of %u pt_regs checks, %u bad", i, t->regs_checks,
				  REGS_SEEDS, t->regs_bad);
			return OUTCOME_FAIL;
		}
	}
	ksnprintf(detail, len, "%u tasks x %u seeds: pt_regs equal the loaded registers", o->tasks, REGS_SEEDS);
	return OUTCOME_PASS;
}

const struct scenario scenario_regs_roundtrip = { .runs_tasks = true, .judge = judge_regs_roundtrip };
