/* SPDX-License-Identifier: MIT */
/* user_regs.S's register-checking syscalls for ring-0 UKL applications:
 * kernel text, and `pushfq; call` into the UKL entry instead of SYSCALL. */
#define REGS_SECTION .text
#define REGS_FN(name) ukl_##name
#define ENTER_KERNEL pushfq; call *ukl_app_kernel_entry(%rip)
#define REGS_NO_ENTRY   /* applications start in C (ukl_app_entry) */
#include "user/user_regs.S"

/* void ukl_stack_probe(uint64_t pages): moves RSP down one page at a time and
 * writes there, so each fault hits the page RSP itself is in and the CPU
 * cannot push the #PF frame (CPL 0 -> 0, no stack switch): #DF, unless #PF
 * has an IST.  Then reads every page back; returns 0 or the first bad page. */
	.globl ukl_stack_probe
	.type ukl_stack_probe, @function
ukl_stack_probe:
	movq %rsp, %rdx
	movq %rdi, %rcx
1:	subq $4096, %rsp
	movq %rcx, (%rsp)
	decq %rcx
	jnz 1b
	movq %rdx, %rsp
	movq %rdx, %rsi
	movq %rdi, %rcx
2:	subq $4096, %rsi
	cmpq %rcx, (%rsi)
	jne 3f
	decq %rcx
	jnz 2b
	xorl %eax, %eax
	ret
3:	movq %rcx, %rax
	ret
	.size ukl_stack_probe, . - ukl_stack_probe

/* long ukl_call_rsp(uint64_t rsp): a null syscall made with RSP = rsp, as
 * syscall-bad-rsp's ring-3 tasks make theirs: the application dies of it
 * (the push faults, or the entry refuses a stack pointer outside its stack),
 * so this returns only if the kernel let it through. */
	.globl ukl_call_rsp
	.type ukl_call_rsp, @function
ukl_call_rsp:
	pushq %rbx
	movq %rsp, %rbx
	movq %rdi, %rsp
	movl $SYS_NULL, %eax
	pushfq
	call *ukl_app_kernel_entry(%rip)
	movq %rbx, %rsp
	popq %rbx
	ret
	.size ukl_call_rsp, . - ukl_call_rsp
