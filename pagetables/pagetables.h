/* SPDX-License-Identifier: MIT */
/*
 * x86-64 4-level paging, one freestanding library built twice: into the guest
 * (build and edit its page tables) and into the VMM (walk the guest's tables to
 * translate and read guest-virtual memory, edit a PTE for fault injection).
 *
 * It never calls libc and never dereferences a physical address itself: the
 * caller supplies how a physical page is reached (guest: direct map; VMM: its
 * mapping of guest RAM, with bounds checks) and where a new table page comes
 * from.  So a hostile guest's page tables can at worst make a walk fail.
 *
 * The constants are the paging facts of entrybox/x86.h's family (PTE bits and
 * CR3 fields live here, nowhere else) and serve the assembler too.
 */
#ifndef ENTRYBOX_PAGETABLES_H
#define ENTRYBOX_PAGETABLES_H

#ifdef __ASSEMBLER__
#define PT_UL(x)    x
#else
#define PT_UL(x)    x##ull
#endif

#define PT_PAGE_SIZE      PT_UL(4096)
#define PT_LARGE_SIZE     (PT_UL(2) << 20)
#define PT_HUGE_SIZE      (PT_UL(1) << 30)

/* PTE bits (Intel SDM vol. 3 §4.5). */
#define PT_P        (PT_UL(1) << 0)
#define PT_W        (PT_UL(1) << 1)
#define PT_U        (PT_UL(1) << 2)
#define PT_PWT      (PT_UL(1) << 3)
#define PT_PCD      (PT_UL(1) << 4)
#define PT_A        (PT_UL(1) << 5)
#define PT_D        (PT_UL(1) << 6)
#define PT_PS       (PT_UL(1) << 7)
#define PT_G        (PT_UL(1) << 8)
#define PT_NX       (PT_UL(1) << 63)
/* Software bit (the CPU ignores bit 9 of a leaf, and every bit but P of a
 * not-present one): a 4 KiB page taken away with its frame and flags kept,
 * to be given back at the fault it causes, as a kernel brings back a page
 * whose PTE it made not present (pt_take, pt_give_back). */
#define PT_TAKEN    (PT_UL(1) << 9)
#define PT_ADDR_MASK PT_UL(0x000ffffffffff000)

/* CR3 fields: low 12 bits are the PCID when CR4.PCIDE=1; bit 63 (NOFLUSH)
 * keeps the PCID's TLB entries on a write and is never stored in CR3.  Bit 12
 * selects the user half of a KPTI PGD pair (the guest's convention,
 * entry/percpu.h). */
#define PT_CR3_USER_NR      12
#define PT_CR3_USER_BIT     (PT_UL(1) << PT_CR3_USER_NR)
#define PT_CR3_PCID_MASK    PT_UL(0xfff)
#define PT_CR3_NOFLUSH_NR   63
#define PT_CR3_NOFLUSH      (PT_UL(1) << PT_CR3_NOFLUSH_NR)
#define PT_CR3_PGD_MASK     PT_UL(0x000ffffffffff000)

/* The index of va's entry in its level-`level` table (4: PML4 .. 1: page
 * table), as a constant expression; pt_index() below is the same for C. */
#define PT_INDEX(va, level) (((va) >> (12 + 9 * ((level) - 1))) & 511)

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt_env {
	/* Returns a pointer through which the 4 KiB page at physical address `pa`
	 * can be read and written, or NULL if `pa` is not backed memory. */
	void *(*phys_page)(void *ctx, uint64_t pa);
	/* Allocates a zeroed 4 KiB page for a new table; returns its physical
	 * address, or 0 when out of memory.  May be NULL for read-only use. */
	uint64_t (*alloc_page)(void *ctx);
	void *ctx;
};

enum pt_status {
	PT_OK = 0,
	PT_NOT_PRESENT,     /* a level on the way is not present */
	PT_BAD_PHYS,        /* a table address is not backed memory */
	PT_NO_MEMORY,       /* alloc_page failed or is NULL */
	PT_NON_CANONICAL,   /* the virtual address is not canonical */
	PT_MISALIGNED,      /* va/pa/size not aligned for the page size asked for */
	PT_CONFLICT,        /* a large page is in the way of a 4 KiB mapping, or vice versa */
};

/* The result of a walk: the leaf entry, its level (1 = 4 KiB, 2 = 2 MiB,
 * 3 = 1 GiB), the translated physical address and the effective permissions
 * (W and U are ANDed over the levels, NX is ORed). */
struct pt_walk {
	uint64_t pa;
	uint64_t leaf;
	uint64_t *leaf_slot;  /* where the leaf lives, for editing; NULL if not present */
	int level;
	bool writable, user, nx;
};

bool pt_canonical(uint64_t va);
const char *pt_status_name(enum pt_status st);

/* Translate `va` under the PML4 at physical `pml4_pa`. */
enum pt_status pt_walk(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, struct pt_walk *out);

/* Map [va, va+size) -> [pa, pa+size) with `flags` (PT_P is implied) using
 * pages of `page_size` (4 KiB, 2 MiB or 1 GiB).  Intermediate tables get
 * P|W, plus U when `flags` has U. Existing identical mappings are overwritten. */
enum pt_status pt_map(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, uint64_t pa,
		      uint64_t size, uint64_t flags, uint64_t page_size);

/* Clear the leaf entries covering [va, va+size) (4 KiB granularity; a large
 * page in the range gives PT_CONFLICT).  Missing entries are not an error. */
enum pt_status pt_unmap(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, uint64_t size);

/* Replace the leaf flags (bits outside PT_ADDR_MASK) of the entry mapping `va`. */
enum pt_status pt_protect(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, uint64_t flags);

/* Makes the 4 KiB page at `va` not present, keeping its frame and flags and
 * marking it PT_TAKEN.  PT_CONFLICT for a large page, PT_NOT_PRESENT when
 * nothing is mapped there. */
enum pt_status pt_take(const struct pt_env *env, uint64_t pml4_pa, uint64_t va);
/* Maps a page pt_take() took exactly as it was; PT_NOT_PRESENT when the entry
 * for `va` is not a taken page. */
enum pt_status pt_give_back(const struct pt_env *env, uint64_t pml4_pa, uint64_t va);

/* Calls fn for the PML4 at `pml4_pa` and every table reachable from it (page
 * tables included, pages mapped by leaves not); it descends into a table only
 * when fn returns true for it, so fn can skip tables it has seen (the kernel
 * half every PGD shares, a hostile guest's loops). */
void pt_visit_tables(const struct pt_env *env, uint64_t pml4_pa, bool (*fn)(void *ctx, uint64_t table_pa), void *ctx);

/* Copy PML4 entries [first, last] from one PML4 to another (how a KPTI pair shares
 * the user half, and how every task shares the kernel half). */
enum pt_status pt_share_pml4_range(const struct pt_env *env, uint64_t dst_pml4_pa,
				   uint64_t src_pml4_pa, unsigned first, unsigned last);

/* Copy `len` bytes from guest-virtual `va` into `dst`, page by page.  Fails
 * (and reports how far it got through *done) at the first absent page. */
enum pt_status pt_read_virt(const struct pt_env *env, uint64_t pml4_pa, uint64_t va,
			    void *dst, size_t len, size_t *done);
enum pt_status pt_write_virt(const struct pt_env *env, uint64_t pml4_pa, uint64_t va,
			     const void *src, size_t len, size_t *done);

static inline unsigned pt_index(uint64_t va, int level)
{
	return (unsigned)PT_INDEX(va, level);
}
#endif /* !__ASSEMBLER__ */

#endif
