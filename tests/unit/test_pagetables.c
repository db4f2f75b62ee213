// SPDX-License-Identifier: MIT
/*
 * Unit tests of the paging library against a simulated physical memory: an
 * array of pages placed at a physical base above zero (so 0 can mean "out of
 * memory") and a bump allocator with a settable limit.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "pagetables.h"

#define SIM_PAGES  64u
#define SIM_BASE   0x100000ull   /* physical address of page 0 of the array */

struct sim {
	_Alignas(4096) uint8_t pages[SIM_PAGES][PT_PAGE_SIZE];
	unsigned next;        /* next page the allocator hands out */
	unsigned limit;       /* the allocator fails once next reaches this */
	unsigned lookups;     /* phys_page calls, to see that skips are real */
	uint64_t bogus;       /* when set, the allocator returns this instead */
};

static struct sim *sim;
static struct pt_env env;
static uint64_t pml4;

static void *sim_phys_page(void *ctx, uint64_t pa)
{
	struct sim *s = ctx;

	/* The library must only ever ask for whole pages. */
	ck_assert_uint_eq(pa & 0xfff, 0);
	s->lookups++;
	if (pa < SIM_BASE || pa - SIM_BASE >= (uint64_t)SIM_PAGES * PT_PAGE_SIZE)
		return NULL;
	return s->pages[(pa - SIM_BASE) / PT_PAGE_SIZE];
}

static uint64_t sim_alloc_page(void *ctx)
{
	struct sim *s = ctx;

	if (s->bogus)
		return s->bogus;
	if (s->next >= s->limit)
		return 0;
	memset(s->pages[s->next], 0, PT_PAGE_SIZE);
	return SIM_BASE + (uint64_t)s->next++ * PT_PAGE_SIZE;
}

static uint64_t sim_pa(unsigned page)
{
	return SIM_BASE + (uint64_t)page * PT_PAGE_SIZE;
}

static uint64_t *sim_table(uint64_t pa)
{
	uint64_t base = pa & PT_ADDR_MASK;

	ck_assert_uint_ge(base, SIM_BASE);
	ck_assert_uint_lt(base - SIM_BASE, (uint64_t)SIM_PAGES * PT_PAGE_SIZE);
	return (uint64_t *)sim->pages[(base - SIM_BASE) / PT_PAGE_SIZE];
}

/* The entry for `va` at `level`, found by following tables by hand. */
static uint64_t *entry_for(uint64_t root, uint64_t va, int level)
{
	uint64_t table = root;

	for (int l = 4; l > level; l--) {
		uint64_t e = sim_table(table)[pt_index(va, l)];

		ck_assert_msg(e & PT_P, "level %d entry for %#llx absent", l, (unsigned long long)va);
		table = e & PT_ADDR_MASK;
	}
	return &sim_table(table)[pt_index(va, level)];
}

static void setup(void)
{
	sim = aligned_alloc(4096, sizeof(*sim));
	ck_assert_ptr_nonnull(sim);
	memset(sim, 0, sizeof(*sim));
	sim->limit = SIM_PAGES;
	env.phys_page = sim_phys_page;
	env.alloc_page = sim_alloc_page;
	env.ctx = sim;
	pml4 = sim_alloc_page(sim);
}

static void teardown(void)
{
	free(sim);
	sim = NULL;
}

/* A data page at the top of the array, far from where tables get allocated. */
#define DATA_PAGE(n)  sim_pa(SIM_PAGES - 1 - (n))

START_TEST(test_canonical)
{
	ck_assert(pt_canonical(0));
	ck_assert(pt_canonical(0x00007fffffffffffull));
	ck_assert(!pt_canonical(0x0000800000000000ull));
	ck_assert(!pt_canonical(0xffff7fffffffffffull));
	ck_assert(pt_canonical(0xffff800000000000ull));
	ck_assert(pt_canonical(0xffffffffffffffffull));
	ck_assert(!pt_canonical(0x8000000000000000ull));

	struct pt_walk w;
	ck_assert_int_eq(pt_walk(&env, pml4, 0x0000800000000000ull, &w), PT_NON_CANONICAL);
	ck_assert_int_eq(pt_map(&env, pml4, 0x0000800000000000ull, DATA_PAGE(0), 4096, PT_W, 4096),
			 PT_NON_CANONICAL);
	/* A range whose start is fine but which runs off the lower half. */
	ck_assert_int_eq(pt_map(&env, pml4, 0x00007ffffffff000ull, DATA_PAGE(1), 0x2000, PT_W, 4096),
			 PT_NON_CANONICAL);
	ck_assert_uint_eq(sim->next, 1);
	/* Both ends canonical, but the range spans the hole between the halves. */
	ck_assert_int_eq(pt_map(&env, pml4, 0xffff800000000000ull, DATA_PAGE(2), 4096, PT_W, 4096), PT_OK);
	unsigned used = sim->next;
	ck_assert_int_eq(pt_unmap(&env, pml4, 0x00007ffffffff000ull,
				  0xffff800000001000ull - 0x00007ffffffff000ull), PT_NON_CANONICAL);
	ck_assert_int_eq(pt_walk(&env, pml4, 0xffff800000000000ull, &w), PT_OK);
	/* A range that wraps past 2^64. */
	ck_assert_int_eq(pt_unmap(&env, pml4, 0xfffffffffffff000ull, 0x2000), PT_NON_CANONICAL);
	/* Nothing was allocated by the refused calls. */
	ck_assert_uint_eq(sim->next, used);
}
END_TEST

