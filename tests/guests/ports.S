/* SPDX-License-Identifier: MIT */
/*
 * Reads and writes pseudo-random values at pseudo-random ports (every port but
 * the exit and checkpoint ports), then exits with code 0x42: the VMM must
 * survive the storm and report the guest's own exit.
 */
#include "hostile.h"
#define ROUNDS 20000
PVH_GUEST
	mov $0x12345678, %esi          /* LCG state */
	mov $ROUNDS, %edi
1:	imul $1103515245, %esi, %esi
	add $12345, %esi
	mov %esi, %edx
	shr $16, %edx                  /* port: 16 bits of the state */
	cmp $PORT_DEBUG_EXIT, %dx
	je 2f
	mov %edx, %ecx
	and $0xfffc, %cx
	cmp $PORT_CHECKPOINT, %cx
	je 2f
	mov %esi, %eax
	test $1, %esi
	jz 3f
	outl %eax, %dx
	jmp 2f
3:	inb %dx, %al
	outb %al, %dx
2:	dec %edi
	jnz 1b
	mov $PORT_DEBUG_EXIT, %dx
	mov $0x42, %al
	outb %al, %dx
4:	hlt
	jmp 4b
PVH_STACK
