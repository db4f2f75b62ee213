/* SPDX-License-Identifier: MIT */
/* Hands the checkpoint port an address far outside guest RAM. */
#include "hostile.h"
PVH_GUEST
	mov $PORT_CHECKPOINT, %dx
	mov $0xfffffff0, %eax
	outl %eax, %dx
1:	hlt
	jmp 1b
PVH_STACK
