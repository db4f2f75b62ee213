/* SPDX-License-Identifier: MIT */
#include "sched/timer.h"
#include "cpu/irq.h"
#include "cpu/lapic.h"
#include "sched/sched.h"

void timer_start(void)
{
	lapic_timer_periodic(IRQ_TIMER_VECTOR, TIMER_PERIOD_US);
}

void timer_tick(struct ebx_pt_regs *regs)
{
	/* Before the scheduler may switch away: the next tick must not wait
	 * until this task runs again. */
	lapic_eoi();
	sched_tick(regs);
}
