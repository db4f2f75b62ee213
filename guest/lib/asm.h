/* SPDX-License-Identifier: MIT */
/* Assembler helpers for the guest's own routines (the entry stubs build
 * their frames with entry/calling.h). */
#ifndef ENTRYBOX_ASM_H
#define ENTRYBOX_ASM_H

#ifdef __ASSEMBLER__
/* The registers the SysV ABI makes a callee keep, in the order
 * sched/switch.h's struct switch_frame reads them back. */
.macro PUSH_CALLEE_SAVED
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro POP_CALLEE_SAVED
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
.endm
#endif

#endif