START_TEST(test_map_walk_4k)
{
	const uint64_t va = 0x0000000000401000ull;
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, va, DATA_PAGE(0), 4096, PT_W | PT_U, 4096), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, va + 0x123, &w), PT_OK);
	ck_assert_int_eq(w.level, 1);
	ck_assert_uint_eq(w.pa, DATA_PAGE(0) + 0x123);
	ck_assert_uint_eq(w.leaf, DATA_PAGE(0) | PT_P | PT_W | PT_U);
	ck_assert_ptr_eq(w.leaf_slot, entry_for(pml4, va, 1));
	ck_assert(w.writable);
	ck_assert(w.user);
	ck_assert(!w.nx);
	/* Three new tables: PDPT, PD, PT. */
	ck_assert_uint_eq(sim->next, 4);
	/* The neighbour page is not mapped. */
	ck_assert_int_eq(pt_walk(&env, pml4, va + 4096, &w), PT_NOT_PRESENT);
	ck_assert_int_eq(w.level, 1);
	ck_assert_ptr_null(w.leaf_slot);
	/* A different PML4 slot stops at level 4. */
	ck_assert_int_eq(pt_walk(&env, pml4, 0xffff888000000000ull, &w), PT_NOT_PRESENT);
	ck_assert_int_eq(w.level, 4);
}
END_TEST

START_TEST(test_map_walk_2m)
{
	const uint64_t va = 0xffffffff80000000ull;
	const uint64_t pa = 0x40000000ull;
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, va, pa, 2 * PT_LARGE_SIZE, PT_W | PT_G, PT_LARGE_SIZE), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, va + PT_LARGE_SIZE + 0x12345, &w), PT_OK);
	ck_assert_int_eq(w.level, 2);
	ck_assert_uint_eq(w.pa, pa + PT_LARGE_SIZE + 0x12345);
	ck_assert_uint_eq(w.leaf, (pa + PT_LARGE_SIZE) | PT_P | PT_W | PT_G | PT_PS);
	ck_assert(w.writable);
	ck_assert(!w.user);
	/* Only PDPT and PD were needed. */
	ck_assert_uint_eq(sim->next, 3);
	ck_assert_int_eq(pt_walk(&env, pml4, va + 2 * PT_LARGE_SIZE, &w), PT_NOT_PRESENT);
	ck_assert_int_eq(w.level, 2);
}
END_TEST

START_TEST(test_map_walk_1g)
{
	const uint64_t va = 0xffff888000000000ull;
	const uint64_t pa = 0x80000000ull;
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, va, pa, PT_HUGE_SIZE, PT_W | PT_NX, PT_HUGE_SIZE), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, va + 0x3ffff123ull, &w), PT_OK);
	ck_assert_int_eq(w.level, 3);
	ck_assert_uint_eq(w.pa, pa + 0x3ffff123ull);
	ck_assert(w.nx);
	ck_assert_uint_eq(sim->next, 2);
}
END_TEST

/* Reserved and PAT bits in a large leaf must not leak into the address. */
START_TEST(test_large_leaf_masking)
{
	const uint64_t va = 0x40000000ull;
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, va, 0x200000, PT_LARGE_SIZE, PT_W, PT_LARGE_SIZE), PT_OK);
	uint64_t *pde = entry_for(pml4, va, 2);
	/* PAT (bit 12), reserved bits 20:13, and software/pkey bits 62:52. */
	*pde |= (1ull << 12) | 0x1fe000ull | 0x7ff0000000000000ull;
	ck_assert_int_eq(pt_walk(&env, pml4, va + 0x1fffff, &w), PT_OK);
	ck_assert_int_eq(w.level, 2);
	ck_assert_uint_eq(w.pa, 0x200000 + 0x1fffff);

	ck_assert_int_eq(pt_map(&env, pml4, 0x80000000ull, 0x40000000ull, PT_HUGE_SIZE, 0, PT_HUGE_SIZE), PT_OK);
	uint64_t *pdpte = entry_for(pml4, 0x80000000ull, 3);
	*pdpte |= 0x3ffff000ull;
	ck_assert_int_eq(pt_walk(&env, pml4, 0x80000000ull + 0x1234, &w), PT_OK);
	ck_assert_uint_eq(w.pa, 0x40000000ull + 0x1234);
	ck_assert(!w.writable);
}
END_TEST

/* W and U are ANDed over the levels, NX is ORed. */
START_TEST(test_permissions)
{
	const uint64_t va = 0x600000ull;
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, va, DATA_PAGE(0), 4096, PT_W | PT_U, 4096), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_OK);
	ck_assert(w.writable && w.user && !w.nx);

	*entry_for(pml4, va, 3) &= ~PT_W;
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_OK);
	ck_assert(!w.writable);
	ck_assert(w.user);
	*entry_for(pml4, va, 3) |= PT_W;

	*entry_for(pml4, va, 4) &= ~PT_U;
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_OK);
	ck_assert(w.writable);
	ck_assert(!w.user);
	*entry_for(pml4, va, 4) |= PT_U;

	*entry_for(pml4, va, 2) |= PT_NX;
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_OK);
	ck_assert(w.nx);
	ck_assert(w.writable && w.user);
	/* The leaf itself is unchanged: the walk reports the effective view. */
	ck_assert_uint_eq(w.leaf & PT_NX, 0);
}
END_TEST

