/* SPDX-License-Identifier: MIT */
/*
 * MSR_CSTAR of a model without a compatibility-mode SYSCALL entry (Linux's
 * ignore_sysret): SYSCALL from a 32-bit code segment fails with -ENOSYS and
 * SYSRETL takes the task back to the instruction after it.  Runs on whatever
 * the task left (its GS, CR3, RSP) and touches none of it; in entry text, the
 * one piece of kernel text every user PGD maps.
 */
#include "calling.h"

	.section .entry.text, "ax"
	.balign 16
	.globl entry_ignore_sysret
	.type entry_ignore_sysret, @function
entry_ignore_sysret:
	movl $-ENOSYS, %eax
	.globl entry_ignore_sysret_sysretl
entry_ignore_sysret_sysretl:
	sysretl
	.size entry_ignore_sysret, . - entry_ignore_sysret
