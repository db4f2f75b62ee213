/* SPDX-License-Identifier: MIT */
/*
 * What every hostile test guest shares: the PVH note that makes it bootable
 * and the port numbers of the guest<->VMM channel (docs/design.md §3).  The guests
 * stay in 32-bit protected mode, as PVH starts them: none of their misdeeds
 * needs long mode.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PORT_COM1        0x3f8
#define PORT_DEBUG_EXIT  0xf4
#define PORT_CHECKPOINT  0xeb0
#define EVENT_MAGIC      0x45425845
#define EVENT_LAYOUT     1

#define PVH_GUEST                                         \
	.section .note.Xen, "a";                          \
	.balign 4;                                        \
	.long 4; .long 8; .long XEN_ELFNOTE_PHYS32_ENTRY; \
	.asciz "Xen";                                     \
	.balign 4;                                        \
	.quad _start32;                                   \
	.balign 4;                                        \
	.section .text32, "ax";                           \
	.code32;                                          \
	.globl _start32;                                  \
_start32:                                                 \
	cli;                                              \
	mov $stack_top, %esp

#define PVH_STACK                                         \
	.section .bss;                                    \
	.balign 16;                                       \
	.skip 4096;                                       \
stack_top:
