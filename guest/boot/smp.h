/* SPDX-License-Identifier: MIT */
/*
 * Bringing up the application processors.  CPU n has APIC ID n (our VMM
 * gives vCPU n that ID in CPUID; QEMU numbers them the same way), so no MP
 * table or ACPI is read.  One AP at a time: INIT, 10 ms, STARTUP, 200 us,
 * a second STARTUP if it has not answered, then up to a second for it to
 * come online.
 */
#ifndef ENTRYBOX_SMP_H
#define ENTRYBOX_SMP_H

#include "cpu/cea.h"
#include "entry_model.h"

struct smp_setup {
	const struct entry_model *model;
	const struct entry_variant *variant;
	struct cpu_area *cpus;   /* [ncpus]; cpus[0] already built and active */
	unsigned ncpus;
	bool pcid;
	bool timer;              /* start each AP's tick */
};

/* Builds CPUs 1..ncpus-1 (entry area, boot stack), starts them and waits
 * until each runs on its own descriptors; they then wait in sched_ap_loop.
 * Panics when one does not come up. */
void smp_boot_aps(const struct smp_setup *s);

#endif
