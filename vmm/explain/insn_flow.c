/* SPDX-License-Identifier: MIT */
#include "explain/insn_flow.h"

#include <stdio.h>
#include <string.h>

#include "cs_thread.h"
#include "entrybox/x86.h"

#define REG_NONE (-1)

/* The ModRM number of a general-purpose register capstone names, -1 for none. */
static int modrm_number(x86_reg reg, bool *is32)
{
	static const x86_reg r64[16] = {
		X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI,
		X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11, X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
	};
	static const x86_reg r32[16] = {
		X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX, X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI,
		X86_REG_R8D, X86_REG_R9D, X86_REG_R10D, X86_REG_R11D, X86_REG_R12D, X86_REG_R13D, X86_REG_R14D,
		X86_REG_R15D,
	};
	*is32 = false;
	if (reg == X86_REG_RIP)
		return FLOW_REG_RIP;
	for (int i = 0; i < 16; i++) {
		if (reg == r64[i])
			return i;
		if (reg == r32[i]) {
			*is32 = true;
			return i;
		}
	}
	return REG_NONE;
}

static bool operand_of(const cs_x86_op *op, struct flow_operand *out)
{
	memset(out, 0, sizeof(*out));
	out->base = out->index = REG_NONE;
	bool is32 = false;
	switch (op->type) {
	case X86_OP_IMM:
		out->type = FOP_IMM;
		out->imm = (uint64_t)op->imm;
		return true;
	case X86_OP_REG:
		out->type = FOP_REG;
		out->reg = modrm_number(op->reg, &is32);
		return out->reg >= 0 && out->reg < 16 && !is32;
	case X86_OP_MEM:
		out->type = FOP_MEM;
		if (op->mem.segment != X86_REG_INVALID && op->mem.segment != X86_REG_GS)
			return false; /* an FS base is not part of the state the trace keeps */
		out->gs = op->mem.segment == X86_REG_GS;
		if (op->mem.base != X86_REG_INVALID &&
		    (out->base = modrm_number(op->mem.base, &out->base32)) == REG_NONE)
			return false;
		if (op->mem.index != X86_REG_INVALID &&
		    (out->index = modrm_number(op->mem.index, &out->index32)) == REG_NONE)
			return false;
		out->scale = (unsigned)op->mem.scale;
		out->disp = op->mem.disp;
		return true;
	default:
		return false;
	}
}

static bool has_group(const cs_insn *insn, uint8_t group)
{
	for (uint8_t i = 0; i < insn->detail->groups_count; i++)
		if (insn->detail->groups[i] == group)
			return true;
	return false;
}

static bool is_string_op(unsigned id)
{
	switch (id) {
	case X86_INS_MOVSB: case X86_INS_MOVSW: case X86_INS_MOVSD: case X86_INS_MOVSQ:
	case X86_INS_STOSB: case X86_INS_STOSW: case X86_INS_STOSD: case X86_INS_STOSQ:
	case X86_INS_LODSB: case X86_INS_LODSW: case X86_INS_LODSD: case X86_INS_LODSQ:
	case X86_INS_CMPSB: case X86_INS_CMPSW: case X86_INS_CMPSD: case X86_INS_CMPSQ:
	case X86_INS_SCASB: case X86_INS_SCASW: case X86_INS_SCASD: case X86_INS_SCASQ:
	case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
	case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
		return true;
	default:
		return false;
	}
}

static void classify_trap(const cs_insn *insn, struct insn_flow *f)
{
	const cs_x86 *x = &insn->detail->x86;
	f->kind = FLOW_INT;
	switch (insn->id) {
	case X86_INS_INT3: f->vector = VEC_BP; break;
	case X86_INS_INT1: f->vector = VEC_DB; break;
	case X86_INS_INTO: f->vector = VEC_OF; break;
	case X86_INS_UD2: f->vector = VEC_UD; break;
	default: f->vector = x->op_count > 0 && x->operands[0].type == X86_OP_IMM ? (uint8_t)x->operands[0].imm : 0;
	}
}

