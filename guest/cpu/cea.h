/* SPDX-License-Identifier: MIT */
/*
 * The cpu_entry_area: per CPU at CEA_BASE + cpu * CEA_STRIDE, 4 KiB pages,
 * mapped in every PGD (kernel and user halves alike):
 *
 *   +0x00000  GDT            RW
 *   +0x01000  IDT            RO alias of the one IDT page
 *   +0x02000  per-CPU page   RW (GS base in the kernel)
 *   +0x03000  TSS            RW
 *   +0x04000  guard
 *   +0x05000  entry stack    RW, 1 page (TSS.RSP0 = its top)
 *   +0x06000  guard
 *   +0x07000  IST1 #DF       RW, 2 pages, guard at +0x09000
 *   +0x0a000  IST2 NMI       RW, 2 pages, guard at +0x0c000
 *   +0x0d000  IST3 #DB       RW, 2 pages, guard at +0x0f000
 *   +0x10000  IST4 #MC       RW, 2 pages, guard at +0x12000
 */
#ifndef ENTRYBOX_CEA_H
#define ENTRYBOX_CEA_H

#include "lib/kernel.h"
#include "percpu.h"
#include "cpu/desc.h"
#include "entry_model.h"

#define CEA_GDT           0x00000
#define CEA_IDT           0x01000
#define CEA_PERCPU        0x02000
#define CEA_TSS           0x03000
#define CEA_ENTRY_STACK   0x05000
#define CEA_ENTRY_STACK_SIZE 0x1000
#define CEA_IST_FIRST     0x07000
#define CEA_IST_STRIDE    0x03000
#define CEA_IST_SIZE      0x02000
_Static_assert(CEA_PERCPU - CEA_GDT == PCPU_GDT_DISTANCE, "paranoid entries find the per-CPU page from the GDT");
_Static_assert(CEA_IST_SIZE == NMI_STACK_SIZE, "the NMI entry knows its stack's size");

struct cpu_area {
	uint64_t base;
	struct percpu *percpu;   /* CEA addresses */
	struct x86_tss *tss;
	uint64_t gdt, idt;
	uint64_t entry_stack;    /* lowest address */
	uint64_t ist_stack[IST_COUNT]; /* lowest addresses of IST1..4 */
	uint64_t boot_stack, boot_stack_size;  /* the CPU's idle context (an AP's; 0 for the boot CPU) */
};

static inline uint64_t cea_base(unsigned cpu) { return CEA_BASE + (uint64_t)cpu * CEA_STRIDE; }

/* Maps CPU `cpu`'s area into the init PGD and fills GDT, TSS and per-CPU page. */
void cea_build(unsigned cpu, const struct entry_model *model, struct cpu_area *out);

/* Loads GDT, TR, IDT, segment registers and the SYSCALL/GS MSRs on this CPU. */
void cpu_activate(const struct cpu_area *ca, const struct entry_variant *v, bool pcid);

#endif
