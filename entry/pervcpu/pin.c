/* SPDX-License-Identifier: MIT */
/* pervcpu_sleep=pin: the task keeps the vCPU (and so its stack) while it
 * blocks: the scheduler runs no other task here until it is back.  With one
 * vCPU nobody else can run meanwhile, so the wait ends as soon as this CPU
 * would idle (sched_sleep's rule); the frame never moves. */
#include "pervcpu/policy.h"
#include "sched/sched.h"

static long pin_block(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg)
{
	long ret;

	(void)regs;
	(void)in_entry;
	sched_reserve(current_task());
	ret = wait(arg);
	sched_reserve(NULL);
	return ret;
}

/* A tick from user mode switches the same way: the frame stays on the vCPU
 * stack, so while the task is away this CPU runs nobody else (and nobody
 * else may take the task): a preemption that gives the CPU to no one. */
static void pin_preempt(struct ebx_pt_regs *regs, void (*switch_fn)(void))
{
	(void)regs;
	sched_reserve(current_task());
	switch_fn();
	sched_reserve(NULL);
}

const struct pervcpu_policy pervcpu_policy_pin = {
	.name = "pin", .block_in_entry = ENTRY_BLOCK_PINS_CPU, .block = pin_block, .preempt = pin_preempt,
	.preempt_keeps_cpu = true,
};
