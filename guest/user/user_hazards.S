/* SPDX-License-Identifier: MIT */
/* Ring-3 halves of the flag hazards: each sets a flag with POPF right before
 * a SYSCALL, so no instruction runs between the two that the flag could
 * affect. */
#include "entrybox/x86.h"
#include "user/user_abi.h"

	.section .user.text, "ax"

/* uint64_t user_tf_syscall(void): a null SYSCALL with TF set.  SFMASK clears
 * TF for the kernel; the exit path sees TF in R11 and returns with IRET, which
 * restores TF=1: the first user instruction after the SYSCALL (the nop) runs
 * and the single-step #DB reports the address after it.  Returns that address. */
	.globl user_tf_syscall
	.type user_tf_syscall, @function
user_tf_syscall:
	movl $SYS_NULL, %eax
	pushfq
	orq $RFLAGS_TF, (%rsp)
	popfq                            /* TF was clear at its start: no trap after it */
	syscall
	nop
1:	leaq 1b(%rip), %rax
	ret
	.size user_tf_syscall, . - user_tf_syscall

/* uint64_t user_nt_syscall(uint64_t nr, uint64_t arg, uint64_t *result):
 * SYSCALL nr(arg) with NT set; stores RAX in *result and returns RFLAGS as
 * they were right after the SYSCALL returned (NT cleared again afterwards). */
	.globl user_nt_syscall
	.type user_nt_syscall, @function
user_nt_syscall:
	movq %rdx, %r8                   /* the kernel preserves r8 */
	movq %rdi, %rax
	movq %rsi, %rdi
	pushfq
	orq $RFLAGS_NT, (%rsp)
	popfq
	syscall
	pushfq
	popq %rdx
	movq %rax, (%r8)
	pushq %rdx
	andq $~RFLAGS_NT, (%rsp)
	popfq
	movq %rdx, %rax
	ret
	.size user_nt_syscall, . - user_nt_syscall

/* uint64_t user_nt_iret(void): SYS_SET_RIP to the instruction behind a ud2
 * with NT set; RCX keeps the SYSCALL's return address, so the kernel must
 * leave through IRET.  Returns RFLAGS as they arrived there. */
	.globl user_nt_iret
	.type user_nt_iret, @function
user_nt_iret:
	leaq 1f(%rip), %rdi
	xorl %esi, %esi
	movl $SYS_SET_RIP, %eax
	pushfq
	orq $RFLAGS_NT, (%rsp)
	popfq
	syscall
	ud2                              /* the return address the kernel must not use */
1:	pushfq
	popq %rax
	pushq %rax
	andq $~RFLAGS_NT, (%rsp)
	popfq
	ret
	.size user_nt_iret, . - user_nt_iret

/* long user_mov_ss_syscall(const uint16_t *ss_word): MOV SS from the word,
 * then a null SYSCALL, with RSP non-canonical across both (bit 63 flipped, as
 * Linux's mov_ss_trap does): an entry that touched the user stack would fault.
 * Returns the syscall's result. */
	.globl user_mov_ss_syscall
	.type user_mov_ss_syscall, @function
user_mov_ss_syscall:
	movl $SYS_NULL, %eax
	btcq $63, %rsp
	movw (%rdi), %ss
	syscall
	btcq $63, %rsp
	ret
	.size user_mov_ss_syscall, . - user_mov_ss_syscall

/* void user_mov_ss_int3(const uint16_t *ss_word): MOV SS from the word, then INT3. */
	.globl user_mov_ss_int3
	.type user_mov_ss_int3, @function
user_mov_ss_int3:
	movw (%rdi), %ss
	int3
	ret
	.size user_mov_ss_int3, . - user_mov_ss_int3

/* long user_syscall_rsp(uint64_t rsp, long nr, uint64_t *rsp_after) */
	.globl user_syscall_rsp
	.type user_syscall_rsp, @function
user_syscall_rsp:
	pushq %rbx
	movq %rsp, %rbx
	movq %rsi, %rax
	movq %rdi, %rsp
	syscall
	movq %rsp, (%rdx)                /* RDX is preserved by the syscall ABI */
	movq %rbx, %rsp
	popq %rbx
	ret
	.size user_syscall_rsp, . - user_syscall_rsp

/* void user_push_rsp(uint64_t rsp) */
	.globl user_push_rsp, user_push_rsp_fault
	.type user_push_rsp, @function
user_push_rsp:
	pushq %rbx
	movq %rsp, %rbx
	movq %rdi, %rsp
user_push_rsp_fault:
	pushq $0
	movq %rbx, %rsp
	popq %rbx
	ret
	.size user_push_rsp, . - user_push_rsp

/* void user_single_step(void) */
	.globl user_single_step
	.type user_single_step, @function
user_single_step:
	pushfq
	orq $RFLAGS_TF, (%rsp)
	popfq                            /* TF was clear at its start: the trap follows the nop */
	nop
	ret
	.size user_single_step, . - user_single_step

/* void user_spin(uint64_t n): n iterations of pure user-mode work. */
	.globl user_spin
	.type user_spin, @function
user_spin:
	testq %rdi, %rdi
	jz 2f
1:	decq %rdi
	jnz 1b
2:	ret
	.size user_spin, . - user_spin
