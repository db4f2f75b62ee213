/* SPDX-License-Identifier: MIT */
/*
 * Getting back the state before a triple fault where the backend destroyed it.
 *
 * kvm_amd reinitialises the VMCB and INITs the vCPU at a SHUTDOWN intercept
 * (the VMCB is undefined after one), so KVM_GET_REGS then reads the reset
 * vector.  Guest memory survives, and so does what the VMM saw when the vCPU
 * last entered the guest (kvm/kvm.h keeps it).  The replay puts that state
 * back, with the MSRs a reset loses, and single-steps the vCPU until the
 * triple fault happens again: the registers before that last step are the
 * state at the faulting instruction.  Port I/O on the way is absorbed (the
 * console is not written twice, checkpoints are not handled twice), and any
 * other exit ends the replay as diverged.
 */
#ifndef ENTRYBOX_KVM_SHUTDOWN_REPLAY_H
#define ENTRYBOX_KVM_SHUTDOWN_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/kvm.h"

/* MSRs that a reset loses and no exit reports, read while they are intact. */
struct replay_msrs {
	bool valid;
	uint64_t star, lstar, cstar, sfmask;
	/* SWAPGS exchanges GS.base and KERNEL_GS_BASE, so the pair read together
	 * stays a pair: with GS.base known at entry, the other one is known. */
	uint64_t gs_pair[2];
};

/* Reads the MSRs above now (the guest has set them up: call after it
 * published its layout).  False if KVM refuses. */
bool replay_note_msrs(struct kvm_vcpu *vcpu, struct replay_msrs *msrs);

/* Whether the vCPU's registers at a SHUTDOWN exit are the reset state. */
bool replay_state_was_reset(struct kvm_vcpu *vcpu);

struct replay_result {
	bool ok;                    /* the fault recurred: regs/sregs are its state */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	unsigned steps;             /* instructions single-stepped before it */
	char why[160];              /* why not, when !ok */
};

/* Restores vcpu->entry_* and replays up to the triple fault (at most
 * `max_steps` instructions).  Leaves the vCPU in whatever state the replay
 * ended in: the run is over. */
void replay_to_shutdown(struct kvm_vcpu *vcpu, const struct replay_msrs *msrs, unsigned max_steps,
			struct replay_result *out);

/* Puts a recovered state into the vCPU, so that what reads the vCPU after the
 * run (where each vCPU stood) sees the fault, not the reset. */
bool replay_put_state(struct kvm_vcpu *vcpu, const struct kvm_regs *regs, const struct kvm_sregs *sregs);

#endif
