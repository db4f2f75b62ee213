/* SPDX-License-Identifier: MIT */
/*
 * The ukl entry model, after the Unikernel Linux (UKL) patches: the
 * application runs in ring 0 on its own stack, with the kernel's GS and CR3
 * (pti=off), and enters the kernel with
 *
 *	pushfq
 *	call ukl_entry_SYSCALL_64
 *
 * so its stack holds [return RIP][RFLAGS].  The entry fills RCX/R11 as
 * SYSCALL would, moves to the task's kernel stack and builds the same pt_regs
 * a ring-3 SYSCALL gets (CS/SS the kernel's); the exit switches back to the
 * application stack, popfq, ret.  %gs:PCPU_UKL_IN_USER tracks where the task
 * is on every entry and exit: 1 application code, 2 entry/exit code still on
 * the application stack, 0 kernel.  Events in application code follow it: a
 * ring-0 exception with in_user = 1 moves to the kernel stack like a user
 * one.  Ring-3 tasks beside the applications take the onstack paths with
 * the task's kernel stack as their entry stack (TSS.RSP0).
 */
#include "onstack.h"

/* What the application's `pushfq; call` leaves at RSP, and what the exit's
 * `popfq; ret` takes from it. */
#define CALL_RIP     0
#define CALL_RFLAGS  8
#define RET_RFLAGS   0
#define RET_RIP      8
#define CALL_SIZE    16

	.section .entry.text, "ax"

/* From an application: [RSP] = return RIP, [RSP+8] = its RFLAGS. */
	.balign 16
	.globl ukl_entry_SYSCALL_64
	.type ukl_entry_SYSCALL_64, @function
ukl_entry_SYSCALL_64:
	cli                              /* as SFMASK would: nothing may land on the application stack now */
	movl $UKL_EDGE, %gs:PCPU_UKL_IN_USER
	movq %rsp, %gs:PCPU_USER_RSP
	movq CALL_RIP(%rsp), %rcx        /* RCX = return RIP, R11 = RFLAGS, as SYSCALL leaves them */
	movq CALL_RFLAGS(%rsp), %r11
	movq %gs:PCPU_TOP_OF_STACK, %rsp
	movl $UKL_KERNEL, %gs:PCPU_UKL_IN_USER
	pushq $GDT_KERNEL_SS
	pushq %gs:PCPU_USER_RSP
	addq $CALL_SIZE, (%rsp)          /* the RSP the application had before pushfq; call */
	pushq %r11
	pushq $GDT_KERNEL_CS
	pushq %rcx
	pushq %rax                       /* orig_rax */
	PUSH_REGS rax=$-ENOSYS
	/* Not trusting the application's RSP: the exit writes below it. */
	movq PTR_RSP(%rsp), %rax
	cmpq %gs:PCPU_UKL_APP_RSP_LO, %rax
	jb 1f
	cmpq %gs:PCPU_UKL_APP_RSP_HI, %rax
	ja 1f
	movq %rsp, %rdi
	call entry_syscall_c
	jmp ukl_return_to_app
1:	movq %rsp, %rdi
	call ukl_app_bad_rsp_c           /* kills the application */
	ud2
	.size ukl_entry_SYSCALL_64, . - ukl_entry_SYSCALL_64

/* RSP = pt_regs (kernel stack) of an application: back to it by its own
 * stack.  RIP and RFLAGS go just below its RSP first, while scratch
 * registers are still free; popfq restores IF, so `ret` is the only
 * instruction that may be interrupted with in_user = 1 inside entry text. */
	.balign 16
	.globl ukl_return_to_app
	.type ukl_return_to_app, @function
