/* SPDX-License-Identifier: MIT */
/* The guest's published layout (abi.h struct ebx_layout), validated. */
#ifndef ENTRYBOX_LAYOUT_H
#define ENTRYBOX_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "entrybox/abi.h"

/* The validated copy: every count within bounds, every string terminated, every
 * stack non-empty, page aligned and non-overlapping, every address canonical,
 * entry text inside kernel text ranges, PGDs page aligned and inside guest RAM. */
struct layout {
	struct ebx_layout raw;
	bool valid;
};

/* Validate `len` bytes copied from the guest.  On failure returns false and
 * writes one line naming the first bad field into err. */
bool layout_validate(const void *bytes, size_t len, uint64_t guest_ram_size, struct layout *out,
		     char *err, size_t errlen);

/* The registered stack containing [addr], or NULL.  *in_guard is set when addr
 * lies in a guard page next to a stack (then that stack is returned). */
const struct ebx_stack_desc *layout_find_stack(const struct layout *l, uint64_t addr, bool *in_guard);
/* The stack an RSP value is on: like layout_find_stack, except that RSP at a
 * stack's very top is that stack, empty (loaded, nothing pushed yet), not the
 * guard page of what lies above it. */
const struct ebx_stack_desc *layout_stack_of_rsp(const struct layout *l, uint64_t rsp, bool *in_guard);
/* The landing stack (EBX_STACKF_LANDING) of `cpu`, or of `task` when the
 * guest's landing stacks are per task (*per_task then true); NULL if none. */
const struct ebx_stack_desc *layout_landing_stack(const struct layout *l, uint32_t cpu, uint32_t task, bool *per_task);
/* The top (base + size) of the stack of `kind` owned by `owner_id`, 0 if none. */
uint64_t layout_stack_top(const struct layout *l, uint32_t kind, uint32_t owner_id);
/* Which task, if any, has `pgd` (CR3 with PCID/flag bits stripped) as its kernel or user PGD. */
int layout_task_of_pgd(const struct layout *l, uint64_t pgd, bool *is_user_half);
bool layout_in_entry_text(const struct layout *l, uint64_t rip);

#endif
