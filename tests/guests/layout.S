/* SPDX-License-Identifier: MIT */
/* Publishes a layout record whose header is right and whose payload is garbage. */
#include "hostile.h"
#define PAYLOAD 1024
PVH_GUEST
	mov $payload, %edi
	mov $PAYLOAD, %ecx
	mov $0xa5, %al
	rep stosb
	mov $PORT_CHECKPOINT, %dx
	mov $record, %eax
	outl %eax, %dx
1:	hlt
	jmp 1b
	.section .data
	.balign 8
record:
	.long EVENT_MAGIC, EVENT_LAYOUT, 0, PAYLOAD
payload:
	.skip PAYLOAD
PVH_STACK
