/* SPDX-License-Identifier: MIT */
#include "sched/task_stats.h"
#include "lib/panic.h"
#include "entrybox/abi.h"

static struct task_stats stats[EBX_MAX_TASKS];

struct task_stats *task_stats(unsigned id)
{
	if (id >= EBX_MAX_TASKS)
		panic("task_stats: task %u", id);
	return &stats[id];
}
