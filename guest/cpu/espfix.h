/* SPDX-License-Identifier: MIT */
/*
 * ESPFIX64 and the LDT it exists for.  A task may ask for the kernel's one
 * LDT (SYS_LDT16), whose only segment is a 16-bit data segment user mode can
 * load into SS.  An IRET to such a stack segment restores only SP[15:0]: the
 * task would read bits 31:16 of the kernel stack the IRET ran on.  With
 * espfix=on the entry models' IRET-to-user paths (calling.h's ESPFIX_IRET)
 * run that IRET on a per-CPU ministack, reached through an alias whose
 * bits 31:16 are the user's own; this file maps those aliases.
 */
#ifndef ENTRYBOX_ESPFIX_H
#define ENTRYBOX_ESPFIX_H

#include "lib/kernel.h"
#include "cpu/cea.h"

/* espfix=on: gives each of the ncpus CPUs its ministack page, maps the espfix
 * area (read-only, in the cpu_entry_area's PML4 slot, so in every PGD) and
 * points the CPUs' per-CPU pages at their frames.  espfix=off: nothing, and
 * the IRET-to-user paths IRET where they are. */
void espfix_setup(const struct cpu_area *cpus, unsigned ncpus, bool on);

/* #DF: true when it is an IRET on the ministack that faulted (the #GP or #NP
 * it raised could not be pushed on the read-only ministack).  Then, as
 * Linux's exc_double_fault does, the #DF returns straight into the #GP stub
 * with the frame the IRET was loading placed at TSS.RSP0, as if the #GP had
 * come from that user context (its error code is lost: 0). */
bool espfix_double_fault(struct ebx_pt_regs *regs);

/* Loads the LDT a task runs with on this CPU (GDT_LDT or none). */
void ldt_load(bool task_has_ldt);

#endif
