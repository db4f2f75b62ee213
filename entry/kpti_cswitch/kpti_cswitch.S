/* SPDX-License-Identifier: MIT */
/*
 * The kpti-cswitch entry model: kpti's per-CPU entry (trampoline) stack, but
 * the CR3 switch done at the very beginning and end of the C handler rather
 * than in the stubs.  SYSCALL and user exceptions build pt_regs on the
 * trampoline stack (mapped in every page table) while still on the user
 * CR3; kpti_cswitch.c switches to the kernel CR3 first thing and back last
 * thing, and runs the whole syscall on the trampoline stack in between.  So
 * the C part runs on a stack every task of the CPU lands on: it must never
 * be left with a live frame (no blocking, no preemption from user mode).
 *
 * The stubs are onstack.h's, with the SYSCALL's exit switch left to C
 * (mode PTI_OFF for the syscall stub alone); the IRET exit (exceptions, a
 * new task's first return) switches in assembler, which after the C
 * handler's own switch writes the same CR3 again.
 *
 * A SYSCALL from compatibility mode takes the same path with the 32-bit
 * view and SYSRETL (kpti_cswitch_syscall32_c).
 *
 * bug=kstack-before-cr3 takes the syscall stub of tag pti_kstack, whose C
 * part stores to the task's kernel stack before its CR3 switch.
 */
#include "onstack.h"

	.section .entry.text, "ax"

	ONSTACK_SYSCALL kpti_cswitch, PTI_OFF, pti, 1, kpti_cswitch_syscall_c
	ONSTACK_SYSCALL kpti_cswitch, PTI_OFF, pti, 1, kpti_cswitch_syscall32_c, kpti_cswitch_syscall32_pti, $GDT_USER32_CS, sysretl
	ONSTACK_RETURN kpti_cswitch, PTI_ON, pti
	ONSTACK_EXC_COMMON kpti_cswitch, PTI_ON, pti, 1, kpti_cswitch_exception_c
	PARANOID_ENTRY kpti_cswitch_paranoid_pti, PTI_ON, entry_exception_c
	NMI_ENTRY kpti_cswitch_nmi_pti, PTI_ON, entry_exception_c
	PARANOID_BUG_VARIANTS kpti_cswitch, PTI_ON, pti, entry_exception_c, kpti_cswitch_paranoid_pti
	ONSTACK_VECTORS kpti_cswitch, pti, kpti_cswitch_exc_common_pti, kpti_cswitch_paranoid_pti, kpti_cswitch_nmi_pti

	ONSTACK_SYSCALL kpti_cswitch, PTI_OFF, pti_kstack, 1, kpti_cswitch_syscall_kstack_c
	ONSTACK_RETURN kpti_cswitch, PTI_ON, pti_kstack

	ONSTACK_FAMILY kpti_cswitch, PTI_OFF, nopti, 1, kpti_cswitch_syscall_c, kpti_cswitch_exception_c, kpti_cswitch_syscall32_c
