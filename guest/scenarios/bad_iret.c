/* SPDX-License-Identifier: MIT */
/* bad-iret: each task sets its saved SS to the kernel's data segment (RPL 3,
 * as sigreturn forces).  SYSRET is refused (SS is not the user's), and the
 * IRET raises #GP(0x18) in ring 0 on the entry stack with the user's GS and
 * CR3 already loaded.  The exception entry must recognise the iretq, make the
 * fault the user context's, and the task dies of vector 13, error 0x18. */
#include "scenarios/scenario.h"
#include "percpu.h"
#include "lib/printf.h"
#include "sched/task_stats.h"

#define BAD_SS_ERROR (GDT_KERNEL_SS & ~SEL_RPL_MASK)   /* the error code: the selector, without its RPL */

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		if (t->state != TASK_KILLED || t->killed_vector != VEC_GP || t->killed_error != BAD_SS_ERROR) {
			char end[96];
			scenario_describe_end(t, end, sizeof(end));
			ksnprintf(detail, len, "expected #GP(0x%x) from the IRET: %s, error 0x%llx", BAD_SS_ERROR, end,
				  (unsigned long long)t->killed_error);
			return OUTCOME_FAIL;
		}
		if (task_stats(i)->bad_iret != 1) {
			ksnprintf(detail, len, "task %u: %u IRET fixups, expected 1", i, task_stats(i)->bad_iret);
			return OUTCOME_FAIL;
		}
	}
	ksnprintf(detail, len, "%u tasks: IRET #GP(0x%x) in ring 0 fixed up and delivered to the task", o->tasks,
		  BAD_SS_ERROR);
	return OUTCOME_PASS;
}

const struct scenario scenario_bad_iret = { .runs_tasks = true, .needs_ring3 = true, .judge = judge };