START_TEST(test_intermediate_flags)
{
	const uint64_t kva = 0x200000ull;   /* kernel-only page */
	const uint64_t uva = 0x201000ull;   /* user page in the same page table */
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, kva, DATA_PAGE(0), 4096, PT_W, 4096), PT_OK);
	/* New tables are linked P|W, without U for a supervisor leaf. */
	ck_assert_uint_eq(*entry_for(pml4, kva, 4), sim_pa(1) | PT_P | PT_W);
	ck_assert_uint_eq(*entry_for(pml4, kva, 3), sim_pa(2) | PT_P | PT_W);
	ck_assert_uint_eq(*entry_for(pml4, kva, 2), sim_pa(3) | PT_P | PT_W);

	ck_assert_int_eq(pt_map(&env, pml4, uva, DATA_PAGE(1), 4096, PT_U, 4096), PT_OK);
	/* The user leaf needed U on the whole path; no new table was needed. */
	ck_assert_uint_eq(sim->next, 4);
	for (int l = 4; l >= 2; l--)
		ck_assert_uint_eq(*entry_for(pml4, uva, l) & PT_U, PT_U);
	ck_assert_int_eq(pt_walk(&env, pml4, uva, &w), PT_OK);
	ck_assert(w.user && !w.writable);
	ck_assert_int_eq(pt_walk(&env, pml4, kva, &w), PT_OK);
	ck_assert(!w.user && w.writable);
}
END_TEST

START_TEST(test_misaligned)
{
	ck_assert_int_eq(pt_map(&env, pml4, 0x1001, DATA_PAGE(0), 4096, 0, 4096), PT_MISALIGNED);
	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, DATA_PAGE(0) + 8, 4096, 0, 4096), PT_MISALIGNED);
	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, DATA_PAGE(0), 100, 0, 4096), PT_MISALIGNED);
	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, DATA_PAGE(0), 8192, 0, 8192), PT_MISALIGNED);
	ck_assert_int_eq(pt_map(&env, pml4, 0x201000, 0x200000, PT_LARGE_SIZE, 0, PT_LARGE_SIZE),
			 PT_MISALIGNED);
	ck_assert_int_eq(pt_map(&env, pml4, 0x200000, 0x201000, PT_LARGE_SIZE, 0, PT_LARGE_SIZE),
			 PT_MISALIGNED);
	ck_assert_int_eq(pt_map(&env, pml4, 0x40000000, 0x20000000, PT_HUGE_SIZE, 0, PT_HUGE_SIZE),
			 PT_MISALIGNED);
	/* A physical address beyond 52 bits cannot be held in an entry. */
	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, 1ull << 52, 4096, 0, 4096), PT_MISALIGNED);
	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, (1ull << 52) - 4096, 8192, 0, 4096), PT_MISALIGNED);
	ck_assert_int_eq(pt_unmap(&env, pml4, 0x1800, 4096), PT_MISALIGNED);
	ck_assert_int_eq(pt_unmap(&env, pml4, 0x1000, 10), PT_MISALIGNED);
	ck_assert_uint_eq(sim->next, 1);
	/* Empty requests are no-ops. */
	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, DATA_PAGE(0), 0, 0, 4096), PT_OK);
	ck_assert_uint_eq(sim->next, 1);
}
END_TEST

START_TEST(test_conflict)
{
	const uint64_t big = 0x40000000ull;
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, big, 0x200000, PT_LARGE_SIZE, PT_W, PT_LARGE_SIZE), PT_OK);
	uint64_t pde = *entry_for(pml4, big, 2);
	unsigned used = sim->next;

	/* No silent split of the 2 MiB page. */
	ck_assert_int_eq(pt_map(&env, pml4, big + 0x3000, DATA_PAGE(0), 4096, PT_W, 4096), PT_CONFLICT);
	ck_assert_uint_eq(*entry_for(pml4, big, 2), pde);
	ck_assert_uint_eq(sim->next, used);

	/* Re-mapping the same 2 MiB slot overwrites it. */
	ck_assert_int_eq(pt_map(&env, pml4, big, 0x400000, PT_LARGE_SIZE, PT_NX, PT_LARGE_SIZE), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, big + 5, &w), PT_OK);
	ck_assert_uint_eq(w.pa, 0x400005);
	ck_assert(w.nx && !w.writable);

	/* A 2 MiB page over 4 KiB pages would drop them: conflict too. */
	ck_assert_int_eq(pt_map(&env, pml4, 0x800000, DATA_PAGE(0), 4096, PT_W, 4096), PT_OK);
	ck_assert_int_eq(pt_map(&env, pml4, 0x800000, 0x200000, PT_LARGE_SIZE, 0, PT_LARGE_SIZE), PT_CONFLICT);
	ck_assert_int_eq(pt_walk(&env, pml4, 0x800000, &w), PT_OK);
	ck_assert_int_eq(w.level, 1);

	/* 1 GiB page in the way of a 2 MiB one, and a table in the way of 1 GiB. */
	ck_assert_int_eq(pt_map(&env, pml4, 0xc0000000ull, 0, PT_HUGE_SIZE, 0, PT_HUGE_SIZE), PT_OK);
	ck_assert_int_eq(pt_map(&env, pml4, 0xc0200000ull, 0, PT_LARGE_SIZE, 0, PT_LARGE_SIZE), PT_CONFLICT);
	ck_assert_int_eq(pt_map(&env, pml4, 0, 0, PT_HUGE_SIZE, 0, PT_HUGE_SIZE), PT_CONFLICT);
}
END_TEST

