/* SPDX-License-Identifier: MIT */
#ifndef ENTRYBOX_PANIC_H
#define ENTRYBOX_PANIC_H

#include "lib/kernel.h"

/* Prints `entrybox: panic: <message>` and ends the run with EBX_GUEST_EXIT_PANIC.
 * Uses neither GS nor the per-CPU page: it must work when those are wrong. */
__noreturn __printf(1, 2) void panic(const char *fmt, ...);

#endif
