/* SPDX-License-Identifier: MIT */
/*
 * The kernel side of the entry-hazard scenarios: syscalls that hand the exit
 * path a frame a sigreturn or ptrace could produce (non-canonical RIP, bad
 * SS), the kernel's view of RFLAGS, the single-step #DB from user mode, and
 * the #DF an entry stack overflow turns into.
 */
#ifndef ENTRYBOX_HAZARD_H
#define ENTRYBOX_HAZARD_H

#include "sched/task.h"

/* SYS_HAZARD_FIRST..SYS_HAZARD_LAST (user/user_abi.h); returns the syscall's result. */
long hazard_syscall(struct task *t, struct ebx_pt_regs *regs);

/* #DF: false when it is not an overflow of this CPU's entry stack.  An
 * overflow is reported by an @entrybox event line; the SYS_OVERFLOW_ENTRY_STACK
 * probe is resumed (true), any other overflow ends the run with a panic. */
bool hazard_double_fault(struct ebx_pt_regs *regs);

#endif
