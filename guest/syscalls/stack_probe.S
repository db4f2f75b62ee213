/* SPDX-License-Identifier: MIT */
/* long entry_stack_overflow_probe(struct stack_probe *p, uint64_t max_pushes):
 * see stack_probe.h.
 * It stands where the entry code stands after it moved to the entry stack
 * (kernel GS, interrupts off), so what its overflow does -- #PF on the guard
 * page, which cannot be delivered on the same stack, hence #DF on IST1 -- is
 * what an entry path that pushes too much would meet. */
#include "percpu.h"
#include "lib/asm.h"
#include "syscalls/stack_probe.h"

	.text
	.globl entry_stack_overflow_probe
	.type entry_stack_overflow_probe, @function
entry_stack_overflow_probe:
	PUSH_CALLEE_SAVED
	movq %rsp, PROBE_RESUME_RSP(%rdi)
	leaq .Lresumed(%rip), %rax
	movq %rax, PROBE_RESUME_RIP(%rdi)
	movq %gs:PCPU_ENTRY_STACK_TOP, %rsp
	movq %rsi, %rcx
1:	pushq %rcx
	decq %rcx
	jnz 1b
	/* A page below the stack and still no fault: nothing guards it. */
	movq PROBE_RESUME_RSP(%rdi), %rsp
	xorl %eax, %eax
	jmp 2f
.Lresumed:
	movl $1, %eax
2:	POP_CALLEE_SAVED
	ret
	.size entry_stack_overflow_probe, . - entry_stack_overflow_probe
