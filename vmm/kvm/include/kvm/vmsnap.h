/* SPDX-License-Identifier: MIT */
/*
 * A snapshot of a VM that can be restored many times: for every vCPU its
 * registers, special registers, every MSR KVM lists, LAPIC, pending events,
 * XSAVE/XCRs, debug registers and MP state; and guest RAM.  RAM is copied
 * once; from then on KVM's dirty log (kvm/dirty_log.h) says which pages the
 * guest (or the VMM) wrote, and a restore copies back only those.
 *
 * What the guest's TLB holds comes from the run being abandoned (another
 * task's mappings at the same addresses, a page taken away): every restore
 * resets each vCPU's MMU context, which makes KVM flush its TLB.  Where KVM
 * shadows the guest's page tables (kvm_pvm), a restore that changes a table
 * (anything but the accessed and dirty bits) leaves the shadow pages stale:
 * the memory slot is reloaded then, which makes KVM drop every translation.
 *
 * Every vCPU must be out of KVM_RUN with no instruction half done
 * (kvm_settle() on its own thread) when the snapshot is taken and restored.
 */
#ifndef ENTRYBOX_VMSNAP_H
#define ENTRYBOX_VMSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include "kvm/kvm.h"

struct vmsnap;

struct vmsnap_options {
	const uint64_t *pt_roots;     /* the guest's page-table roots (PGDs) */
	unsigned npt_roots;
	bool shadow_paging;           /* KVM shadows the guest's tables (no NPT/EPT) */
};

struct vmsnap *vmsnap_take(struct kvm_vm *vm, struct kvm_vcpu *const vcpus[], unsigned n,
			   const struct vmsnap_options *opt, char *err, size_t errlen);
bool vmsnap_restore(struct vmsnap *snap, struct kvm_vm *vm, struct kvm_vcpu *const vcpus[], unsigned n, char *err,
		    size_t errlen);
/* RAM pages the last restore copied back, and whether it reloaded the slot. */
size_t vmsnap_restored_pages(const struct vmsnap *snap);
bool vmsnap_reloaded(const struct vmsnap *snap);
void vmsnap_free(struct kvm_vm *vm, struct vmsnap *snap);

#endif
