/* SPDX-License-Identifier: MIT */
/* void sched_switch(uint64_t *save_rsp, uint64_t next_rsp): switch.h. */
#include "lib/asm.h"

	.text
	.globl sched_switch
	.type sched_switch, @function
sched_switch:
	PUSH_CALLEE_SAVED
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	POP_CALLEE_SAVED
	ret
	.size sched_switch, . - sched_switch
