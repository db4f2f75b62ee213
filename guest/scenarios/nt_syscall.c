/* SPDX-License-Identifier: MIT */
/* nt-syscall: each task sets NT and makes three SYSCALLs: a null one (SYSRET
 * exit), one that returns the kernel's own RFLAGS, and one that moves its RIP
 * (IRET exit).  SFMASK clears NT, so the kernel never runs with it (an IRET
 * with NT set would #GP in long mode); as on Linux (its syscall_nt selftest),
 * the task gets NT back unchanged through either exit.  The task checks each
 * return; the kernel counts NT in its own RFLAGS. */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "sched/task_stats.h"

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	if (!scenario_all_exited_ok(detail, len))
		return OUTCOME_FAIL;
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task_stats *st = task_stats(i);
		if (st->kflags_calls != 1 || st->kflags_nt) {
			ksnprintf(detail, len, "task %u: kernel saw NT in %u of %u looks", i, st->kflags_nt,
				  st->kflags_calls);
			return OUTCOME_FAIL;
		}
	}
	ksnprintf(detail, len, "%u tasks: kernel ran with NT clear, user NT preserved across SYSRET and IRET",
		  o->tasks);
	return OUTCOME_PASS;
}

const struct scenario scenario_nt_syscall = { .runs_tasks = true, .needs_ring3 = true, .judge = judge };
