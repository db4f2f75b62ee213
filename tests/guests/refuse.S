/* SPDX-License-Identifier: MIT */
/*
 * Refuses its command line the way the guest does (its console line and the
 * "refused" event), with a reason the VMM has to clean before it reaches a
 * terminal: the CLI must say the guest's own words, and no escape sequence.
 */
#include "hostile.h"
PVH_GUEST
	mov $msg, %esi
	mov $msg_end - msg, %ecx
	mov $PORT_COM1, %dx
	rep outsb
	mov $2, %al
	mov $PORT_DEBUG_EXIT, %dx
	outb %al, %dx
1:	hlt
	jmp 1b
	.section .data
msg:
	.ascii "entrybox: bad command line: key 'zap' is an option of entry=nobody\n"
	.ascii "@entrybox {\"event\":\"refused\",\"what\":\"cmdline\",\"reason\":\"key 'zap' is an option of entry=nobody \\u001b[2J\"}\n"
msg_end:
PVH_STACK
