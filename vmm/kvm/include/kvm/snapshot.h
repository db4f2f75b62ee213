/* SPDX-License-Identifier: MIT */
/* Taking a snap.h snapshot of a live vCPU through KVM. */
#ifndef ENTRYBOX_SNAPSHOT_H
#define ENTRYBOX_SNAPSHOT_H

#include <stdbool.h>
#include "check/layout.h"
#include "check/snap.h"
#include "kvm/kvm.h"

/* False when KVM refuses to give the registers. */
bool snapshot_take(struct kvm_vcpu *vcpu, enum snap_point point, struct vcpu_snap *out);
/* The same without KERNEL_GS_BASE, which is not in sregs and costs an MSR
 * ioctl; snapshot_add_kernel_gs_base() fetches it when a rule will look. */
bool snapshot_take_registers(struct kvm_vcpu *vcpu, enum snap_point point, struct vcpu_snap *out);
bool snapshot_add_kernel_gs_base(struct kvm_vcpu *vcpu, struct vcpu_snap *out);
/* What rules_check_all() needs: KERNEL_GS_BASE only where gs-base reads it
 * (user mode, an entry boundary, entry text), so most exits skip the MSR ioctl. */
bool snapshot_take_for_rules(struct kvm_vcpu *vcpu, enum snap_point point, const struct layout *l,
			     struct vcpu_snap *out);

#endif
