/* SPDX-License-Identifier: MIT */
#include "kvm/debugctl.h"

#include <string.h>

#define DR7_LOCAL_ENABLE(i) (1ull << ((i) * 2))
#define DR7_FIXED_ONE       (1ull << 10)

void debugctl_init(struct debugctl *d)
{
	memset(d, 0, sizeof(*d));
}

void debugctl_disarm_all(struct debugctl *d)
{
	for (int i = 0; i < 4; i++) {
		d->addr[i] = 0;
		d->purpose[i] = BP_NONE;
		d->parked[i] = false;
	}
	d->applied = false;
}

void debugctl_disarm(struct debugctl *d, int slot)
{
	if (slot < 0 || slot >= 4)
		return;
	d->addr[slot] = 0;
	d->purpose[slot] = BP_NONE;
	d->parked[slot] = false;
	d->applied = false;
}

bool debugctl_arm(struct debugctl *d, uint64_t addr, enum bp_purpose purpose)
{
	for (int i = 0; i < 4; i++) {
		if (d->purpose[i] == BP_NONE) {
			d->addr[i] = addr;
			d->purpose[i] = purpose;
			d->applied = false;
			return true;
		}
	}
	return false;
}

int debugctl_slot_at(const struct debugctl *d, uint64_t rip)
{
	for (int i = 0; i < 4; i++)
		if (d->purpose[i] != BP_NONE && !d->parked[i] && d->addr[i] == rip)
			return i;
	return -1;
}

void debugctl_park(struct debugctl *d, int slot)
{
	if (slot >= 0 && slot < 4 && !d->parked[slot]) {
		d->parked[slot] = true;
		d->applied = false;
	}
}

void debugctl_unpark_all(struct debugctl *d)
{
	for (int i = 0; i < 4; i++) {
		if (d->parked[i]) {
			d->parked[i] = false;
			d->applied = false;
		}
	}
}

void debugctl_set_single_step(struct debugctl *d, bool on)
{
	if (d->single_step != on)
		d->applied = false;
	d->single_step = on;
}

void debugctl_begin_step_over(struct debugctl *d)
{
	d->stepping_over = true;
	d->applied = false;
}

void debugctl_end_step_over(struct debugctl *d)
{
	if (d->stepping_over)
		d->applied = false;
	d->stepping_over = false;
}

int debugctl_apply(struct debugctl *d, struct kvm_vcpu *vcpu)
{
	if (d->applied)
		return 0;
	uint32_t control = 0;
	uint64_t dr7 = 0;
	bool any_bp = false;
	if (!d->stepping_over) {
		for (int i = 0; i < 4; i++) {
			if (d->purpose[i] != BP_NONE && !d->parked[i]) {
				dr7 |= DR7_LOCAL_ENABLE(i); /* R/W=00, LEN=00: instruction execution */
				any_bp = true;
			}
		}
	}
	if (any_bp)
		control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
	if (d->single_step || d->stepping_over)
		control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	if (dr7)
		dr7 |= DR7_FIXED_ONE;
	if (kvm_set_guest_debug(vcpu, control, d->addr, dr7) < 0)
		return -1;
	d->applied = true;
	return 0;
}
