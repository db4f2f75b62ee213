/* SPDX-License-Identifier: MIT */
/*
 * The pervcpu entry model: one 16 KiB entry stack per vCPU in its
 * cpu_entry_area (mapped in every PGD), TSS.RSP0 = its top for good.  SYSCALL
 * and user exceptions build pt_regs on it, switch CR3 here, and run the whole
 * C part there; blocking on it is the business of pervcpu_sleep= (pervcpu.c).
 */
#include "onstack.h"

	.section .entry.text, "ax"

	ONSTACK_FAMILY pervcpu, PTI_ON, pti, 0, entry_syscall_c, entry_exception_c, entry_syscall32_c
	ONSTACK_FAMILY pervcpu, PTI_OFF, nopti, 0, entry_syscall_c, entry_exception_c, entry_syscall32_c

	.text
/* void pervcpu_finish_on_task_stack(struct ebx_pt_regs *frame, entry_wait_fn wait,
 *                                   void *arg, uint64_t exit_from_copy)
 * Kernel CR3 and GS; runs in kernel text. */
	.globl pervcpu_finish_on_task_stack
	.type pervcpu_finish_on_task_stack, @function
pervcpu_finish_on_task_stack:
	movq %rdi, %rsp                  /* from here the vCPU stack holds nothing live */
	pushq %rcx                       /* exit path; also realigns RSP to 16 for the call */
	movq %rdx, %rdi
	call *%rsi
	popq %rcx
	movq %rax, PTR_RAX(%rsp)         /* the syscall's result */
	jmp *%rcx
	.size pervcpu_finish_on_task_stack, . - pervcpu_finish_on_task_stack