static void classify(const cs_insn *insn, struct insn_flow *f)
{
	const cs_x86 *x = &insn->detail->x86;
	f->kind = FLOW_NEXT;
	switch (insn->id) {
	case X86_INS_RET: case X86_INS_RETF: case X86_INS_RETFQ: f->kind = FLOW_RET; return;
	case X86_INS_IRETQ: f->kind = FLOW_IRET; return;
	case X86_INS_SYSRET: f->kind = FLOW_SYSRET; return;
	case X86_INS_SYSCALL: f->kind = FLOW_SYSCALL; return;
	case X86_INS_INT: case X86_INS_INT3: case X86_INS_INT1: case X86_INS_INTO: case X86_INS_UD2:
		classify_trap(insn, f);
		return;
	case X86_INS_LJMP: case X86_INS_LCALL: case X86_INS_IRET: case X86_INS_IRETD: case X86_INS_SYSEXIT:
	case X86_INS_SYSENTER:
		f->kind = FLOW_UNKNOWN;
		return;
	default:
		break;
	}
	if (is_string_op(insn->id) && x->prefix[0] != 0 && x->prefix[0] != X86_PREFIX_LOCK) {
		f->kind = FLOW_REP;
		return;
	}
	bool call = has_group(insn, CS_GRP_CALL), jump = has_group(insn, CS_GRP_JUMP);
	if (!call && !jump)
		return;
	if (x->op_count != 1 || !operand_of(&x->operands[0], &f->target)) {
		f->kind = FLOW_UNKNOWN;
		return;
	}
	if (call)
		f->kind = FLOW_CALL;
	else
		f->kind = insn->id == X86_INS_JMP ? FLOW_JUMP : FLOW_BRANCH;
}

bool insn_flow_decode(const uint8_t *code, size_t n, uint64_t rip, struct insn_flow *out)
{
	csh cs;
	cs_insn *insn = NULL;
	memset(out, 0, sizeof(*out));
	if (code == NULL || n == 0 || !cs_thread_handle(true, &cs))
		return false;
	if (cs_disasm(cs, code, n, rip, 1, &insn) != 1)
		return false;
	out->len = insn->size;
	snprintf(out->mnemonic, sizeof(out->mnemonic), "%.15s", insn->mnemonic);
	classify(insn, out);
	cs_free(insn, 1);
	return true;
}

/* ---- where control goes ------------------------------------------------------------------- */

static uint64_t reg_value(const struct flow_state *st, int reg, bool is32, uint64_t next_rip)
{
	if (reg == REG_NONE)
		return 0;
	uint64_t v = reg == FLOW_REG_RIP ? next_rip : st->gpr[reg];
	return is32 ? (uint32_t)v : v;
}

static bool operand_value(const struct flow_operand *op, uint64_t next_rip, const struct flow_state *st,
			  uint64_t *out)
{
	switch (op->type) {
	case FOP_IMM:
		*out = op->imm;
		return true;
	case FOP_REG:
		*out = st->gpr[op->reg];
		return true;
	case FOP_MEM: {
		uint64_t addr = reg_value(st, op->base, op->base32, next_rip) +
				reg_value(st, op->index, op->index32, next_rip) * op->scale + (uint64_t)op->disp;
		if (op->gs)
			addr += st->gs_base;
		return st->read(st->ctx, addr, out, sizeof(*out));
	}
	default:
		return false;
	}
}

static bool at_stack(const struct flow_state *st, uint64_t *out)
{
	return st->read(st->ctx, st->gpr[4], out, sizeof(*out));
}

bool insn_flow_next(const struct insn_flow *f, uint64_t rip, const struct flow_state *st,
		    uint64_t out[FLOW_MAX_NEXT], unsigned *n)
{
	uint64_t next = rip + f->len;
	*n = 0;
	switch (f->kind) {
	case FLOW_NEXT:
		out[(*n)++] = next;
		return true;
	case FLOW_REP:
		out[(*n)++] = rip;
		out[(*n)++] = next;
		return true;
	case FLOW_BRANCH:
		out[(*n)++] = next;
		__attribute__((fallthrough)); /* and the target */
	case FLOW_JUMP:
	case FLOW_CALL:
		if (!operand_value(&f->target, next, st, &out[*n]))
			return false;
		(*n)++;
		return true;
	case FLOW_RET:
	case FLOW_IRET:
		if (!at_stack(st, &out[0]))
			return false;
		*n = 1;
		return true;
	case FLOW_SYSRET:
		out[(*n)++] = st->gpr[1];
		return true;
	case FLOW_SYSCALL:
	case FLOW_INT:
		return true;
	default:
		return false;
	}
}

