/* SPDX-License-Identifier: MIT */
/* The way from 32-bit protected mode into long mode, shared by the boot CPU
 * (boot.S) and the APs (ap_boot.S). */
#ifndef ENTRYBOX_LONG_MODE_H
#define ENTRYBOX_LONG_MODE_H

#include "entrybox/x86.h"

#ifdef __ASSEMBLER__
/* In 32-bit code, paging off: PAE, CR3 := the PML4 `pml4` names (an operand:
 * $symbol or a memory reference), EFER.LME (with SYSCALL and NX), then paging
 * with write protection.  Long mode is active once CS is a 64-bit segment:
 * the caller's far jump follows.  Clobbers EAX, ECX, EDX. */
.macro ENABLE_LONG_MODE pml4
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl \pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_SCE | EFER_LME | EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP | CR0_PE), %eax
	movl %eax, %cr0
.endm
#endif

#endif
