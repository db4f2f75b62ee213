/* SPDX-License-Identifier: MIT */
/* An empty IDT and an undefined opcode: #UD, then #GP and #DF cannot be delivered either -- a triple fault. */
#include "hostile.h"
PVH_GUEST
	lidt idt_empty
	ud2
1:	jmp 1b
	.section .rodata
	.balign 8
idt_empty:
	.word 0
	.long 0
PVH_STACK
