/* SPDX-License-Identifier: MIT */
/*
 * The kpti-cswitch model's row and the C part of kpti_cswitch.S: kpti's
 * per-CPU trampoline stack, with the CR3 switch at the very beginning and
 * end of the C handler.  The C part runs on the trampoline stack, which
 * every task of the CPU lands on, so the model must never leave a frame
 * there: it refuses to block and is not preempted from user mode.
 *
 * Its bug= values are the two mistakes this design invites, for the checker
 * to catch where they happen: blocking on the trampoline stack anyway
 * (switch-live-frame at the switch), and touching the task's kernel stack
 * before the CR3 switch (user-cr3-kernel-access at the store).
 */
#include "entry_model.h"
#include "glue.h"

/* The C that runs before its CR3 switch (and after the switch back) runs on
 * the user CR3: it lives in .entry.text, the only kernel text the user PGD
 * maps, and touches nothing but the trampoline stack and, through GS, the
 * per-CPU page (both in the cpu_entry_area).  Its helpers are inlined so
 * they land in .entry.text too. */
#define KPTI_CSWITCH_ENTRY __attribute__((section(".entry.text")))

extern const uint64_t kpti_cswitch_idt_pti[IDT_ENTRIES], kpti_cswitch_idt_nopti[IDT_ENTRIES];
extern const char kpti_cswitch_syscall_pti[], kpti_cswitch_syscall_pti_sysretq[];
extern const char kpti_cswitch_syscall_pti_kstack[], kpti_cswitch_syscall_pti_kstack_sysretq[];
extern const char kpti_cswitch_syscall_nopti[], kpti_cswitch_syscall_nopti_sysretq[];
extern const char kpti_cswitch_syscall32_pti[], kpti_cswitch_syscall32_nopti[];
extern const entry_ist_bug_table kpti_cswitch_ist_bugs_pti, kpti_cswitch_ist_bugs_nopti;
extern const char kpti_cswitch_return_from_copy_pti[], kpti_cswitch_return_from_copy_nopti[];

struct kpti_cswitch_state {
	bool pti;
	bool sleep_on_entry_stack;   /* bug=sleep-on-entry-stack */
};

static struct kpti_cswitch_state state;

static enum entry_select kpti_cswitch_select(const struct entry_mode *mode, struct entry_variant *v, const char **why)
{
	bool kstack = ENTRY_OPT_IS(mode->opts, kpti_cswitch, bug, kstack_before_cr3);

	if (mode->pcid) {
		*why = "entry=kpti-cswitch implements pti=on|off without PCID";
		return ENTRY_REFUSED;
	}
	if (kstack && !mode->pti) {
		*why = "bug=kstack-before-cr3 needs pti=on (pti=off has no CR3 switch to be early for)";
		return ENTRY_REFUSED;
	}
	state.pti = mode->pti;
	state.sleep_on_entry_stack = ENTRY_OPT_IS(mode->opts, kpti_cswitch, bug, sleep_on_entry_stack);
	if (state.sleep_on_entry_stack)
		v->traits.block_in_entry = ENTRY_BLOCK_UNGUARDED;
	v->traits.c_on_user_cr3 = mode->pti;
	if (kstack) {
		v->syscall_entry = (uint64_t)kpti_cswitch_syscall_pti_kstack;
		v->syscall_return = (uint64_t)kpti_cswitch_syscall_pti_kstack_sysretq;
	} else {
		v->syscall_entry = (uint64_t)(mode->pti ? kpti_cswitch_syscall_pti : kpti_cswitch_syscall_nopti);
		v->syscall_return = (uint64_t)(mode->pti ? kpti_cswitch_syscall_pti_sysretq
							 : kpti_cswitch_syscall_nopti_sysretq);
	}
	v->syscall32_entry = (uint64_t)(mode->pti ? kpti_cswitch_syscall32_pti : kpti_cswitch_syscall32_nopti);
	v->idt_stubs = mode->pti ? kpti_cswitch_idt_pti : kpti_cswitch_idt_nopti;
	entry_apply_ist_bug(v, mode, mode->pti ? &kpti_cswitch_ist_bugs_pti : &kpti_cswitch_ist_bugs_nopti);
	/* A new task's pt_regs sits on its kernel stack, which the user PGD does
	 * not map: the first exit copies it to the trampoline stack. */
	v->return_to_user = (uint64_t)(mode->pti ? kpti_cswitch_return_from_copy_pti : kpti_cswitch_return_from_copy_nopti);
	return ENTRY_SELECTED;
}