ukl_return_to_app:
	movq PTR_RSP(%rsp), %rax
	movq PTR_RFLAGS(%rsp), %rcx
	movq %rcx, (RET_RFLAGS - CALL_SIZE)(%rax)
	movq PTR_RIP(%rsp), %rcx
	movq %rcx, (RET_RIP - CALL_SIZE)(%rax)
	POP_REGS
	movl $UKL_EDGE, %gs:PCPU_UKL_IN_USER
	movq (PTR_RSP - PTR_ORIG_RAX)(%rsp), %rsp
	leaq -CALL_SIZE(%rsp), %rsp      /* at RFLAGS, RIP */
	movl $UKL_APP, %gs:PCPU_UKL_IN_USER
	popfq
	.globl ukl_return_to_app_ret
ukl_return_to_app_ret:
	ret
	.size ukl_return_to_app, . - ukl_return_to_app

/* A new task's first switch lands here with RSP at its pt_regs: an
 * application (ring-0 CS) or a ring-3 task. */
	.balign 16
	.globl ukl_first_return
	.type ukl_first_return, @function
ukl_first_return:
	testb $SEL_RPL_MASK, PTR_CS(%rsp)
	jz ukl_return_to_app
	jmp ukl_return_to_user_nopti
	.size ukl_first_return, . - ukl_first_return

/* Non-IST exceptions and interrupts: [vector] [error] hardware frame. */
	.balign 16
	.type ukl_exc_common, @function
ukl_exc_common:
	testb $SEL_RPL_MASK, STUB_CS(%rsp)
	jnz .Lexc_user
	/* Before any GS access: at the faulting IRET GS is the ring-3 task's. */
	ONSTACK_BAD_IRET_FIXUP ukl_return_to_user_nopti_iretq, .Lexc_user
	cmpl $UKL_APP, %gs:PCPU_UKL_IN_USER
	je .Lexc_app
	/* Kernel (or entry/exit) code: same stack, same GS. */
	xchgq %rdi, (%rsp)
	PUSH_REGS push_rdi=0
	movq %rdi, %rsi
	movq %rsp, %rdi
	call ukl_exception_c
	POP_REGS
	addq $8, %rsp
	iretq

.Lexc_user:
	/* A ring-3 task: already on its kernel stack (TSS.RSP0). */
	swapgs
	xchgq %rdi, (%rsp)
	PUSH_REGS push_rdi=0
	movq %rdi, %rsi
	movq %rsp, %rdi
	call ukl_exception_c
	jmp ukl_return_to_user_nopti

.Lexc_app:
	/* Application code: CPL 0 -> 0 kept the application stack; handle the
	 * event on the kernel stack as if it came from user mode. */
	movl $UKL_KERNEL, %gs:PCPU_UKL_IN_USER
	pushq %rdi
	COPY_FRAME_TO_TASK_STACK
	call ukl_app_exception_c
	POP_REGS
	addq $8, %rsp
	movl $UKL_APP, %gs:PCPU_UKL_IN_USER
	iretq                            /* CPL 0 -> 0, but IRETQ pops SS:RSP: back on the application stack */
	.size ukl_exc_common, . - ukl_exc_common

	ONSTACK_SYSCALL ukl, PTI_OFF, nopti, 0, entry_syscall_c
	ONSTACK_SYSCALL ukl, PTI_OFF, nopti, 0, entry_syscall32_c, ukl_syscall32_nopti, $GDT_USER32_CS, sysretl
	ONSTACK_RETURN ukl, PTI_OFF, nopti
	PARANOID_ENTRY ukl_paranoid_nopti, PTI_OFF, ukl_exception_c
	NMI_ENTRY ukl_nmi_nopti, PTI_OFF, ukl_exception_c
	PARANOID_BUG_VARIANTS ukl, PTI_OFF, nopti, ukl_exception_c, ukl_paranoid_nopti
	ONSTACK_VECTORS ukl, nopti, ukl_exc_common, ukl_paranoid_nopti, ukl_nmi_nopti, 0
	ONSTACK_VECTORS ukl, pfist, ukl_exc_common, ukl_paranoid_nopti, ukl_nmi_nopti, 1
