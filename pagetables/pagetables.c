// SPDX-License-Identifier: MIT
/*
 * x86-64 4-level paging for both the guest and the VMM.
 *
 * Freestanding on purpose: no libc, no globals, and no byte loops that the
 * compiler could turn into memcpy/memset calls, because the guest kernel links
 * no C library.  Every table page is reached through env->phys_page(), and
 * only entries 0..511 of a page it returned are ever touched, so tables built
 * by a hostile guest can make an operation fail but never make it read or
 * write outside memory the caller vouched for, and never loop: a walk is at
 * most four levels deep whatever the entries point at.
 */
#include "pagetables.h"

#define PT_ENTRIES     512u
#define PT_TOP_LEVEL   4

/* Linear-address bits that hold the sign extension of bit 47 (no LA57). */
#define PT_VA_BITS     48

/* Bits of `va` translated by one entry at `level`: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
static uint64_t level_span(int level)
{
	return 1ull << (12 + 9 * (level - 1));
}

/*
 * The physical-address bits of a leaf at `level`.  In a large-page entry the
 * bits below the page size are the PAT bit (12) and reserved bits; they must
 * not leak into the translated address.
 */
static uint64_t leaf_addr_mask(int level)
{
	return PT_ADDR_MASK & ~(level_span(level) - 1);
}

/* Levels 2 and 3 may end a walk with PS; in a level-1 entry bit 7 is PAT. */
static bool is_large_leaf(uint64_t entry, int level)
{
	return (level == 2 || level == 3) && (entry & PT_PS);
}

/* PS in a PML4 entry is reserved: the CPU faults on it rather than guess. */
static bool is_reserved_pml4e(uint64_t entry, int level)
{
	return level == PT_TOP_LEVEL && (entry & PT_PS);
}

/*
 * Entries are read and written exactly once, as whole 64-bit words: another
 * vCPU may be changing the table meanwhile, and a value checked once must be
 * the value used.
 */
static uint64_t read_entry(const uint64_t *slot)
{
	return *(const volatile uint64_t *)slot;
}

static void write_entry(uint64_t *slot, uint64_t value)
{
	*(volatile uint64_t *)slot = value;
}

static uint64_t *table_at(const struct pt_env *env, uint64_t table_pa)
{
	return env->phys_page(env->ctx, table_pa & PT_ADDR_MASK);
}

/* The entry for `va` in the level-`level` table at `table_pa`; NULL when the
 * table is not backed memory. */
static uint64_t *slot_at(const struct pt_env *env, uint64_t table_pa, uint64_t va, int level)
{
	uint64_t *table = table_at(env, table_pa);

	return table ? &table[pt_index(va, level)] : NULL;
}

bool pt_canonical(uint64_t va)
{
	int64_t extended = (int64_t)(va << (64 - PT_VA_BITS)) >> (64 - PT_VA_BITS);

	return (uint64_t)extended == va;
}

/* [va, va + size) is non-empty, canonical throughout and does not wrap. */
static bool range_canonical(uint64_t va, uint64_t size)
{
	uint64_t last = va + size - 1;

	if (size == 0 || last < va)
		return false;
	/* Two canonical ends in different halves enclose the non-canonical hole. */
	return pt_canonical(va) && pt_canonical(last) && ((va ^ last) >> 63) == 0;
}

const char *pt_status_name(enum pt_status st)
{
	switch (st) {
	case PT_OK:            return "ok";
	case PT_NOT_PRESENT:   return "not-present";
	case PT_BAD_PHYS:      return "bad-phys";
	case PT_NO_MEMORY:     return "no-memory";
	case PT_NON_CANONICAL: return "non-canonical";
	case PT_MISALIGNED:    return "misaligned";
	case PT_CONFLICT:      return "conflict";
	}
	return "unknown";
}

