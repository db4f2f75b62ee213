/* SPDX-License-Identifier: MIT */
/*
 * Ring-3 routines that must control every register around one SYSCALL, which
 * C cannot: load distinct values, syscall, check what came back.  Each returns
 * 0 or an exit code naming the first register that was wrong (user_abi.h).
 */
#include "entrybox/x86.h"
#include "lib/asm.h"
#include "user/user_abi.h"

/* The same routines serve ring-0 UKL applications (guest/ukl/ukl_regs.S), which
 * enter the kernel by call instead of SYSCALL and live in kernel text. */
#ifndef REGS_SECTION
#define REGS_SECTION .user.text
#define REGS_FN(name) user_##name
#define ENTER_KERNEL syscall
#endif

	.section REGS_SECTION, "ax"

/* reg = constant ^ iteration (the iteration sits at (%rsp) while loading) */
.macro LOAD_PATTERN reg, k
	movabsq $\k, \reg
	xorq (%rsp), \reg
.endm

/* ... and at 16(%rsp) while checking, under the two saved RFLAGS */
.macro CHECK_PATTERN reg, k, code
	movabsq $\k, %rax
	xorq 16(%rsp), %rax
	cmpq %rax, \reg
	je 1f
	movl $(\code), %eax
	jmp .Lcheck_out
1:
.endm

/* uint64_t user_checked_null_syscall(uint64_t iteration) */
	.globl REGS_FN(checked_null_syscall)
	.type REGS_FN(checked_null_syscall), @function
REGS_FN(checked_null_syscall):
	PUSH_CALLEE_SAVED
	pushq %rdi                       /* iteration */
	LOAD_PATTERN %rbx, 0xff10aacc61bbdd75
	LOAD_PATTERN %rbp, 0xdd54cc47ff76ee65
	LOAD_PATTERN %rsi, 0x2daa32bb0388109d
	LOAD_PATTERN %rdi, 0x328861ff542dbb15
	LOAD_PATTERN %rdx, 0xee334788dd61aafd
	LOAD_PATTERN %r8, 0x3ee543299472d8d
	LOAD_PATTERN %r9, 0x10cfbb762d995405
	LOAD_PATTERN %r10, 0x612de9aa7632febd
	LOAD_PATTERN %r12, 0x4761032dcfe98bad
	LOAD_PATTERN %r13, 0x5447766110033225
	LOAD_PATTERN %r14, 0xa4a4a4a4a4a4a55d
	LOAD_PATTERN %r15, 0xb5ba8b98e9fecfd5
	movl $SYS_NULL, %eax
	pushfq                           /* RFLAGS as SYSCALL sees them (mov and push change no flag) */
	ENTER_KERNEL
.Lafter_syscall:
	pushfq                           /* RFLAGS as SYSRET left them, before any check changes them */
	testq %rax, %rax
	je 1f
	movl $(REG_EXIT_BASE + 0), %eax
	jmp .Lcheck_out
1:
	CHECK_PATTERN %rbx, 0xff10aacc61bbdd75, REG_EXIT_BASE + 3
	CHECK_PATTERN %rbp, 0xdd54cc47ff76ee65, REG_EXIT_BASE + 5
	CHECK_PATTERN %rsi, 0x2daa32bb0388109d, REG_EXIT_BASE + 6
	CHECK_PATTERN %rdi, 0x328861ff542dbb15, REG_EXIT_BASE + 7
	CHECK_PATTERN %rdx, 0xee334788dd61aafd, REG_EXIT_BASE + 2
	CHECK_PATTERN %r8, 0x3ee543299472d8d, REG_EXIT_BASE + 8
	CHECK_PATTERN %r9, 0x10cfbb762d995405, REG_EXIT_BASE + 9
	CHECK_PATTERN %r10, 0x612de9aa7632febd, REG_EXIT_BASE + 10
	CHECK_PATTERN %r12, 0x4761032dcfe98bad, REG_EXIT_BASE + 12
	CHECK_PATTERN %r13, 0x5447766110033225, REG_EXIT_BASE + 13
	CHECK_PATTERN %r14, 0xa4a4a4a4a4a4a55d, REG_EXIT_BASE + 14
	CHECK_PATTERN %r15, 0xb5ba8b98e9fecfd5, REG_EXIT_BASE + 15
	leaq .Lafter_syscall(%rip), %rax
	cmpq %rax, %rcx
	je 1f
	movl $(REG_EXIT_BASE + 1), %eax
	jmp .Lcheck_out
1:	cmpq 8(%rsp), %r11
	je 1f
	movl $(REG_EXIT_BASE + 11), %eax
	jmp .Lcheck_out
1:	movq (%rsp), %rax
	andq $RFLAGS_SYSRET_MASK, %rax
	andq $RFLAGS_SYSRET_MASK, %r11
	cmpq %rax, %r11
	je 1f
	movl $REG_EXIT_RFLAGS, %eax
	jmp .Lcheck_out
