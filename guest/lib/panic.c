/* SPDX-License-Identifier: MIT */
#include "lib/panic.h"
#include "lib/console.h"
#include "lib/printf.h"
#include "entrybox/abi.h"

__noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	__asm__ volatile("cli");
	kprintf("entrybox: panic: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	guest_exit(EBX_GUEST_EXIT_PANIC);
}