static void walk_reset(struct pt_walk *out)
{
	out->pa = 0;
	out->leaf = 0;
	out->leaf_slot = NULL;
	out->level = 0;
	out->writable = false;
	out->user = false;
	out->nx = false;
}

/*
 * On failure out->level and out->leaf tell where the walk stopped and what
 * entry stopped it (useful to explain a fault); leaf_slot stays NULL.
 * `pml4_pa` may be a raw CR3: PCID and NOFLUSH bits are dropped.
 */
enum pt_status pt_walk(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, struct pt_walk *out)
{
	uint64_t table_pa = pml4_pa & PT_CR3_PGD_MASK;
	bool writable = true, user = true, nx = false;

	walk_reset(out);
	if (!pt_canonical(va))
		return PT_NON_CANONICAL;
	for (int level = PT_TOP_LEVEL; level >= 1; level--) {
		uint64_t *slot = slot_at(env, table_pa, va, level);
		uint64_t entry;

		if (!slot)
			return PT_BAD_PHYS;
		entry = read_entry(slot);
		out->level = level;
		out->leaf = entry;
		if (!(entry & PT_P) || is_reserved_pml4e(entry, level))
			return PT_NOT_PRESENT;
		writable = writable && (entry & PT_W);
		user = user && (entry & PT_U);
		nx = nx || (entry & PT_NX);
		if (level == 1 || is_large_leaf(entry, level)) {
			out->pa = (entry & leaf_addr_mask(level)) | (va & (level_span(level) - 1));
			out->leaf_slot = slot;
			out->writable = writable;
			out->user = user;
			out->nx = nx;
			return PT_OK;
		}
		table_pa = entry & PT_ADDR_MASK;
	}
	/* Not reached: level 1 always ends the loop. */
	return PT_NOT_PRESENT;
}

/* Whether and how `descend` may grow the tree on its way down. */
struct grow {
	bool user;  /* the leaf will have U, so every table on the path needs it */
};

/* Allocates, checks and links a new table into the empty `slot`. */
static enum pt_status link_new_table(const struct pt_env *env, uint64_t *slot, const struct grow *grow)
{
	uint64_t table_pa;

	if (!env->alloc_page)
		return PT_NO_MEMORY;
	table_pa = env->alloc_page(env->ctx);
	if (table_pa == 0)
		return PT_NO_MEMORY;
	/* Never link a table that later walks could not reach. */
	if ((table_pa & ~PT_ADDR_MASK) || !table_at(env, table_pa))
		return PT_BAD_PHYS;
	write_entry(slot, table_pa | PT_P | PT_W | (grow->user ? PT_U : 0));
	return PT_OK;
}

/*
 * Find the entry for `va` at `target` level (1..3).
 *
 * With `grow` NULL nothing is changed, and PT_NOT_PRESENT with *stop_level
 * says which level's entry is absent (so nothing is mapped in that span).
 * With `grow` set, missing tables are created and U is added to existing
 * ones when the new leaf needs it.  A large page above `target` is
 * PT_CONFLICT: splitting it silently would change other mappings.
 */
static enum pt_status descend(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, int target,
			      const struct grow *grow, uint64_t **slot_out, int *stop_level)
{
	uint64_t table_pa = pml4_pa & PT_CR3_PGD_MASK;

	for (int level = PT_TOP_LEVEL;; level--) {
		uint64_t *slot = slot_at(env, table_pa, va, level);
		uint64_t entry;

		if (!slot)
			return PT_BAD_PHYS;
		*stop_level = level;
		if (level == target) {
			*slot_out = slot;
			return PT_OK;
		}
		entry = read_entry(slot);
		if (!(entry & PT_P)) {
			enum pt_status st;

			if (!grow)
				return PT_NOT_PRESENT;
			st = link_new_table(env, slot, grow);
			if (st != PT_OK)
				return st;
			entry = read_entry(slot);
		} else if (is_large_leaf(entry, level) || is_reserved_pml4e(entry, level)) {
			return PT_CONFLICT;
		} else if (grow && grow->user && !(entry & PT_U)) {
			entry |= PT_U;
			write_entry(slot, entry);
		}
		table_pa = entry & PT_ADDR_MASK;
	}
}

