/* SPDX-License-Identifier: MIT */
/*
 * Prints three result lines and exits with "pass": one ends in CRLF, one is
 * longer than a console line may be, one is plain.  Every engine must read
 * the same two result lines (the long one is cut, never parsed) and end the
 * run as hostile: the contract is one result line per run.
 */
#include "hostile.h"
#define LONG_PAD 3000
PVH_GUEST
	mov $PORT_COM1, %dx
	mov $first, %esi
	mov $(first_end - first), %ecx
	rep outsb
	mov $long_line, %esi
	mov $(long_end - long_line), %ecx
	rep outsb
	mov $second, %esi
	mov $(second_end - second), %ecx
	rep outsb
	mov $PORT_DEBUG_EXIT, %dx
	xor %eax, %eax
	outl %eax, %dx
1:	hlt
	jmp 1b
	.section .rodata
first:
	.ascii "@entrybox {\"event\":\"result\",\"outcome\":\"fail\",\"expected\":\"pass\",\"detail\":\"first\"}\r\n"
first_end:
long_line:
	.ascii "@entrybox {\"event\":\"result\",\"outcome\":\"pass\",\"expected\":\"pass\",\"detail\":\""
	.fill LONG_PAD, 1, 'x'
	.ascii "\"}\n"
long_end:
second:
	.ascii "@entrybox {\"event\":\"result\",\"outcome\":\"pass\",\"expected\":\"pass\",\"detail\":\"second\"}\n"
second_end:
PVH_STACK
