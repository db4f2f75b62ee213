/* SPDX-License-Identifier: MIT */
/* pervcpu_sleep=copy: before blocking, the live syscall frame (pt_regs: all
 * the state the return to user needs) moves to the top of the task's own
 * kernel stack; the task blocks there and returns to user from there.  The
 * C frames left on the vCPU stack are dead from then on, so the next task
 * may enter on it. */
#include "pervcpu/policy.h"
#include "lib/lib.h"

static long copy_block(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg)
{
	struct ebx_pt_regs *frame = (struct ebx_pt_regs *)(this_cpu()->top_of_stack - sizeof(*regs));

	(void)in_entry;
	memcpy(frame, regs, sizeof(*frame));
	pervcpu_finish_on_task_stack(frame, wait, arg, pervcpu_exit_from_copy());
}

/* A tick from user mode is preempted the same way: its frame moves to the
 * task's stack, the task switches from there and, when it runs again, goes
 * back to user mode from the copy with every register (RAX included) as the
 * tick found it. */
static void (*copy_switch_fn)(void);

static long switch_keep_rax(void *frame)
{
	copy_switch_fn();
	return (long)((struct ebx_pt_regs *)frame)->rax;
}

static void copy_preempt(struct ebx_pt_regs *regs, void (*switch_fn)(void))
{
	struct ebx_pt_regs *frame = (struct ebx_pt_regs *)(this_cpu()->top_of_stack - sizeof(*regs));

	copy_switch_fn = switch_fn;
	memcpy(frame, regs, sizeof(*frame));
	pervcpu_finish_on_task_stack(frame, switch_keep_rax, frame, pervcpu_exit_from_copy());
}

const struct pervcpu_policy pervcpu_policy_copy = {
	.name = "copy", .block_in_entry = ENTRY_BLOCK_MOVES_FRAME, .block = copy_block, .preempt = copy_preempt,
};
