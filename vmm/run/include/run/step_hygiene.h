/* SPDX-License-Identifier: MIT */
/*
 * What the VMM's single-stepping leaves in the guest, undone.
 *
 * KVM steps a vCPU by setting RFLAGS.TF in the guest and hides the bit from
 * KVM_GET_REGS, but not from the guest: an instruction that saves RFLAGS while
 * it is stepped saves TF with it.  PUSHF (the ukl entry pushes the flags on
 * the application stack) and SYSCALL (RFLAGS into R11) are the two the entry
 * paths execute; when the saved copy comes back (POPF, SYSRET) after the VMM
 * stopped stepping, the guest takes a #DB that no code of its own asked for.
 * After each step the VMM clears TF in what the stepped instruction saved.
 *
 * The guest's own TF cannot be told apart while KVM steps (KVM hides TF), so
 * code that sets TF itself and is stepped by the VMM loses it in the copies;
 * the scenarios that trap on TF do it in user mode, which the VMM never steps.
 *
 * It also says how many instructions a step retired, so that instruction
 * counts are architectural on every backend (see `retired`).
 */
#ifndef ENTRYBOX_RUN_STEP_HYGIENE_H
#define ENTRYBOX_RUN_STEP_HYGIENE_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/kvm.h"

struct step_hygiene {
	bool armed;
	uint64_t from_rip, from_cr3;
	/* Instructions the last step retired, as counts see them: 0 between two
	 * iterations of a REP string instruction (TF traps after each, RIP stays
	 * on it), 1 otherwise.  A port-I/O instruction that exited is one step
	 * like any other: kvm_amd finishes it in the step after the exit, and on
	 * kvm_pvm, which finishes it before the exit and reports no step for it,
	 * a breakpoint on the next instruction stands in (vcpu_loop.c). */
	unsigned retired;
};

/* Before KVM_RUN: where a step the VMM asked for starts (nothing when not stepping). */
void step_hygiene_before_run(struct step_hygiene *h, struct kvm_vcpu *vcpu, bool stepping);
/* After the step's debug exit: TF out of what the stepped instruction saved.
 * Returns false when the saved copy could not be reached (then it stays). */
bool step_hygiene_after_step(struct step_hygiene *h, struct kvm_vcpu *vcpu);

#endif
