/* SPDX-License-Identifier: MIT */
/* What the kernel and its ring-3 programs agree on: syscall numbers, exit
 * codes naming a register, and the register patterns of regs-roundtrip. */
#ifndef ENTRYBOX_USER_ABI_H
#define ENTRYBOX_USER_ABI_H

#define SYS_NULL     0
#define SYS_WRITE    1
#define SYS_YIELD    2
#define SYS_EXIT     3
#define SYS_MEASURE  4
#define SYS_REGS_CHECK 5
#define SYS_COUNT    6

#define ENOSYS 38
#define EFAULT 14
#define EINVAL 22

/* Exit status of a task that saw a register clobbered: REG_EXIT_BASE + the
 * register's number in ModRM order (rax 0, rcx 1, rdx 2, rbx 3, rsp 4, rbp 5,
 * rsi 6, rdi 7, r8..r15 8..15), REG_EXIT_RFLAGS for RFLAGS. */
#define REG_EXIT_BASE   0x100
#define REG_EXIT_RFLAGS (REG_EXIT_BASE + 16)
#define REG_EXIT_RESULT 0x200   /* a syscall returned a wrong value */

/* RFLAGS bits SYSRET restores from R11 (Intel SDM: R11 & 0x3C7FD7, bit 1 set). */
#define SYSRET_RFLAGS_MASK 0x3c7fd7

#ifndef __ASSEMBLER__
#include <stdint.h>

/* regs-roundtrip: the value register `reg` (ModRM number) carries for `seed`.
 * Distinct per register and per seed, never 0. */
static inline __attribute__((always_inline)) uint64_t regs_pattern(uint64_t seed, unsigned reg)
{
	uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ull;
	return (x ^ ((uint64_t)(reg + 1) * 0x0101010101010101ull)) | 1;
}
#endif

#endif
