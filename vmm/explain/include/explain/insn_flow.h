/* SPDX-License-Identifier: MIT */
/*
 * Where control can go after one instruction, for checking a single-stepped
 * trace: the next instruction, a branch target (direct, or computed from the
 * registers and memory before the instruction runs), a return address, or an
 * exception vector.  Exceptions and interrupts, which any instruction may
 * take, are the caller's business (it knows the IDT).
 */
#ifndef ENTRYBOX_EXPLAIN_INSN_FLOW_H
#define ENTRYBOX_EXPLAIN_INSN_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum flow_kind {
	FLOW_NEXT,       /* falls through (or takes an exception) */
	FLOW_JUMP,       /* jmp: the target only */
	FLOW_BRANCH,     /* jcc, loop, jrcxz: the target or the next instruction */
	FLOW_CALL,       /* call: the target */
	FLOW_RET,        /* near or far return: the address at RSP */
	FLOW_IRET,       /* iretq: the RIP of the frame at RSP */
	FLOW_SYSRET,     /* sysret: RCX, in ring 3 */
	FLOW_SYSCALL,    /* syscall: MSR_LSTAR, which the caller knows */
	FLOW_INT,        /* int n, int3, int1, into, ud2: the gate of `vector` */
	FLOW_REP,        /* a rep-prefixed string instruction: itself again or the next one */
	FLOW_UNKNOWN,    /* could not be classified: anything may follow */
};

enum flow_operand_type { FOP_NONE, FOP_IMM, FOP_REG, FOP_MEM };

/* Registers by their ModRM number (rax rcx rdx rbx rsp rbp rsi rdi r8..r15), as in check/snap.h. */
struct flow_operand {
	enum flow_operand_type type;
	uint64_t imm;            /* FOP_IMM: the absolute target */
	int reg;                 /* FOP_REG */
	int base, index;         /* FOP_MEM: -1 for none; FLOW_REG_RIP for RIP-relative */
	unsigned scale;
	int64_t disp;
	bool gs;                 /* %gs: override */
	bool base32, index32;    /* 32-bit forms of the registers */
};

#define FLOW_REG_RIP 16

struct insn_flow {
	size_t len;
	enum flow_kind kind;
	struct flow_operand target;   /* FLOW_JUMP, FLOW_BRANCH, FLOW_CALL */
	uint8_t vector;               /* FLOW_INT */
	char mnemonic[16];
};

/* Decodes the instruction at `rip` from `code` (n bytes).  False when capstone cannot. */
bool insn_flow_decode(const uint8_t *code, size_t n, uint64_t rip, struct insn_flow *out);

/* The state before the instruction ran. */
struct flow_state {
	const uint64_t *gpr;     /* [16], ModRM order */
	uint64_t gs_base;
	/* Reads guest-virtual memory as the instruction would see it; false when unmapped. */
	bool (*read)(void *ctx, uint64_t va, void *dst, size_t len);
	void *ctx;
};

#define FLOW_MAX_NEXT 2

/* The addresses control may reach next, exceptions and interrupts aside:
 * FLOW_SYSCALL and FLOW_INT give none (the caller knows LSTAR and the IDT).
 * False when one cannot be computed (memory not readable, FLOW_UNKNOWN). */
bool insn_flow_next(const struct insn_flow *f, uint64_t rip, const struct flow_state *st,
		    uint64_t out[FLOW_MAX_NEXT], unsigned *n);

#endif
