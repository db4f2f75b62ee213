/* SPDX-License-Identifier: MIT */
/* user-pf: task plans by id % 4 (user/programs.inc): 0 grows its stack by
 * GROW_PAGES pages and exits 0; 1 runs hlt (#GP, vector 13); 2 runs ud2 (#UD, vector 6);
 * 3 touches below its stack VMA (#PF, vector 14). */
#include "scenarios/scenario.h"
#include "entrybox/x86.h"
#include "user/user_abi.h"
#include "lib/printf.h"

static bool plan_met(const struct task *t)
{
	static const unsigned kill_vector[4] = { 0, VEC_GP, VEC_UD, VEC_PF };
	unsigned plan = t->id & 3;

	if (plan == 0)
		return t->state == TASK_EXITED && t->exit_status == 0 && t->stack_pages == 1 + GROW_PAGES + t->stack_pages_taken;
	return t->state == TASK_KILLED && t->killed_vector == kill_vector[plan];
}

static enum scenario_outcome judge_user_pf(const struct boot_options *o, char *detail, size_t len)
{
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		if (!plan_met(t)) {
			char end[80];
			scenario_describe_end(t, end, sizeof(end));
			ksnprintf(detail, len, "plan %u not met: %s, %u stack pages", i & 3, end, t->stack_pages);
			return OUTCOME_FAIL;
		}
	}
	ksnprintf(detail, len, "%u tasks ended as planned (stack growth, #GP, #UD, bad #PF by id %% 4)", o->tasks);
	return OUTCOME_PASS;
}

const struct scenario scenario_user_pf = { .runs_tasks = true, .judge = judge_user_pf };
