/* SPDX-License-Identifier: MIT */
#include "cpu/lapic.h"
#include "mm/mm.h"

#define REG_ID          0x020
#define REG_EOI         0x0b0
#define REG_TPR         0x080
#define REG_SVR         0x0f0
#define REG_ICR_LOW     0x300
#define REG_ICR_HIGH    0x310
#define REG_LVT_TIMER   0x320
#define REG_TIMER_INIT  0x380
#define REG_TIMER_CUR   0x390
#define REG_TIMER_DIV   0x3e0

#define SVR_ENABLE          (1u << 8)
#define LVT_MASKED          (1u << 16)
#define LVT_TIMER_PERIODIC  (1u << 17)
#define TIMER_DIV_1         0xb
#define TIMER_DIV_16        0x3
#define ICR_DELIVERY_INIT   (5u << 8)
#define ICR_DELIVERY_START  (6u << 8)
#define ICR_LEVEL_ASSERT    (1u << 14)
#define ICR_SEND_PENDING    (1u << 12)
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
	mm_map(mm_init_pgd(), LAPIC_VA, LAPIC_PHYS, 4096, PT_W | PT_NX | PT_PCD | PT_PWT, PT_PAGE_SIZE, "local APIC");
}

void lapic_enable(void)
{
	wr(REG_TPR, 0);
	wr(REG_SVR, SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
}

uint32_t lapic_id(void) { return rd(REG_ID) >> 24; }

void lapic_eoi(void) { wr(REG_EOI, 0); }

static bool send_ipi(uint32_t apic_id, uint32_t low)
{
	wr(REG_ICR_HIGH, apic_id << 24);
	wr(REG_ICR_LOW, low);   /* writing the low half sends */
	for (unsigned i = 0; i < ICR_POLLS; i++) {
		if (!(rd(REG_ICR_LOW) & ICR_SEND_PENDING))
			return true;
		__asm__ volatile("pause");
	}
	return false;
}

bool lapic_send_init(uint32_t apic_id)
{
	return send_ipi(apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT);
}

bool lapic_send_startup(uint32_t apic_id, uint8_t vector)
{
	return send_ipi(apic_id, ICR_DELIVERY_START | ICR_LEVEL_ASSERT | vector);
}

void lapic_timer_periodic(uint8_t vector, uint32_t period_us)
{
	/* Divide by 16: a period of a few ms stays far inside the 32-bit count. */
	uint64_t count = (uint64_t)period_us * (LAPIC_BUS_HZ / 16 / 1000000);

	wr(REG_TIMER_DIV, TIMER_DIV_16);
	wr(REG_LVT_TIMER, LVT_TIMER_PERIODIC | vector);
	wr(REG_TIMER_INIT, (uint32_t)count);
}

void lapic_timer_stop(void)
{
	wr(REG_LVT_TIMER, LVT_MASKED);
	wr(REG_TIMER_INIT, 0);
}

void lapic_delay_us(uint32_t us)
{
	uint64_t count = (uint64_t)us * (LAPIC_BUS_HZ / 1000000);

	if (count > 0xffffffffu)
		count = 0xffffffffu;
	wr(REG_TIMER_DIV, TIMER_DIV_1);
	wr(REG_LVT_TIMER, LVT_MASKED);   /* one-shot, no interrupt: only the count matters */
	wr(REG_TIMER_INIT, (uint32_t)count);
	while (rd(REG_TIMER_CUR) != 0)
		__asm__ volatile("pause");
}
