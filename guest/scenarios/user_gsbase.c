/* SPDX-License-Identifier: MIT */
/* user-gsbase (Linux's fsgsbase and fsgsbase_restore selftests): with
 * CR4.FSGSBASE set, user mode writes any GS base with WRGSBASE -- here a
 * value that looks like a kernel address (negative) and this CPU's own
 * per-CPU page -- and makes syscalls, yields (the bases move with the task
 * across switches and CPUs) and single-steps (a #DB from user mode through
 * the paranoid entry).  A paranoid entry that decides GS by the sign of
 * GS.base (bug=paranoid-gs-sign, Linux's test without FSGSBASE) takes the
 * first for the kernel's and runs its handler on it: gs-base.  The VMM's
 * sweeps (`--inject nmi@each:syscall`, db, irq) hit the same syscall path
 * with the first value loaded.  Without FSGSBASE: unsupported. */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "sched/task_stats.h"
#include "user/user_hazards.h"

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);

		if (t->state == TASK_EXITED && t->exit_status == HAZ_EXIT_NO_FSGSBASE) {
			ksnprintf(detail, len, "the CPU has no FSGSBASE (CPUID.7.0:EBX[0]): user mode cannot write GS base");
			return OUTCOME_UNSUPPORTED;
		}
		if (!scenario_exited_ok(t, detail, len))
			return OUTCOME_FAIL;
		if (task_stats(i)->db_traps != 2) {
			ksnprintf(detail, len, "task %u: %u single steps, expected 2", i, task_stats(i)->db_traps);
			return OUTCOME_FAIL;
		}
	}
	ksnprintf(detail, len, "%u tasks: GS base 0x%llx and the per-CPU page kept across %u syscalls, switches and a "
		  "user #DB each", o->tasks, (unsigned long long)GSBASE_KERNEL_LOOKING, GSBASE_SYSCALLS);
	return OUTCOME_PASS;
}

const struct scenario scenario_user_gsbase = { .runs_tasks = true, .needs_ring3 = true, .judge = judge };
