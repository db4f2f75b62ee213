/* SPDX-License-Identifier: MIT */
/* sysret-ss-attrs (Linux's sysret_ss_attrs selftest, AMD): an interrupt or
 * exception from user mode loads SS = 0 in the kernel; if a context switch
 * carries that SS to another task's syscall, AMD's SYSRET returns with SS's
 * selector right but its hidden attributes unusable, and the first push of
 * 32-bit code raises #SS.  The tasks yield (syscalls that switch and return
 * by SYSRET) and push in compatibility mode after each, while the timer enters
 * the kernel over user code and the last task dies of a #UD (SS = 0 at a
 * switch on every model).  The scheduler reloads SS at every switch
 * (sched.c); bug=sysret-ss-null keeps the null SS, which our VMM's sysret-ss
 * rule names at the sysretq on any backend, and an AMD CPU turns into #SS
 * (kvm_pvm on AMD runs the guest's SYSRET on the CPU: the task dies of
 * vector 12; QEMU's TCG loads full SS attributes and does not).  The judge
 * needs the hazard to have happened: SS = 0 at a switch.  A model that does
 * not return to 32-bit code (xen: its iret hypercall takes the 64-bit CS
 * only) cannot run it: not applicable. */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "sched/sched.h"
#include "user/user_hazards.h"

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	unsigned last = task_count() - 1;

	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		if (i == last) {
			if (t->state != TASK_KILLED || t->killed_vector != VEC_UD) {
				scenario_describe_end(t, detail, len);
				return OUTCOME_FAIL;
			}
		} else if (!scenario_exited_ok(t, detail, len)) {
			return OUTCOME_FAIL;
		}
	}
	if (sched_ss_null_switches() == 0) {
		ksnprintf(detail, len, "no context switch found SS = 0: the hazard was not provoked");
		return OUTCOME_FAIL;
	}
	ksnprintf(detail, len, "%u tasks x %u yields, 32-bit pushes after each: %u switches found SS = 0", o->tasks,
		  SS_ROUNDS, sched_ss_null_switches());
	return OUTCOME_PASS;
}

const struct scenario scenario_sysret_ss_attrs = {
	.runs_tasks = true, .needs_ring3 = true, .needs_compat = true, .uses_timer = true, .judge = judge,
};
