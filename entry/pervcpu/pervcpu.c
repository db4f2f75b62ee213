/* SPDX-License-Identifier: MIT */
/* The pervcpu model's table row, its per-vCPU stacks, and the C glue of pervcpu.S. */
#include "pervcpu/policy.h"
#include "cpu/cea.h"
#include "hv/layout.h"
#include "mm/mm.h"
#include "mm/palloc.h"
#include "lib/printf.h"

/* In the vCPU's cpu_entry_area (so every PGD maps it), well clear of the
 * fixed part (guest/cpu/cea.h), a guard page on either side. */
#define VCPU_STACK_OFFSET 0x30000
#define VCPU_STACK_SIZE   0x4000
_Static_assert(VCPU_STACK_OFFSET + VCPU_STACK_SIZE + 0x1000 <= CEA_STRIDE, "vCPU stack outside its CEA");

static uint64_t vcpu_stack_base(unsigned cpu)
{
	return cea_base(cpu) + VCPU_STACK_OFFSET;
}

/* By pervcpu_sleep= value: a new policy is its file and its row in policies.def. */
static const struct pervcpu_policy *const policies[] = {
#define ENTRY_VALUE(m, key, id, value, help) [ENTRY_VAL(m, key, id)] = &pervcpu_policy_##id,
#include "pervcpu/policies.def"
#undef ENTRY_VALUE
};

struct pervcpu_state {
	const struct pervcpu_policy *policy;
	uint64_t exit_from_copy;
};

static struct pervcpu_state state;

extern const uint64_t pervcpu_idt_pti[IDT_ENTRIES], pervcpu_idt_nopti[IDT_ENTRIES];
extern const entry_ist_bug_table pervcpu_ist_bugs_pti, pervcpu_ist_bugs_nopti;
extern const char pervcpu_syscall_pti[], pervcpu_syscall_pti_sysretq[];
extern const char pervcpu_syscall_nopti[], pervcpu_syscall_nopti_sysretq[];
extern const char pervcpu_syscall32_pti[], pervcpu_syscall32_nopti[];
extern const char pervcpu_return_from_copy_pti[], pervcpu_return_from_copy_nopti[];

static enum entry_select pervcpu_select(const struct entry_mode *mode, struct entry_variant *v, const char **why)
{
	unsigned long p = ENTRY_OPT(mode->opts, pervcpu, pervcpu_sleep);

	if (mode->pcid) {
		*why = "entry=pervcpu implements pti=on|off without PCID";
		return ENTRY_REFUSED;
	}
	if (p >= ARRAY_SIZE(policies)) {
		*why = "pervcpu_sleep: no such policy";
		return ENTRY_REFUSED;
	}
	state.policy = policies[p];
	v->traits.block_in_entry = state.policy->block_in_entry;
	v->traits.preempt_from_user = state.policy->preempt != NULL;
	v->traits.preempt_keeps_cpu = state.policy->preempt_keeps_cpu;
	state.exit_from_copy = (uint64_t)(mode->pti ? pervcpu_return_from_copy_pti : pervcpu_return_from_copy_nopti);
	v->syscall_entry = (uint64_t)(mode->pti ? pervcpu_syscall_pti : pervcpu_syscall_nopti);
	v->syscall32_entry = (uint64_t)(mode->pti ? pervcpu_syscall32_pti : pervcpu_syscall32_nopti);
	v->syscall_return = (uint64_t)(mode->pti ? pervcpu_syscall_pti_sysretq : pervcpu_syscall_nopti_sysretq);
	v->idt_stubs = mode->pti ? pervcpu_idt_pti : pervcpu_idt_nopti;
	entry_apply_ist_bug(v, mode, mode->pti ? &pervcpu_ist_bugs_pti : &pervcpu_ist_bugs_nopti);
	/* A new task's pt_regs is on its kernel stack: exit through the copy. */
	v->return_to_user = state.exit_from_copy;
	return ENTRY_SELECTED;
}

uint64_t pervcpu_exit_from_copy(void)
{
	return state.exit_from_copy;
}

/* Before any PGD copies the init PGD's cpu_entry_area slot, so all see it. */
static void pervcpu_cpu_setup(unsigned cpu, struct percpu *pc, struct x86_tss *tss)
{
	uint64_t base = vcpu_stack_base(cpu);
	uint64_t pa = palloc_pages(VCPU_STACK_SIZE / 4096, 4096);

	mm_map(mm_init_pgd(), base, pa, VCPU_STACK_SIZE, PT_W | PT_NX, PT_PAGE_SIZE, "pervcpu entry stack");
	*(volatile uint64_t *)base = EBX_STACK_CANARY;
	tss->rsp[0] = base + VCPU_STACK_SIZE;
	pc->entry_stack_top = base + VCPU_STACK_SIZE;
}

/* TSS.RSP0 never changes; only the copy policy needs the task's kernel stack. */
static void pervcpu_switch_task(struct percpu *pc, struct x86_tss *tss, uint64_t kstack_top)
{
	(void)tss;
	pc->top_of_stack = kstack_top;
}

static void pervcpu_publish(struct ebx_layout *l)
{
	for (unsigned c = 0; c < l->ncpus; c++) {
		struct ebx_stack_desc *s = layout_add_landing_stack(l, EBX_STACK_VCPU, EBX_OWNER_VCPU, c,
								    vcpu_stack_base(c), VCPU_STACK_SIZE);
		s->guard_below = s->guard_above = 1;
		s->flags |= EBX_STACKF_CANARY;
		ksnprintf(s->name, sizeof(s->name), "vcpu%u", c);
	}
}

static long pervcpu_block(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg)
{
	return state.policy->block(regs, in_entry, wait, arg);
}

/* Called only where the policy preempts (preempt_from_user, from select). */
static void pervcpu_preempt(struct ebx_pt_regs *regs, void (*switch_fn)(void))
{
	state.policy->preempt(regs, switch_fn);
}

const struct entry_model entry_model_pervcpu = {
	.name = "pervcpu",
	.traits = {
		.landing = ENTRY_LANDS_ON_MODEL_STACK,  /* the vCPU's entry stack */
		.c_on_landing = true,
		.block_in_entry = ENTRY_BLOCK_REFUSED,  /* by policy: select() */
		/* A tick's C part runs on the vCPU stack: leaving it there would
		 * let the next entry on this CPU overwrite the frame; the policy
		 * decides (select()). */
		.preempt_from_user = false,
		.compat_entry = true,
	},
	.select = pervcpu_select,
	.switch_task = pervcpu_switch_task,
	.cpu_setup = pervcpu_cpu_setup,
	.publish = pervcpu_publish,
	.block = pervcpu_block,
	.preempt = pervcpu_preempt,
};
