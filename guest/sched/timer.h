/* SPDX-License-Identifier: MIT */
/*
 * The scheduler tick: each CPU's LAPIC timer in periodic mode.  Periodic
 * rather than TSC-deadline: it needs no TSC frequency (no CPUID 0x15/0x16
 * under QEMU, no PIT on microvm), and the bus clock it counts is 1 GHz on
 * every hypervisor this kernel runs under (cpu/lapic.h).  2 ms keeps well under
 * KVM's 5 kHz floor for periodic timers and gives a spinning task a few
 * hundred ticks per second.
 */
#ifndef ENTRYBOX_TIMER_H
#define ENTRYBOX_TIMER_H

#include "lib/kernel.h"
#include "entrybox/abi.h"

#define TIMER_PERIOD_US 2000u

/* This CPU: start ticking on IRQ_TIMER_VECTOR. */
void timer_start(void);
/* The tick's handler (cpu/irq.c): acknowledge, then let the scheduler preempt. */
void timer_tick(struct ebx_pt_regs *regs);

#endif
