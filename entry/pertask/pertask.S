/* SPDX-License-Identifier: MIT */
/*
 * The pertask entry model: every task owns an 8 KiB PTI stack, mapped in its
 * kernel PGD and in its own user PGD only; TSS.RSP0 and the per-CPU entry
 * stack pointer name the running task's PTI stack (switched at every context
 * switch).  SYSCALL and user exceptions build pt_regs on it while still on
 * the user CR3, and the C part switches CR3 (pertask.c) and then runs the
 * whole syscall there: the stack belongs to the task, so the syscall may
 * block on it.
 */
#include "onstack.h"

	.section .entry.text, "ax"

	ONSTACK_FAMILY pertask, PTI_ON, pti, 1, pertask_syscall_c, pertask_exception_c, pertask_syscall32_c
	ONSTACK_FAMILY pertask, PTI_OFF, nopti, 1, pertask_syscall_c, pertask_exception_c, pertask_syscall32_c
