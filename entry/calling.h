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

/* Save the general registers below an existing orig_rax/hardware frame, in
 * pt_regs order (frames.h's PTR_*, highest first); rdi is optional because
 * some paths have already put it there. */
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
	pushq %rax                       /* the stub frame is 16 bytes up from here */
	pushq %rbx
	movq (16 + STUB_RSP)(%rsp), %rax /* the failed IRET's frame */
	movq IRET_RIP(%rax), %rbx
	movq %rbx, (16 + STUB_RIP)(%rsp)
	movq IRET_CS(%rax), %rbx
	movq %rbx, (16 + STUB_CS)(%rsp)
	movq IRET_RFLAGS(%rax), %rbx
	movq %rbx, (16 + STUB_RFLAGS)(%rsp)
	movq IRET_RSP(%rax), %rbx
	movq %rbx, (16 + STUB_RSP)(%rsp)
	movq IRET_SS(%rax), %rbx
	movq %rbx, (16 + STUB_SS)(%rsp)
	orq $ENTRY_VEC_BAD_IRET, (16 + STUB_VECTOR)(%rsp)
	popq %rbx
	popq %rax
.endm

/* The hardware frame SYSCALL did not push, from what it left: SS RSP RFLAGS
 * CS RIP, with the user RSP parked at %gs:PCPU_USER_RSP.  What follows then
 * looks as after an interrupt from user mode. */
.macro PUSH_SYSCALL_FRAME
	pushq $GDT_USER_SS
	pushq %gs:PCPU_USER_RSP
	pushq %r11
	pushq $GDT_USER_CS
	pushq %rcx
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
	PUSH_SYSCALL_FRAME
.endm

/* From [saved RDI] [stub frame] on a per-CPU stack, on kernel CR3 and GS:
 * to the task's kernel stack, pushing the hardware frame and the error code
 * (pt_regs' tail, the error code as orig_rax).  Leaves RDI at the saved RDI. */
.macro STUB_FRAME_TO_TASK_STACK
	movq %rsp, %rdi                  /* the stub frame is 8 bytes up from here */
	movq %gs:PCPU_TOP_OF_STACK, %rsp
	pushq (8 + STUB_SS)(%rdi)
	pushq (8 + STUB_RSP)(%rdi)
	pushq (8 + STUB_RFLAGS)(%rdi)
	pushq (8 + STUB_CS)(%rdi)
	pushq (8 + STUB_RIP)(%rdi)
	pushq (8 + STUB_ERROR)(%rdi)
.endm

/* An event from user (or UKL application) code arrives on a per-CPU stack as
 * [saved RDI] [vector] [error] RIP CS RFLAGS RSP SS.  The per-CPU stack is tiny
 * and the handler may schedule, so the frame moves to the task stack and
 * becomes pt_regs there (error code as orig_rax).  Leaves RDI = pt_regs and
 * RSI = vector, ready for the C handler. */
.macro COPY_FRAME_TO_TASK_STACK
	STUB_FRAME_TO_TASK_STACK
	pushq (%rdi)                     /* the interrupted RDI */
	PUSH_REGS push_rdi=0
	movq (8 + STUB_VECTOR)(%rdi), %rsi
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

/* IST vectors (#DB, NMI, #DF, #MC) can hit anywhere, including the entry code
 * between swapgs and the CR3 switch, so like Linux's paranoid_entry they trust
 * neither: GS is decided by reading MSR_GS_BASE, CR3 is saved and restored
 * (with PCID, keeping the interrupted PCID's TLB entries).  From the stub
 * frame, calls handler(pt_regs, vector) and returns by IRET. */
.macro PARANOID_ENTRY name, mode, handler
	.balign 16
	.type \name, @function
\name:
	xchgq %rdi, (%rsp)
	PUSH_REGS push_rdi=0
	movq %rdi, %r13                  /* vector (callee-saved across the C call) */
	movq %cr3, %r14                  /* CR3 to restore */
	.if \mode != PTI_OFF
	movq %r14, %rax
	SWITCH_TO_KERNEL_CR3 \mode, %rax
	.endif
	movl $1, %ebx                    /* 1: GS was already the kernel's */
	movl $MSR_GS_BASE, %ecx
	rdmsr
	testl %edx, %edx
	js 1f                            /* kernel addresses are negative */
	swapgs
	xorl %ebx, %ebx
1:
	movq %rsp, %rdi
	movq %r13, %rsi
	call \handler
	testl %ebx, %ebx
	jnz 2f
	swapgs
2:
	.if \mode == PTI_PCID
	btsq $PT_CR3_NOFLUSH_NR, %r14
	.endif
	.if \mode != PTI_OFF
	movq %r14, %cr3
	.endif
	POP_REGS
	addq $8, %rsp
	iretq
	.size \name, . - \name
.endm

#endif