/* A range whose last page conflicts must leave no page of it mapped. */
START_TEST(test_conflict_is_atomic)
{
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, 0x400000, 0x200000, PT_LARGE_SIZE, 0, PT_LARGE_SIZE), PT_OK);
	ck_assert_int_eq(pt_map(&env, pml4, 0x3fe000, DATA_PAGE(0), 0x3000, PT_W, 4096), PT_CONFLICT);
	ck_assert_int_eq(pt_walk(&env, pml4, 0x3fe000, &w), PT_NOT_PRESENT);
	ck_assert_int_eq(pt_walk(&env, pml4, 0x3ff000, &w), PT_NOT_PRESENT);
	/* The page table for 0x3fe000 was never created. */
	ck_assert_int_eq(w.level, 2);
}
END_TEST

START_TEST(test_no_memory)
{
	struct pt_walk w;

	sim->limit = 3;  /* the PML4 plus two tables: the PT cannot be allocated */
	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, DATA_PAGE(0), 4096, PT_W, 4096), PT_NO_MEMORY);
	ck_assert_int_eq(pt_walk(&env, pml4, 0x1000, &w), PT_NOT_PRESENT);

	struct pt_env ro = env;
	ro.alloc_page = NULL;
	sim->limit = SIM_PAGES;
	ck_assert_int_eq(pt_map(&ro, pml4, 0x1000, DATA_PAGE(0), 4096, PT_W, 4096), PT_NO_MEMORY);
	/* Where all tables exist, a read-only env still maps. */
	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, DATA_PAGE(0), 4096, PT_W, 4096), PT_OK);
	ck_assert_int_eq(pt_map(&ro, pml4, 0x2000, DATA_PAGE(1), 4096, PT_W, 4096), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, 0x2000, &w), PT_OK);
	ck_assert_uint_eq(w.pa, DATA_PAGE(1));
}
END_TEST

START_TEST(test_unmap)
{
	const uint64_t va = 0x7000000000ull;
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, va, DATA_PAGE(3), 4 * 4096, PT_W, 4096), PT_OK);
	ck_assert_int_eq(pt_unmap(&env, pml4, va + 4096, 2 * 4096), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_OK);
	ck_assert_uint_eq(w.pa, DATA_PAGE(3));
	ck_assert_int_eq(pt_walk(&env, pml4, va + 4096, &w), PT_NOT_PRESENT);
	ck_assert_int_eq(w.level, 1);
	ck_assert_int_eq(pt_walk(&env, pml4, va + 2 * 4096, &w), PT_NOT_PRESENT);
	ck_assert_int_eq(pt_walk(&env, pml4, va + 3 * 4096, &w), PT_OK);
	ck_assert_uint_eq(w.pa, DATA_PAGE(3) + 3 * 4096);

	/* Unmapping already-absent pages, and a vast sparse range, is fine and cheap. */
	ck_assert_int_eq(pt_unmap(&env, pml4, va + 4096, 4096), PT_OK);
	sim->lookups = 0;
	ck_assert_int_eq(pt_unmap(&env, pml4, 0, 0x0000800000000000ull), PT_OK);
	/* Per page it would be 2^35 walks; per table it is a few thousand lookups. */
	ck_assert_uint_lt(sim->lookups, 20000);
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_NOT_PRESENT);
	ck_assert_int_eq(pt_walk(&env, pml4, va + 3 * 4096, &w), PT_NOT_PRESENT);
	/* The top of the address space: a range ending exactly at 2^64. */
	ck_assert_int_eq(pt_map(&env, pml4, 0xfffffffffffff000ull, DATA_PAGE(0), 4096, 0, 4096), PT_OK);
	ck_assert_int_eq(pt_unmap(&env, pml4, 0xffffffffffe00000ull, PT_LARGE_SIZE), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, 0xfffffffffffff000ull, &w), PT_NOT_PRESENT);
}
END_TEST

START_TEST(test_unmap_large_conflict)
{
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, DATA_PAGE(0), 4096, PT_W, 4096), PT_OK);
	ck_assert_int_eq(pt_map(&env, pml4, 0x200000, 0x200000, PT_LARGE_SIZE, PT_W, PT_LARGE_SIZE), PT_OK);
	/* The range starts with a 4 KiB page and runs into the 2 MiB one. */
	ck_assert_int_eq(pt_unmap(&env, pml4, 0x1000, 0x200000), PT_CONFLICT);
	ck_assert_int_eq(pt_walk(&env, pml4, 0x1000, &w), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, 0x200000, &w), PT_OK);
	ck_assert_int_eq(w.level, 2);
}
END_TEST

