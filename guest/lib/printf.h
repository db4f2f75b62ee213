/* SPDX-License-Identifier: MIT */
/* A small printf: %s %d %u %x %lx %llx %ld %lu %lld %llu %p %c %%, width and zero padding. */
#ifndef ENTRYBOX_PRINTF_H
#define ENTRYBOX_PRINTF_H

#include <stdarg.h>
#include <stddef.h>
#include "lib/kernel.h"

__printf(1, 2) void kprintf(const char *fmt, ...);
void kvprintf(const char *fmt, va_list ap);
/* Formats into buf (always terminated when size > 0); returns the length it wanted. */
__printf(3, 4) int ksnprintf(char *buf, size_t size, const char *fmt, ...);
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
