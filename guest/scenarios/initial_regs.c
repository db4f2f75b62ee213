/* SPDX-License-Identifier: MIT */
/* initial-regs (Linux's check_initial_reg_state): a new task's first user
 * instruction must see every general register but RSP zero and RFLAGS =
 * IF | bit 1, whatever path the model takes to user mode the first time
 * (its IRET exit from a pt_regs built by the kernel).  The task's entry
 * stub looks before it changes anything and exits with what it saw.
 * bug=dirty-initial-regs leaves a kernel address in RBX: the check fails. */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "user/user_hazards.h"

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);

		if (t->state == TASK_EXITED && t->exit_status == HAZ_EXIT_INITIAL_GPR) {
			ksnprintf(detail, len, "task %u: a general register was not zero at its first user instruction", i);
			return OUTCOME_FAIL;
		}
		if (t->state == TASK_EXITED && t->exit_status == HAZ_EXIT_INITIAL_FLAGS) {
			ksnprintf(detail, len, "task %u: RFLAGS was not 0x202 at its first user instruction", i);
			return OUTCOME_FAIL;
		}
		if (!scenario_exited_ok(t, detail, len))
			return OUTCOME_FAIL;
	}
	ksnprintf(detail, len, "%u tasks: every general register zero and RFLAGS 0x202 at the first user instruction",
		  o->tasks);
	return OUTCOME_PASS;
}

const struct scenario scenario_initial_regs = { .runs_tasks = true, .needs_ring3 = true, .judge = judge };
