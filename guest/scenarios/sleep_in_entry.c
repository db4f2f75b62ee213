/* SPDX-License-Identifier: MIT */
/* sleep-in-entry (user/user_main.c, ukl/ukl_app.c): task 0 makes SYS_SLEEP with every
 * register patterned and checks them after; tasks 1.. make iters checked
 * syscalls, then wake task 0.  Exit 0x600: the model refused the sleep. */
#include "scenarios/scenario.h"
#include "lib/lib.h"
#include "lib/printf.h"
#include "user/user_abi.h"

static enum scenario_outcome judge_sleep_in_entry(const struct boot_options *o, char *detail, size_t len)
{
	const struct task *s = task_get(0);

	if (!scenario_exited_ok_from(1, detail, len))
		return OUTCOME_FAIL;
	if (s->state == TASK_EXITED && s->exit_status == EXIT_SLEEP_REFUSED && s->block_refusals && !s->sleeps) {
		ksnprintf(detail, len, "the model refused to block in its entry context (-EDEADLK); %u others ran",
			  o->tasks - 1);
		return OUTCOME_REFUSED;
	}
	if (!scenario_exited_ok(s, detail, len))
		return OUTCOME_FAIL;
	if (s->sleeps != 1) {
		ksnprintf(detail, len, "task 0 returned from the sleep syscall without sleeping (%u sleeps)", s->sleeps);
		return OUTCOME_FAIL;
	}
	ksnprintf(detail, len, "task 0 slept in the entry context, woken %s, every register intact; %u others x %lu syscalls meanwhile",
		  s->woken ? "by task 1" : "when its CPU went idle", o->tasks - 1, o->iters);
	return OUTCOME_PASS;
}

/* A model that declares blocking in the entry context safe (its own stack,
 * a frame moved away, a pinned CPU) must pass; one that refuses it, refuse;
 * one that blocks on a shared stack as it is loses task 0's frame to the
 * next entry on its CPU. */
static enum scenario_outcome expect_sleep_in_entry(const struct boot_options *o, const struct entry_traits *t)
{
	(void)o;
	switch (t->block_in_entry) {
	case ENTRY_BLOCK_REFUSED:
		return OUTCOME_REFUSED;
	case ENTRY_BLOCK_UNGUARDED:
		return OUTCOME_FAIL;
	default:
		return OUTCOME_PASS;
	}
}

const struct scenario scenario_sleep_in_entry = {
	.runs_tasks = true, .judge = judge_sleep_in_entry, .expect = expect_sleep_in_entry,
};