static int page_size_level(uint64_t page_size)
{
	switch (page_size) {
	case PT_PAGE_SIZE:  return 1;
	case PT_LARGE_SIZE: return 2;
	case PT_HUGE_SIZE:  return 3;
	}
	return 0;
}

/*
 * One leaf of a pt_map.  With `commit` false it only checks that the leaf
 * could be written, so a map that would conflict changes nothing at all.
 */
static enum pt_status map_one(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, uint64_t leaf,
			      int level, bool commit, uint64_t **leaf_slot)
{
	struct grow grow = { .user = (leaf & PT_U) != 0 };
	uint64_t *slot;
	uint64_t old;
	int stop_level;
	enum pt_status st;

	*leaf_slot = NULL;
	st = descend(env, pml4_pa, va, level, commit ? &grow : NULL, &slot, &stop_level);
	if (st == PT_NOT_PRESENT && !commit)
		return PT_OK;  /* the tables will be created empty: nothing in the way */
	if (st != PT_OK)
		return st;
	old = read_entry(slot);
	/* A table below a 2M/1G slot means smaller pages are mapped there. */
	if (level > 1 && (old & PT_P) && !(old & PT_PS))
		return PT_CONFLICT;
	if (commit)
		write_entry(slot, leaf);
	*leaf_slot = slot;
	return PT_OK;
}

/*
 * One walk per leaf table, not per page: after the first entry of a table the
 * following ones sit right behind it.  The guest builds its page tables in
 * ring 0, which kvm_pvm emulates at about a microsecond an instruction.
 */
static enum pt_status map_range(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, uint64_t pa,
				uint64_t size, uint64_t leaf_flags, int level, bool commit)
{
	uint64_t step = level_span(level);
	uint64_t off = 0;

	while (off < size) {
		uint64_t *slot;
		enum pt_status st = map_one(env, pml4_pa, va + off, (pa + off) | leaf_flags, level, commit, &slot);

		if (st != PT_OK)
			return st;
		unsigned index = pt_index(va + off, level);
		off += step;
		if (!slot)
			continue;
		while (off < size && ++index < 512) {
			uint64_t old = read_entry(++slot);

			if (level > 1 && (old & PT_P) && !(old & PT_PS))
				return PT_CONFLICT;
			if (commit)
				write_entry(slot, (pa + off) | leaf_flags);
			off += step;
		}
	}
	return PT_OK;
}

enum pt_status pt_map(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, uint64_t pa,
		      uint64_t size, uint64_t flags, uint64_t page_size)
{
	int level = page_size_level(page_size);
	uint64_t leaf_flags;
	enum pt_status st;

	if (size == 0)
		return PT_OK;
	if (!range_canonical(va, size))
		return PT_NON_CANONICAL;
	if (level == 0 || (va | pa | size) & (page_size - 1))
		return PT_MISALIGNED;
	/* The physical range must fit the 52 address bits an entry can hold. */
	if ((pa & ~PT_ADDR_MASK) || size - 1 > (PT_ADDR_MASK | 0xfff) - pa)
		return PT_MISALIGNED;
	leaf_flags = (flags & ~PT_ADDR_MASK) | PT_P | (level > 1 ? PT_PS : 0);
	/* Check everything first, so a conflict or a bad table leaves no trace. */
	st = map_range(env, pml4_pa, va, pa, size, leaf_flags, level, false);
	if (st != PT_OK)
		return st;
	return map_range(env, pml4_pa, va, pa, size, leaf_flags, level, true);
}

/* Bytes from `va` to the end of its span at `level`. */
static uint64_t to_span_end(uint64_t va, int level)
{
	return level_span(level) - (va & (level_span(level) - 1));
}

