/* SPDX-License-Identifier: MIT */
#include "kvm/shutdown_replay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "entrybox/x86.h"
#include "kvm/ram_journal.h"

/* The architectural state after INIT (SDM vol. 3 table 10-1). */
#define RESET_RIP     0xfff0ull
#define RESET_CS_BASE 0xffff0000ull

bool replay_note_msrs(struct kvm_vcpu *vcpu, struct replay_msrs *msrs)
{
	struct kvm_sregs *sr = kvm_sregs(vcpu);
	uint64_t kernel_gs = 0;
	msrs->valid = sr && kvm_get_msr(vcpu, MSR_STAR, &msrs->star) && kvm_get_msr(vcpu, MSR_LSTAR, &msrs->lstar) &&
		      kvm_get_msr(vcpu, MSR_CSTAR, &msrs->cstar) && kvm_get_msr(vcpu, MSR_SFMASK, &msrs->sfmask) &&
		      kvm_get_msr(vcpu, MSR_KERNEL_GS_BASE, &kernel_gs);
	if (msrs->valid) {
		msrs->gs_pair[0] = sr->gs.base;
		msrs->gs_pair[1] = kernel_gs;
	}
	return msrs->valid;
}

bool replay_state_was_reset(struct kvm_vcpu *vcpu)
{
	vcpu->regs_valid = vcpu->sregs_valid = false;
	struct kvm_regs *r = kvm_regs(vcpu);
	struct kvm_sregs *sr = kvm_sregs(vcpu);
	return r && sr && !(sr->cr0 & CR0_PE) && r->rip == RESET_RIP && sr->cs.base == RESET_CS_BASE;
}

/* KERNEL_GS_BASE at entry: the other half of the pair GS.base belongs to. */
static bool kernel_gs_at_entry(const struct replay_msrs *msrs, uint64_t gs_base, uint64_t *kernel_gs)
{
	if (gs_base == msrs->gs_pair[0])
		*kernel_gs = msrs->gs_pair[1];
	else if (gs_base == msrs->gs_pair[1])
		*kernel_gs = msrs->gs_pair[0];
	else
		return false;
	return true;
}

static bool restore(struct kvm_vcpu *vcpu, const struct replay_msrs *msrs, char *why, size_t len)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	if (kvm_vcpu_request(vcpu, KVM_SET_MP_STATE, &mp) < 0) {
		snprintf(why, len, "KVM_SET_MP_STATE: %s", strerror(errno));
		return false;
	}
	uint64_t kernel_gs = 0;
	if (msrs->valid) {
		bool known_gs = kernel_gs_at_entry(msrs, vcpu->point_sregs.gs.base, &kernel_gs);
		if (!kvm_set_msr(vcpu, MSR_STAR, msrs->star) || !kvm_set_msr(vcpu, MSR_LSTAR, msrs->lstar) ||
		    !kvm_set_msr(vcpu, MSR_CSTAR, msrs->cstar) || !kvm_set_msr(vcpu, MSR_SFMASK, msrs->sfmask) ||
		    (known_gs && !kvm_set_msr(vcpu, MSR_KERNEL_GS_BASE, kernel_gs))) {
			snprintf(why, len, "KVM_SET_MSRS refused the saved SYSCALL MSRs");
			return false;
		}
	}
	/* Written now, not through the sync-regs caches at the next KVM_RUN:
	 * KVM_SET_GUEST_DEBUG sets TF only while RIP is where it was when
	 * stepping was asked for, so the RIP to step from must be in place first.
	 * sregs go first: CR0/EFER decide how RIP is taken. */
	if (kvm_vcpu_request(vcpu, KVM_SET_SREGS, &vcpu->point_sregs) < 0 ||
	    kvm_vcpu_request(vcpu, KVM_SET_REGS, &vcpu->point_regs) < 0) {
		snprintf(why, len, "KVM_SET_SREGS/REGS: %s", strerror(errno));
		return false;
	}
	vcpu->regs_valid = vcpu->sregs_valid = false;
	vcpu->regs_dirty = vcpu->sregs_dirty = false;
	return true;
}

/* Port I/O met again on the way is already done: outputs are dropped, inputs
 * read as a floating bus.  Returns false for the guest's exit port: a replay
 * that gets there did not take the path that ended in the fault. */
static bool absorb_io(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	if (run->io.direction == KVM_EXIT_IO_OUT)
		return run->io.port != 0xf4;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	if (run->io.data_offset + bytes <= (uint64_t)vcpu->vm->run_size)
		memset((uint8_t *)run + run->io.data_offset, 0xff, bytes);
	return true;
}

void replay_to_shutdown(struct kvm_vcpu *vcpu, const struct replay_msrs *msrs, unsigned max_steps,
			struct replay_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!vcpu->point_valid) {
		snprintf(out->why, sizeof(out->why), "no replay point to start from");
		return;
	}
	if (!ram_journal_rewind(vcpu->vm, out->why, sizeof(out->why)) || !restore(vcpu, msrs, out->why, sizeof(out->why)))
		return;
	vcpu->run->immediate_exit = 0;
	for (unsigned n = 0; n <= max_steps; n++) {
		/* Cached with sync regs; read by ioctl without them. */
		struct kvm_regs *r = kvm_regs(vcpu);
		struct kvm_sregs *sr = kvm_sregs(vcpu);
		if (!r || !sr) {
			snprintf(out->why, sizeof(out->why), "cannot read the registers after %u instructions", n);
			return;
		}
		struct kvm_regs before_regs = *r;
		struct kvm_sregs before_sregs = *sr;
		/* Again before every step: KVM sets TF only while RIP is where it was
		 * when stepping was asked for, and an instruction KVM emulates (port
		 * I/O) rewrites RFLAGS without it, so stepping would stop there. */
		if (kvm_set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, NULL, 0) < 0) {
			snprintf(out->why, sizeof(out->why), "KVM_SET_GUEST_DEBUG: %s", strerror(errno));
			return;
		}
		if (kvm_run_once(vcpu) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu->run->immediate_exit = 0;
				continue;
			}
			snprintf(out->why, sizeof(out->why), "KVM_RUN: %s", strerror(errno));
			return;
		}
		switch (vcpu->run->exit_reason) {
		case KVM_EXIT_SHUTDOWN:
			out->ok = true;
			out->regs = before_regs;
			out->sregs = before_sregs;
			out->steps = n;
			return;
		case KVM_EXIT_DEBUG:
			break;
		case KVM_EXIT_IO:
			if (absorb_io(vcpu))
				break;
			snprintf(out->why, sizeof(out->why), "the replay reached the guest's exit after %u instructions", n);
			return;
		default:
			snprintf(out->why, sizeof(out->why), "the replay diverged after %u instructions (exit reason %u)",
				 n, vcpu->run->exit_reason);
			return;
		}
	}
	snprintf(out->why, sizeof(out->why), "no triple fault within %u replayed instructions", max_steps);
}

bool replay_put_state(struct kvm_vcpu *vcpu, const struct kvm_regs *regs, const struct kvm_sregs *sregs)
{
	vcpu->regs_valid = vcpu->sregs_valid = false;
	vcpu->regs_dirty = vcpu->sregs_dirty = false;
	struct kvm_sregs s = *sregs;
	struct kvm_regs r = *regs;
	return kvm_vcpu_request(vcpu, KVM_SET_SREGS, &s) == 0 && kvm_vcpu_request(vcpu, KVM_SET_REGS, &r) == 0;
}
