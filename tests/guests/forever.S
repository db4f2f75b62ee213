/* SPDX-License-Identifier: MIT */
/* Spins with interrupts off and never exits: only the watchdog ends it. */
#include "hostile.h"
PVH_GUEST
1:	jmp 1b
PVH_STACK
