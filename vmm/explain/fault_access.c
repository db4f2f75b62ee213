/* SPDX-License-Identifier: MIT */
#include "explain/fault_access.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "entrybox/x86.h"

#define INSN_MAX 15u


struct access {
	uint64_t addr;
	unsigned size;
	bool write, fetch;
	char what[48];
};

/* Whether one page of an access faults; sets the error code if so. */
static bool page_faults(const struct fa_cpu *c, const struct pt_env *env, uint64_t va, const struct access *a,
			uint32_t *pfec)
{
	uint32_t base = (a->write ? PF_ERR_WRITE : 0) | (c->cpl == 3 ? PF_ERR_USER : 0) | (a->fetch ? PF_ERR_FETCH : 0);
	struct pt_walk w;
	if (pt_walk(env, c->cr3 & PT_CR3_PGD_MASK, va, &w) != PT_OK) {
		*pfec = base;
		return true;
	}
	bool bad = (a->write && !w.writable) || (c->cpl == 3 && !w.user) || (a->fetch && w.nx) ||
		   (c->cpl < 3 && w.user && !a->fetch && c->smap && !c->rflags_ac);
	if (bad)
		*pfec = base | PF_ERR_PRESENT;
	return bad;
}

static bool access_faults(const struct fa_cpu *c, const struct pt_env *env, const struct access *a,
			  struct fa_fault *out)
{
	uint64_t last = a->addr + (a->size ? a->size - 1 : 0);
	for (uint64_t va = a->addr;; va = (va | (PT_PAGE_SIZE - 1)) + 1) {
		uint32_t pfec = 0;
		if (page_faults(c, env, va, a, &pfec)) {
			out->vector = VEC_PF;
			out->cr2 = va;
			out->error_code = pfec;
			snprintf(out->access, sizeof(out->access), "%s of %u bytes at %s", a->fetch ? "fetch" :
				 a->write ? "write" : "read", a->size, a->what);
			return true;
		}
		if ((va | (PT_PAGE_SIZE - 1)) >= last)
			return false;
	}
}

/* The value of a register capstone names in an address (64- or 32-bit forms). */
static bool reg_value(const struct fa_cpu *c, x86_reg reg, uint64_t next_rip, uint64_t *v)
{
	static const struct { x86_reg r64, r32; enum fa_gpr g; } map[] = {
		{ X86_REG_RAX, X86_REG_EAX, FA_RAX }, { X86_REG_RBX, X86_REG_EBX, FA_RBX },
		{ X86_REG_RCX, X86_REG_ECX, FA_RCX }, { X86_REG_RDX, X86_REG_EDX, FA_RDX },
		{ X86_REG_RSI, X86_REG_ESI, FA_RSI }, { X86_REG_RDI, X86_REG_EDI, FA_RDI },
		{ X86_REG_RSP, X86_REG_ESP, FA_RSP }, { X86_REG_RBP, X86_REG_EBP, FA_RBP },
		{ X86_REG_R8, X86_REG_R8D, FA_R8 },   { X86_REG_R9, X86_REG_R9D, FA_R9 },
		{ X86_REG_R10, X86_REG_R10D, FA_R10 }, { X86_REG_R11, X86_REG_R11D, FA_R11 },
		{ X86_REG_R12, X86_REG_R12D, FA_R12 }, { X86_REG_R13, X86_REG_R13D, FA_R13 },
		{ X86_REG_R14, X86_REG_R14D, FA_R14 }, { X86_REG_R15, X86_REG_R15D, FA_R15 },
	};
	if (reg == X86_REG_INVALID) {
		*v = 0;
		return true;
	}
	if (reg == X86_REG_RIP) {
		*v = next_rip;
		return true;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (reg == map[i].r64) {
			*v = c->gpr[map[i].g];
			return true;
		}
		if (reg == map[i].r32) {
			*v = (uint32_t)c->gpr[map[i].g];
			return true;
		}
	}
	return false;
}

