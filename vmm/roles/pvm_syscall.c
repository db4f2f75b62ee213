/* SPDX-License-Identifier: MIT */
#include "roles/pvm_syscall.h"

#include <stdio.h>
#include <string.h>
#include "entrybox/x86.h"

#define PF_ERR_USER_FETCH 0x14u   /* U/S | I/D: an instruction fetch from CPL 3 */

/* The target of IDT gate `vector`, read through the current page tables. */
static bool gate_target(struct kvm_vcpu *vcpu, const struct kvm_sregs *s, unsigned vector, uint64_t *target,
			char *err, size_t errlen)
{
	if (s->idt.limit < vector * GATE_SIZE + GATE_SIZE - 1) {
		snprintf(err, errlen, "IDT limit 0x%x does not cover vector %u", s->idt.limit, vector);
		return false;
	}
	uint8_t raw[GATE_SIZE];
	if (!gmem_read_virt(&vcpu->vm->mem, s->cr3, s->idt.base + vector * GATE_SIZE, raw, sizeof(raw))) {
		snprintf(err, errlen, "IDT at 0x%llx is not mapped", (unsigned long long)s->idt.base);
		return false;
	}
	struct x86_gate gate = x86_gate_from_bytes(raw);
	if (!x86_gate_present(gate)) {
		snprintf(err, errlen, "IDT gate %u is not present", vector);
		return false;
	}
	*target = x86_gate_target(gate);
	return true;
}

bool pvm_syscall_prepare(struct pvm_syscall *p, struct kvm_vcpu *vcpu, char *err, size_t errlen)
{
	struct kvm_sregs *s = kvm_sregs(vcpu);
	if (!s) {
		snprintf(err, errlen, "cannot read special registers");
		return false;
	}
	if (!gate_target(vcpu, s, VEC_PF, &p->pf_handler, err, errlen) ||
	    !gate_target(vcpu, s, VEC_DB, &p->db_handler, err, errlen))
		return false;
	if (!kvm_get_msr(vcpu, MSR_LSTAR, &p->lstar) || !kvm_get_msr(vcpu, MSR_CSTAR, &p->cstar) ||
	    !kvm_get_msr(vcpu, MSR_STAR, &p->star)) {
		snprintf(err, errlen, "cannot read MSR_LSTAR/MSR_CSTAR/MSR_STAR");
		return false;
	}
	return true;
}

enum pvm_verdict pvm_syscall_on_pf_handler(struct pvm_syscall *p, struct kvm_vcpu *vcpu)
{
	struct kvm_regs *r = kvm_regs(vcpu);
	struct kvm_sregs *s = kvm_sregs(vcpu);
	if (!r || !s)
		return PVM_UNREADABLE;
	/* The CPU pushed: error code, RIP, CS, RFLAGS, RSP, SS. */
	uint64_t frame[6];
	if (!gmem_read_virt(&vcpu->vm->mem, s->cr3, r->rsp, frame, sizeof(frame)))
		return PVM_UNREADABLE;
	bool from_user = (frame[2] & 3) == 3;
	bool fetch_at_lstar = from_user && s->cr2 == p->lstar && frame[1] == p->lstar &&
			      (frame[0] & PF_ERR_USER_FETCH) == PF_ERR_USER_FETCH;
	uint64_t cstar_low = p->cstar & 0xffffffffu;
	bool fetch_at_cstar_low = !from_user && p->cstar > 0xffffffffu && s->cr2 == cstar_low &&
				  frame[1] == cstar_low && (frame[0] & PF_ERR_USER_FETCH) == PF_ERR_FETCH;
	if (!fetch_at_lstar && !fetch_at_cstar_low) {
		p->genuine_faults++;
		return PVM_GENUINE_FAULT;
	}
	/* kvm_pvm already did SYSCALL's register half (RCX = return RIP, R11 =
	 * RFLAGS, RFLAGS masked by SFMASK); the frame holds the masked flags plus
	 * RF from the fault.  What is missing is the privilege change. */
	uint16_t kernel_cs = (uint16_t)((p->star >> 32) & 0xfffc);
	kvm_flat_segment(&s->cs, kernel_cs, 0xb, 0, KVM_FLAT_CODE64);
	kvm_flat_segment(&s->ss, (uint16_t)(kernel_cs + 8), 0x3, 0, KVM_FLAT_DATA);
	r->rip = fetch_at_lstar ? p->lstar : p->cstar;
	r->rsp = frame[4];
	r->rflags = (frame[3] & ~RFLAGS_RF) | RFLAGS_FIXED;
	kvm_mark_regs_dirty(vcpu);
	kvm_mark_sregs_dirty(vcpu);
	p->repairs++;
	return PVM_REPAIRED;
}