/* TSS.RSP0 stays at the top of the CPU's trampoline stack (cea.c sets it for
 * ENTRY_LANDS_ON_CPU_ENTRY_STACK); nothing here follows the task but the
 * stack the copy exit and the kernel use. */
static void kpti_cswitch_switch_task(struct percpu *pc, struct x86_tss *tss, uint64_t kstack_top)
{
	(void)tss;
	pc->top_of_stack = kstack_top;
}

/* The syscall runs on the trampoline stack: leaving it there, in the entry
 * context or deeper, hands its frames to the next task that enters on this
 * CPU.  Refused -- unless bug=sleep-on-entry-stack makes the mistake. */
static long kpti_cswitch_block(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg)
{
	(void)regs;
	(void)in_entry;
	if (!state.sleep_on_entry_stack)
		return entry_block_refused();
	return wait(arg);
}

static inline __attribute__((always_inline)) void enter_kernel_cr3(void)
{
	uint64_t cr3, kernel;

	__asm__ volatile("movq %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(kernel) : "i"(PCPU_KERNEL_CR3));
	if (cr3 != kernel)
		__asm__ volatile("movq %0, %%cr3" : : "r"(kernel) : "memory");
}

/* The user half of the CR3 this task runs on (pti=on); state is read while
 * the kernel half is still loaded. */
static inline __attribute__((always_inline)) void leave_kernel_cr3(void)
{
	uint64_t kernel;

	if (!state.pti)
		return;
	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(kernel) : "i"(PCPU_KERNEL_CR3));
	__asm__ volatile("movq %0, %%cr3" : : "r"(kernel | PT_CR3_USER_BIT) : "memory");
}

bool kpti_cswitch_syscall_c(struct ebx_pt_regs *regs);
KPTI_CSWITCH_ENTRY bool kpti_cswitch_syscall_c(struct ebx_pt_regs *regs)
{
	enter_kernel_cr3();
	bool sysret = entry_syscall_body(regs);
	leave_kernel_cr3();
	return sysret;
}

bool kpti_cswitch_syscall32_c(struct ebx_pt_regs *regs);
KPTI_CSWITCH_ENTRY bool kpti_cswitch_syscall32_c(struct ebx_pt_regs *regs)
{
	enter_kernel_cr3();
	bool sysret = entry_syscall32_body(regs);
	leave_kernel_cr3();
	return sysret;
}

/* bug=kstack-before-cr3: the syscall number parked on the task's kernel
 * stack before the CR3 switch -- a stack the user PGD does not map. */
bool kpti_cswitch_syscall_kstack_c(struct ebx_pt_regs *regs);
KPTI_CSWITCH_ENTRY bool kpti_cswitch_syscall_kstack_c(struct ebx_pt_regs *regs)
{
	uint64_t top;

	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(top) : "i"(PCPU_TOP_OF_STACK));
	*(volatile uint64_t *)(top - 8) = regs->orig_rax;
	enter_kernel_cr3();
	bool sysret = entry_syscall_body(regs);
	leave_kernel_cr3();
	return sysret;
}

/* From user mode the handler switches back itself; from the kernel the stub
 * found (and may have switched) the CR3 the kernel code runs on, and the
 * IRET back there keeps it. */
void kpti_cswitch_exception_c(struct ebx_pt_regs *regs, uint64_t vector);
KPTI_CSWITCH_ENTRY void kpti_cswitch_exception_c(struct ebx_pt_regs *regs, uint64_t vector)
{
	bool from_user = (regs->cs & SEL_RPL_MASK) == 3;

	enter_kernel_cr3();
	entry_exception_body(regs, vector);
	if (from_user)
		leave_kernel_cr3();
}

const struct entry_model entry_model_kpti_cswitch = {
	.name = "kpti-cswitch",
	.traits = {
		.landing = ENTRY_LANDS_ON_CPU_ENTRY_STACK,
		.c_on_landing = true,
		.c_on_user_cr3 = true,
		.block_in_entry = ENTRY_BLOCK_REFUSED,
		/* A tick's C part runs on the trampoline stack too. */
		.preempt_from_user = false,
		.compat_entry = true,
	},
	.select = kpti_cswitch_select,
	.switch_task = kpti_cswitch_switch_task,
	.block = kpti_cswitch_block,
};
