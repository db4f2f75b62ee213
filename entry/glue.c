/* SPDX-License-Identifier: MIT */
/* The C half the stubs of kpti (compat SYSCALL), pervcpu, ukl and xen share (glue.h).  Called with
 * interrupts off on kernel CR3 and GS. */
#include "glue.h"

bool entry_syscall_c(struct ebx_pt_regs *regs)
{
	return entry_syscall_body(regs);
}

bool entry_syscall32_c(struct ebx_pt_regs *regs)
{
	return entry_syscall32_body(regs);
}

void entry_exception_c(struct ebx_pt_regs *regs, uint64_t vector)
{
	entry_exception_body(regs, vector);
}