1:	xorl %eax, %eax
.Lcheck_out:
	addq $24, %rsp
	POP_CALLEE_SAVED
	ret
	.size REGS_FN(checked_null_syscall), . - REGS_FN(checked_null_syscall)

/* A register must still hold what it was loaded with (vals at 8(%rsp)). */
.macro CHECK_SAVED reg, n
	movq 8(%rsp), %rax
	cmpq \n*8(%rax), \reg
	je 1f
	movl $(REG_EXIT_BASE + \n), %eax
	jmp .Lsaved_out
1:
.endm

/* uint64_t user_regs_syscall(const uint64_t vals[16]): every register but RSP
 * from vals (ModRM order; vals[0] is the syscall number, vals[7] the seed).
 * Returns the kernel's verdict (0: its pt_regs matched) unless a register
 * came back changed. */
	.globl REGS_FN(regs_syscall)
	.type REGS_FN(regs_syscall), @function
REGS_FN(regs_syscall):
	PUSH_CALLEE_SAVED
	pushq %rdi
	movq 0*8(%rdi), %rax
	movq 1*8(%rdi), %rcx
	movq 2*8(%rdi), %rdx
	movq 3*8(%rdi), %rbx
	movq 5*8(%rdi), %rbp
	movq 6*8(%rdi), %rsi
	movq 8*8(%rdi), %r8
	movq 9*8(%rdi), %r9
	movq 10*8(%rdi), %r10
	movq 11*8(%rdi), %r11
	movq 12*8(%rdi), %r12
	movq 13*8(%rdi), %r13
	movq 14*8(%rdi), %r14
	movq 15*8(%rdi), %r15
	movq 7*8(%rdi), %rdi
	ENTER_KERNEL
	pushq %rax                       /* verdict at (%rsp), vals at 8(%rsp) */
	CHECK_SAVED %rbx, 3
	CHECK_SAVED %rbp, 5
	CHECK_SAVED %rsi, 6
	CHECK_SAVED %rdi, 7
	CHECK_SAVED %rdx, 2
	CHECK_SAVED %r8, 8
	CHECK_SAVED %r9, 9
	CHECK_SAVED %r10, 10
	CHECK_SAVED %r12, 12
	CHECK_SAVED %r13, 13
	CHECK_SAVED %r14, 14
	CHECK_SAVED %r15, 15
	movq (%rsp), %rax
.Lsaved_out:
	addq $16, %rsp
	POP_CALLEE_SAVED
	ret
	.size REGS_FN(regs_syscall), . - REGS_FN(regs_syscall)

#ifndef REGS_NO_ENTRY
/* A new task's first user instruction (its pt_regs RIP), every general register
 * zero and RFLAGS = IF | bit 1 as the kernel promises (initial-regs).  Before
 * anything changes them: RFLAGS, and every register but RSP OR-ed into RAX (all
 * zero, so nothing is lost), kept in RBX and R12 across the SYS_TASK_INFO
 * calls; then user_main(id, scenario, iters, or-of-registers, rflags), entered
 * by a jump as if called (RSP + 8 is 16-aligned here). */
	.globl user_entry
	.type user_entry, @function
user_entry:
	pushfq                           /* first: the ORs below change the flags */
	orq %rbx, %rax
	orq %rcx, %rax
	orq %rdx, %rax
	orq %rsi, %rax
	orq %rdi, %rax
	orq %rbp, %rax
	orq %r8, %rax
	orq %r9, %rax
	orq %r10, %rax
	orq %r11, %rax
	orq %r12, %rax
	orq %r13, %rax
	orq %r14, %rax
	orq %r15, %rax
	popq %r12
	movq %rax, %rbx
	movl $SYS_TASK_INFO, %eax
	movl $TINFO_ID, %edi
	syscall
	movq %rax, %r13
	movl $SYS_TASK_INFO, %eax
	movl $TINFO_SCENARIO, %edi
	syscall
	movq %rax, %r14
	movl $SYS_TASK_INFO, %eax
	movl $TINFO_ITERS, %edi
	syscall
	movq %rax, %rdx
	movq %r13, %rdi
	movq %r14, %rsi
	movq %rbx, %rcx
	movq %r12, %r8
	jmp user_main
	.size user_entry, . - user_entry
#endif

/* uint64_t stack_page_probe(void): moves RSP to the base of its page, asks
 * for an injection point there (pf-user-stack takes away the page the next
 * push lands in, which holds nothing live), pushes once into that page, and
 * returns 0 with RSP restored.  Ring 3 only: SYSCALL itself pushes nothing. */
	.globl REGS_FN(stack_page_probe)
	.type REGS_FN(stack_page_probe), @function
REGS_FN(stack_page_probe):
	pushq %rbx
	movq %rsp, %rbx
	andq $~0xfff, %rsp
	movl $SYS_INJECT_POINT, %eax
	syscall
	pushq $0x5a
	movq %rbx, %rsp
	popq %rbx
	xorl %eax, %eax
	ret
	.size REGS_FN(stack_page_probe), . - REGS_FN(stack_page_probe)

