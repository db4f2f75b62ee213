/* SPDX-License-Identifier: MIT */
/*
 * Writes to the console forever, a page per string instruction (one exit
 * each), in lines without an end: the VMM must stop it at its byte limit
 * with its memory bounded.
 */
#include "hostile.h"
#define CHUNK 4096
PVH_GUEST
	mov $buf, %edi
	mov $CHUNK, %ecx
	mov $'A', %al
	rep stosb
	mov $PORT_COM1, %dx
1:	mov $buf, %esi
	mov $CHUNK, %ecx
	rep outsb
	jmp 1b
	.section .bss
	.balign 4096
buf:	.skip CHUNK
PVH_STACK
