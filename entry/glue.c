/* SPDX-License-Identifier: MIT */
/* The C half the stubs of pervcpu, ukl and xen share (glue.h), kpti's compat
 * SYSCALL, and the SYSRET test every model and the kernel use.  Called with
 * interrupts off on kernel CR3 and GS. */
#include "glue.h"

bool entry_sysret_allowed(const struct ebx_pt_regs *regs)
{
	return entry_sysret_ok(regs);
}

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
