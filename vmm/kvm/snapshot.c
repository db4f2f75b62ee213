/* SPDX-License-Identifier: MIT */
#include "kvm/snapshot.h"

#include <string.h>
#include "entrybox/x86.h"


static bool read_guest_virt(void *ctx, uint64_t cr3, uint64_t gva, void *dst, size_t len)
{
	return gmem_read_virt(ctx, cr3, gva, dst, len);
}

bool snapshot_take_registers(struct kvm_vcpu *vcpu, enum snap_point point, struct vcpu_snap *out)
{
	struct kvm_regs *r = kvm_regs(vcpu);
	struct kvm_sregs *s = kvm_sregs(vcpu);
	if (!r || !s)
		return false;
	memset(out, 0, sizeof(*out));
	out->cpu = vcpu->index;
	out->point = point;
	out->rip = r->rip;
	out->rsp = r->rsp;
	out->rflags = r->rflags;
	const uint64_t gpr[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
				   r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	memcpy(out->gpr, gpr, sizeof(gpr));
	out->cr0 = s->cr0;
	out->cr2 = s->cr2;
	out->cr3 = s->cr3;
	out->cr4 = s->cr4;
	out->gs_base = s->gs.base;
	out->tr_base = s->tr.base;
	out->cs_sel = s->cs.selector;
	out->ss_sel = s->ss.selector;
	out->cpl = (uint8_t)(s->cs.dpl & 3);
	out->fault_vector = -1;
	out->read_virt = read_guest_virt;
	out->read_ctx = &vcpu->vm->mem;
	return true;
}

bool snapshot_add_kernel_gs_base(struct kvm_vcpu *vcpu, struct vcpu_snap *out)
{
	return kvm_get_msr(vcpu, MSR_KERNEL_GS_BASE, &out->kernel_gs_base);
}

bool snapshot_take(struct kvm_vcpu *vcpu, enum snap_point point, struct vcpu_snap *out)
{
	return snapshot_take_registers(vcpu, point, out) && snapshot_add_kernel_gs_base(vcpu, out);
}

bool snapshot_take_for_rules(struct kvm_vcpu *vcpu, enum snap_point point, const struct layout *l,
			     struct vcpu_snap *out)
{
	if (!snapshot_take_registers(vcpu, point, out))
		return false;
	bool needed = out->cpl == 3 || point != SNAP_PLAIN || (l->valid && layout_in_entry_text(l, out->rip));
	return !needed || snapshot_add_kernel_gs_base(vcpu, out);
}