START_TEST(test_protect)
{
	const uint64_t va = 0x5000ull;
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, va, DATA_PAGE(0), 4096, PT_W | PT_U, 4096), PT_OK);
	ck_assert_int_eq(pt_protect(&env, pml4, va, PT_P | PT_U | PT_NX), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_OK);
	ck_assert_uint_eq(w.leaf, DATA_PAGE(0) | PT_P | PT_U | PT_NX);
	ck_assert(!w.writable && w.user && w.nx);

	/* Address bits in `flags` are ignored: the mapping keeps its frame. */
	ck_assert_int_eq(pt_protect(&env, pml4, va, PT_P | PT_W | 0xabcde000ull), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_OK);
	ck_assert_uint_eq(w.leaf, DATA_PAGE(0) | PT_P | PT_W);

	/* Clearing P makes the page absent; a later protect then fails. */
	ck_assert_int_eq(pt_protect(&env, pml4, va, PT_W), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_NOT_PRESENT);
	ck_assert_uint_eq(w.leaf, DATA_PAGE(0) | PT_W);
	ck_assert_int_eq(pt_protect(&env, pml4, va, PT_P), PT_NOT_PRESENT);

	/* A large leaf stays large even when `flags` lacks PS. */
	ck_assert_int_eq(pt_map(&env, pml4, 0x40000000ull, 0x600000, PT_LARGE_SIZE, PT_W, PT_LARGE_SIZE), PT_OK);
	ck_assert_int_eq(pt_protect(&env, pml4, 0x40000000ull + 0x10000, PT_P), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, 0x40000000ull + 0x10000, &w), PT_OK);
	ck_assert_int_eq(w.level, 2);
	ck_assert_uint_eq(w.leaf, 0x600000 | PT_P | PT_PS);
	ck_assert_uint_eq(w.pa, 0x610000);
}
END_TEST

START_TEST(test_take_and_give_back)
{
	const uint64_t va = 0x7ffffff00000ull;
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, va, DATA_PAGE(2), 4096, PT_W | PT_U | PT_NX, 4096), PT_OK);
	ck_assert_int_eq(pt_take(&env, pml4, va + 0x123), PT_OK);
	/* Not present to the CPU, frame and flags kept. */
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_NOT_PRESENT);
	ck_assert_uint_eq(w.leaf, DATA_PAGE(2) | PT_W | PT_U | PT_NX | PT_TAKEN);
	ck_assert_int_eq(pt_take(&env, pml4, va), PT_NOT_PRESENT);
	ck_assert_int_eq(pt_give_back(&env, pml4, va), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_OK);
	ck_assert_uint_eq(w.leaf, DATA_PAGE(2) | PT_P | PT_W | PT_U | PT_NX);
	/* Only a taken page comes back: not a present one, not an empty slot. */
	ck_assert_int_eq(pt_give_back(&env, pml4, va), PT_NOT_PRESENT);
	ck_assert_int_eq(pt_unmap(&env, pml4, va, 4096), PT_OK);
	ck_assert_int_eq(pt_give_back(&env, pml4, va), PT_NOT_PRESENT);
	ck_assert_int_eq(pt_take(&env, pml4, va), PT_NOT_PRESENT);
	/* No tables on the way, a large page, a non-canonical address. */
	ck_assert_int_eq(pt_take(&env, pml4, 0x100000000000ull), PT_NOT_PRESENT);
	ck_assert_int_eq(pt_map(&env, pml4, 0x40000000ull, 0x600000, PT_LARGE_SIZE, PT_W, PT_LARGE_SIZE), PT_OK);
	ck_assert_int_eq(pt_take(&env, pml4, 0x40000000ull), PT_CONFLICT);
	ck_assert_int_eq(pt_take(&env, pml4, 0x0000800000000000ull), PT_NON_CANONICAL);
}
END_TEST

START_TEST(test_share_range)
{
	uint64_t other = sim_alloc_page(sim);
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, DATA_PAGE(0), 4096, PT_U, 4096), PT_OK);
	ck_assert_int_eq(pt_map(&env, pml4, 0xffff800000000000ull, DATA_PAGE(1), 4096, PT_W, 4096), PT_OK);
	ck_assert_int_eq(pt_map(&env, pml4, 0xffffffff80000000ull, 0x200000, PT_LARGE_SIZE, 0, PT_LARGE_SIZE),
			 PT_OK);
	sim_table(other)[3] = 0x1234000ull | PT_P;  /* must survive: outside the range */

	ck_assert_int_eq(pt_share_pml4_range(&env, other, pml4, 256, 511), PT_OK);
	ck_assert_uint_eq(sim_table(other)[3], 0x1234000ull | PT_P);
	ck_assert_uint_eq(sim_table(other)[0], 0);
	for (unsigned i = 256; i < 512; i++)
		ck_assert_uint_eq(sim_table(other)[i], sim_table(pml4)[i]);
	ck_assert_int_eq(pt_walk(&env, other, 0xffff800000000000ull, &w), PT_OK);
	ck_assert_uint_eq(w.pa, DATA_PAGE(1));
	ck_assert_int_eq(pt_walk(&env, other, 0xffffffff80000000ull + 0x4321, &w), PT_OK);
	ck_assert_uint_eq(w.pa, 0x204321);
	ck_assert_int_eq(pt_walk(&env, other, 0x1000, &w), PT_NOT_PRESENT);

	/* A single entry, and bad index ranges. */
	ck_assert_int_eq(pt_share_pml4_range(&env, other, pml4, 0, 0), PT_OK);
	ck_assert_int_eq(pt_walk(&env, other, 0x1000, &w), PT_OK);
	ck_assert_int_eq(pt_share_pml4_range(&env, other, pml4, 5, 4), PT_MISALIGNED);
	ck_assert_int_eq(pt_share_pml4_range(&env, other, pml4, 0, 512), PT_MISALIGNED);
	ck_assert_int_eq(pt_share_pml4_range(&env, 0x1000, pml4, 0, 1), PT_BAD_PHYS);
	ck_assert_int_eq(pt_share_pml4_range(&env, other, 0xdead000, 0, 1), PT_BAD_PHYS);
}
END_TEST

