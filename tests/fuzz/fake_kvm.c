/* SPDX-License-Identifier: MIT */
/*
 * The few kvm/kvm.h calls a hypercall handler makes, answered from memory
 * instead of /dev/kvm: the registers are the vCPU's caches, the one MSR the
 * handlers swap is a variable.  Linked in place of vmm/kvm/kvm.c so the
 * guest-facing code above KVM can be fuzzed on any machine.
 */
#include "fake_kvm.h"

static uint64_t msr_kernel_gs_base;

void fake_kvm_reset(struct kvm_vcpu *vcpu, struct kvm_vm *vm, uint64_t kernel_gs_base)
{
	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->fd = -1;
	vcpu->vm = vm;
	vcpu->regs_valid = vcpu->sregs_valid = true;
	msr_kernel_gs_base = kernel_gs_base;
}

uint64_t fake_kvm_kernel_gs_base(void)
{
	return msr_kernel_gs_base;
}

struct kvm_regs *kvm_regs(struct kvm_vcpu *vcpu)
{
	return &vcpu->regs;
}

struct kvm_sregs *kvm_sregs(struct kvm_vcpu *vcpu)
{
	return &vcpu->sregs;
}

void kvm_mark_regs_dirty(struct kvm_vcpu *vcpu)
{
	vcpu->regs_dirty = true;
}

void kvm_mark_sregs_dirty(struct kvm_vcpu *vcpu)
{
	vcpu->sregs_dirty = true;
}

bool kvm_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *value)
{
	(void)vcpu;
	if (index != FAKE_KVM_MSR_KERNEL_GS_BASE)
		return false;
	*value = msr_kernel_gs_base;
	return true;
}

bool kvm_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t value)
{
	(void)vcpu;
	if (index != FAKE_KVM_MSR_KERNEL_GS_BASE)
		return false;
	msr_kernel_gs_base = value;
	return true;
}

int kvm_settle(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return 0;
}
