/* SPDX-License-Identifier: MIT */
#include "cpu/desc.h"

/* Flat descriptors: base 0, limit 4G; L=1 for the 64-bit code segments. */
#define DESC_KERNEL_CODE64  0x00af9b000000ffffull
#define DESC_KERNEL_DATA    0x00cf93000000ffffull
#define DESC_USER_CODE32    0x00cffb000000ffffull
#define DESC_USER_DATA      0x00cff3000000ffffull
#define DESC_USER_CODE64    0x00affb000000ffffull

void gdt_fill(uint64_t *gdt, uint64_t tss_va)
{
	uint64_t limit = sizeof(struct tss64) - 1;

	for (unsigned i = 0; i < GDT_ENTRIES; i++)
		gdt[i] = 0;
	gdt[GDT_KERNEL_CS >> 3] = DESC_KERNEL_CODE64;
	gdt[GDT_KERNEL_SS >> 3] = DESC_KERNEL_DATA;
	/* STAR puts SYSRET's CS at STAR[63:48] + 16 and SS at + 8: the user
	 * selectors must sit in this order behind a 32-bit code placeholder. */
	gdt[GDT_USER32_CS >> 3] = DESC_USER_CODE32;
	gdt[GDT_USER_SS >> 3] = DESC_USER_DATA;
	gdt[GDT_USER_CS >> 3] = DESC_USER_CODE64;
	/* 64-bit available TSS (type 9), present, DPL 0; a 16-byte descriptor. */
	gdt[GDT_TSS >> 3] = (limit & 0xffff) | ((tss_va & 0xffffff) << 16) | (0x89ull << 40) |
			    (((limit >> 16) & 0xf) << 48) | (((tss_va >> 24) & 0xff) << 56);
	gdt[(GDT_TSS >> 3) + 1] = tss_va >> 32;
}

/* A 16-byte interrupt gate as two quadwords: offset[15:0], selector, IST,
 * type/DPL, offset[31:16] | offset[63:32]. */
static uint64_t idt_page[256][2] __aligned(4096);

/* Per-vector IST chosen by a model, 0xff: the default below. */
static uint8_t ist_override[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

void idt_set_ist(unsigned v, uint8_t ist)
{
	if (v >= 32 || ist > 7)
		return;
	ist_override[v] = ist;
	idt_page[v][0] = (idt_page[v][0] & ~(7ull << 32)) | ((uint64_t)ist << 32);
}

uint8_t idt_ist_of_vector(unsigned v)
{
	if (v < 32 && ist_override[v] != 0xff)
		return ist_override[v];
	switch (v) {
	case 1: return IST_DB;
	case 2: return IST_NMI;
	case 8: return IST_DF;
	case 18: return IST_MC;
	default: return 0;
	}
}

void idt_fill(const uint64_t *stubs)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t off = stubs[v];
		/* int3 and into may be used from ring 3 (as in Linux); every other
		 * `int n` from user must raise #GP. Interrupt gates: IF=0 in handlers. */
		uint64_t dpl = (v == 3 || v == 4) ? 3 : 0;
		uint64_t ist = v < 32 ? idt_ist_of_vector(v) : 0;
		idt_page[v][0] = (off & 0xffff) | ((uint64_t)GDT_KERNEL_CS << 16) | (ist << 32) |
				 ((0x8eull | (dpl << 5)) << 40) | (((off >> 16) & 0xffff) << 48);
		idt_page[v][1] = off >> 32;
	}
}

uint64_t idt_phys(void)
{
	return kimage_to_phys(idt_page);
}
