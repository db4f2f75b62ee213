/* SPDX-License-Identifier: MIT */
/*
 * A snapshot of a one-vCPU VM that can be restored many times: registers,
 * special registers, every MSR KVM lists, LAPIC, pending events, XSAVE/XCRs,
 * debug registers, MP state and guest RAM (a full copy: measured faster here
 * than dirty logging, see sweep.c).  Restoring RAM behind KVM's back leaves
 * its shadow/nested page tables describing the old contents, so the memory
 * slot is deleted and added again, which makes KVM drop every translation.
 */
#ifndef ENTRYBOX_VMSNAP_H
#define ENTRYBOX_VMSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include "kvm/kvm.h"

struct vmsnap;

/* Takes the snapshot; first lets KVM finish a pending I/O instruction
 * (KVM_RUN with immediate_exit), as the API asks before reading state. */
struct vmsnap *vmsnap_take(struct kvm_vcpu *vcpu, char *err, size_t errlen);
bool vmsnap_restore(const struct vmsnap *snap, struct kvm_vcpu *vcpu, char *err, size_t errlen);
void vmsnap_free(struct vmsnap *snap);

#endif
