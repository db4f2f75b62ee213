/* SPDX-License-Identifier: MIT */
/*
 * The VMM as the Xen-style hypervisor of entry=xen hv=vmm (contract in
 * abi.h, EBX_PORT_HYPERCALL): it bounces a SYSCALL into the guest kernel's
 * late entry point with the Xen frame on the kernel stack, and performs the
 * kernel's IRET after validating the frame.  Everything read from the guest
 * is checked against the published layout before it is used.
 */
#ifndef ENTRYBOX_XEN_HV_H
#define ENTRYBOX_XEN_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "check/layout.h"
#include "kvm/kvm.h"

struct xen_hv_stats {
	uint64_t bounces, irets, refused;
};

/* The OUT to EBX_PORT_HYPERCALL with EAX = `nr` just exited.  Returns false
 * (with one line in err) when the guest broke the contract; the caller ends
 * the run as hostile. */
bool xen_hv_hypercall(struct kvm_vcpu *vcpu, const struct layout *l, uint32_t nr, struct xen_hv_stats *stats,
		      char *err, size_t errlen);

/* The frame check of EBX_HC_IRET, separately testable: NULL when the frame may
 * be returned to, else what is wrong with it. */
const char *xen_hv_iret_frame_problem(const uint64_t frame[8], const struct layout *l);

#endif
