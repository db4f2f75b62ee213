/* SPDX-License-Identifier: MIT */
/* Publishing struct ebx_layout (abi.h) to the VMM and a summary to the console. */
#ifndef ENTRYBOX_LAYOUT_PUBLISH_H
#define ENTRYBOX_LAYOUT_PUBLISH_H

#include "cpu/cea.h"
#include "boot/cmdline.h"
#include "entry_model.h"

struct layout_input {
	const struct boot_options *opts;
	const struct entry_model *model;
	const struct entry_variant *variant;
	const struct cpu_area *cpus;
	unsigned ncpus;
};

/* Fills the layout from the built system (after every task exists, before
 * any runs), sends EBX_EV_LAYOUT, prints the @entrybox layout line. */
void layout_publish(const struct layout_input *in);

/* The name of the published stack holding addr (its guard pages included),
 * or "unregistered"; "unknown" before the layout is published.  For the
 * panic report, so it trusts nothing but the layout record. */
const char *layout_stack_name(uint64_t addr);

/* One more stack descriptor with its EBX_STACKF_* flags (panics when the
 * table is full); for the entry models' publish hooks. */
struct ebx_stack_desc *layout_add_stack(struct ebx_layout *l, uint32_t kind, uint32_t owner_kind,
				       uint32_t owner, uint64_t base, uint64_t size, uint32_t flags);
/* A model's own landing stack (ENTRY_LANDS_ON_MODEL_STACK), one per CPU
 * (owner_kind CPU or VCPU) or per task: its flags follow from the model's
 * traits (landing, shared when a CPU owns it, C_ENTRY when the C part runs
 * there, mapped in the user PGD).  The model adds EBX_STACKF_CANARY itself. */
struct ebx_stack_desc *layout_add_landing_stack(struct ebx_layout *l, uint32_t kind, uint32_t owner_kind,
					       uint32_t owner, uint64_t base, uint64_t size);

#endif
