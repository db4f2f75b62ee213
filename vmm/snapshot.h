/* SPDX-License-Identifier: MIT */
/* A rules.h snapshot of a live vCPU. */
#ifndef ENTRYBOX_SNAPSHOT_H
#define ENTRYBOX_SNAPSHOT_H

#include <stdbool.h>
#include "kvm.h"
#include "rules.h"

/* False when KVM refuses to give the registers. */
bool snapshot_take(struct kvm_vcpu *vcpu, enum snap_point point, struct vcpu_snap *out);

#endif
