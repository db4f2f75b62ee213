/* SPDX-License-Identifier: MIT */
/*
 * The guest's virtual memory map (docs/design.md §4), shared by C, assembler and
 * the linker script, so it holds only #defines.  The values follow Linux's
 * x86-64 map so that addresses in reports read familiar.
 */
#ifndef ENTRYBOX_MEMLAYOUT_H
#define ENTRYBOX_MEMLAYOUT_H

#define KERNEL_PHYS         0x100000            /* the image is loaded at 1 MiB */
#define KERNEL_VMA          0xffffffff80000000  /* + physical address = link address */
#define DIRECT_MAP_BASE     0xffff888000000000  /* all RAM, 2 MiB pages, NX */
#define DIRECT_MAP_MAX      0x100000000         /* direct-map at most 4 GiB of RAM */
#define BOOT_MAP_LIMIT      0x40000000          /* the boot tables map the first GiB */

/* Kernel stacks of tasks: one slot per task, the stack preceded and followed
 * by unmapped pages so an overflow faults instead of corrupting a neighbour. */
#define KSTACK_AREA         0xffffc90000000000
#define KSTACK_SLOT         0x8000              /* guard | 16 KiB stack | unmapped rest */
#define KSTACK_SIZE         0x4000

/* cpu_entry_area: one fixed region per CPU, mapped in every page table. */
#define CEA_BASE            0xfffffe0000000000
#define CEA_STRIDE          0x40000             /* 64 pages per CPU */

/* The espfix area (ESPFIX64, entry/espfix.h): a 4 GiB window in the
 * cpu_entry_area's PML4 slot, so every PGD that maps the CEA maps it too.
 * Every address in it whose bits 15:12 are c, whatever bits 31:16, is CPU
 * c's ministack page, read-only. */
#define ESPFIX_BASE         0xfffffe4000000000
#define ESPFIX_SIZE         0x100000000
#define ESPFIX_MAX_CPUS     16                  /* one page each in the 64 KiB stride */
#define ESPFIX_FRAME_OFF    0xfc0               /* the ministack frame in its page: RAX + IRET frame */

/* Fixed mappings of device registers: the local APIC's xAPIC page (uncached;
 * physical APIC_DEFAULT_PHYS, entrybox/x86.h). */
#define LAPIC_VA            0xffffffffff000000

/* Boot (idle) stacks of the application processors: one slot per CPU, the
 * stack preceded and followed by unmapped pages, as the task stacks are. */
#define AP_STACK_AREA       0xffffc90001000000
#define AP_STACK_SLOT       0x8000
#define AP_STACK_SIZE       0x4000

/* Real-mode trampoline the APs start in (SIPI vector = page number): below
 * 1 MiB, clear of the VMM's boot data at 0x6000-0x7fff. */
#define AP_TRAMPOLINE_PHYS  0x8000

/* User half. */
#define USER_TEXT_VMA       0x400000
#define USER_STACK_TOP0     0x00007ffffff00000  /* task t's stack top: TOP0 - t * USER_STACK_STRIDE */
#define USER_STACK_STRIDE   0x100000
#define USER_STACK_SIZE     0x10000             /* the VMA; only the top page is mapped at start */
/* 32-bit code needs a stack below 4 GiB: one page per task, task t's at
 * USER_COMPAT_STACK0 + t * USER_COMPAT_STRIDE. */
#define USER_COMPAT_STACK0  0x10000000
#define USER_COMPAT_STRIDE  0x2000
#define USER_COMPAT_STACK_SIZE 0x1000

#endif
