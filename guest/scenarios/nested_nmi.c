/* SPDX-License-Identifier: MIT */
/* nested-nmi (Hansen on the KAISER CR3 switch in the NMI path; Linux's
 * nested-NMI logic): the kernel sends itself an NMI whose handler sends a
 * second one -- pending, NMIs are blocked -- and then takes a #UD, whose IRET
 * unblocks NMIs: the second NMI arrives at once, on the same IST stack, over
 * the first one's frame.  Every model's NMI entry (calling.h's NMI_ENTRY)
 * must notice and make the first repeat its work after finishing: both
 * handlers run, one after the other, and the first returns where it was.
 * bug=naive-nmi gives NMI the plain paranoid entry: the second handler runs
 * over the first one's stack, and the kernel ends the run right there with
 * that detail (cpu/nmi.c) rather than return into what is left of the
 * first frame.  kvm_pvm delivers the pending NMI only after the first NMI's
 * own IRET: nothing nests there (a pinned deviation). */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "user/user_abi.h"
#include "user/user_hazards.h"

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		if (t->state == TASK_EXITED && t->exit_status == HAZ_EXIT_NMI_NEST + NMI_NEST_NOT_NESTED) {
			ksnprintf(detail, len, "task %u: the second NMI did not nest: it came only after the first one's IRET, "
				  "not at the #UD's IRET inside its handler", i);
			return OUTCOME_FAIL;
		}
		if (!scenario_exited_ok(t, detail, len))
			return OUTCOME_FAIL;
	}
	ksnprintf(detail, len, "%u tasks x %u NMIs nested through a #UD's IRET: each repeated after the first, none "
		  "overlapped", o->tasks, NMI_NEST_ROUNDS);
	return OUTCOME_PASS;
}

const struct scenario scenario_nested_nmi = { .runs_tasks = true, .needs_ring3 = true, .judge = judge };
