/* SPDX-License-Identifier: MIT */
/*
 * Explaining a triple fault (KVM_EXIT_SHUTDOWN) from the state before the
 * instruction whose exception could not be delivered: its registers, the IDT,
 * the TSS and the page tables.  kvm_pvm and kvm_intel leave that state in the
 * vCPU; kvm_amd resets the vCPU, and the run replays up to the fault to get it
 * back (run/shutdown_replay.c).  The first exception is the one the VMM
 * injected, else the first access of the instruction that faults
 * (fault_access.h), else CR2 where the backend kept it.  Then the chain is
 * rebuilt by replaying delivery: for the first vector, and then for #DF, which
 * gate, which stack (IST, RSP0 or the current one), whether that stack and
 * the handler are mapped under the current CR3.  The analysis works on a
 * plain description of the machine so it is unit-tested without KVM.
 */
#ifndef ENTRYBOX_TRIPLE_FAULT_H
#define ENTRYBOX_TRIPLE_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "check/layout.h"
#include "explain/fault_access.h"
#include "pagetables.h"

struct symtab;

struct tf_machine {
	struct fa_cpu cpu;               /* registers, CR3, CPL before the faulting instruction */
	uint64_t cr2;
	bool cr2_valid;                  /* false where the backend reset the vCPU */
	uint64_t idt_base, tr_base;
	uint16_t idt_limit;
	int first_vector;                /* the event the VMM injected last, -1 if none */
	const char *provenance;          /* how this state was obtained, e.g. "replayed 12 instructions"; may be NULL */
	const struct pt_env *env;        /* guest-physical pages */
	const struct layout *layout;     /* names stacks; may be NULL */
	const struct symtab *syms;       /* names code; may be NULL */
};

/* One line, e.g. "#PF at ukl_app+0x1c (CR2 0x7fff0ff8) with RSP 0x7fff1000 in an
 * unmapped page -> #DF without IST on the same stack, unmapped -> shutdown". */
void tf_explain(const struct tf_machine *m, char *buf, size_t len);

#endif
