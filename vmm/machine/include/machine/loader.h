/* SPDX-License-Identifier: MIT */
/* Loading the guest ELF as PVH (docs/design.md §2): segments at their physical
 * addresses, the XEN_ELFNOTE_PHYS32_ENTRY entry point, and hvm_start_info. */
#ifndef ENTRYBOX_LOADER_H
#define ENTRYBOX_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "machine/gmem.h"

/* Where the VMM puts the PVH boot data in guest-physical memory (below the kernel at 1 MiB). */
#define LOADER_START_INFO_GPA  0x6000ull
#define LOADER_MEMMAP_GPA      0x6800ull
#define LOADER_CMDLINE_GPA     0x7000ull
#define LOADER_CMDLINE_MAX     4096u

struct loaded_guest {
	uint32_t pvh_entry;        /* 32-bit physical entry point from the PVH note */
	uint64_t image_start;      /* lowest guest-physical byte loaded */
	uint64_t image_end;        /* one past the highest byte loaded */
	uint64_t start_info_gpa;   /* value for %ebx */
};

/* Loads `elf_bytes` (a whole ELF file in host memory) into guest RAM and writes
 * hvm_start_info (magic, version 1, cmdline, one RAM memory-map entry covering
 * guest RAM above the boot data, plus a reserved entry for the low area).
 * On failure returns false and writes one human-readable line (no newline) to err. */
bool loader_load_pvh(struct gmem *m, const void *elf_bytes, size_t elf_len, const char *cmdline,
		    struct loaded_guest *out, char *err, size_t errlen);

#endif