static bool mem_operand(const struct fa_cpu *c, csh cs, const cs_insn *insn, const cs_x86_op *op,
			struct access *a)
{
	uint64_t base = 0, index = 0;
	uint64_t next = insn->address + insn->size;
	if (!reg_value(c, op->mem.base, next, &base) || !reg_value(c, op->mem.index, next, &index))
		return false;
	uint64_t addr = base + index * (uint64_t)op->mem.scale + (uint64_t)op->mem.disp;
	if (op->mem.segment == X86_REG_FS)
		addr += c->fs_base;
	else if (op->mem.segment == X86_REG_GS)
		addr += c->gs_base;
	a->addr = addr;
	a->size = op->size ? op->size : 8;
	a->write = (op->access & CS_AC_WRITE) != 0;
	a->fetch = false;
	const char *b = op->mem.base != X86_REG_INVALID ? cs_reg_name(cs, op->mem.base) : NULL;
	if (b && op->mem.disp == 0 && op->mem.index == X86_REG_INVALID)
		snprintf(a->what, sizeof(a->what), "(%%%s) = 0x%" PRIx64, b, addr);
	else
		snprintf(a->what, sizeof(a->what), "0x%" PRIx64, addr);
	return true;
}

/* Stack accesses capstone does not list as operands. */
static bool implicit_stack(const struct fa_cpu *c, const cs_insn *insn, struct access *a)
{
	uint64_t rsp = c->gpr[FA_RSP];
	a->fetch = false;
	switch (insn->id) {
	case X86_INS_PUSH: case X86_INS_PUSHFQ: case X86_INS_CALL:
		a->addr = rsp - 8, a->size = 8, a->write = true;
		snprintf(a->what, sizeof(a->what), "the stack, RSP-8 = 0x%" PRIx64, a->addr);
		return true;
	case X86_INS_POP: case X86_INS_POPFQ: case X86_INS_RET:
		a->addr = rsp, a->size = 8, a->write = false;
		snprintf(a->what, sizeof(a->what), "the stack, RSP = 0x%" PRIx64, a->addr);
		return true;
	case X86_INS_IRETQ:
		a->addr = rsp, a->size = 40, a->write = false;
		snprintf(a->what, sizeof(a->what), "the IRET frame at RSP = 0x%" PRIx64, a->addr);
		return true;
	default:
		return false;
	}
}

static bool decode(const struct fa_cpu *c, const struct pt_env *env, csh cs, cs_insn **insn, struct fa_fault *out)
{
	uint8_t code[INSN_MAX];
	size_t done = 0;
	pt_read_virt(env, c->cr3 & PT_CR3_PGD_MASK, c->rip, code, sizeof(code), &done);
	if (done == 0)
		return false;
	if (cs_disasm(cs, code, done, c->rip, 1, insn) != 1) {
		snprintf(out->access, sizeof(out->access), "undecodable instruction at 0x%" PRIx64, c->rip);
		return false;
	}
	return true;
}

static bool operands_fault(const struct fa_cpu *c, const struct pt_env *env, csh cs, const cs_insn *insn,
			   struct fa_fault *out)
{
	struct access a;
	/* The CPU pushes before it reads an operand of PUSH/CALL, so the stack goes first. */
	if (implicit_stack(c, insn, &a) && access_faults(c, env, &a, out))
		return true;
	/* LEA computes an address and never touches it. */
	if (insn->id == X86_INS_LEA)
		return false;
	const cs_x86 *x = &insn->detail->x86;
	for (uint8_t i = 0; i < x->op_count; i++) {
		if (x->operands[i].type != X86_OP_MEM || !mem_operand(c, cs, insn, &x->operands[i], &a))
			continue;
		if (access_faults(c, env, &a, out))
			return true;
	}
	return false;
}

bool fa_find_fault(const struct fa_cpu *c, const struct pt_env *env, struct fa_fault *out)
{
	memset(out, 0, sizeof(*out));
	struct access fetch = { .addr = c->rip, .size = 1, .fetch = true };
	snprintf(fetch.what, sizeof(fetch.what), "RIP 0x%" PRIx64, c->rip);
	if (access_faults(c, env, &fetch, out))
		return true;
	csh cs;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		snprintf(out->access, sizeof(out->access), "no disassembler");
		return false;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_insn *insn = NULL;
	bool found = false;
	if (decode(c, env, cs, &insn, out)) {
		found = operands_fault(c, env, cs, insn, out);
		cs_free(insn, 1);
	}
	cs_close(&cs);
	return found;
}
