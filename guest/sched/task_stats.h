/* SPDX-License-Identifier: MIT */
/*
 * Per-task counters the kernel keeps for the scenarios that judge what the
 * entry code did to a task (preemption, single-step traps, IRET fixups), kept
 * apart from struct task so the scheduler and the hazard handlers own them.
 * Reported to the task by SYS_TASK_STAT and read by the judges.
 */
#ifndef ENTRYBOX_TASK_STATS_H
#define ENTRYBOX_TASK_STATS_H

#include "lib/kernel.h"

struct task_stats {
	unsigned preemptions;      /* timer ticks that took the CPU away from the task in user mode */
	unsigned ticks_in_user;    /* timer ticks that arrived while the task ran in user mode */
	unsigned preempt_refused;  /* of those, ticks the model could not leave (sched.c) */
	uint32_t cpus_seen;        /* bit c: the task ran on CPU c */
	unsigned db_traps;         /* single-step #DB from user mode */
	unsigned db_user_watch;    /* the task's breakpoints matched in user mode */
	unsigned db_kernel_watch;  /* ... matched while the kernel ran for it (MOV SS; SYSCALL and the like) */
	uint64_t db_kernel_rip;    /* where the last of those was taken */
	uint64_t db_kernel_rips[4]; /* where the first four were taken */
	unsigned bp_traps;         /* int3 from user mode */
	uint64_t db_last_rip;      /* RIP the last of them reported */
	unsigned bad_iret;         /* faulting IRETs to user fixed up into a user-mode fault */
	unsigned espfix_df;        /* ... of them on the espfix ministack, by way of #DF (cpu/espfix.h) */
	unsigned sysret_refused;   /* SYS_SET_RIP frames the SYSRET exit refused */
	unsigned kflags_nt;        /* SYS_KFLAGS calls that saw NT set in the kernel's RFLAGS */
	unsigned kflags_calls;
	unsigned df_caught;        /* entry stack overflows turned into #DF and recovered */
	unsigned syscalls;         /* system calls dispatched for the task */
	/* ... of them by a 32-bit gate, where no VMM boundary stops: the result
	 * line's task_syscalls is syscalls - compat_syscalls */
	unsigned compat_syscalls;
};

/* The counters of task `id` (< EBX_MAX_TASKS); panics on a bad id. */
struct task_stats *task_stats(unsigned id);

#endif
