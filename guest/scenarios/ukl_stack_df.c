/* SPDX-License-Identifier: MIT */
/* ukl-stack-df (guest/ukl/ukl_app.c): every application moves RSP down
 * GROW_PAGES pages into its unmapped stack and reads the pages back.
 * Passes when each stack grew by exactly that and every fault was survived
 * on the path the model's app_fault trait names: the #DF handler or the #PF IST. */
#include "scenarios/scenario.h"
#include "lib/lib.h"
#include "lib/printf.h"
#include "user/user_abi.h"

static bool app_ok(const struct task *t, const struct entry_traits *tr, char *detail, size_t len)
{
	unsigned want_df = tr->app_fault == ENTRY_APP_FAULT_DF_FIXUP ? GROW_PAGES : 0;
	unsigned want_ist = tr->app_fault == ENTRY_APP_FAULT_IST ? GROW_PAGES : 0;

	if (!scenario_exited_ok(t, detail, len))
		return false;
	if (t->stack_pages != 1 + GROW_PAGES || t->df_stack_fixups != want_df || t->ist_pf_fixups != want_ist) {
		ksnprintf(detail, len, "task %u: %u stack pages, %u #DF fixups, %u #PF-IST faults (want %u, %u, %u)",
			  t->id, t->stack_pages, t->df_stack_fixups, t->ist_pf_fixups, 1 + GROW_PAGES, want_df,
			  want_ist);
		return false;
	}
	return true;
}

static enum scenario_outcome judge_ukl_stack_df(const struct boot_options *o, char *detail, size_t len)
{
	const struct task *t0 = task_get(0);
	const struct entry_traits *tr = entry_traits_active();

	(void)o;
	if (!tr->ring0_tasks) {
		ksnprintf(detail, len, "ukl-stack-df needs ring-0 applications (the model's ring0_tasks trait): none ran");
		return OUTCOME_NOT_APPLICABLE;
	}
	unsigned napps = tr->ring0_tasks;

	for (unsigned i = 0; i < napps; i++) {
		if (!app_ok(task_get(i), tr, detail, len))
			return OUTCOME_FAIL;
	}
	ksnprintf(detail, len,
		  "%u apps grew %u pages each via %s; last fault of task 0: rip 0x%llx rsp 0x%llx cr2 0x%llx",
		  napps, GROW_PAGES,
		  tr->app_fault == ENTRY_APP_FAULT_IST ? "#PF on its own IST (frame pushed, no #DF)"
						       : "#DF on IST1, page mapped, resumed",
		  (unsigned long long)t0->fixup_rip, (unsigned long long)t0->fixup_rsp,
		  (unsigned long long)t0->fixup_cr2);
	return OUTCOME_PASS;
}

/* Any model with ring-0 applications must survive the faults (with
 * ENTRY_APP_FAULT_FATAL the run ends in a triple fault, which the VMM
 * explains, and so does not pass). */
static enum scenario_outcome expect_ukl_stack_df(const struct boot_options *o, const struct entry_traits *t)
{
	(void)o;
	return t->ring0_tasks ? OUTCOME_PASS : OUTCOME_NOT_APPLICABLE;
}

const struct scenario scenario_ukl_stack_df = {
	.runs_tasks = true, .judge = judge_ukl_stack_df, .expect = expect_ukl_stack_df,
};
