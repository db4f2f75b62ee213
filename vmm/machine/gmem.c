/* SPDX-License-Identifier: MIT */
/* Guest RAM accessors.  Every address and length here may come from the guest,
 * so each range is checked against the mapping before it is touched, in a form
 * that cannot overflow (compare against the room left, never add first). */
#include "machine/gmem.h"

#include <string.h>

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	if (m == NULL || m->host == NULL || gpa > m->size || len > m->size - gpa)
		return NULL;
	return m->host + gpa;
}

bool gmem_read(const struct gmem *m, uint64_t gpa, void *dst, uint64_t len)
{
	const void *src = gmem_ptr(m, gpa, len);

	if (src == NULL)
		return false;
	memcpy(dst, src, len);
	return true;
}

bool gmem_write(const struct gmem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = gmem_ptr(m, gpa, len);

	if (dst == NULL)
		return false;
	memcpy(dst, src, len);
	if (m->on_write)
		m->on_write(m->write_ctx, gpa, len);
	return true;
}

/* The walker asks for whole pages; a table page that lies (even partly)
 * outside guest RAM makes the walk fail with PT_BAD_PHYS instead of reading
 * host memory beyond the mapping. */
static void *gmem_phys_page(void *ctx, uint64_t pa)
{
	return gmem_ptr(ctx, pa & ~(PT_PAGE_SIZE - 1), PT_PAGE_SIZE);
}

struct pt_env gmem_pt_env(struct gmem *m)
{
	/* No allocator: the VMM never grows the guest's tables behind its back. */
	struct pt_env env = { .phys_page = gmem_phys_page, .alloc_page = NULL, .ctx = m };

	return env;
}

static void *gmem_phys_page_written(void *ctx, uint64_t pa)
{
	struct gmem *m = ctx;
	void *page = gmem_phys_page(ctx, pa);
	if (page && m->on_write)
		m->on_write(m->write_ctx, pa & ~(PT_PAGE_SIZE - 1), PT_PAGE_SIZE);
	return page;
}

struct pt_env gmem_pt_env_for_writes(struct gmem *m)
{
	struct pt_env env = { .phys_page = gmem_phys_page_written, .alloc_page = NULL, .ctx = m };

	return env;
}

bool gmem_read_virt(struct gmem *m, uint64_t cr3, uint64_t gva, void *dst, size_t len)
{
	struct pt_env env = gmem_pt_env(m);
	size_t done = 0;

	return pt_read_virt(&env, cr3 & PT_CR3_PGD_MASK, gva, dst, len, &done) == PT_OK;
}

bool gmem_translate(struct gmem *m, uint64_t cr3, uint64_t gva, uint64_t *gpa)
{
	struct pt_env env = gmem_pt_env(m);
	struct pt_walk w;

	if (pt_walk(&env, cr3 & PT_CR3_PGD_MASK, gva, &w) != PT_OK)
		return false;
	/* w.pa may name MMIO or nothing at all: a translation is not an access,
	 * and whoever dereferences it goes through gmem_ptr(). */
	*gpa = w.pa;
	return true;
}
