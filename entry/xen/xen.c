/* SPDX-License-Identifier: MIT */
/* The xen model's table row, hv= selection, and the C glue of xen.S. */
#include "entry_model.h"
#include "cpu/cpu.h"
#include "hv/hv.h"
#include "lib/printf.h"
#include "xen/xen_abi.h"

extern const uint64_t xen_idt_pti[IDT_ENTRIES], xen_idt_nopti[IDT_ENTRIES];
extern const entry_ist_bug_table xen_ist_bugs_pti, xen_ist_bugs_nopti;
extern const char xen_shim_syscall_pti[], xen_shim_syscall_nopti[];
extern const char xen_shim_iret_pti[], xen_shim_iret_nopti[];
extern const char xen_shim_iret_pti_iretq[], xen_shim_iret_nopti_iretq[];
extern const char xen_vmm_syscall_trap[], xen_vmm_iret[], xen_vmm_iret_refused[];
extern const char xen_entry_SYSCALL_64[], xen_return_to_user[];
extern uint64_t xen_hypercall_iret;

struct xen_state {
	bool hv_vmm;   /* hv=vmm: the entrybox VMM is the hypervisor; else the in-guest shim */
};

static struct xen_state state;

/* hv=vmm needs our VMM, and one that answers EBX_PORT_HYPERCALL. */
static bool vmm_offers_hypercalls(const char **why)
{
	uint32_t r[4];

	if (!hv_is_entrybox()) {
		*why = "hv=vmm needs the entrybox VMM";
		return false;
	}
	cpuid(EBX_CPUID_LEAF, 0, r);
	if (r[0] >= EBX_CPUID_FEATURES)
		cpuid(EBX_CPUID_FEATURES, 0, r);
	else
		r[0] = 0;
	if (!(r[0] & EBX_CPUID_FEAT_HYPERCALL)) {
		*why = "hv=vmm: this entrybox VMM does not offer EBX_PORT_HYPERCALL (CPUID 0x40000001 EAX bit 0)";
		return false;
	}
	return true;
}

static enum entry_select xen_select(const struct entry_mode *mode, struct entry_variant *v, const char **why)
{
	state.hv_vmm = ENTRY_OPT_IS(mode->opts, xen, hv, vmm);
	if (mode->pcid) {
		*why = "entry=xen implements pti=on|off without PCID";
		return ENTRY_REFUSED;
	}
	if (state.hv_vmm && !vmm_offers_hypercalls(why))
		return ENTRY_UNSUPPORTED;
	v->idt_stubs = mode->pti ? xen_idt_pti : xen_idt_nopti;
	entry_apply_ist_bug(v, mode, mode->pti ? &xen_ist_bugs_pti : &xen_ist_bugs_nopti);
	v->return_to_user = (uint64_t)xen_return_to_user;
	if (state.hv_vmm) {
		v->syscall_entry = (uint64_t)xen_vmm_syscall_trap;
		v->syscall_return = 0;   /* no SYSRET: every exit is the iret hypercall */
		xen_hypercall_iret = (uint64_t)xen_vmm_iret;
		return ENTRY_SELECTED;
	}
	v->syscall_entry = (uint64_t)(mode->pti ? xen_shim_syscall_pti : xen_shim_syscall_nopti);
	/* No SYSRET either: the one ring-3 return is the shim's IRETQ. */
	v->syscall_return = (uint64_t)(mode->pti ? xen_shim_iret_pti_iretq : xen_shim_iret_nopti_iretq);
	xen_hypercall_iret = (uint64_t)(mode->pti ? xen_shim_iret_pti : xen_shim_iret_nopti);
	return ENTRY_SELECTED;
}

/* Where hv=vmm's bounces land, for the VMM to read (abi.h contract). */
static void xen_cpu_setup(unsigned cpu, struct percpu *pc, struct x86_tss *tss)
{
	(void)cpu;
	(void)tss;
	pc->hc_syscall_entry = (uint64_t)xen_entry_SYSCALL_64;
	pc->hc_iret_refused = (uint64_t)xen_vmm_iret_refused;
}

/* TSS.RSP0 stays on the CPU's entry stack (the hypervisor's landing place);
 * the bounce finds the task's kernel stack in the per-CPU page. */
static void xen_switch_task(struct percpu *pc, struct x86_tss *tss, uint64_t kstack_top)
{
	(void)tss;
	pc->top_of_stack = kstack_top;
}

/* Called from xen.S on the task's kernel stack, kernel CR3 and GS; exceptions
 * take glue.h's entry_exception_c. */
bool xen_syscall_c(struct ebx_pt_regs *regs);
bool xen_syscall_c(struct ebx_pt_regs *regs)
{
	syscall_dispatch(regs);
	return true;   /* the exit is the iret hypercall whatever the frame: the hypervisor judges it */
}

/* The hypervisor refused the frame: like Xen injecting #GP, the task dies
 * (with the frame it asked for in its record) and the kernel carries on. */
__attribute__((noreturn)) void xen_iret_refused(const struct xen_iret_frame *f);
__attribute__((noreturn)) void xen_iret_refused(const struct xen_iret_frame *f)
{
	/* The error code the CPU's own IRET would give: the offending selector. */
	uint64_t error = f->hw.ss != GDT_USER_SS ? f->hw.ss & ~(uint64_t)SEL_RPL_MASK
		       : f->hw.cs != GDT_USER_CS ? f->hw.cs & ~(uint64_t)SEL_RPL_MASK : 0;
	struct ebx_pt_regs regs = {
		.rax = f->rax, .r11 = f->r11, .rcx = f->rcx, .orig_rax = error,
		.rip = f->hw.rip, .cs = GDT_USER_CS, .rflags = f->hw.rflags, .rsp = f->hw.rsp, .ss = GDT_USER_SS,
	};

	kprintf("entrybox: xen %s: iret hypercall refused: cs 0x%llx ss 0x%llx rip 0x%llx rflags 0x%llx\n",
		state.hv_vmm ? "vmm" : "shim", (unsigned long long)f->hw.cs, (unsigned long long)f->hw.ss,
		(unsigned long long)f->hw.rip, (unsigned long long)f->hw.rflags);
	/* The hypervisor's refusal stands where a faulting IRET would. */
	entry_bad_iret_fixed(&regs, VEC_GP);
	trap_dispatch(&regs, VEC_GP);
	for (;;)
		halt_forever();
}

const struct entry_model entry_model_xen = {
	.name = "xen",
	.traits = {
		.landing = ENTRY_LANDS_ON_CPU_ENTRY_STACK,
		.c_on_landing = false,          /* the bounce lands on the task stack */
		.block_in_entry = ENTRY_BLOCK_REFUSED,
		.preempt_from_user = true,
		/* The iret hypercall takes the 64-bit user CS only (abi.h) and
		 * nothing bounces a SYSCALL from compatibility mode. */
		.compat_entry = false,
	},
	.select = xen_select,
	.switch_task = xen_switch_task,
	.cpu_setup = xen_cpu_setup,
};
