/* SPDX-License-Identifier: MIT */
/*
 * The local APIC in xAPIC mode (MMIO at APIC_DEFAULT_PHYS, mapped uncached at
 * LAPIC_VA): enable, EOI, INIT/SIPI, and the timer.  Its timer counts the
 * APIC bus clock, 1 GHz on KVM's in-kernel LAPIC and on QEMU's (both count
 * nanoseconds); that is the only clock this kernel has, so delays use it.
 */
#ifndef ENTRYBOX_LAPIC_H
#define ENTRYBOX_LAPIC_H

#include "lib/kernel.h"

#define LAPIC_SPURIOUS_VECTOR 0xff
#define LAPIC_BUS_HZ          1000000000ull

/* Maps the register page into the init PGD (before any task PGD copies it). */
void lapic_map(void);
/* This CPU: software-enable (SVR = 0x100 | spurious vector), accept every priority. */
void lapic_enable(void);
uint32_t lapic_id(void);
void lapic_eoi(void);

/* INIT (assert) and STARTUP to `apic_id`; the AP starts in real mode at page `vector` << 12.
 * False when the ICR did not report the IPI as sent. */
bool lapic_send_init(uint32_t apic_id);
bool lapic_send_startup(uint32_t apic_id, uint8_t vector);

/* An NMI to this CPU itself (pending until NMIs are unblocked). */
bool lapic_send_self_nmi(void);

/* Periodic timer on `vector` every `period_us`; stop masks it. */
void lapic_timer_periodic(uint8_t vector, uint32_t period_us);
void lapic_timer_stop(void);
/* Busy-waits on the (masked, one-shot) timer: only while the timer is not in use. */
void lapic_delay_us(uint32_t us);

#endif
