/* SPDX-License-Identifier: MIT */
/* Exceptions behind every entry model: user faults end the task (or grow its
 * stack), kernel faults end the run with a panic line. */
#include "cpu/espfix.h"
#include "entry_model.h"
#include "cpu/cpu.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "sched/sched.h"
#include "cpu/debug.h"
#include "cpu/nmi.h"
#include "syscalls/hazard.h"
#include "cpu/irq.h"
#include "sched/task_stats.h"
#include "hv/layout.h"

static const char *vector_name(unsigned v)
{
	return v < X86_EXCEPTIONS ? x86_vector_name(v) : "IRQ";
}

/* Nothing may be trusted here (GS, current task): report and stop. */
static __noreturn void kernel_fault(const struct ebx_pt_regs *r, unsigned vector, uint64_t cr2)
{
	kprintf("@entrybox {\"event\":\"panic\",\"vector\":%u,\"error\":\"0x%llx\",\"rip\":\"0x%llx\","
		"\"cr2\":\"0x%llx\",\"rsp\":\"0x%llx\",\"stack\":\"%s\"}\n",
		vector, (unsigned long long)r->orig_rax, (unsigned long long)r->rip, (unsigned long long)cr2,
		(unsigned long long)r->rsp, layout_stack_name(r->rsp));
	panic("kernel exception vector %u (%s) error 0x%llx rip 0x%llx cr2 0x%llx rsp 0x%llx cs 0x%llx",
	      vector, vector_name(vector), (unsigned long long)r->orig_rax, (unsigned long long)r->rip,
	      (unsigned long long)cr2, (unsigned long long)r->rsp, (unsigned long long)r->cs);
}

static __noreturn void kill_task(struct task *t, const struct ebx_pt_regs *r, unsigned vector, uint64_t cr2)
{
	t->state = TASK_KILLED;
	t->killed_vector = vector;
	t->killed_rip = r->rip;
	t->killed_cr2 = cr2;
	t->killed_error = r->orig_rax;
	kprintf("entrybox: task %u killed by vector %u (%s) at rip 0x%llx error 0x%llx cr2 0x%llx\n", t->id,
		vector, vector_name(vector), (unsigned long long)r->rip, (unsigned long long)r->orig_rax,
		(unsigned long long)cr2);
	schedule();
	panic("task %u ran after it was killed", t->id);
}

void trap_dispatch(struct ebx_pt_regs *regs, unsigned vector)
{
	uint64_t cr2 = vector == VEC_PF ? read_cr2() : 0;

	if (vector == VEC_COMPAT_SYSCALL && (regs->cs & SEL_RPL_MASK) == 3) {
		/* A 32-bit syscall: number in EAX, the same registers' low halves as arguments. */
		regs->orig_rax = regs->rax;
		entry_compat_view(regs);
		syscall_dispatch_compat(regs);
		return;
	}
	if (vector >= IRQ_FIRST_VECTOR) {
		irq_dispatch(regs, vector);
		return;
	}
	if (vector == VEC_NMI) {
		nmi_handle(regs);
		return;
	}
	if (vector == VEC_UD && !entry_user_context(regs) && nmi_probe_fixup(regs))
		return;
	if (vector == VEC_DF && espfix_double_fault(regs))
		return;
	if (vector == VEC_DF && hazard_double_fault(regs))
		return;
	if (!entry_user_context(regs)) {
		if (vector == VEC_DB) {
			debug_kernel(regs);
			return;
		}
		kernel_fault(regs, vector, cr2);
	}

	struct task *t = current_task();
	if (!t)
		kernel_fault(regs, vector, cr2);
	if (vector == VEC_PF && task_grow_stack(t, cr2, regs->orig_rax))
		return;
	if (vector == VEC_DB && debug_user(t, regs))
		return;
	if (vector == VEC_BP) {
		/* int3 from user: a SIGTRAP whose handler returns; RIP is already past it. */
		task_stats(t->id)->bp_traps++;
		return;
	}
	kill_task(t, regs, vector, cr2);
}
