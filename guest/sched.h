/* SPDX-License-Identifier: MIT */
/* Cooperative round-robin scheduling of the ring-3 tasks on one CPU. */
#ifndef ENTRYBOX_SCHED_H
#define ENTRYBOX_SCHED_H

#include "task.h"
#include "cea.h"
#include "entry_model.h"

void sched_init(const struct entry_model *model, const struct cpu_area *ca, bool pcid, bool pti);
/* Runs tasks until none is ready; returns on the main (boot) thread. */
void sched_run_all(void);
/* From a task (yield, exit, kill): run the next ready task, or the main thread. */
void schedule(void);
/* The task running on this CPU, NULL on the main thread. */
struct task *current_task(void);
/* Tell the exit path that t's user PCID must be flushed (after unmapping user pages). */
void sched_flush_user_pcid(struct task *t);

#endif
