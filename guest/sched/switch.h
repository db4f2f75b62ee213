/* SPDX-License-Identifier: MIT */
/* The cooperative context switch (switch.S) and the frame it leaves on the
 * stack it switches away from. */
#ifndef ENTRYBOX_SWITCH_H
#define ENTRYBOX_SWITCH_H

#include <stdint.h>

/* At a switched-away task's saved RSP: PUSH_CALLEE_SAVED's registers (lib/asm.h),
 * then the address sched_switch returns to. */
struct switch_frame {
	uint64_t r15, r14, r13, r12, rbx, rbp;
	uint64_t ret;
};
_Static_assert(sizeof(struct switch_frame) == 7 * 8, "six callee-saved registers and a return address");

/* Saves the callee-saved registers on this stack and its RSP in *save_rsp,
 * then continues on next_rsp's switch frame: the callee-saved registers are
 * all a cooperative switch has to keep; the rest are the caller's by the ABI. */
void sched_switch(uint64_t *save_rsp, uint64_t next_rsp);

#endif