/*
 * Visit the 4 KiB leaves of [va, last].  Absent tables are skipped whole,
 * so unmapping a sparse range costs per present table, not per page.
 */
static enum pt_status unmap_range(const struct pt_env *env, uint64_t pml4_pa, uint64_t va,
				  uint64_t last, bool commit)
{
	uint64_t cur = va;

	for (;;) {
		uint64_t *slot;
		int stop_level;
		uint64_t advance;
		enum pt_status st = descend(env, pml4_pa, cur, 1, NULL, &slot, &stop_level);

		if (st == PT_OK) {
			if (commit)
				write_entry(slot, 0);
			advance = PT_PAGE_SIZE;
		} else if (st == PT_NOT_PRESENT) {
			advance = to_span_end(cur, stop_level);
		} else {
			return st;
		}
		if (advance > last - cur)
			return PT_OK;
		cur += advance;
	}
}

enum pt_status pt_unmap(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, uint64_t size)
{
	enum pt_status st;

	if (size == 0)
		return PT_OK;
	if (!range_canonical(va, size))
		return PT_NON_CANONICAL;
	if ((va | size) & (PT_PAGE_SIZE - 1))
		return PT_MISALIGNED;
	/* A large page anywhere in the range must leave the whole range intact. */
	st = unmap_range(env, pml4_pa, va, va + size - 1, false);
	if (st != PT_OK)
		return st;
	return unmap_range(env, pml4_pa, va, va + size - 1, true);
}

/*
 * Large leaves keep PS whatever `flags` says: without it the entry would be
 * read as a pointer to a table at the page's address.  Clearing P is allowed
 * (fault injection does it); the address bits are kept for restoring.
 */
enum pt_status pt_protect(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, uint64_t flags)
{
	struct pt_walk w;
	uint64_t new_flags;
	enum pt_status st = pt_walk(env, pml4_pa, va, &w);

	if (st != PT_OK)
		return st;
	new_flags = flags & ~PT_ADDR_MASK;
	if (w.level > 1)
		new_flags |= PT_PS;
	write_entry(w.leaf_slot, (w.leaf & PT_ADDR_MASK) | new_flags);
	return PT_OK;
}

/* The level-1 entry for `va`, present or not; NULL with the reason otherwise. */
static uint64_t *page_slot(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, enum pt_status *st)
{
	uint64_t *slot = NULL;
	int stop = 0;

	*st = pt_canonical(va) ? descend(env, pml4_pa, va, 1, NULL, &slot, &stop) : PT_NON_CANONICAL;
	return *st == PT_OK ? slot : NULL;
}

/* Moves a leaf PTE between present and taken: `from` must be exactly the
 * state among P and PT_TAKEN it has now, `to` the state it gets; the frame
 * and every other flag stay. */
static enum pt_status swap_state(const struct pt_env *env, uint64_t pml4_pa, uint64_t va, uint64_t from, uint64_t to)
{
	enum pt_status st;
	uint64_t *slot = page_slot(env, pml4_pa, va, &st);
	uint64_t entry;

	if (!slot)
		return st;
	entry = read_entry(slot);
	if ((entry & (PT_P | PT_TAKEN)) != from)
		return PT_NOT_PRESENT;
	write_entry(slot, (entry & ~from) | to);
	return PT_OK;
}

enum pt_status pt_take(const struct pt_env *env, uint64_t pml4_pa, uint64_t va)
{
	return swap_state(env, pml4_pa, va, PT_P, PT_TAKEN);
}

enum pt_status pt_give_back(const struct pt_env *env, uint64_t pml4_pa, uint64_t va)
{
	return swap_state(env, pml4_pa, va, PT_TAKEN, PT_P);
}

