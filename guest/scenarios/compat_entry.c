/* SPDX-License-Identifier: MIT */
/* compat-entry (SYSRET's "2½ modes", the selftests' 32-bit variants): each
 * task runs 32-bit code in the compatibility-mode segment and asks the kernel,
 * by SYSCALL (MSR_CSTAR) and by int $0x80, whether pt_regs holds the 32-bit
 * view -- CS/SS the 32-bit user ones, RIP and RSP within 32 bits, the argument
 * registers zero-extended although 64-bit code left their upper halves dirty,
 * R8-R15 zero -- then checks it is back in compatibility mode (SYSRETL or
 * IRET) and that its stack works.  A model whose compat_entry trait is false
 * answers the SYSCALL with -ENOSYS and refuses the 32-bit frame at its return:
 * the task dies of #GP.  kvm_pvm turns int $0x80 from ring 3 into #UD. */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "user/user_hazards.h"

static const char *stage(long status)
{
	return (status & 0xf000000) == HAZ_EXIT_COMPAT_SYSCALL ? "SYSCALL" : "int $0x80";
}

static enum scenario_outcome judge_task(const struct task *t, bool compat, char *detail, size_t len)
{
	if (t->state == TASK_KILLED && t->killed_vector == VEC_UD && t->killed_rip == (uint64_t)user_compat_int80_insn) {
		ksnprintf(detail, len, "task %u: int $0x80 raised #UD from user mode: this CPU or hypervisor does not "
			  "deliver it", t->id);
		return OUTCOME_FAIL;
	}
	if (t->state == TASK_EXITED && (t->exit_status & 0xf000000) && (t->exit_status & 0x20000)) {
		ksnprintf(detail, len, "task %u: 32-bit %s: came back outside compatibility mode", t->id,
			  stage(t->exit_status));
		return OUTCOME_FAIL;
	}
	if (!compat) {
		if (t->state == TASK_KILLED && t->killed_vector == VEC_GP)
			return OUTCOME_REFUSED;
		scenario_describe_end(t, detail, len);
		return OUTCOME_FAIL;
	}
	if (t->state == TASK_EXITED && (t->exit_status & 0xf000000) && t->exit_status != HAZ_EXIT_COMPAT_ENOSYS) {
		ksnprintf(detail, len, "task %u: 32-bit %s: kernel verdict %ld", t->id, stage(t->exit_status),
			  t->exit_status & 0xffff);
		return OUTCOME_FAIL;
	}
	return scenario_exited_ok(t, detail, len) ? OUTCOME_PASS : OUTCOME_FAIL;
}

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	bool compat = entry_traits_active()->compat_entry;
	enum scenario_outcome all = compat ? OUTCOME_PASS : OUTCOME_REFUSED;

	for (unsigned i = 0; i < task_count(); i++) {
		enum scenario_outcome one = judge_task(task_get(i), compat, detail, len);
		if (one != all)
			return OUTCOME_FAIL;
	}
	if (compat)
		ksnprintf(detail, len, "%u tasks: SYSCALL and int $0x80 from 32-bit code saw the 32-bit pt_regs view and "
			  "returned to compatibility mode", o->tasks);
	else
		ksnprintf(detail, len, "%u tasks: SYSCALL from 32-bit code got -ENOSYS, the 32-bit int $0x80 frame was "
			  "refused at the return (#GP): the model has no compat entry", o->tasks);
	return all;
}

static enum scenario_outcome expect(const struct boot_options *o, const struct entry_traits *t)
{
	(void)o;
	return t->compat_entry ? OUTCOME_PASS : OUTCOME_REFUSED;
}

const struct scenario scenario_compat_entry = { .runs_tasks = true, .needs_ring3 = true, .judge = judge, .expect = expect };
