/* SPDX-License-Identifier: MIT */
/* Address-space constants and small helpers every guest file uses. */
#ifndef ENTRYBOX_KERNEL_H
#define ENTRYBOX_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mm/memlayout.h"

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)  (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define __aligned(n)    __attribute__((aligned(n)))
#define __noreturn      __attribute__((noreturn))
#define __printf(a, b)  __attribute__((format(printf, a, b)))

/* Physical <-> direct-map virtual.  Valid once the boot tables (first GiB)
 * or the real tables (all RAM) are live. */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(pa + DIRECT_MAP_BASE); }

/* Physical address of an object inside the kernel image (linked at KERNEL_VMA + phys). */
static inline uint64_t kimage_to_phys(const void *p) { return (uint64_t)p - KERNEL_VMA; }

#endif
