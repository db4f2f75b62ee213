/* SPDX-License-Identifier: MIT */
/* A vCPU without /dev/kvm for fuzzing what runs on top of kvm/kvm.h (fake_kvm.c). */
#ifndef ENTRYBOX_FAKE_KVM_H
#define ENTRYBOX_FAKE_KVM_H

#include <string.h>

#include "kvm/kvm.h"

#define FAKE_KVM_MSR_KERNEL_GS_BASE 0xc0000102u

/* A vCPU of vm whose register caches are the truth; the MSR starts at the value given. */
void fake_kvm_reset(struct kvm_vcpu *vcpu, struct kvm_vm *vm, uint64_t kernel_gs_base);
uint64_t fake_kvm_kernel_gs_base(void);

#endif
