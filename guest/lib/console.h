/* SPDX-License-Identifier: MIT */
/* COM1 output and the isa-debug-exit device (docs/design.md §3). */
#ifndef ENTRYBOX_CONSOLE_H
#define ENTRYBOX_CONSOLE_H

#include <stddef.h>
#include "lib/kernel.h"

void console_putc(char c);
void console_write(const char *s, size_t len);
/* Ends the run: QEMU and our VMM turn v into exit status (v << 1) | 1. */
__noreturn void guest_exit(unsigned v);

#endif
