/* SPDX-License-Identifier: MIT */
#include "run/step_hygiene.h"

#include <string.h>

#include "entrybox/x86.h"

enum saved_flags { SAVES_NOTHING, SAVES_ON_STACK, SAVES_IN_R11 };

struct decoded {
	enum saved_flags saves;
	unsigned operand_bytes;
	bool rep_string;        /* REP/REPE/REPNE with a string opcode: one instruction, many steps */
};

static bool string_opcode(uint8_t op)
{
	return (op >= 0x6c && op <= 0x6f) || (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf);
}

/* Legacy prefixes and REX, then the opcode: PUSHF is 9C, SYSCALL 0F 05. */
static struct decoded decode(const uint8_t *code, size_t len)
{
	struct decoded d = { .saves = SAVES_NOTHING, .operand_bytes = 8 };
	bool rep = false;
	size_t i = 0;
	for (; i < len; i++) {
		uint8_t b = code[i];
		if (b == 0x66)
			d.operand_bytes = 2;
		else if (b == 0xf2 || b == 0xf3)
			rep = true;
		else if (!(b == 0xf0 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 ||
			   b == 0x67 || (b >= 0x40 && b <= 0x4f)))
			break;
	}
	if (i >= len)
		return d;
	if (code[i] == 0x9c)
		d.saves = SAVES_ON_STACK;
	else if (i + 1 < len && code[i] == 0x0f && code[i + 1] == 0x05)
		d.saves = SAVES_IN_R11;
	d.rep_string = rep && string_opcode(code[i]);
	return d;
}

void step_hygiene_before_run(struct step_hygiene *h, struct kvm_vcpu *vcpu, bool stepping)
{
	h->armed = false;
	if (!stepping)
		return;
	struct kvm_regs *r = kvm_regs(vcpu);
	struct kvm_sregs *sr = kvm_sregs(vcpu);
	if (!r || !sr)
		return;
	h->armed = true;
	h->from_rip = r->rip;
	h->from_cr3 = sr->cr3;
}

static bool clear_tf_on_stack(struct kvm_vcpu *vcpu, uint64_t cr3, uint64_t rsp, unsigned bytes)
{
	uint64_t gpa;
	uint8_t word[8];
	if (!gmem_translate(&vcpu->vm->mem, cr3, rsp, &gpa) || (gpa & (PT_PAGE_SIZE - 1)) + bytes > PT_PAGE_SIZE ||
	    !gmem_read(&vcpu->vm->mem, gpa, word, bytes))
		return false;
	word[1] &= (uint8_t)~(RFLAGS_TF >> 8);   /* TF is bit 8: the second byte */
	return gmem_write(&vcpu->vm->mem, gpa, word, bytes);
}

bool step_hygiene_after_step(struct step_hygiene *h, struct kvm_vcpu *vcpu)
{
	h->retired = 1;
	if (!h->armed)
		return true;
	h->armed = false;
	uint8_t code[X86_MAX_INSN_LEN];
	if (!gmem_read_virt(&vcpu->vm->mem, h->from_cr3, h->from_rip, code, sizeof(code)))
		return true; /* an instruction across a page edge or gone: nothing decoded, nothing saved by us */
	struct kvm_regs *r = kvm_regs(vcpu);
	struct kvm_sregs *sr = kvm_sregs(vcpu);
	if (!r || !sr)
		return false;
	struct decoded d = decode(code, sizeof(code));
	/* TF traps after every iteration of a REP string instruction, with RIP
	 * still on it: that step retired no instruction. */
	if (d.rep_string && r->rip == h->from_rip)
		h->retired = 0;
	switch (d.saves) {
	case SAVES_ON_STACK:
		return clear_tf_on_stack(vcpu, sr->cr3, r->rsp, d.operand_bytes);
	case SAVES_IN_R11:
		if (r->r11 & RFLAGS_TF) {
			r->r11 &= ~(uint64_t)RFLAGS_TF;
			kvm_mark_regs_dirty(vcpu);
		}
		return true;
	case SAVES_NOTHING:
		break;
	}
	return true;
}
