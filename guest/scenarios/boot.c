/* SPDX-License-Identifier: MIT */
/* boot: reaching here means long mode, page tables, CPU setup and the layout
 * all worked; no task runs. */
#include "scenarios/scenario.h"
#include "mm/palloc.h"
#include "lib/printf.h"

static enum scenario_outcome judge_boot(const struct boot_options *o, char *detail, size_t len)
{
	ksnprintf(detail, len, "%u tasks built, none run; %lu pages allocated", o->tasks, palloc_used());
	return OUTCOME_PASS;
}

const struct scenario scenario_boot = { .runs_tasks = false, .judge = judge_boot };
