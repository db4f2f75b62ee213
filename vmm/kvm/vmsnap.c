/* SPDX-License-Identifier: MIT */
#include "kvm/vmsnap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSRS 512

struct vmsnap {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	struct kvm_xcrs xcrs;
	struct kvm_xsave xsave;
	struct kvm_mp_state mp;
	bool has_xcrs;
	struct kvm_msrs *msrs;     /* only the MSRs KVM would read back */
	uint8_t *ram;
	uint64_t ram_size;
};

static bool fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return false;
}

/* The MSR index list includes MSRs this vCPU model refuses; keep the ones that read. */
static struct kvm_msrs *read_msrs(struct kvm_vcpu *vcpu)
{
	struct kvm_msr_list *list = calloc(1, sizeof(*list) + MAX_MSRS * sizeof(uint32_t));
	struct kvm_msrs *m = calloc(1, sizeof(*m) + MAX_MSRS * sizeof(struct kvm_msr_entry));
	if (!list || !m)
		goto fail;
	list->nmsrs = MAX_MSRS;
	if (kvm_system_request(vcpu->vm, KVM_GET_MSR_INDEX_LIST, list) < 0)
		goto fail;
	for (uint32_t i = 0; i < list->nmsrs; i++) {
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e;
		} one;
		memset(&one, 0, sizeof(one));
		one.hdr.nmsrs = 1;
		one.e.index = list->indices[i];
		if (kvm_vcpu_request(vcpu, KVM_GET_MSRS, &one) == 1)
			m->entries[m->nmsrs++] = one.e;
	}
	free(list);
	return m;
fail:
	free(list);
	free(m);
	return NULL;
}

/* KVM_SET_* requests read their argument only. */
static int put(struct kvm_vcpu *vcpu, unsigned long request, const void *arg)
{
	return kvm_vcpu_request(vcpu, request, (void *)(uintptr_t)arg);
}

static int get(struct kvm_vcpu *vcpu, unsigned long request, void *arg)
{
	return kvm_vcpu_request(vcpu, request, arg);
}

static bool settle(struct kvm_vcpu *vcpu, char *err, size_t errlen)
{
	if (kvm_settle(vcpu) < 0)
		return fail(err, errlen, "KVM_RUN (immediate exit)");
	return true;
}

struct vmsnap *vmsnap_take(struct kvm_vcpu *vcpu, char *err, size_t errlen)
{
	struct vmsnap *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!settle(vcpu, err, errlen))
		goto out;
	struct kvm_regs *r = kvm_regs(vcpu);
	struct kvm_sregs *sr = kvm_sregs(vcpu);
	if (!r || !sr) {
		fail(err, errlen, "KVM_GET_REGS/SREGS");
		goto out;
	}
	s->regs = *r;
	s->sregs = *sr;
	if (get(vcpu, KVM_GET_LAPIC, &s->lapic) < 0 || get(vcpu, KVM_GET_VCPU_EVENTS, &s->events) < 0 ||
	    get(vcpu, KVM_GET_DEBUGREGS, &s->debugregs) < 0 || get(vcpu, KVM_GET_XSAVE, &s->xsave) < 0 ||
	    get(vcpu, KVM_GET_MP_STATE, &s->mp) < 0) {
		fail(err, errlen, "reading vCPU state");
		goto out;
	}
	s->has_xcrs = get(vcpu, KVM_GET_XCRS, &s->xcrs) == 0;
	s->msrs = read_msrs(vcpu);
	if (!s->msrs) {
		fail(err, errlen, "KVM_GET_MSR_INDEX_LIST");
		goto out;
	}
	s->ram_size = vcpu->vm->mem.size;
	s->ram = malloc(s->ram_size);
	if (!s->ram) {
		snprintf(err, errlen, "out of memory for a %llu MiB RAM copy", (unsigned long long)(s->ram_size >> 20));
		goto out;
	}
	memcpy(s->ram, vcpu->vm->mem.host, s->ram_size);
	return s;
out:
	vmsnap_free(s);
	return NULL;
}

static bool reload_memslot(struct kvm_vm *vm, char *err, size_t errlen)
{
	if (kvm_forget_translations(vm) < 0)
		return fail(err, errlen, "reloading the memory slot");
	return true;
}

bool vmsnap_restore(const struct vmsnap *s, struct kvm_vcpu *vcpu, char *err, size_t errlen)
{
	if (s->ram_size != vcpu->vm->mem.size) {
		snprintf(err, errlen, "snapshot RAM size differs");
		return false;
	}
	memcpy(vcpu->vm->mem.host, s->ram, s->ram_size);
	if (!reload_memslot(vcpu->vm, err, errlen))
		return false;
	/* Order: MSRs (EFER and friends) and sregs before the registers that
	 * depend on the mode; events and the LAPIC last, on a settled vCPU. */
	if (put(vcpu, KVM_SET_MSRS, s->msrs) != (int)s->msrs->nmsrs)
		return fail(err, errlen, "KVM_SET_MSRS");
	if (put(vcpu, KVM_SET_SREGS, &s->sregs) < 0 || put(vcpu, KVM_SET_REGS, &s->regs) < 0)
		return fail(err, errlen, "KVM_SET_SREGS/REGS");
	if (put(vcpu, KVM_SET_XSAVE, &s->xsave) < 0 || (s->has_xcrs && put(vcpu, KVM_SET_XCRS, &s->xcrs) < 0))
		return fail(err, errlen, "KVM_SET_XSAVE/XCRS");
	if (put(vcpu, KVM_SET_DEBUGREGS, &s->debugregs) < 0 || put(vcpu, KVM_SET_LAPIC, &s->lapic) < 0)
		return fail(err, errlen, "KVM_SET_DEBUGREGS/LAPIC");
	struct kvm_vcpu_events ev = s->events;
	ev.flags &= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | KVM_VCPUEVENT_VALID_SHADOW |
		    KVM_VCPUEVENT_VALID_PAYLOAD;
	if (put(vcpu, KVM_SET_VCPU_EVENTS, &ev) < 0 || put(vcpu, KVM_SET_MP_STATE, &s->mp) < 0)
		return fail(err, errlen, "KVM_SET_VCPU_EVENTS/MP_STATE");
	vcpu->regs_valid = vcpu->sregs_valid = false;
	vcpu->regs_dirty = vcpu->sregs_dirty = false;
	return true;
}

void vmsnap_free(struct vmsnap *s)
{
	if (!s)
		return;
	free(s->msrs);
	free(s->ram);
	free(s);
}
