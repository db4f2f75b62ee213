/* SPDX-License-Identifier: MIT */
/*
 * The application processors' way from INIT/SIPI to C.  A STARTUP IPI with
 * vector v starts the AP in real mode at CS = v << 8, IP = 0, so the
 * trampoline below is copied to AP_TRAMPOLINE_PHYS (smp.c) and addresses
 * inside it are computed for that place: TR(x).  It goes to protected mode,
 * turns on long mode with the boot page tables of boot.S (they map the
 * trampoline 1:1 and the kernel image in the high half), and jumps to
 * ap_start64 in the kernel text, which takes the AP's own page table, stack
 * and CPU number from the parameter block and calls ap_main.
 */
#include "entrybox/x86.h"
#include "boot/long_mode.h"
#include "mm/memlayout.h"
#include "boot/ap_boot.h"

#define AP_CS32 0x08                     /* ap_gdt below */
#define AP_DS   0x10
#define AP_CS64 0x18
#define TR(x) (AP_TRAMPOLINE_PHYS + ((x) - ap_trampoline))
/* Where the trampoline copy finds the boot tables (a name, for the macro below). */
.set .Lap_boot_cr3, TR(ap_trampoline_params + AP_PARAM_BOOT_CR3)

	.section .rodata
	.balign 16
	.globl ap_trampoline, ap_trampoline_end, ap_trampoline_params
	.code16
ap_trampoline:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl ap_gdt_desc - ap_trampoline
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $AP_CS32, $TR(ap_pm32)

	.code32
ap_pm32:
	movl $AP_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	ENABLE_LONG_MODE .Lap_boot_cr3
	ljmp $AP_CS64, $TR(ap_lm64)

	.code64
ap_lm64:
	movq TR(ap_trampoline_params + AP_PARAM_ENTRY), %rax
	jmp *%rax

	.balign 8
ap_gdt:
	.quad 0
	.quad DESC_FLAT(DESC_P | DESC_S | DESC_CODE | DESC_RW, DESC_FLAG_G | DESC_FLAG_DB)  /* AP_CS32 */
	.quad DESC_FLAT(DESC_P | DESC_S | DESC_RW, DESC_FLAG_G | DESC_FLAG_DB)             /* AP_DS */
	.quad DESC_FLAT(DESC_P | DESC_S | DESC_CODE | DESC_RW, DESC_FLAG_G | DESC_FLAG_L)   /* AP_CS64 */
ap_gdt_desc:
	.word ap_gdt_desc - ap_gdt - 1
	.long TR(ap_gdt)

	/* struct ap_boot_params (ap_boot.h), filled before each AP's STARTUP. */
	.balign 8
ap_trampoline_params:
	.skip AP_PARAMS_SIZE
ap_trampoline_end:

	.text
	.globl ap_start64
	.type ap_start64, @function
ap_start64:
	/* Still on the boot tables: read everything before leaving them. */
	movq TR(ap_trampoline_params + AP_PARAM_CR3), %rax
	movq TR(ap_trampoline_params + AP_PARAM_STACK), %rsp
	movq TR(ap_trampoline_params + AP_PARAM_CPU), %rdi
	movq %rax, %cr3
	xorl %ebp, %ebp
	call ap_main
	ud2
	.size ap_start64, . - ap_start64
