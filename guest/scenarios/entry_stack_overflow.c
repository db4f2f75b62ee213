/* SPDX-License-Identifier: MIT */
/* entry-stack-overflow: each task asks for the debug knob that pushes on this
 * CPU's entry stack until the guard page below it.  The push faults, the #PF
 * cannot be delivered on that stack, and the #DF on IST1 reports the overflow
 * (an "entry-stack-overflow" event line) and resumes the knob.  Expected
 * outcome: df-caught, once per task, for models whose C part runs off the
 * landing stack (kpti, xen).  Models that run the syscall on the stack the
 * entry landed on refuse the knob (it would overwrite its own callers):
 * not-applicable. */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "sched/task_stats.h"
#include "entry_model.h"
#include "user/user_hazards.h"

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	unsigned refused = 0;

	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		if (t->state == TASK_EXITED && t->exit_status == HAZ_EXIT_PROBE_REFUSED) {
			refused++;
			continue;
		}
		if (!scenario_exited_ok(t, detail, len))
			return OUTCOME_FAIL;
		if (task_stats(i)->df_caught != 1) {
			ksnprintf(detail, len, "task %u: %u overflows caught, expected 1", i, task_stats(i)->df_caught);
			return OUTCOME_FAIL;
		}
	}
	if (refused == task_count()) {
		ksnprintf(detail, len, "syscalls run on the entry stack itself: the overflow knob refused");
		return OUTCOME_NOT_APPLICABLE;
	}
	if (refused) {
		ksnprintf(detail, len, "%u of %u tasks refused the knob", refused, task_count());
		return OUTCOME_FAIL;
	}
	ksnprintf(detail, len, "%u tasks: entry stack overflow stopped by its guard page, #DF on IST1", o->tasks);
	return OUTCOME_DF_CAUGHT;
}

static enum scenario_outcome expect(const struct boot_options *o, const struct entry_traits *t)
{
	(void)o;
	return t->c_on_landing ? OUTCOME_NOT_APPLICABLE : OUTCOME_DF_CAUGHT;
}

const struct scenario scenario_entry_stack_overflow = { .runs_tasks = true, .needs_ring3 = true, .judge = judge, .expect = expect };
