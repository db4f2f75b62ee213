/* SPDX-License-Identifier: MIT */
/* sysret-noncanonical: each task asks for RIP = RCX = 0x800000000000 (as a
 * sigreturn or ptrace could).  SYSRET would #GP in ring 0 on the user RSP on
 * Intel; the exit must refuse it and take IRET, after which the #GP belongs to
 * the task: raised in user mode at that RIP (AMD, QEMU), or by the IRET in
 * ring 0 and fixed up into the task's fault (Intel).  Either way the task is
 * killed with vector 13 at the non-canonical RIP; a ring-0 #GP anywhere else
 * is a kernel fault and ends the run with a panic. */
#include "scenarios/scenario.h"
#include "entrybox/x86.h"
#include "lib/printf.h"
#include "sched/task_stats.h"
#include "user/user_hazards.h"


static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	unsigned fixed_up = 0;

	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		const struct task_stats *st = task_stats(i);
		if (t->state != TASK_KILLED || t->killed_vector != VEC_GP || t->killed_rip != NONCANONICAL_RIP) {
			char end[96];
			scenario_describe_end(t, end, sizeof(end));
			ksnprintf(detail, len, "expected #GP at 0x%llx: %s", NONCANONICAL_RIP, end);
			return OUTCOME_FAIL;
		}
		if (st->sysret_refused != 1) {
			ksnprintf(detail, len, "task %u: the SYSRET exit accepted a non-canonical RCX", i);
			return OUTCOME_FAIL;
		}
		fixed_up += st->bad_iret;
	}
	ksnprintf(detail, len, "%u tasks: SYSRET refused, #GP at 0x%llx delivered to the task (%u via the IRET fixup)",
		  o->tasks, NONCANONICAL_RIP, fixed_up);
	return OUTCOME_PASS;
}

const struct scenario scenario_sysret_noncanonical = { .runs_tasks = true, .needs_ring3 = true, .judge = judge };