/* Two virtually adjacent pages backed by physically distant pages. */
static void map_split_pair(uint64_t va)
{
	ck_assert_int_eq(pt_map(&env, pml4, va, DATA_PAGE(0), 4096, PT_W, 4096), PT_OK);
	ck_assert_int_eq(pt_map(&env, pml4, va + 4096, DATA_PAGE(5), 4096, PT_W, 4096), PT_OK);
}

START_TEST(test_read_write_virt)
{
	const uint64_t va = 0x10000ull;
	uint8_t msg[64], back[64];
	size_t done = 12345;

	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(0xa0 + i);
	map_split_pair(va);
	ck_assert_int_eq(pt_write_virt(&env, pml4, va + 4096 - 20, msg, sizeof(msg), &done), PT_OK);
	ck_assert_uint_eq(done, sizeof(msg));
	uint8_t *p0 = sim->pages[SIM_PAGES - 1], *p5 = sim->pages[SIM_PAGES - 6];
	ck_assert_mem_eq(p0 + 4096 - 20, msg, 20);
	ck_assert_mem_eq(p5, msg + 20, sizeof(msg) - 20);
	ck_assert_uint_eq(p5[sizeof(msg) - 20], 0);  /* nothing written past the end */

	memset(back, 0, sizeof(back));
	ck_assert_int_eq(pt_read_virt(&env, pml4, va + 4096 - 20, back, sizeof(back), &done), PT_OK);
	ck_assert_uint_eq(done, sizeof(back));
	ck_assert_mem_eq(back, msg, sizeof(msg));

	/* A zero-length copy touches nothing and reports zero. */
	ck_assert_int_eq(pt_read_virt(&env, pml4, 0xdead0000ull, back, 0, &done), PT_OK);
	ck_assert_uint_eq(done, 0);
	/* `done` is optional. */
	ck_assert_int_eq(pt_read_virt(&env, pml4, va, back, 8, NULL), PT_OK);
}
END_TEST

START_TEST(test_read_write_partial)
{
	const uint64_t va = 0x10000ull;
	uint8_t buf[3 * 4096];
	size_t done = 0;

	memset(buf, 0x5a, sizeof(buf));
	map_split_pair(va);
	/* Pages va and va+4K exist, va+8K does not. */
	ck_assert_int_eq(pt_write_virt(&env, pml4, va + 100, buf, 2 * 4096, &done), PT_NOT_PRESENT);
	ck_assert_uint_eq(done, 2 * 4096 - 100);
	ck_assert_uint_eq(sim->pages[SIM_PAGES - 6][4095], 0x5a);

	ck_assert_int_eq(pt_read_virt(&env, pml4, va + 4096 + 7, buf, 3 * 4096, &done), PT_NOT_PRESENT);
	ck_assert_uint_eq(done, 4096 - 7);
	ck_assert_int_eq(pt_read_virt(&env, pml4, va + 2 * 4096, buf, 1, &done), PT_NOT_PRESENT);
	ck_assert_uint_eq(done, 0);

	/* Running into the non-canonical hole stops at the last canonical byte. */
	ck_assert_int_eq(pt_map(&env, pml4, 0x00007ffffffff000ull, DATA_PAGE(2), 4096, 0, 4096), PT_OK);
	ck_assert_int_eq(pt_read_virt(&env, pml4, 0x00007fffffffff00ull, buf, 0x200, &done), PT_NON_CANONICAL);
	ck_assert_uint_eq(done, 0x100);
	/* Wrapping past 2^64 is refused, not continued at address 0. */
	ck_assert_int_eq(pt_map(&env, pml4, 0, DATA_PAGE(3), 4096, 0, 4096), PT_OK);
	ck_assert_int_eq(pt_map(&env, pml4, 0xfffffffffffff000ull, DATA_PAGE(4), 4096, 0, 4096), PT_OK);
	ck_assert_int_eq(pt_read_virt(&env, pml4, 0xfffffffffffffff0ull, buf, 0x20, &done), PT_NON_CANONICAL);
	ck_assert_uint_eq(done, 0x10);
}
END_TEST

