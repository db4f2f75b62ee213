/* SPDX-License-Identifier: MIT */
#include "cpu/lapic.h"
#include "mm/mm.h"
#include "entrybox/x86.h"

#define ICR_POLLS           100000u

static inline volatile uint32_t *reg(unsigned off)
{
	return (volatile uint32_t *)(LAPIC_VA + off);
}

static uint32_t rd(unsigned off) { return *reg(off); }
static void wr(unsigned off, uint32_t v) { *reg(off) = v; }

void lapic_map(void)
{
	/* Device registers: never cached, never executed. */
	mm_map(mm_init_pgd(), LAPIC_VA, APIC_DEFAULT_PHYS, 4096, PT_W | PT_NX | PT_PCD | PT_PWT, PT_PAGE_SIZE, "local APIC");
}

void lapic_enable(void)
{
	wr(APIC_TPR, 0);
	wr(APIC_SVR, APIC_SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
}

uint32_t lapic_id(void) { return rd(APIC_ID) >> APIC_ID_SHIFT; }

void lapic_eoi(void) { wr(APIC_EOI, 0); }

static bool send_ipi(uint32_t apic_id, uint32_t low)
{
	wr(APIC_ICR_HIGH, apic_id << APIC_ICR_DEST_SHIFT);
	wr(APIC_ICR_LOW, low);   /* writing the low half sends */
	for (unsigned i = 0; i < ICR_POLLS; i++) {
		if (!(rd(APIC_ICR_LOW) & APIC_ICR_PENDING))
			return true;
		__asm__ volatile("pause");
	}
	return false;
}

bool lapic_send_init(uint32_t apic_id)
{
	return send_ipi(apic_id, APIC_ICR_INIT | APIC_ICR_ASSERT);
}

bool lapic_send_startup(uint32_t apic_id, uint8_t vector)
{
	return send_ipi(apic_id, APIC_ICR_STARTUP | APIC_ICR_ASSERT | vector);
}

bool lapic_send_self_nmi(void)
{
	return send_ipi(lapic_id(), APIC_ICR_NMI | APIC_ICR_ASSERT);
}

void lapic_timer_periodic(uint8_t vector, uint32_t period_us)
{
	/* Divide by 16: a period of a few ms stays far inside the 32-bit count. */
	uint64_t count = (uint64_t)period_us * (LAPIC_BUS_HZ / 16 / 1000000);

	wr(APIC_TIMER_DIV, APIC_TIMER_DIV_16);
	wr(APIC_LVT_TIMER, APIC_LVT_PERIODIC | vector);
	wr(APIC_TIMER_INIT, (uint32_t)count);
}

void lapic_timer_stop(void)
{
	wr(APIC_LVT_TIMER, APIC_LVT_MASKED);
	wr(APIC_TIMER_INIT, 0);
}

void lapic_delay_us(uint32_t us)
{
	uint64_t count = (uint64_t)us * (LAPIC_BUS_HZ / 1000000);

	if (count > 0xffffffffu)
		count = 0xffffffffu;
	wr(APIC_TIMER_DIV, APIC_TIMER_DIV_1);
	wr(APIC_LVT_TIMER, APIC_LVT_MASKED);   /* one-shot, no interrupt: only the count matters */
	wr(APIC_TIMER_INIT, (uint32_t)count);
	while (rd(APIC_TIMER_CUR) != 0)
		__asm__ volatile("pause");
}
