/* SPDX-License-Identifier: MIT */
#include "roles/pvm_syscall.h"

#include <stdio.h>
#include <string.h>
#include "entrybox/x86.h"

#define PF_VECTOR  14
#define PF_ERR_USER_FETCH 0x14u   /* U/S | I/D: an instruction fetch from CPL 3 */

bool pvm_syscall_prepare(struct pvm_syscall *p, struct kvm_vcpu *vcpu, char *err, size_t errlen)
{
	struct kvm_sregs *s = kvm_sregs(vcpu);
	if (!s) {
		snprintf(err, errlen, "cannot read special registers");
		return false;
	}
	if (s->idt.limit < PF_VECTOR * 16 + 15) {
		snprintf(err, errlen, "IDT limit 0x%x does not cover vector 14", s->idt.limit);
		return false;
	}
	uint8_t gate[16];
	if (!gmem_read_virt(&vcpu->vm->mem, s->cr3, s->idt.base + PF_VECTOR * 16, gate, sizeof(gate))) {
		snprintf(err, errlen, "IDT at 0x%llx is not mapped", (unsigned long long)s->idt.base);
		return false;
	}
	uint64_t target = (uint64_t)gate[0] | (uint64_t)gate[1] << 8 | (uint64_t)gate[6] << 16 |
			  (uint64_t)gate[7] << 24;
	uint32_t high;
	memcpy(&high, gate + 8, 4);
	target |= (uint64_t)high << 32;
	if (!(gate[5] & 0x80)) {
		snprintf(err, errlen, "IDT gate 14 is not present");
		return false;
	}
	if (!kvm_get_msr(vcpu, MSR_LSTAR, &p->lstar) || !kvm_get_msr(vcpu, MSR_CSTAR, &p->cstar) ||
	    !kvm_get_msr(vcpu, MSR_STAR, &p->star)) {
		snprintf(err, errlen, "cannot read MSR_LSTAR/MSR_CSTAR/MSR_STAR");
		return false;
	}
	p->pf_handler = target;
	return true;
}

static void code_segment(struct kvm_segment *cs, uint16_t sel)
{
	memset(cs, 0, sizeof(*cs));
	cs->selector = sel;
	cs->limit = 0xffffffffu;
	cs->type = 0xb;
	cs->s = 1;
	cs->present = 1;
	cs->l = 1;
	cs->g = 1;
}

static void stack_segment(struct kvm_segment *ss, uint16_t sel)
{
	memset(ss, 0, sizeof(*ss));
	ss->selector = sel;
	ss->limit = 0xffffffffu;
	ss->type = 0x3;
	ss->s = 1;
	ss->present = 1;
	ss->db = 1;
	ss->g = 1;
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
	code_segment(&s->cs, kernel_cs);
	stack_segment(&s->ss, (uint16_t)(kernel_cs + 8));
	r->rip = fetch_at_lstar ? p->lstar : p->cstar;
	r->rsp = frame[4];
	r->rflags = (frame[3] & ~RFLAGS_RF) | 2;
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
