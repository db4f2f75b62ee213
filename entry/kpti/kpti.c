/* SPDX-License-Identifier: MIT */
/* The kpti model's table row and the C glue its stubs call (kpti.S). */
#include "entry_model.h"
#include "glue.h"

#define DECLARE_SYSCALL(name) extern const char name[], name##_sysretq[];
DECLARE_SYSCALL(entry_SYSCALL_64)
DECLARE_SYSCALL(entry_SYSCALL_64_skip_user_cr3)
DECLARE_SYSCALL(entry_SYSCALL_64_skip_swapgs)
DECLARE_SYSCALL(entry_SYSCALL_64_pcid)
DECLARE_SYSCALL(entry_SYSCALL_64_pcid_skip_user_cr3)
DECLARE_SYSCALL(entry_SYSCALL_64_pcid_skip_swapgs)
DECLARE_SYSCALL(entry_SYSCALL_64_nopti)
DECLARE_SYSCALL(entry_SYSCALL_64_nopti_skip_swapgs)
DECLARE_SYSCALL(entry_SYSCALL_64_user_stack)
DECLARE_SYSCALL(entry_SYSCALL_64_pcid_user_stack)
DECLARE_SYSCALL(entry_SYSCALL_64_nopti_user_stack)
extern const char entry_SYSCALL_compat[], entry_SYSCALL_compat_pcid[], entry_SYSCALL_compat_nopti[];

extern const uint64_t kpti_idt_stubs_pti[IDT_ENTRIES], kpti_idt_stubs_pcid[IDT_ENTRIES], kpti_idt_stubs_nopti[IDT_ENTRIES];
extern const char kpti_return_to_user_pti[], kpti_return_to_user_pcid[], kpti_return_to_user_nopti[];

enum kpti_family { FAM_NOPTI, FAM_PTI, FAM_PCID, FAM_COUNT };

struct syscall_stub {
	const char *entry, *sysret;
};

#define STUB(name) { name, name##_sysretq }

/* bug= values by number (models.def), as kpti.S's BUG_* assemble them. */
#define BUG_NONE        ENTRY_VAL(kpti, bug, none)
#define BUG_SKIP_CR3    ENTRY_VAL(kpti, bug, skip_user_cr3)
#define BUG_SKIP_SWAPGS ENTRY_VAL(kpti, bug, skip_swapgs)
#define BUG_USER_STACK  ENTRY_VAL(kpti, bug, syscall_user_stack)
#define BUGS            4
_Static_assert(BUG_NONE == 0 && BUG_SKIP_CR3 == 1 && BUG_SKIP_SWAPGS == 2 && BUG_USER_STACK == 3,
	       "kpti.S numbers the bugs so");

/* [family][bug]; a NULL entry is a combination the family cannot express. */
static const struct syscall_stub syscall_stubs[FAM_COUNT][BUGS] = {
	[FAM_NOPTI] = {
		[BUG_NONE] = STUB(entry_SYSCALL_64_nopti),
		[BUG_SKIP_SWAPGS] = STUB(entry_SYSCALL_64_nopti_skip_swapgs),
		[BUG_USER_STACK] = STUB(entry_SYSCALL_64_nopti_user_stack),
	},
	[FAM_PTI] = {
		[BUG_NONE] = STUB(entry_SYSCALL_64),
		[BUG_SKIP_CR3] = STUB(entry_SYSCALL_64_skip_user_cr3),
		[BUG_SKIP_SWAPGS] = STUB(entry_SYSCALL_64_skip_swapgs),
		[BUG_USER_STACK] = STUB(entry_SYSCALL_64_user_stack),
	},
	[FAM_PCID] = {
		[BUG_NONE] = STUB(entry_SYSCALL_64_pcid),
		[BUG_SKIP_CR3] = STUB(entry_SYSCALL_64_pcid_skip_user_cr3),
		[BUG_SKIP_SWAPGS] = STUB(entry_SYSCALL_64_pcid_skip_swapgs),
		[BUG_USER_STACK] = STUB(entry_SYSCALL_64_pcid_user_stack),
	},
};

extern const entry_ist_bug_table kpti_ist_bugs_pti, kpti_ist_bugs_pcid, kpti_ist_bugs_nopti;

static const struct {
	const uint64_t *idt;
	const char *ret_to_user;
	const entry_ist_bug_table *ist_bugs;
	const char *syscall32;
} family_stubs[FAM_COUNT] = {
	[FAM_NOPTI] = { kpti_idt_stubs_nopti, kpti_return_to_user_nopti, &kpti_ist_bugs_nopti, entry_SYSCALL_compat_nopti },
	[FAM_PTI] = { kpti_idt_stubs_pti, kpti_return_to_user_pti, &kpti_ist_bugs_pti, entry_SYSCALL_compat },
	[FAM_PCID] = { kpti_idt_stubs_pcid, kpti_return_to_user_pcid, &kpti_ist_bugs_pcid, entry_SYSCALL_compat_pcid },
};

static enum entry_select kpti_select(const struct entry_mode *mode, struct entry_variant *v, const char **why)
{
	/* PCID without PTI needs no entry-time CR3 work: the nopti stubs serve;
	 * the kernel still gives every task its own PCID at context switch. */
	enum kpti_family fam = !mode->pti ? FAM_NOPTI : mode->pcid ? FAM_PCID : FAM_PTI;
	unsigned long bug = ENTRY_OPT(mode->opts, kpti, bug);

	if (bug >= BUGS || !syscall_stubs[fam][bug].entry) {
		*why = "bug=skip-user-cr3 needs pti=on (pti=off never switches CR3)";
		return ENTRY_REFUSED;
	}
	v->syscall_entry = (uint64_t)syscall_stubs[fam][bug].entry;
	v->syscall_return = (uint64_t)syscall_stubs[fam][bug].sysret;
	v->idt_stubs = family_stubs[fam].idt;
	v->return_to_user = (uint64_t)family_stubs[fam].ret_to_user;
	v->syscall32_entry = (uint64_t)family_stubs[fam].syscall32;
	entry_apply_ist_bug(v, mode, family_stubs[fam].ist_bugs);
	return ENTRY_SELECTED;
}

/* TSS.RSP0 stays at the top of the CPU's entry stack for good (set when the CPU
 * comes up): user-mode events always land there and the stubs move to the task
 * stack themselves, which they find in the per-CPU page. */
static void kpti_switch_task(struct percpu *pc, struct x86_tss *tss, uint64_t kstack_top)
{
	(void)tss;
	pc->top_of_stack = kstack_top;
}

/* Called from kpti.S: glue.h's syscall half (the measured kpti round trip is this code). */
bool kpti_syscall_c(struct ebx_pt_regs *regs);
bool kpti_syscall_c(struct ebx_pt_regs *regs)
{
	return entry_syscall_body(regs);
}

const struct entry_model entry_model_kpti = {
	.name = "kpti",
	.traits = {
		.landing = ENTRY_LANDS_ON_CPU_ENTRY_STACK,
		.c_on_landing = false,          /* the stubs copy the frame to the task stack */
		.block_in_entry = ENTRY_BLOCK_REFUSED,
		.preempt_from_user = true,
		.compat_entry = true,
	},
	.select = kpti_select,
	.switch_task = kpti_switch_task,
};
