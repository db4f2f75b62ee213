/* SPDX-License-Identifier: MIT */
/*
 * PVH entry (docs/design.md §2): 32-bit protected mode, paging off, %ebx = physical
 * address of struct hvm_start_info.  Builds the boot page tables, enters long
 * mode and calls kmain(start_info_pa) in the high half.
 *
 * The boot tables use 2 MiB pages for the first GiB, reachable three ways:
 * identity (for the instructions right after paging goes on), the direct map
 * (so C can reach boot data and allocate page-table pages before its own
 * tables exist) and the kernel image at KERNEL_VMA.
 */
#include "entrybox/x86.h"
#include "boot/long_mode.h"
#include "mm/memlayout.h"
#include "pagetables.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define BOOT_CS 0x08                     /* boot_gdt below */
#define BOOT_DS 0x10
#define TABLE (PT_P | PT_W)              /* a PML4E or PDPTE pointing to the next table */

	.section .note.Xen, "a"
	.balign 4
	.long 4                          /* namesz */
	.long 8                          /* descsz: QEMU reads a 64-bit value */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad pvh_start32
	.balign 4

	.section .boot.text, "ax"
	.code32
	.globl pvh_start32
	.type pvh_start32, @function
pvh_start32:
	cli
	cld
	movl %ebx, %esi                  /* start_info: survives into 64-bit mode as kmain's argument */

	/* 512 x 2 MiB: the loader handed over zeroed memory, so only the low
	 * halves need writing. */
	movl $boot_pd, %edi
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $(PT_P | PT_W | PT_PS), %eax
	movl %eax, (%edi, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 1b

	movl $(boot_pdpt_low + TABLE), boot_pml4
	movl $(boot_pdpt_low + TABLE), boot_pml4 + 8 * PT_INDEX(DIRECT_MAP_BASE, 4)
	movl $(boot_pdpt_high + TABLE), boot_pml4 + 8 * PT_INDEX(KERNEL_VMA, 4)
	movl $(boot_pd + TABLE), boot_pdpt_low
	movl $(boot_pd + TABLE), boot_pdpt_high + 8 * PT_INDEX(KERNEL_VMA, 3)

	ENABLE_LONG_MODE $boot_pml4
	lgdt boot_gdt_desc
	ljmp $BOOT_CS, $boot_long_mode

	.code64
boot_long_mode:
	movl $BOOT_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movabsq $start64_high, %rax
	jmp *%rax
	.size pvh_start32, . - pvh_start32

	.section .boot.data, "aw"
	.balign 8
boot_gdt:
	.quad 0
	.quad DESC_FLAT(DESC_P | DESC_S | DESC_CODE | DESC_RW, DESC_FLAG_G | DESC_FLAG_L)   /* BOOT_CS: 64-bit code */
	.quad DESC_FLAT(DESC_P | DESC_S | DESC_RW, DESC_FLAG_G | DESC_FLAG_DB)              /* BOOT_DS: data */
boot_gdt_desc:
	.word boot_gdt_desc - boot_gdt - 1
	.long boot_gdt

	.section .boot.bss, "aw", @nobits
	.balign 4096
	.globl boot_pml4                 /* the APs' way into long mode too (ap_boot.S) */
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4096

	.text
	.type start64_high, @function
start64_high:
	movabsq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl %esi, %edi
	call kmain
	ud2
	.size start64_high, . - start64_high

	.section .bss
	.balign 4096
	.globl boot_stack_base, boot_stack_top
boot_stack_base:
	.skip 16384
boot_stack_top:
