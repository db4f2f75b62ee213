/* SPDX-License-Identifier: MIT */
/* espfix (ESPFIX64; the ESP half of Linux's sigreturn selftest): each task
 * takes the kernel's LDT, loads SS with its 16-bit data segment in 32-bit
 * code and traps, by single steps (#DB, the paranoid exit) and by INT3 (the
 * exception exit); each returns by IRET to that SS.
 * IRET to a 16-bit stack segment restores only SP[15:0]: ESP[31:16] keep
 * what RSP held at the IRET, the kernel's stack address, unless the exit
 * IRETs from the espfix ministack whose alias carries the task's own bits
 * 31:16 (espfix=on, calling.h's ESPFIX_IRET).  The task reports ESP before
 * and after each round of IRETs; a difference in bits 31:16 is the leak, and
 * the detail names the kernel stack those bits come from.  A CPU that cannot
 * IRET to a stack segment from the LDT at all (#GP in ring 0, fixed up into
 * the task's #GP) makes the scenario unsupported there. */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "sched/task_stats.h"
#include "user/user_hazards.h"

/* By ESPFIX_PATH_*. */
static const char *const exit_name[2] = { "#DB", "#BP" };

static enum scenario_outcome judge_task(const struct task *t, char *detail, size_t len)
{
	const struct task_stats *st = task_stats(t->id);

	if (t->state == TASK_KILLED && t->killed_vector == VEC_GP && (st->bad_iret || st->espfix_df)) {
		ksnprintf(detail, len, "task %u: the IRET to the 16-bit SS faulted in ring 0 (%s; the task got #GP(0x%llx)): "
			  "no IRET to an LDT stack segment here", t->id,
			  st->espfix_df ? "on the espfix ministack, via #DF" : "on the kernel stack",
			  (unsigned long long)t->killed_error);
		return OUTCOME_UNSUPPORTED;
	}
	if (!scenario_exited_ok(t, detail, len))
		return OUTCOME_FAIL;
	for (unsigned p = 0; p < 2; p++)
		if (t->espfix_reports[p] != ESPFIX_ROUNDS) {
			ksnprintf(detail, len, "task %u: %u rounds of IRETs to the 16-bit SS by the %s exit, expected %u",
				  t->id, t->espfix_reports[p], exit_name[p], ESPFIX_ROUNDS);
			return OUTCOME_FAIL;
		}
	if (t->espfix_leaks[0] || t->espfix_leaks[1]) {
		uint32_t leaked = t->espfix_esp_after >> 16;
		ksnprintf(detail, len, "espfix-leak: task %u cpu %u: ESP 0x%08x before, 0x%08x after the %s exit's IRET: "
			  "bits 31:16 are %s (top 0x%llx)", t->id, t->espfix_cpu, t->espfix_esp_before, t->espfix_esp_after,
			  exit_name[t->espfix_leak_path],
			  leaked == ((t->espfix_kernel_stack - 1) >> 16 & 0xffff) ? "the kernel stack's" : "not the task's",
			  (unsigned long long)t->espfix_kernel_stack);
		return OUTCOME_FAIL;
	}
	return OUTCOME_PASS;
}

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	for (unsigned i = 0; i < task_count(); i++) {
		enum scenario_outcome one = judge_task(task_get(i), detail, len);
		if (one != OUTCOME_PASS)
			return one;
	}
	ksnprintf(detail, len, "%u tasks, %u rounds each by the #DB and #BP exits to a 16-bit SS: ESP[31:16] stayed "
		  "the task's (IRET from the espfix ministack)", o->tasks, ESPFIX_ROUNDS);
	return OUTCOME_PASS;
}

/* espfix=off is the hazard itself: the leak is the expected outcome. */
static enum scenario_outcome expect(const struct boot_options *o, const struct entry_traits *t)
{
	(void)t;
	return o->espfix ? OUTCOME_PASS : OUTCOME_FAIL;
}

const struct scenario scenario_espfix = {
	.runs_tasks = true, .needs_ring3 = true, .needs_compat = true, .judge = judge, .expect = expect,
};
