/* SPDX-License-Identifier: MIT */
#include "boot/pvh.h"
#include "lib/panic.h"

#define HVM_START_MAGIC 0x336ec578u
#define E820_RAM        1u
#define PVH_MAX_MEMMAP  128u

/* The parts of Xen's struct hvm_start_info (version 1) we use. */
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* Everything read here goes through the boot direct map, which covers only
 * the first GiB; refuse anything beyond rather than fault. */
static const void *boot_ptr(uint64_t pa, uint64_t len, const char *what)
{
	if (pa >= BOOT_MAP_LIMIT || len > BOOT_MAP_LIMIT - pa)
		panic("pvh: %s at 0x%llx (+%llu) is beyond the boot map", what, (unsigned long long)pa,
		      (unsigned long long)len);
	return phys_to_virt(pa);
}

static void note_boot_data(struct boot_info *bi, uint64_t pa, uint64_t len)
{
	if (bi->nboot_data < PVH_MAX_BOOT_DATA && len)
		bi->boot_data[bi->nboot_data++] = (struct phys_range){ pa, pa + len };
}

static void read_cmdline(struct boot_info *bi, uint64_t pa)
{
	size_t i = 0;

	bi->cmdline[0] = '\0';
	if (!pa)
		return;
	const char *s = boot_ptr(pa, CMDLINE_MAX_LEN + 1, "command line");
	for (; i < CMDLINE_MAX_LEN && s[i]; i++)
		bi->cmdline[i] = s[i];
	bi->cmdline[i] = '\0';
	bi->cmdline_too_long = s[i] != '\0';
	note_boot_data(bi, pa, i + 1);
}

static void add_ram(struct boot_info *bi, uint64_t start, uint64_t size)
{
	if (!size || start + size < start)
		return;
	if (bi->nram == PVH_MAX_RAM_RANGES)
		panic("pvh: more than %u RAM ranges", PVH_MAX_RAM_RANGES);
	bi->ram[bi->nram++] = (struct phys_range){ start, start + size };
	if (start + size > bi->ram_end)
		bi->ram_end = start + size;
}

static void read_memmap(struct boot_info *bi, const struct hvm_start_info *si)
{
	if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries)
		panic("pvh: start_info version %u has no memory map", si->version);
	if (si->memmap_entries > PVH_MAX_MEMMAP)
		panic("pvh: %u memory map entries (at most %u)", si->memmap_entries, PVH_MAX_MEMMAP);
	uint64_t len = (uint64_t)si->memmap_entries * sizeof(struct hvm_memmap_entry);
	const struct hvm_memmap_entry *e = boot_ptr(si->memmap_paddr, len, "memory map");
	note_boot_data(bi, si->memmap_paddr, len);
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (e[i].type == E820_RAM)
			add_ram(bi, e[i].addr, e[i].size);
	}
	if (!bi->nram)
		panic("pvh: the memory map has no RAM");
}

void pvh_read(uint32_t start_info_pa, struct boot_info *bi)
{
	const struct hvm_start_info *si = boot_ptr(start_info_pa, sizeof(*si), "start_info");

	if (si->magic != HVM_START_MAGIC)
		panic("pvh: start_info magic 0x%x, expected 0x%x", si->magic, HVM_START_MAGIC);
	bi->nram = bi->nboot_data = 0;
	bi->ram_end = 0;
	note_boot_data(bi, start_info_pa, sizeof(*si));
	read_cmdline(bi, si->cmdline_paddr);
	read_memmap(bi, si);
}
