/* SPDX-License-Identifier: MIT */
#include "cpu/irq.h"
#include "cpu/lapic.h"
#include "lib/printf.h"
#include "sched/timer.h"

void irq_dispatch(struct ebx_pt_regs *regs, unsigned vector)
{
	switch (vector) {
	case IRQ_TIMER_VECTOR:
		timer_tick(regs);
		return;
	case LAPIC_SPURIOUS_VECTOR:
	case IRQ_PIC_SPURIOUS1:
	case IRQ_PIC_SPURIOUS2:
		return;   /* spurious: nothing was delivered, so nothing to acknowledge */
	default:
		/* Nothing else is programmed to interrupt; say so rather than lose it. */
		kprintf("entrybox: unexpected interrupt vector %u at rip 0x%llx\n", vector,
			(unsigned long long)regs->rip);
		lapic_eoi();
		return;
	}
}
