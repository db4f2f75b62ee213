/* SPDX-License-Identifier: MIT */
/* mov-ss-trap (CVE-2018-8897, Linux's mov_ss_trap selftest): each task arms a
 * read/write watchpoint on a copy of SS and loads SS from it right before
 * SYSCALL and before INT3.  MOV SS defers the #DB past the next instruction,
 * so it is taken at the first instruction of the kernel's entry (LSTAR, the
 * #BP gate) in ring 0 with the user's GS and, with pti=on, the user's CR3.
 * The #DB's paranoid entry must decide GS by what it holds; the handler
 * clears DR6 and counts the watchpoint for the task (Linux's SIGTRAP).  Each
 * task checks its counters as it goes; the judge checks where the two kernel
 * #DBs were taken.  A CPU or hypervisor that delivers no watchpoint at all
 * (the task's plain read of the word), or delivers the MOV SS one at once in
 * user mode, makes the scenario unsupported: the hazard cannot happen there.
 * Its kernel half -- a #DB at the entry's first instruction with the user's
 * GS -- is what `--inject db@LSTAR` delivers on any backend. */
#include "scenarios/scenario.h"
#include "cpu/cpu.h"
#include "cpu/desc.h"
#include "lib/printf.h"
#include "sched/task_stats.h"
#include "user/user_hazards.h"

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	uint64_t lstar = rdmsr(MSR_LSTAR), bp_gate = idt_gate_target(VEC_BP);

	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		const struct task_stats *st = task_stats(i);

		if (t->state == TASK_EXITED && t->exit_status == HAZ_EXIT_NO_WATCH) {
			ksnprintf(detail, len, "task %u: a read of its watched word raised no #DB: this CPU or hypervisor "
				  "does not deliver the guest's data breakpoints", i);
			return OUTCOME_UNSUPPORTED;
		}
		if (t->state == TASK_EXITED && t->exit_status == HAZ_EXIT_NO_DEFER) {
			ksnprintf(detail, len, "task %u: the MOV SS watchpoint #DB came in user mode before the SYSCALL: this CPU "
				  "does not hold it back one instruction (QEMU TCG does not)", i);
			return OUTCOME_UNSUPPORTED;
		}
		if (!scenario_exited_ok(t, detail, len))
			return OUTCOME_FAIL;
		if (st->db_kernel_watch != 2 || st->db_kernel_rips[0] != lstar || st->db_kernel_rips[1] != bp_gate) {
			ksnprintf(detail, len, "task %u: %u kernel #DBs, at 0x%llx and 0x%llx (expected LSTAR 0x%llx, #BP gate 0x%llx)",
				  i, st->db_kernel_watch, (unsigned long long)st->db_kernel_rips[0],
				  (unsigned long long)st->db_kernel_rips[1], (unsigned long long)lstar,
				  (unsigned long long)bp_gate);
			return OUTCOME_FAIL;
		}
	}
	ksnprintf(detail, len, "%u tasks: MOV SS then SYSCALL and INT3: #DB at the entry's first instruction in ring 0, "
		  "survived", o->tasks);
	return OUTCOME_PASS;
}

const struct scenario scenario_mov_ss_trap = { .runs_tasks = true, .needs_ring3 = true, .judge = judge };
