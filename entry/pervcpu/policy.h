/* SPDX-License-Identifier: MIT */
/*
 * pervcpu: what happens when a syscall running on the per-vCPU entry stack
 * wants to block (pervcpu_sleep=).  The stack is the vCPU's, not the task's:
 * the next task to enter on this vCPU starts at its top again, so a frame
 * left there while its task sleeps would be overwritten.  Each policy is one
 * file defining one of these; pervcpu.c lists them by cmdline value.
 */
#ifndef ENTRYBOX_PERVCPU_POLICY_H
#define ENTRYBOX_PERVCPU_POLICY_H

#include "entry_model.h"

struct pervcpu_policy {
	const char *name;
	/* The model's block_in_entry trait while this policy is selected. */
	enum entry_block block_in_entry;
	/* The model's block hook (entry_model.h) while this policy is selected:
	 * regs is the syscall's pt_regs on the vCPU stack. */
	long (*block)(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg);
	/* The model's preempt hook (entry_model.h) while this policy is
	 * selected; NULL: ticks from user mode do not switch tasks. */
	void (*preempt)(struct ebx_pt_regs *regs, void (*switch_fn)(void));
	bool preempt_keeps_cpu;
};

/* One per row of policies.def, each defined in entry/pervcpu/<id>.c. */
#define ENTRY_VALUE(m, key, id, value, help) extern const struct pervcpu_policy pervcpu_policy_##id;
#include "pervcpu/policies.def"
#undef ENTRY_VALUE

/* For policies that move a syscall off the vCPU stack (pervcpu.S): RSP :=
 * `frame` (a pt_regs copy on the task's kernel stack), wait(arg), result into
 * frame->rax, then the model's IRET exit from that copy.  Never returns. */
__attribute__((noreturn)) void pervcpu_finish_on_task_stack(struct ebx_pt_regs *frame, entry_wait_fn wait,
							    void *arg, uint64_t exit_from_copy);
/* The IRET exit from a pt_regs outside the vCPU stack, for the booted mode. */
uint64_t pervcpu_exit_from_copy(void);

#endif
