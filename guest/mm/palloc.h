/* SPDX-License-Identifier: MIT */
/*
 * Physical page allocator: a bump pointer over the RAM the memory map reports,
 * above the kernel image and inside the boot direct map.  Pages are never
 * freed (a run is short) and never zeroed: the loader hands over zeroed RAM,
 * and zeroing costs emulated instructions on kvm_pvm.
 */
#ifndef ENTRYBOX_PALLOC_H
#define ENTRYBOX_PALLOC_H

#include "boot/pvh.h"

void palloc_init(const struct boot_info *bi, uint64_t kernel_phys_end);
/* One zeroed 4 KiB page (physical address); panics when RAM runs out. */
uint64_t palloc_page(void);
/* `n` physically contiguous pages aligned to `align` bytes (a power of two). */
uint64_t palloc_pages(unsigned n, uint64_t align);
/* Pages handed out so far. */
unsigned long palloc_used(void);

#endif
