/* SPDX-License-Identifier: MIT */
/*
 * #DB and the debug registers.  A #DB in kernel mode is survived as Linux's
 * exc_debug_kernel survives it: whatever raised it (a single step leaking
 * into the kernel, a user watchpoint matched by the kernel or by a MOV SS
 * right before SYSCALL or INT n) is cleared and counted, and the kernel goes
 * on.  Tasks arm their own breakpoints (SYS_SET_DEBUGREG); the kernel keeps
 * them per task and loads them at every context switch.
 */
#ifndef ENTRYBOX_DEBUG_H
#define ENTRYBOX_DEBUG_H

#include "sched/task.h"

/* A #DB taken in kernel mode (from the paranoid entry, any GS): clears DR6
 * and a leaked TF, counts it for this CPU and for the running task, and
 * reports it with an @entrybox line. */
void debug_kernel(struct ebx_pt_regs *regs);

/* A #DB from user mode: a single step (counted, TF cleared) or one of the
 * task's own breakpoints (counted); false for anything else. */
bool debug_user(struct task *t, struct ebx_pt_regs *regs);

/* SYS_SET_DEBUGREG: index 0..3 sets that breakpoint's address (a user
 * address), 7 the enable/type/length bits of DR7 for the calling task
 * (local enables, RW write or read/write or execute, lengths 1/2/4/8 with
 * matching alignment).  0 or -EINVAL. */
long debug_set_task_reg(struct task *t, uint64_t index, uint64_t value);

/* At a context switch to `next` (NULL: the CPU idles): this CPU's debug
 * registers become next's breakpoints. */
void debug_switch_to(const struct task *next);

/* Kernel-mode #DBs survived since boot, on every CPU. */
unsigned debug_kernel_count(void);

#endif
