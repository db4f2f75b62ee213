/* SPDX-License-Identifier: MIT */
#include "mm/palloc.h"
#include "lib/panic.h"

struct palloc {
	struct phys_range free[PVH_MAX_RAM_RANGES];
	unsigned nfree, cur;
	uint64_t next;        /* next candidate in free[cur] */
	struct phys_range avoid[PVH_MAX_BOOT_DATA];
	unsigned navoid;
	unsigned long used;
	int lock;             /* #PF handlers on several CPUs allocate at once (stack growth) */
};

static struct palloc pa_state;

void palloc_init(const struct boot_info *bi, uint64_t kernel_phys_end)
{
	struct palloc *p = &pa_state;
	uint64_t floor = ALIGN_UP(kernel_phys_end, 4096);

	for (unsigned i = 0; i < bi->nram; i++) {
		uint64_t s = ALIGN_UP(bi->ram[i].start, 4096), e = ALIGN_DOWN(bi->ram[i].end, 4096);
		if (s < floor)
			s = floor;
		/* Page-table pages must be reachable before the full direct map exists. */
		if (e > BOOT_MAP_LIMIT)
			e = BOOT_MAP_LIMIT;
		if (s < e)
			p->free[p->nfree++] = (struct phys_range){ s, e };
	}
	for (unsigned i = 0; i < bi->nboot_data; i++)
		p->avoid[p->navoid++] = bi->boot_data[i];
	if (!p->nfree)
		panic("palloc: no RAM above the kernel image (ends at 0x%llx)", (unsigned long long)floor);
	p->next = p->free[0].start;
}

static bool overlaps_boot_data(const struct palloc *p, uint64_t pa, uint64_t len)
{
	for (unsigned i = 0; i < p->navoid; i++) {
		if (pa < p->avoid[i].end && p->avoid[i].start < pa + len)
			return true;
	}
	return false;
}

static void palloc_lock(struct palloc *p)
{
	while (__atomic_exchange_n(&p->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&p->lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void palloc_unlock(struct palloc *p)
{
	__atomic_store_n(&p->lock, 0, __ATOMIC_RELEASE);
}

static uint64_t take_pages(struct palloc *p, unsigned n, uint64_t align)
{
	uint64_t len = (uint64_t)n * 4096;

	while (p->cur < p->nfree) {
		uint64_t pa = ALIGN_UP(p->next, align);
		if (pa + len <= p->free[p->cur].end) {
			p->next = pa + len;
			if (overlaps_boot_data(p, pa, len))
				continue;
			p->used += n;
			return pa;
		}
		if (++p->cur < p->nfree)
			p->next = p->free[p->cur].start;
	}
	return 0;
}

uint64_t palloc_pages(unsigned n, uint64_t align)
{
	struct palloc *p = &pa_state;
	palloc_lock(p);
	uint64_t pa = take_pages(p, n, align);
	palloc_unlock(p);
	if (!pa)
		panic("palloc: out of memory after %lu pages", p->used);
	return pa;
}

uint64_t palloc_page(void)
{
	return palloc_pages(1, 4096);
}

unsigned long palloc_used(void)
{
	return pa_state.used;
}
