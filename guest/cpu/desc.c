/* SPDX-License-Identifier: MIT */
#include "cpu/desc.h"
#include "mm/memlayout.h"
#include "user/user_abi.h"

/* Flat segments (accessed already set, so the CPU never writes the GDT). */
void gdt_fill(uint64_t *gdt, uint64_t tss_va)
{
	uint64_t limit = sizeof(struct x86_tss) - 1;

	for (unsigned i = 0; i < GDT_ENTRIES; i++)
		gdt[i] = 0;
	gdt[GDT_KERNEL_CS >> SEL_INDEX_SHIFT] = DESC_CODE64(0);
	gdt[GDT_KERNEL_SS >> SEL_INDEX_SHIFT] = DESC_DATA(0);
	/* STAR puts SYSRET's CS at STAR[63:48] + 16 and SS at + 8: the user
	 * selectors must sit in this order behind a 32-bit code placeholder. */
	gdt[GDT_USER32_CS >> SEL_INDEX_SHIFT] = DESC_CODE32(3);
	gdt[GDT_USER_SS >> SEL_INDEX_SHIFT] = DESC_DATA(3);
	gdt[GDT_USER_CS >> SEL_INDEX_SHIFT] = DESC_CODE64(3);
	/* The TSS: a 16-byte system descriptor, present, DPL 0. */
	gdt[GDT_TSS >> SEL_INDEX_SHIFT] = DESC_SEG(tss_va, limit, DESC_P | DESC_TYPE_TSS64, 0);
	gdt[(GDT_TSS >> SEL_INDEX_SHIFT) + 1] = tss_va >> 32;
	/* The LDT in the same page (espfix.h): its one 16-bit data segment. */
	uint64_t ldt_va = (uint64_t)gdt + GDT_LDT_OFFSET;
	uint64_t *ldt = (uint64_t *)ldt_va;
	ldt[LDT_USER_SS16 >> SEL_INDEX_SHIFT] = DESC_SEG(USER_COMPAT_STACK0, 0xffff,
							 DESC_P | DESC_DPL(3) | DESC_S | DESC_RW | DESC_ACCESSED, 0);
	gdt[GDT_LDT >> SEL_INDEX_SHIFT] = DESC_SEG(ldt_va, 8 * LDT_ENTRIES - 1, DESC_P | DESC_TYPE_LDT, 0);
	gdt[(GDT_LDT >> SEL_INDEX_SHIFT) + 1] = ldt_va >> 32;
}

static struct x86_gate idt_page[IDT_ENTRIES] __aligned(4096);

/* Per-vector IST chosen by a model, 0xff: the default below. */
static uint8_t ist_override[X86_EXCEPTIONS] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

void idt_set_ist(unsigned v, uint8_t ist)
{
	if (v >= X86_EXCEPTIONS || ist > 7)
		return;
	ist_override[v] = ist;
	idt_page[v] = x86_gate_with_ist(idt_page[v], ist);
}

uint8_t idt_ist_of_vector(unsigned v)
{
	if (v < X86_EXCEPTIONS && ist_override[v] != 0xff)
		return ist_override[v];
	switch (v) {
	case VEC_DB: return IST_DB;
	case VEC_NMI: return IST_NMI;
	case VEC_DF: return IST_DF;
	case VEC_MC: return IST_MC;
	default: return 0;
	}
}

void idt_fill(const uint64_t *stubs)
{
	for (unsigned v = 0; v < IDT_ENTRIES; v++) {
		/* int3, into and int $0x80 (32-bit syscalls) may be used from ring 3
		 * (as in Linux); every other `int n` from user must raise #GP.
		 * Interrupt gates: IF=0 in handlers. */
		unsigned dpl = (v == VEC_BP || v == VEC_OF || v == VEC_COMPAT_SYSCALL) ? 3 : 0;
		unsigned ist = v < X86_EXCEPTIONS ? idt_ist_of_vector(v) : 0;
		idt_page[v] = x86_gate_make(stubs[v], GDT_KERNEL_CS, ist, DESC_TYPE_INTR_GATE, dpl);
	}
}

uint64_t idt_gate_target(unsigned v)
{
	return v < IDT_ENTRIES ? x86_gate_target(idt_page[v]) : 0;
}

uint64_t idt_phys(void)
{
	return kimage_to_phys(idt_page);
}
