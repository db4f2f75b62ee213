/* SPDX-License-Identifier: MIT */
/*
 * A valid layout record for the layout and rule tests and the fuzz seeds:
 * 2 CPUs, 3 tasks (a kernel thread, a ring-3 task, a UKL application) and a
 * stack of every kind, placed the way the guest places them.
 */
#ifndef ENTRYBOX_TEST_LAYOUT_FIXTURE_H
#define ENTRYBOX_TEST_LAYOUT_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include "entrybox/abi.h"

#define FX_RAM            (64ull << 20)
#define FX_NCPUS          2u
#define FX_NTASKS         3u
#define FX_KTEXT_START    0xffffffff81000000ull
#define FX_KTEXT_END      0xffffffff81200000ull
#define FX_ENTRY_START    0xffffffff81001000ull
#define FX_ENTRY_END      0xffffffff81002000ull
#define FX_SYSCALL_ENTRY  0xffffffff81001000ull
#define FX_SYSCALL_RETURN 0xffffffff81001100ull
#define FX_KERNEL_RIP     0xffffffff81010000ull   /* kernel text outside entry text */
#define FX_USER_RIP       0x0000000000401000ull
#define FX_USER_GS        0x00000000006f0000ull

/* Stack indices into stacks[] (per CPU c: FX_ST_ENTRY(c) ...). */
#define FX_ST_PER_CPU     7u
#define FX_ST_ENTRY(c)    ((c) * FX_ST_PER_CPU + 0)
#define FX_ST_IST(c, n)   ((c) * FX_ST_PER_CPU + (n))     /* n = 1..4 */
#define FX_ST_VCPU(c)     ((c) * FX_ST_PER_CPU + 5)
#define FX_ST_BOOT(c)     ((c) * FX_ST_PER_CPU + 6)
#define FX_ST_TASK(t)     (FX_NCPUS * FX_ST_PER_CPU + 2 * (t))
#define FX_ST_PTI(t)      (FX_NCPUS * FX_ST_PER_CPU + 2 * (t) + 1)
#define FX_ST_USER        (FX_NCPUS * FX_ST_PER_CPU + 2 * FX_NTASKS)      /* task 1 */
#define FX_ST_UKL         (FX_ST_USER + 1)                               /* task 2 */
#define FX_NSTACKS        (FX_ST_UKL + 1)

/* Fills r with the valid layout; pti selects the PGD pairing. */
void fx_build(struct ebx_layout *r, bool pti);
uint64_t fx_top(const struct ebx_layout *r, unsigned stack_index);

#endif
