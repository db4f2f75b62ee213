/* SPDX-License-Identifier: MIT */
/*
 * Ring-3 code in compatibility mode (the 32-bit user code segment,
 * GDT_USER32_CS): a far return from 64-bit code into a 32-bit routine on a
 * stack below 4 GiB, the routine's system calls, and a far jump back.
 */
#include "entrybox/x86.h"
#include "lib/asm.h"
#include "percpu.h"
#include "user/user_abi.h"

	.section .user.text, "ax"

/* uint64_t user_compat_run(uint64_t routine32, uint64_t stack_top): runs the
 * 32-bit routine (one of those below; it ends with COMPAT_BACK) on the 32-bit
 * stack ending at stack_top, which must be mapped and below 4 GiB.  Before it
 * goes, EDI, ESI and EBX get the COMPAT_ARG_* values and R8 and R12 a value,
 * every upper half dirty: only a kernel that takes the 32-bit view of the
 * registers sees exactly the arguments.  Returns the routine's EAX. */
	.globl user_compat_run
	.type user_compat_run, @function
user_compat_run:
	PUSH_CALLEE_SAVED
	movl $GDT_USER_SS, %eax          /* 32-bit code addresses memory through DS and ES */
	movl %eax, %ds
	movl %eax, %es
	movq %rsp, -8(%rsi)              /* the 64-bit RSP waits at the top of the 32-bit stack */
	leaq -8(%rsi), %rsp
	movq %rdi, %rax
	movabsq $(COMPAT_DIRTY_HIGH | COMPAT_ARG_EDI), %rdi
	movabsq $(COMPAT_DIRTY_HIGH | COMPAT_ARG_ESI), %rsi
	movabsq $(COMPAT_DIRTY_HIGH | COMPAT_ARG_EBX), %rbx
	movabsq $COMPAT_DIRTY_HIGH, %r8
	movabsq $COMPAT_DIRTY_HIGH, %r12
	pushq $GDT_USER32_CS
	pushq %rax
	lretq

/* Where the 32-bit routines come back to 64-bit mode, RSP at the saved RSP. */
user_compat_back:
	movl %esp, %esp
	popq %rsp
	movl %eax, %eax
	xorl %ecx, %ecx
	movl %ecx, %ds
	movl %ecx, %es
	POP_CALLEE_SAVED
	ret
	.size user_compat_run, . - user_compat_run

/* Back to 64-bit mode, stack as the routine found it. */
.macro COMPAT_BACK
	ljmp $GDT_USER_CS, $user_compat_back
.endm

/* Jumps to `fail` with ECX = `code` unless still in compatibility mode.  After
 * a wrong return to the 64-bit segment these bytes run as 64-bit code, where
 * they mean the same, and so does the near jump that leaves from `fail`. */
.macro COMPAT_STILL_32 code, fail
	movw %cs, %cx
	cmpw $GDT_USER32_CS, %cx
	movl $\code, %ecx
	jne \fail
.endm

	.code32

/* SYS_COMPAT_CHECK by SYSCALL (MSR_CSTAR), back by SYSRETL (or IRET).
 * EAX: 0, the kernel's verdict | 0x10000, or 0x20000: not in compatibility mode after it. */
	.globl user_compat_syscall32
	.type user_compat_syscall32, @function
user_compat_syscall32:
	movl $SYS_COMPAT_CHECK, %eax
	syscall
	COMPAT_STILL_32 0x20000, 1f
	testl %eax, %eax
	jz 2f
	andl $0xffff, %eax
	orl $0x10000, %eax
2:	pushl %eax                       /* a stack operation in compatibility mode: SS must be usable */
	popl %eax
	COMPAT_BACK
1:	movl %ecx, %eax                  /* 64-bit mode after all: these two decode the same there */
	jmp user_compat_back
	.size user_compat_syscall32, . - user_compat_syscall32

/* The same by int $0x80, back by IRET. */
	.globl user_compat_int80
	.type user_compat_int80, @function
user_compat_int80:
	movl $SYS_COMPAT_CHECK, %eax
	.globl user_compat_int80_insn
user_compat_int80_insn:
	int $0x80
	COMPAT_STILL_32 0x20000, 1f
	testl %eax, %eax
	jz 2f
	andl $0xffff, %eax
	orl $0x10000, %eax
2:	pushl %eax
	popl %eax
	COMPAT_BACK
1:	movl %ecx, %eax                  /* 64-bit mode after all: these two decode the same there */
	jmp user_compat_back
	.size user_compat_int80, . - user_compat_int80

/* sysret-ss-attrs (Linux's test_ss): a push and a pop in compatibility mode.
 * With an unusable SS (AMD's SYSRET after the kernel ran with SS = 0) the
 * push raises #SS.  EAX := 0. */
	.globl user_compat_test_ss
	.type user_compat_test_ss, @function
user_compat_test_ss:
	pushl $0
	popl %eax
	COMPAT_BACK
	.size user_compat_test_ss, . - user_compat_test_ss

/* espfix (Linux's sigreturn selftest, ESP half): SS := the LDT's 16-bit data
 * segment, traps to the kernel that return by IRET to that SS, then ESP as
 * the IRETs left it.  user_compat_espfix traps by single steps (TF): one #DB
 * after each instruction from the NOP to the POPFL that clears TF again,
 * returned from by the paranoid (IST) exit; user_compat_espfix_int3 by INT3,
 * returned from by the exception exit every model shares with its syscalls
 * (INT3 from 32-bit ring 3 is #UD on kvm_pvm).  The pushes and pops go
 * through the 16-bit SS, whose base puts SP on the task's 32-bit stack.  SS
 * and ESP are put back before the way home.  EAX := ESP after the IRETs; ESP
 * before them is the routine's ESP on entry. */
	.globl user_compat_espfix
	.type user_compat_espfix, @function
user_compat_espfix:
	movl %esp, %esi
	movl $LDT_USER_SS16, %eax
	movl %eax, %ss
	pushfl                           /* pushes and pops move SP alone; (%esp) would use all of ESP */
	popl %eax
	orl $RFLAGS_TF, %eax
	pushl %eax
	popfl
	.globl user_compat_espfix_trap
user_compat_espfix_trap:
	nop
	pushfl
	popl %eax
	andl $~RFLAGS_TF, %eax
	pushl %eax
	popfl
	movl %esp, %eax
	movl $GDT_USER_SS, %ecx
	movl %ecx, %ss
	movl %esi, %esp
	COMPAT_BACK
	.size user_compat_espfix, . - user_compat_espfix

	.globl user_compat_espfix_int3
	.type user_compat_espfix_int3, @function
user_compat_espfix_int3:
	movl %esp, %esi
	movl $LDT_USER_SS16, %eax
	movl %eax, %ss
	nop
	.globl user_compat_espfix_int3_insn
user_compat_espfix_int3_insn:
	int3
	movl %esp, %eax
	movl $GDT_USER_SS, %ecx
	movl %ecx, %ss
	movl %esi, %esp
	COMPAT_BACK
	.size user_compat_espfix_int3, . - user_compat_espfix_int3

	.code64