static void visit_table(const struct pt_env *env, uint64_t table_pa, int level,
			bool (*fn)(void *ctx, uint64_t table_pa), void *ctx)
{
	uint64_t *table;

	if (!fn(ctx, table_pa) || level == 1 || !(table = table_at(env, table_pa)))
		return;
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uint64_t entry = read_entry(&table[i]);

		if ((entry & PT_P) && !is_large_leaf(entry, level) && !is_reserved_pml4e(entry, level))
			visit_table(env, entry & PT_ADDR_MASK, level - 1, fn, ctx);
	}
}

void pt_visit_tables(const struct pt_env *env, uint64_t pml4_pa, bool (*fn)(void *ctx, uint64_t table_pa), void *ctx)
{
	visit_table(env, pml4_pa & PT_CR3_PGD_MASK, PT_TOP_LEVEL, fn, ctx);
}

/* An empty or out-of-table index range is a caller error: PT_MISALIGNED. */
enum pt_status pt_share_pml4_range(const struct pt_env *env, uint64_t dst_pml4_pa,
				   uint64_t src_pml4_pa, unsigned first, unsigned last)
{
	uint64_t *dst = table_at(env, dst_pml4_pa & PT_CR3_PGD_MASK);
	uint64_t *src = table_at(env, src_pml4_pa & PT_CR3_PGD_MASK);

	if (first > last || last >= PT_ENTRIES)
		return PT_MISALIGNED;
	if (!dst || !src)
		return PT_BAD_PHYS;
	for (unsigned i = first; i <= last; i++)
		write_entry(&dst[i], read_entry(&src[i]));
	return PT_OK;
}

/*
 * Byte copies through volatile pointers: the compiler must neither turn the
 * loop into a memcpy call (the guest has none) nor merge or tear accesses to
 * memory another vCPU may be using.
 */
static void copy_bytes(volatile uint8_t *dst, const volatile uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = src[i];
}

/*
 * Copy between a caller buffer and guest-virtual memory, one 4 KiB piece at
 * a time: the physical page of each piece is found by its own walk, since
 * consecutive virtual pages need not be consecutive physical ones.  Exactly
 * one of `into` (read) and `from` (write) is set.
 * Permissions are not checked: the caller acts with supervisor rights and can
 * use pt_walk() to honour W/U itself.
 */
static enum pt_status copy_virt(const struct pt_env *env, uint64_t pml4_pa, uint64_t va,
				uint8_t *into, const uint8_t *from, size_t len, size_t *done)
{
	size_t copied = 0;
	enum pt_status st = PT_OK;

	while (copied < len) {
		uint64_t cur = va + copied;
		uint64_t in_page = cur & (PT_PAGE_SIZE - 1);
		size_t chunk = (size_t)(PT_PAGE_SIZE - in_page);
		struct pt_walk w;
		uint8_t *page;

		/* Wrapping past 2^64 would silently continue at address 0. */
		if (cur < va) {
			st = PT_NON_CANONICAL;
			break;
		}
		st = pt_walk(env, pml4_pa, cur, &w);
		if (st != PT_OK)
			break;
		page = env->phys_page(env->ctx, w.pa & ~(PT_PAGE_SIZE - 1));
		if (!page) {
			st = PT_BAD_PHYS;
			break;
		}
		if (chunk > len - copied)
			chunk = len - copied;
		if (into)
			copy_bytes(into + copied, page + in_page, chunk);
		else
			copy_bytes(page + in_page, from + copied, chunk);
		copied += chunk;
	}
	if (done)
		*done = copied;
	return st;
}

enum pt_status pt_read_virt(const struct pt_env *env, uint64_t pml4_pa, uint64_t va,
			    void *dst, size_t len, size_t *done)
{
	return copy_virt(env, pml4_pa, va, dst, NULL, len, done);
}

enum pt_status pt_write_virt(const struct pt_env *env, uint64_t pml4_pa, uint64_t va,
			     const void *src, size_t len, size_t *done)
{
	return copy_virt(env, pml4_pa, va, NULL, src, len, done);
}
