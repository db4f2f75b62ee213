/* SPDX-License-Identifier: MIT */
/* pervcpu_sleep=forbid: a syscall may not block on the vCPU stack at all; it
 * fails with -EDEADLK (and the kernel says so once per task). */
#include "pervcpu/policy.h"

static long forbid_block(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg)
{
	(void)regs;
	(void)in_entry;
	(void)wait;
	(void)arg;
	return entry_block_refused();
}

const struct pervcpu_policy pervcpu_policy_forbid = {
	.name = "forbid", .block_in_entry = ENTRY_BLOCK_REFUSED, .block = forbid_block,
};
