/* SPDX-License-Identifier: MIT */
/* Reading struct hvm_start_info (the PVH boot protocol) into kernel memory. */
#ifndef ENTRYBOX_PVH_H
#define ENTRYBOX_PVH_H

#include "lib/kernel.h"
#include "boot/cmdline.h"

#define PVH_MAX_RAM_RANGES  16
#define PVH_MAX_BOOT_DATA   3   /* start_info, memory map, command line */

struct phys_range {
	uint64_t start, end;  /* [start, end) */
};

struct boot_info {
	char cmdline[CMDLINE_MAX_LEN + 1];
	bool cmdline_too_long;
	struct phys_range ram[PVH_MAX_RAM_RANGES];
	unsigned nram;
	/* Pages the allocator must not hand out even if the map calls them RAM. */
	struct phys_range boot_data[PVH_MAX_BOOT_DATA];
	unsigned nboot_data;
	uint64_t ram_end;   /* highest RAM byte + 1 */
};

/* Copies what the kernel needs out of start_info.  Panics when the loader
 * broke the protocol (wrong magic, no memory map, addresses beyond the boot map). */
void pvh_read(uint32_t start_info_pa, struct boot_info *bi);

#endif