/* IN and OUT to a port: E4-E7 with an 8-bit port, EC-EF by DX, a 0x66 prefix for 16-bit data. */
static size_t port_io_len(const uint8_t *code, size_t n)
{
	size_t prefix = n > 0 && code[0] == 0x66;
	if (n <= prefix)
		return 0;
	uint8_t op = code[prefix];
	if (op >= 0xe4 && op <= 0xe7)
		return n >= prefix + 2 ? prefix + 2 : 0;
	return op >= 0xec && op <= 0xef ? prefix + 1 : 0;
}

bool pvm_unreported_step_after_iret(const uint8_t *code, size_t n)
{
	return n >= 2 && code[0] == 0x48 && code[1] == 0xcf;
}

size_t pvm_unreported_step_len(const uint8_t *code, size_t n)
{
	static const uint8_t swapgs[] = { 0x0f, 0x01, 0xf8 };
	if (n >= sizeof(swapgs) && memcmp(code, swapgs, sizeof(swapgs)) == 0)
		return sizeof(swapgs);
	/* Port I/O the VMM completes (every port here exits to it). */
	return port_io_len(code, n);
}

uint64_t pvm_step_catch_addr(const struct pvm_syscall *p, struct kvm_vcpu *vcpu)
{
	struct kvm_regs *r = kvm_regs(vcpu);
	struct kvm_sregs *s = kvm_sregs(vcpu);
	if (!p->db_handler || !r || !s || (s->cs.selector & 3) != 3 || (r->rflags & RFLAGS_TF))
		return 0;
	return p->db_handler;
}

/* The guest's DR6 keeps the BS bit of a #DB it never saw. */
static void clear_step_in_dr6(struct kvm_vcpu *vcpu)
{
	struct kvm_debugregs dr;
	if (kvm_vcpu_request(vcpu, KVM_GET_DEBUGREGS, &dr) == 0 && (dr.dr6 & DR6_BS)) {
		dr.dr6 &= ~DR6_BS;
		kvm_vcpu_request(vcpu, KVM_SET_DEBUGREGS, &dr);
	}
}

bool pvm_step_take_back(struct pvm_syscall *p, struct kvm_vcpu *vcpu)
{
	struct kvm_regs *r = kvm_regs(vcpu);
	struct kvm_sregs *s = kvm_sregs(vcpu);
	if (!r || !s)
		return false;
	/* The CPU pushed an IRET frame, no error code for #DB. */
	struct x86_iret_frame f;
	if (!gmem_read_virt(&vcpu->vm->mem, s->cr3, r->rsp, &f, sizeof(f)) || (f.cs & 3) != 3)
		return false;
	kvm_flat_segment(&s->cs, (uint16_t)f.cs, 0xb, 3, KVM_FLAT_CODE64);
	kvm_flat_segment(&s->ss, (uint16_t)f.ss, 0x3, 3, KVM_FLAT_DATA);
	r->rip = f.rip;
	r->rsp = f.rsp;
	/* The trap flag was the step's, not the guest's (pvm_step_catch_addr). */
	r->rflags = (f.rflags & ~(RFLAGS_TF | RFLAGS_RF)) | RFLAGS_FIXED;
	kvm_mark_regs_dirty(vcpu);
	kvm_mark_sregs_dirty(vcpu);
	clear_step_in_dr6(vcpu);
	p->steps_taken_back++;
	return true;
}
