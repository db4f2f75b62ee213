/* SPDX-License-Identifier: MIT */
/* void sched_switch(uint64_t *save_rsp, uint64_t next_rsp): the callee-saved
 * registers are all a cooperative switch has to keep; the rest are the
 * caller's by the ABI. */
	.text
	.globl sched_switch
	.type sched_switch, @function
sched_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size sched_switch, . - sched_switch
