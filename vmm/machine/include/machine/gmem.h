/* SPDX-License-Identifier: MIT */
/* Guest RAM as the VMM sees it: one host mapping, every access bounds-checked. */
#ifndef ENTRYBOX_GMEM_H
#define ENTRYBOX_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pagetables.h"

struct gmem {
	uint8_t *host;     /* mmap of guest-physical [0, size) */
	uint64_t size;
	/* Told of every write the VMM makes to guest RAM (KVM's dirty log sees
	 * only the guest's own); NULL when nobody asks. */
	void (*on_write)(void *ctx, uint64_t gpa, uint64_t len);
	void *write_ctx;
};

/* Pointer to [gpa, gpa+len) or NULL if any byte lies outside guest RAM (overflow-safe). */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);
bool gmem_read(const struct gmem *m, uint64_t gpa, void *dst, uint64_t len);
bool gmem_write(const struct gmem *m, uint64_t gpa, const void *src, uint64_t len);

/* A read-only pt_env over guest RAM, for walking the guest's own tables. */
struct pt_env gmem_pt_env(struct gmem *m);
/* The same for editing them (or writing through them): every page it hands
 * out counts as written (on_write). */
struct pt_env gmem_pt_env_for_writes(struct gmem *m);

/* Read guest-virtual memory under the PGD in `cr3` (PCID bits ignored). */
bool gmem_read_virt(struct gmem *m, uint64_t cr3, uint64_t gva, void *dst, size_t len);
bool gmem_translate(struct gmem *m, uint64_t cr3, uint64_t gva, uint64_t *gpa);

#endif
