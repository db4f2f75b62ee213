/* SPDX-License-Identifier: MIT */
/* Publishing struct ebx_layout (abi.h) to the VMM and a summary to the console. */
#ifndef ENTRYBOX_LAYOUT_PUBLISH_H
#define ENTRYBOX_LAYOUT_PUBLISH_H

#include "cea.h"
#include "cmdline.h"
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

#endif
