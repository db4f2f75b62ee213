/* SPDX-License-Identifier: MIT */
/*
 * Round-robin scheduling of the ring-3 tasks over every online CPU: one run
 * queue (the task table) under one spinlock.  Each CPU has an idle context
 * (the boot CPU's is kmain's stack, an AP's its boot stack); a task leaves
 * its CPU by switching to that context, which puts it back and picks the next.
 */
#ifndef ENTRYBOX_SCHED_H
#define ENTRYBOX_SCHED_H

#include "sched/task.h"
#include "cpu/cea.h"
#include "entry_model.h"

/* SS = 0 found (and, unless bug=sysret-ss-null, replaced) at context switches. */
unsigned sched_ss_null_switches(void);

struct sched_config {
	const struct entry_model *model;
	const struct cpu_area *cpus;   /* indexed by CPU number */
	unsigned ncpus;
	bool pcid, pti;
	bool preempt;                  /* the timer ticks: idle CPUs may halt until the next tick */
	bool keep_null_ss;             /* bug=sysret-ss-null */
};

void sched_init(const struct sched_config *cfg);
/* Boot CPU: releases the APs into their loops, runs tasks until every task
 * has ended, returns on the main (boot) thread. */
void sched_run_all(void);
/* An AP, once its CPU is set up: waits for sched_run_all, runs tasks until
 * every task has ended, returns. */
void sched_ap_loop(void);
/* From a task (yield, exit, kill, sleep, preemption): leave this CPU; returns
 * when the task is picked again, possibly on another CPU. */
void schedule(void);
/* Timer tick on this CPU (interrupts off, after EOI): a task interrupted in
 * user mode is preempted. */
void sched_tick(struct ebx_pt_regs *regs);
/* The task running on this CPU, NULL in its idle context. */
struct task *current_task(void);
/* CPUs taking part in scheduling. */
unsigned sched_cpu_count(void);
/* Block the current task until sched_wake(), or until no other task can run
 * on this CPU (an idle CPU ends the sleep, so a sleep never deadlocks). */
void sched_sleep(void);
/* Makes a sleeping t ready; false when t was not sleeping. */
bool sched_wake(struct task *t);
/* Reserve this CPU for t (NULL: release): no other task is picked here meanwhile,
 * and t runs nowhere else. */
void sched_reserve(struct task *t);
/* Tell every CPU's exit path that t's user PCID must be flushed (after its user mappings changed). */
void sched_flush_user_pcid(struct task *t);

#endif
