/* SPDX-License-Identifier: MIT */
/* What every model's compatibility-mode entries share: the 32-bit view of a
 * task's registers and the SYSRETL test (entry_model.h). */
#include "entry_model.h"

void entry_compat_view(struct ebx_pt_regs *regs)
{
	regs->orig_rax = (uint32_t)regs->orig_rax;
	regs->rax = (uint32_t)regs->rax;
	regs->rbx = (uint32_t)regs->rbx;
	regs->rcx = (uint32_t)regs->rcx;
	regs->rdx = (uint32_t)regs->rdx;
	regs->rsi = (uint32_t)regs->rsi;
	regs->rdi = (uint32_t)regs->rdi;
	regs->rbp = (uint32_t)regs->rbp;
	regs->rsp = (uint32_t)regs->rsp;
	regs->rip = (uint32_t)regs->rip;
	/* R11 keeps the RFLAGS copy SYSCALL put there (SYSRETL reloads RFLAGS
	 * from it); the others are not the task's to see. */
	regs->r11 = (uint32_t)regs->r11;
	regs->r8 = regs->r9 = regs->r10 = 0;
	regs->r12 = regs->r13 = regs->r14 = regs->r15 = 0;
}

bool entry_sysretl_allowed(const struct ebx_pt_regs *regs)
{
	if (regs->rcx != regs->rip || regs->r11 != regs->rflags)
		return false;
	if (regs->cs != GDT_USER32_CS || regs->ss != GDT_USER_SS || (regs->rip >> 32) != 0)
		return false;
	return !(regs->rflags & (RFLAGS_TF | RFLAGS_RF));
}
