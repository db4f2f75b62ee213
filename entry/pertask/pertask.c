/* SPDX-License-Identifier: MIT */
/* The pertask model's table row, its PTI stacks, and the C glue of pertask.S. */
#include "entry_model.h"
#include "glue.h"
#include "hv/layout.h"
#include "mm/mm.h"
#include "mm/palloc.h"
#include "lib/printf.h"
#include "sched/task.h"

/* A task's PTI stack sits in the task's own kernel-stack slot, one guard page
 * above its kernel stack; the next slot's leading guard page is its upper
 * guard.  So the stack top follows from the kernel stack top the scheduler
 * hands to switch_task, and nothing per task is stored twice. */
#define PTI_STACK_SIZE   0x2000
#define PTI_STACK_GAP    0x1000
_Static_assert(0x1000 + KSTACK_SIZE + PTI_STACK_GAP + PTI_STACK_SIZE == KSTACK_SLOT,
	       "the PTI stack must end exactly at the next slot's guard page");

static uint64_t pti_stack_base(uint64_t kstack_top)
{
	return kstack_top + PTI_STACK_GAP;
}

extern const uint64_t pertask_idt_pti[IDT_ENTRIES], pertask_idt_nopti[IDT_ENTRIES];
extern const entry_ist_bug_table pertask_ist_bugs_pti, pertask_ist_bugs_nopti;
extern const char pertask_syscall_pti[], pertask_syscall_pti_sysretq[];
extern const char pertask_syscall_nopti[], pertask_syscall_nopti_sysretq[];
extern const char pertask_syscall32_pti[], pertask_syscall32_nopti[];
extern const char pertask_return_from_copy_pti[], pertask_return_from_copy_nopti[];

static enum entry_select pertask_select(const struct entry_mode *mode, struct entry_variant *v, const char **why)
{
	if (mode->pcid) {
		*why = "entry=pertask implements pti=on|off without PCID";
		return ENTRY_REFUSED;
	}
	v->traits.c_on_user_cr3 = mode->pti;
	v->syscall_entry = (uint64_t)(mode->pti ? pertask_syscall_pti : pertask_syscall_nopti);
	v->syscall32_entry = (uint64_t)(mode->pti ? pertask_syscall32_pti : pertask_syscall32_nopti);
	v->syscall_return = (uint64_t)(mode->pti ? pertask_syscall_pti_sysretq : pertask_syscall_nopti_sysretq);
	v->idt_stubs = mode->pti ? pertask_idt_pti : pertask_idt_nopti;
	entry_apply_ist_bug(v, mode, mode->pti ? &pertask_ist_bugs_pti : &pertask_ist_bugs_nopti);
	/* A new task's pt_regs sits on its kernel stack, which the user PGD
	 * does not map: the first exit copies it to the PTI stack. */
	v->return_to_user = (uint64_t)(mode->pti ? pertask_return_from_copy_pti : pertask_return_from_copy_nopti);
	return ENTRY_SELECTED;
}

/* Mapped into the init PGD's kernel-stack slot (whose tables every kernel
 * PGD shares, so every kernel half sees it) and into t's user PGD alone
 * (private tables: that slot is empty in every user PGD). */
static void pertask_task_setup(struct task *t, bool pti)
{
	uint64_t base = pti_stack_base(t->kstack_top);
	uint64_t pa = palloc_pages(PTI_STACK_SIZE / 4096, 4096);

	mm_map(mm_init_pgd(), base, pa, PTI_STACK_SIZE, PT_W | PT_NX, PT_PAGE_SIZE, "pertask PTI stack");
	if (pti)
		mm_map(t->user_pgd, base, pa, PTI_STACK_SIZE, PT_W | PT_NX, PT_PAGE_SIZE, "pertask PTI stack (user PGD)");
	*(volatile uint64_t *)base = EBX_STACK_CANARY;
}

static void pertask_switch_task(struct percpu *pc, struct x86_tss *tss, uint64_t kstack_top)
{
	uint64_t top = pti_stack_base(kstack_top) + PTI_STACK_SIZE;

	tss->rsp[0] = top;
	pc->entry_stack_top = top;
	pc->top_of_stack = kstack_top;
}

static void pertask_publish(struct ebx_layout *l)
{
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		struct ebx_stack_desc *s = layout_add_landing_stack(l, EBX_STACK_PTI, EBX_OWNER_TASK, t->id,
								    pti_stack_base(t->kstack_top), PTI_STACK_SIZE);
		s->guard_below = s->guard_above = 1;
		s->flags |= EBX_STACKF_CANARY;
		ksnprintf(s->name, sizeof(s->name), "pti-%s", t->name);
	}
}

/* The syscall runs on the task's own PTI stack: blocking there, in the entry
 * context or deeper, leaves nothing another task could overwrite. */
static long pertask_block(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg)
{
	(void)regs;
	(void)in_entry;
	return wait(arg);
}

/* Called on the PTI stack with the user CR3 still loaded, so this code is
 * entry text and touches nothing but its stack and the per-CPU page (in the
 * cpu_entry_area) before the switch.  The target is the CR3 the scheduler
 * loaded for this task, not a bit flip: with pti=off bit 12 is just part of
 * the PGD's address. */
#define PERTASK_ENTRY __attribute__((section(".entry.text")))

static inline __attribute__((always_inline)) void enter_kernel_cr3(void)
{
	uint64_t cr3, kernel;

	__asm__ volatile("movq %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(kernel) : "i"(PCPU_KERNEL_CR3));
	if (cr3 != kernel)
		__asm__ volatile("movq %0, %%cr3" : : "r"(kernel) : "memory");
}

bool pertask_syscall_c(struct ebx_pt_regs *regs);
PERTASK_ENTRY bool pertask_syscall_c(struct ebx_pt_regs *regs)
{
	enter_kernel_cr3();
	return entry_syscall_body(regs);
}

bool pertask_syscall32_c(struct ebx_pt_regs *regs);
PERTASK_ENTRY bool pertask_syscall32_c(struct ebx_pt_regs *regs)
{
	enter_kernel_cr3();
	return entry_syscall32_body(regs);
}

void pertask_exception_c(struct ebx_pt_regs *regs, uint64_t vector);
PERTASK_ENTRY void pertask_exception_c(struct ebx_pt_regs *regs, uint64_t vector)
{
	enter_kernel_cr3();
	entry_exception_body(regs, vector);
}

const struct entry_model entry_model_pertask = {
	.name = "pertask",
	.traits = {
		.landing = ENTRY_LANDS_ON_MODEL_STACK,  /* the task's PTI stack */
		.c_on_landing = true,
		.c_on_user_cr3 = true,          /* pertask_*_c switch CR3 themselves (pti=on) */
		.block_in_entry = ENTRY_BLOCK_OWN_STACK,
		.preempt_from_user = true,
		.compat_entry = true,
	},
	.select = pertask_select,
	.switch_task = pertask_switch_task,
	.task_setup = pertask_task_setup,
	.publish = pertask_publish,
	.block = pertask_block,
};
