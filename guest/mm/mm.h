/* SPDX-License-Identifier: MIT */
/* The kernel's page tables, built with the pagetables/ library. */
#ifndef ENTRYBOX_MM_H
#define ENTRYBOX_MM_H

#include "lib/kernel.h"
#include "pagetables.h"

/* PML4 slots, for sharing between PGDs. */
#define PML4_USER_LAST      255u
#define PML4_KERNEL_FIRST   256u
#define PML4_LAST           511u
#define PML4_CEA            ((unsigned)PT_INDEX(CEA_BASE, 4))
#define PML4_KIMAGE         ((unsigned)PT_INDEX(KERNEL_VMA, 4))

/* The library's view of guest memory: pages through the direct map, new
 * table pages from palloc. */
const struct pt_env *mm_env(void);

/* Builds the init PGD (direct map of RAM, kernel image) and loads it. */
void mm_init(uint64_t ram_end);
uint64_t mm_init_pgd(void);

/* pt_map, panicking with `what` on failure: at boot there is no way back. */
void mm_map(uint64_t pgd, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags, uint64_t page_size,
	    const char *what);
/* Copies the present PML4 slots in [first, last] of src into dst (dst's
 * other slots in the range are left as they are: zero in a fresh PGD). */
void mm_share(uint64_t dst_pgd, uint64_t src_pgd, unsigned first, unsigned last, const char *what);

/* True when [va, va+len) is mapped present and user-accessible under `pgd`. */
bool mm_user_range_ok(uint64_t pgd, uint64_t va, uint64_t len);

#endif
