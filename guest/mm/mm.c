/* SPDX-License-Identifier: MIT */
#include "mm/mm.h"
#include "mm/palloc.h"
#include "lib/panic.h"

extern const char _text[], _end[];

static void *direct_phys_page(void *ctx, uint64_t pa)
{
	(void)ctx;
	return phys_to_virt(pa);
}

static uint64_t alloc_table_page(void *ctx)
{
	(void)ctx;
	return palloc_page();
}

static const struct pt_env kernel_env = {
	.phys_page = direct_phys_page,
	.alloc_page = alloc_table_page,
};

static uint64_t init_pgd;

const struct pt_env *mm_env(void) { return &kernel_env; }
uint64_t mm_init_pgd(void) { return init_pgd; }

void mm_map(uint64_t pgd, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags, uint64_t page_size,
	    const char *what)
{
	enum pt_status st = pt_map(&kernel_env, pgd, va, pa, size, flags, page_size);
	if (st != PT_OK)
		panic("mm: mapping %s at 0x%llx: %s", what, (unsigned long long)va, pt_status_name(st));
}

void mm_share(uint64_t dst_pgd, uint64_t src_pgd, unsigned first, unsigned last, const char *what)
{
	const uint64_t *src = phys_to_virt(src_pgd);

	/* Share runs of present slots only: the halves are sparse (a handful of
	 * regions), and every copied empty slot is emulated work on kvm_pvm. */
	for (unsigned i = first; i <= last; i++) {
		if (!(src[i] & PT_P))
			continue;
		unsigned j = i;
		while (j < last && (src[j + 1] & PT_P))
			j++;
		enum pt_status st = pt_share_pml4_range(&kernel_env, dst_pgd, src_pgd, i, j);
		if (st != PT_OK)
			panic("mm: sharing %s: %s", what, pt_status_name(st));
		i = j;
	}
}

void mm_init(uint64_t ram_end)
{
	uint64_t dm_size = ALIGN_UP(ram_end, PT_LARGE_SIZE);
	uint64_t image_size = ALIGN_UP((uint64_t)_end - KERNEL_VMA, PT_LARGE_SIZE);

	if (dm_size > DIRECT_MAP_MAX)
		dm_size = DIRECT_MAP_MAX;
	/* Bit 12 of CR3 means "user half" to the kpti entry code, which may
	 * run on this PGD too (an interrupt in an idle CPU): keep it clear. */
	init_pgd = palloc_pages(1, 8192);
	/* Holes in the RAM map are mapped too: 2 MiB pages keep boot short, and
	 * the kernel never touches a hole through the direct map. */
	mm_map(init_pgd, DIRECT_MAP_BASE, 0, dm_size, PT_W | PT_NX, PT_LARGE_SIZE, "direct map");
	/* Like Linux's high mapping: from physical 0, so KERNEL_VMA + pa holds. */
	mm_map(init_pgd, KERNEL_VMA, 0, image_size, PT_W, PT_LARGE_SIZE, "kernel image");
	__asm__ volatile("mov %0, %%cr3" : : "r"(init_pgd) : "memory");
}

bool mm_user_range_ok(uint64_t pgd, uint64_t va, uint64_t len)
{
	if (!len)
		return true;
	/* The user half only: a user pointer into the kernel half is refused
	 * even where the page is mapped. */
	if (va + len - 1 < va || (va + len - 1) >> 47)
		return false;
	for (uint64_t p = ALIGN_DOWN(va, 4096); p < va + len; p += 4096) {
		struct pt_walk w;
		if (pt_walk(&kernel_env, pgd, p, &w) != PT_OK || !w.user)
			return false;
	}
	return true;
}