/* Tables written by a hostile guest: walks fail or terminate, never stray. */
START_TEST(test_hostile_outside_memory)
{
	struct pt_walk w;
	uint8_t b;
	size_t done = 99;

	sim_table(pml4)[0] = 0x7fff000ull | PT_P | PT_W;   /* outside simulated memory */
	ck_assert_int_eq(pt_walk(&env, pml4, 0x1000, &w), PT_BAD_PHYS);
	ck_assert_int_eq(pt_read_virt(&env, pml4, 0x1000, &b, 1, &done), PT_BAD_PHYS);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(pt_map(&env, pml4, 0x1000, DATA_PAGE(0), 4096, 0, 4096), PT_BAD_PHYS);
	ck_assert_int_eq(pt_unmap(&env, pml4, 0, 0x40000000ull), PT_BAD_PHYS);
	ck_assert_int_eq(pt_protect(&env, pml4, 0x1000, PT_P), PT_BAD_PHYS);

	/* A leaf that points outside memory: the walk succeeds, the copy does not. */
	ck_assert_int_eq(pt_map(&env, pml4, 0xffff800000000000ull, 0xfffff000ull, 4096, 0, 4096), PT_OK);
	ck_assert_int_eq(pt_walk(&env, pml4, 0xffff800000000000ull, &w), PT_OK);
	ck_assert_int_eq(pt_read_virt(&env, pml4, 0xffff800000000000ull, &b, 1, &done), PT_BAD_PHYS);
	ck_assert_int_eq(pt_write_virt(&env, pml4, 0xffff800000000000ull, &b, 1, &done), PT_BAD_PHYS);

	/* The PML4 itself missing, e.g. a CR3 the guest made up. */
	ck_assert_int_eq(pt_walk(&env, 0x40000000000ull, 0x1000, &w), PT_BAD_PHYS);
	/* An allocator handing out unbacked memory is caught before linking. */
	sim->bogus = sim_pa(SIM_PAGES);
	ck_assert_int_eq(pt_map(&env, pml4, 0xffff900000000000ull, 0, 4096, 0, 4096), PT_BAD_PHYS);
	ck_assert_uint_eq(sim_table(pml4)[pt_index(0xffff900000000000ull, 4)], 0);
}
END_TEST

START_TEST(test_hostile_high_bits)
{
	const uint64_t va = 0x3000ull;
	struct pt_walk w;

	ck_assert_int_eq(pt_map(&env, pml4, va, DATA_PAGE(0), 4096, PT_W, 4096), PT_OK);
	/* Bits 62:52 (ignored/pkeys) on every level must not reach the address. */
	for (int l = 4; l >= 1; l--)
		*entry_for(pml4, va, l) |= 0x7ff0000000000000ull;
	ck_assert_int_eq(pt_walk(&env, pml4, va + 1, &w), PT_OK);
	ck_assert_uint_eq(w.pa, DATA_PAGE(0) + 1);
	/* PS in a PML4 entry is reserved: no translation. */
	sim_table(pml4)[0] |= PT_PS;
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_NOT_PRESENT);
	ck_assert_int_eq(w.level, 4);
	ck_assert_int_eq(pt_map(&env, pml4, va, DATA_PAGE(0), 4096, PT_W, 4096), PT_CONFLICT);
}
END_TEST

START_TEST(test_hostile_self_reference)
{
	struct pt_walk w;
	uint8_t buf[16];
	size_t done;

	/* PML4[0] points at the PML4: every level reads the same table. */
	sim_table(pml4)[0] = pml4 | PT_P | PT_W;
	ck_assert_int_eq(pt_walk(&env, pml4, 0x10, &w), PT_OK);
	ck_assert_int_eq(w.level, 1);
	ck_assert_uint_eq(w.pa, pml4 + 0x10);
	/* Reading through it shows the PML4's own bytes, and stops. */
	ck_assert_int_eq(pt_read_virt(&env, pml4, 0, buf, 8, &done), PT_OK);
	ck_assert_mem_eq(buf, &sim_table(pml4)[0], 8);

	/* The same loop with PS at the lower levels ends at the first large leaf. */
	sim_table(pml4)[1] = pml4 | PT_P | PT_PS;
	sim_table(pml4)[0] = pml4 | PT_P;
	uint64_t va = (1ull << 30);  /* PML4 0, PDPT 1 */
	ck_assert_int_eq(pt_walk(&env, pml4, va, &w), PT_OK);
	ck_assert_int_eq(w.level, 3);
	/* Unmap over the loop terminates, and meets the large leaf at PD[1]. */
	ck_assert_int_eq(pt_unmap(&env, pml4, 0, 1ull << 39), PT_CONFLICT);
	sim_table(pml4)[1] = 0;
	ck_assert_int_eq(pt_unmap(&env, pml4, 0, 1ull << 39), PT_OK);
	/* VA 0 translated through the loop to PML4[0] itself, so it is gone. */
	ck_assert_uint_eq(sim_table(pml4)[0], 0);
}
END_TEST

/*
 * KPTI: kernel PGD and user PGD in one 8 KiB pair, CR3 bit 12 picks the user
 * half.  The user half of the address space is shared; of the kernel half
 * only the entry area is visible from the user PGD.
 */
