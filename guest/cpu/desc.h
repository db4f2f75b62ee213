/* SPDX-License-Identifier: MIT */
/* GDT and IDT contents. */
#ifndef ENTRYBOX_DESC_H
#define ENTRYBOX_DESC_H

#include "lib/kernel.h"
#include "percpu.h"

/* IST slots (TSS.IST1..4), Linux's assignment order. */
#define IST_DF   1
#define IST_NMI  2
#define IST_DB   3
#define IST_MC   4
#define IST_COUNT 4

#define LDT_ENTRIES 1

/* Writes the GDT (GDT_ENTRIES quadwords) with the TSS descriptor for `tss_va`,
 * and the LDT (LDT_ENTRIES quadwords at GDT_LDT_OFFSET in the same page). */
void gdt_fill(uint64_t *gdt, uint64_t tss_va);

/* The one IDT page, shared by every CPU (mapped read-only in each CEA). */
void idt_fill(const uint64_t *stubs);
uint64_t idt_phys(void);
/* Where vector v's gate leads (v < IDT_ENTRIES). */
uint64_t idt_gate_target(unsigned v);
/* IST index vector v uses (0 = none), v < X86_EXCEPTIONS. */
uint8_t idt_ist_of_vector(unsigned v);
/* After idt_fill: vector v (< X86_EXCEPTIONS) takes IST `ist` (1..7; 0: none) instead of
 * its default, for a model that needs its own stack for it. */
void idt_set_ist(unsigned v, uint8_t ist);

#endif
