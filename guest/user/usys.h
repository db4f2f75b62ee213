/* SPDX-License-Identifier: MIT */
/*
 * Ring-3 side of the syscall ABI.  Everything a user program uses must live in
 * .user.text/.user.rodata (the only kernel-image pages the user half maps), so
 * these helpers are always inlined and user functions carry USER_FN.
 */
#ifndef ENTRYBOX_USYS_H
#define ENTRYBOX_USYS_H

#include <stdint.h>
#include "user/user_abi.h"

#define USER_FN    __attribute__((section(".user.text")))
#define USER_CONST __attribute__((section(".user.rodata")))
#define USYS_INLINE static inline __attribute__((always_inline))

USYS_INLINE long usys2(long nr, long a0, long a1)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "rcx", "r11", "memory");
	return ret;
}

USYS_INLINE long usys3(long nr, long a0, long a1, long a2)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "rcx", "r11", "memory");
	return ret;
}

USYS_INLINE long usys_null(void) { return usys2(SYS_NULL, 0, 0); }
USYS_INLINE long usys_write(const char *buf, long len) { return usys2(SYS_WRITE, (long)buf, len); }
USYS_INLINE void usys_yield(void) { usys2(SYS_YIELD, 0, 0); }
USYS_INLINE long usys_measure(long phase, long iterations) { return usys2(SYS_MEASURE, phase, iterations); }

USYS_INLINE __attribute__((noreturn)) void usys_exit(long status)
{
	usys2(SYS_EXIT, status, 0);
	for (;;)
		;   /* exit does not return; spin rather than run off the end if it did */
}

/* user_regs.S */
uint64_t user_checked_null_syscall(uint64_t iteration);
uint64_t user_stack_page_probe(void);
uint64_t user_regs_syscall(const uint64_t vals[16]);

#endif
