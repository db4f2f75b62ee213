/* SPDX-License-Identifier: MIT */
/* tf-syscall: each task makes TF_SYSCALLS null SYSCALLs with TF set.  SFMASK
 * clears TF, so the kernel takes no single-step trap; R11 holds TF, so the
 * exit takes IRET, which restores it: the first user instruction after the
 * SYSCALL completes and exactly one #DB (IST3) follows, reporting the address
 * after that instruction.  The handler counts it and clears TF.  Expected per
 * task: TF_SYSCALLS traps, each at that address (checked by the task), and
 * the task exits 0.  A #DB inside the kernel would be a kernel fault. */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "sched/task_stats.h"
#include "user/user_hazards.h"

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	if (!scenario_all_exited_ok(detail, len))
		return OUTCOME_FAIL;
	for (unsigned i = 0; i < task_count(); i++) {
		if (task_stats(i)->db_traps != TF_SYSCALLS) {
			ksnprintf(detail, len, "task %u: %u single-step traps, expected %u", i, task_stats(i)->db_traps,
				  TF_SYSCALLS);
			return OUTCOME_FAIL;
		}
	}
	ksnprintf(detail, len, "%u tasks x %u SYSCALLs with TF: one user-mode #DB each, after the first instruction",
		  o->tasks, TF_SYSCALLS);
	return OUTCOME_PASS;
}

const struct scenario scenario_tf_syscall = { .runs_tasks = true, .needs_ring3 = true, .judge = judge };