START_TEST(test_kpti_pair)
{
	const uint64_t user_va = 0x400000ull;
	const uint64_t entry_va = 0xfffffe0000000000ull;   /* cpu_entry_area-like */
	const uint64_t text_va = 0xffffffff81000000ull;
	struct pt_walk w;

	/* Make the pair 8 KiB aligned: skip a page if needed. */
	if ((sim->next * PT_PAGE_SIZE + SIM_BASE) & PT_CR3_USER_BIT)
		sim_alloc_page(sim);
	uint64_t kpgd = sim_alloc_page(sim);
	uint64_t upgd = sim_alloc_page(sim);
	ck_assert_uint_eq(upgd, kpgd | PT_CR3_USER_BIT);

	ck_assert_int_eq(pt_map(&env, kpgd, user_va, DATA_PAGE(0), 4096, PT_W | PT_U, 4096), PT_OK);
	ck_assert_int_eq(pt_map(&env, kpgd, entry_va, DATA_PAGE(1), 4096, PT_G, 4096), PT_OK);
	ck_assert_int_eq(pt_map(&env, kpgd, text_va, 0x1000000, PT_LARGE_SIZE, PT_G, PT_LARGE_SIZE), PT_OK);
	ck_assert_int_eq(pt_share_pml4_range(&env, upgd, kpgd, 0, 255), PT_OK);
	unsigned slot = pt_index(entry_va, 4);
	ck_assert_int_eq(pt_share_pml4_range(&env, upgd, kpgd, slot, slot), PT_OK);

	/* A raw CR3 with the user bit and a PCID selects the user PGD. */
	uint64_t user_cr3 = kpgd | PT_CR3_USER_BIT | 0x2;
	ck_assert_int_eq(pt_walk(&env, user_cr3, user_va, &w), PT_OK);
	ck_assert_uint_eq(w.pa, DATA_PAGE(0));
	ck_assert(w.user && w.writable);
	ck_assert_int_eq(pt_walk(&env, user_cr3, entry_va, &w), PT_OK);
	ck_assert_uint_eq(w.pa, DATA_PAGE(1));
	ck_assert(!w.user);
	ck_assert_int_eq(pt_walk(&env, user_cr3, text_va, &w), PT_NOT_PRESENT);
	ck_assert_int_eq(w.level, 4);
	ck_assert_int_eq(pt_walk(&env, kpgd | 0x1, text_va + 0x100, &w), PT_OK);
	ck_assert_uint_eq(w.pa, 0x1000100);

	/* Shared lower tables: a later user mapping made in the kernel PGD shows in both. */
	ck_assert_int_eq(pt_map(&env, kpgd, user_va + 4096, DATA_PAGE(2), 4096, PT_U, 4096), PT_OK);
	ck_assert_int_eq(pt_walk(&env, user_cr3, user_va + 4096, &w), PT_OK);
	ck_assert_uint_eq(w.pa, DATA_PAGE(2));
	/* And an edit through the user PGD is seen by the kernel PGD. */
	ck_assert_int_eq(pt_unmap(&env, upgd, user_va, 4096), PT_OK);
	ck_assert_int_eq(pt_walk(&env, kpgd, user_va, &w), PT_NOT_PRESENT);
	ck_assert_int_eq(w.level, 1);
}
END_TEST

START_TEST(test_status_names)
{
	const enum pt_status all[] = {
		PT_OK, PT_NOT_PRESENT, PT_BAD_PHYS, PT_NO_MEMORY, PT_NON_CANONICAL, PT_MISALIGNED, PT_CONFLICT,
	};
	const size_t n = sizeof(all) / sizeof(all[0]);

	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(pt_status_name(all[i]));
		ck_assert_str_ne(pt_status_name(all[i]), "unknown");
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(pt_status_name(all[i]), pt_status_name(all[j]));
	}
	ck_assert_str_eq(pt_status_name(PT_CONFLICT), "conflict");
	ck_assert_str_eq(pt_status_name((enum pt_status)99), "unknown");
}
END_TEST

static Suite *pagetables_suite(void)
{
	Suite *s = suite_create("pagetables");
	TCase *map = tcase_create("map-walk");
	TCase *edit = tcase_create("edit");
	TCase *copy = tcase_create("copy");
	TCase *hostile = tcase_create("hostile");

	tcase_add_checked_fixture(map, setup, teardown);
	tcase_add_test(map, test_canonical);
	tcase_add_test(map, test_map_walk_4k);
	tcase_add_test(map, test_map_walk_2m);
	tcase_add_test(map, test_map_walk_1g);
	tcase_add_test(map, test_large_leaf_masking);
	tcase_add_test(map, test_permissions);
	tcase_add_test(map, test_intermediate_flags);
	tcase_add_test(map, test_misaligned);
	tcase_add_test(map, test_conflict);
	tcase_add_test(map, test_conflict_is_atomic);
	tcase_add_test(map, test_no_memory);
	tcase_add_test(map, test_status_names);
	suite_add_tcase(s, map);

	tcase_add_checked_fixture(edit, setup, teardown);
	tcase_add_test(edit, test_unmap);
	tcase_add_test(edit, test_unmap_large_conflict);
	tcase_add_test(edit, test_protect);
	tcase_add_test(edit, test_take_and_give_back);
	tcase_add_test(edit, test_share_range);
	tcase_add_test(edit, test_kpti_pair);
	suite_add_tcase(s, edit);

	tcase_add_checked_fixture(copy, setup, teardown);
	tcase_add_test(copy, test_read_write_virt);
	tcase_add_test(copy, test_read_write_partial);
	suite_add_tcase(s, copy);

	tcase_add_checked_fixture(hostile, setup, teardown);
	tcase_add_test(hostile, test_hostile_outside_memory);
	tcase_add_test(hostile, test_hostile_high_bits);
	tcase_add_test(hostile, test_hostile_self_reference);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	return check_run(pagetables_suite());
}
