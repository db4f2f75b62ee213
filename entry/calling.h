/* SPDX-License-Identifier: MIT */
/*
 * Assembler macros every entry model builds its stubs from, in the spirit of
 * Linux arch/x86/entry/calling.h.  `mode` selects the stub family at assembly
 * time: PTI_OFF (no CR3 switch), PTI_ON (PGD pair, no PCID), PTI_PCID (PGD
 * pair with kernel/user PCIDs and NOFLUSH).
 */
#ifndef ENTRYBOX_CALLING_H
#define ENTRYBOX_CALLING_H

#include "percpu.h"
#include "frames.h"
#include "user/user_abi.h"

#define PTI_OFF  0
#define PTI_ON   1
#define PTI_PCID 2

/* struct ebx_pt_regs offsets */
#define PTR_R15      0
#define PTR_RAX      80
#define PTR_RDI      112
#define PTR_ORIG_RAX 120
#define PTR_RIP      128
#define PTR_CS       136
#define PTR_RFLAGS   144
#define PTR_RSP      152
#define PTR_SS       160
#define PTR_SIZE     168

/* Save the general registers below an existing orig_rax/hardware frame, in
 * pt_regs order; rdi is optional because some paths have already put it there. */
.macro PUSH_REGS push_rdi=1 rax=%rax
	.if \push_rdi
	pushq %rdi
	.endif
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq \rax
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro POP_REGS pop_rdi=1
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rax
	popq %rcx
	popq %rdx
	popq %rsi
	.if \pop_rdi
	popq %rdi
	.endif
.endm

/* Kernel CR3 = user CR3 with the user-half bit (and user PCID bit) cleared:
 * derived from CR3 itself so that no memory needs to be reachable first. With
 * PCID the kernel PCID's TLB entries are still valid, so NOFLUSH. */
.macro SWITCH_TO_KERNEL_CR3 mode, scratch
	.if \mode != PTI_OFF
	movq %cr3, \scratch
	.if \mode == PTI_PCID
	btsq $PT_CR3_NOFLUSH_NR, \scratch
	andq $~(PT_CR3_USER_BIT | CR3_PTI_USER_PCID), \scratch
	.else
	andq $~PT_CR3_USER_BIT, \scratch
	.endif
	movq \scratch, %cr3
	.endif
.endm

/* User CR3 = kernel CR3 | user-half bit (| user PCID bit).  With PCID the user
 * PCID is flushed once if the kernel changed its mappings (bit set in
 * PCPU_USER_PCID_FLUSH); otherwise NOFLUSH keeps its TLB entries. Needs a
 * stack mapped in the user PGD for the second scratch register. */
.macro SWITCH_TO_USER_CR3 mode, scratch
	.if \mode == PTI_ON
	movq %cr3, \scratch
	orq $PT_CR3_USER_BIT, \scratch
	movq \scratch, %cr3
	.elseif \mode == PTI_PCID
	pushq %rax
	movq %cr3, \scratch
	movq \scratch, %rax
	andq $CR3_PTI_KERNEL_PCID_MASK, %rax
	btq %rax, %gs:PCPU_USER_PCID_FLUSH
	jnc .Lnoflush_\@
	btrq %rax, %gs:PCPU_USER_PCID_FLUSH
	jmp .Lwrite_\@
.Lnoflush_\@:
	btsq $PT_CR3_NOFLUSH_NR, \scratch
.Lwrite_\@:
	orq $(PT_CR3_USER_BIT | CR3_PTI_USER_PCID), \scratch
	movq \scratch, %cr3
	popq %rax
	.endif
.endm

/* The bad-IRET fixup's core, shared by every model: on [vector] [error] RIP
 * CS RFLAGS RSP SS of a fault raised by an exit's iretq, whose RSP slot points
 * at the five words the IRET was loading, copy those over RIP..SS and mark the
 * vector ENTRY_VEC_BAD_IRET, so the fault becomes the user context's.
 * Preserves every register. */
.macro BAD_IRET_TAKE_USER_FRAME
	pushq %rax
	pushq %rbx
	movq 7*8(%rsp), %rax             /* the failed IRET's frame */
	movq 0*8(%rax), %rbx
	movq %rbx, 4*8(%rsp)             /* RIP */
	movq 1*8(%rax), %rbx
	movq %rbx, 5*8(%rsp)             /* CS */
	movq 2*8(%rax), %rbx
	movq %rbx, 6*8(%rsp)             /* RFLAGS */
	movq 3*8(%rax), %rbx
	movq %rbx, 7*8(%rsp)             /* RSP */
	movq 4*8(%rax), %rbx
	movq %rbx, 8*8(%rsp)             /* SS */
	orq $ENTRY_VEC_BAD_IRET, 2*8(%rsp)
	popq %rbx
	popq %rax
.endm

/* SYSCALL's first steps, the same in every model that takes SYSCALL in
 * ring 0: GS first (until then the only kernel memory reachable without a
 * free register is %gs-relative), the user RSP parked in the per-CPU page so
 * RSP can serve as scratch for the CR3 switch (the kernel stack is not mapped
 * in the user PGD), then the hardware frame SYSCALL did not push, so what
 * follows looks as after an interrupt: SS RSP RFLAGS CS RIP on the task stack. */
.macro SYSCALL_TO_TASK_STACK mode
	swapgs
	movq %rsp, %gs:PCPU_USER_RSP
	SWITCH_TO_KERNEL_CR3 \mode, %rsp
	movq %gs:PCPU_TOP_OF_STACK, %rsp
	pushq $GDT_USER_SS
	pushq %gs:PCPU_USER_RSP
	pushq %r11
	pushq $GDT_USER_CS
	pushq %rcx
.endm

/* An event from user (or UKL application) code arrives on a per-CPU stack as
 * [saved RDI] [vector] [error] RIP CS RFLAGS RSP SS.  The per-CPU stack is tiny
 * and the handler may schedule, so the frame moves to the task stack and
 * becomes pt_regs there (error code as orig_rax).  Leaves RDI = pt_regs and
 * RSI = vector, ready for the C handler. */
.macro COPY_FRAME_TO_TASK_STACK
	movq %rsp, %rdi
	movq %gs:PCPU_TOP_OF_STACK, %rsp
	pushq 7*8(%rdi)                  /* SS */
	pushq 6*8(%rdi)                  /* RSP */
	pushq 5*8(%rdi)                  /* RFLAGS */
	pushq 4*8(%rdi)                  /* CS */
	pushq 3*8(%rdi)                  /* RIP */
	pushq 2*8(%rdi)                  /* error code -> orig_rax */
	pushq (%rdi)                     /* the interrupted RDI */
	PUSH_REGS push_rdi=0
	movq 8(%rdi), %rsi               /* vector */
	movq %rsp, %rdi
.endm

/* An exception from kernel code: same stack, same GS; the vector's slot
 * becomes pt_regs->rdi (RDI = vector afterwards).  Only the entry code runs in
 * ring 0 on a user CR3; a fault there is fatal, but reporting it needs kernel
 * memory, so switch if CR3 is a user half. */
.macro SAVE_REGS_FROM_KERNEL mode
	xchgq %rdi, (%rsp)
	PUSH_REGS push_rdi=0
	.if \mode != PTI_OFF
	movq %cr3, %rax
	btq $PT_CR3_USER_NR, %rax
	jnc .Lkernel_cr3_\@
	SWITCH_TO_KERNEL_CR3 \mode, %rax
.Lkernel_cr3_\@:
	.endif
.endm

#endif
