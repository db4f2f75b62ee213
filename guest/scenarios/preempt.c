/* SPDX-License-Identifier: MIT */
/* preempt: every task spins in user mode (a syscall between rounds only asks
 * for its counters) until the LAPIC timer has preempted it PREEMPT_TARGET
 * times and, with two or more CPUs, it has run on two of them (unless the
 * model keeps a preempted task on its CPU: pervcpu pin).  Ring-0 applications
 * spin the same way in application code.  The kernel's own counters decide.
 * A model that declares ticks from user mode not preemptible (its interrupt
 * frames live on a shared stack: pervcpu forbid) is not preempted
 * (sched_tick): refused. */
#include "scenarios/scenario.h"
#include "entry_model.h"
#include "lib/printf.h"
#include "sched/sched.h"
#include "sched/task_stats.h"
#include "user/user_hazards.h"

static unsigned cpus_in(uint32_t mask)
{
	unsigned n = 0;
	for (; mask; mask &= mask - 1)
		n++;
	return n;
}

static enum scenario_outcome judge_refused(char *detail, size_t len)
{
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task_stats *st = task_stats(i);
		if (st->preemptions || st->preempt_refused < PREEMPT_TARGET) {
			ksnprintf(detail, len, "task %u: %u preemptions, %u refused", i, st->preemptions,
				  st->preempt_refused);
			return OUTCOME_FAIL;
		}
	}
	ksnprintf(detail, len, "the model's interrupt frames cannot be left: user-mode ticks never preempt");
	return OUTCOME_REFUSED;
}

static enum scenario_outcome expect(const struct boot_options *o, const struct entry_traits *t)
{
	(void)o;
	return t->preempt_from_user ? OUTCOME_PASS : OUTCOME_REFUSED;
}

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	unsigned least = ~0u;

	if (!scenario_all_exited_ok(detail, len))
		return OUTCOME_FAIL;
	if (!entry_traits_active()->preempt_from_user)
		return judge_refused(detail, len);
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task_stats *st = task_stats(i);
		if (st->preemptions < PREEMPT_TARGET) {
			ksnprintf(detail, len, "task %u: %u preemptions, expected %u", i, st->preemptions, PREEMPT_TARGET);
			return OUTCOME_FAIL;
		}
		if (sched_cpu_count() >= 2 && !entry_traits_active()->preempt_keeps_cpu && cpus_in(st->cpus_seen) < 2) {
			ksnprintf(detail, len, "task %u ran only on CPUs 0x%x", i, st->cpus_seen);
			return OUTCOME_FAIL;
		}
		if (st->preemptions < least)
			least = st->preemptions;
	}
	ksnprintf(detail, len, "%u tasks on %u CPUs: each preempted at least %u times%s", o->tasks, sched_cpu_count(),
		  least, sched_cpu_count() < 2 ? "" : entry_traits_active()->preempt_keeps_cpu ? ", each kept its CPU"
		  : " and run on two or more CPUs");
	return OUTCOME_PASS;
}

const struct scenario scenario_preempt = { .runs_tasks = true, .uses_timer = true, .judge = judge, .expect = expect };
