/* SPDX-License-Identifier: MIT */
/*
 * Checking a trace as it is recorded: after each instruction, where control
 * may go next (the next instruction, a branch target, a return address, from
 * the state before it ran and its disassembly), and where the IDT sends
 * exceptions and interrupts.  A recorded step that lands anywhere else is a
 * lost step.
 */
#ifndef ENTRYBOX_TRACE_CHECK_H
#define ENTRYBOX_TRACE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "explain/insn_flow.h"
#include "machine/gmem.h"
#include "trace_record.h"

#define IDT_GATES 256u

struct idt_targets {
	bool known;
	uint64_t target[IDT_GATES];   /* 0: gate not present */
	uint64_t second[IDT_GATES];   /* the instruction after the handler's first, 0 unknown */
};

/* Reads the gates of the IDT at idt_base (limit bytes - 1) under cr3. */
void idt_targets_read(struct idt_targets *t, struct gmem *m, uint64_t cr3, uint64_t idt_base, uint16_t limit);
/* The vector whose gate leads to rip, or -1. */
int idt_targets_vector(const struct idt_targets *t, uint64_t rip);
/* The vector whose handler's second instruction is rip, or -1: kvm_pvm
 * reports the step into an interrupt it delivers only after the handler's
 * first instruction. */
int idt_targets_vector_past_gate(const struct idt_targets *t, uint64_t rip);

struct step_check {
	bool known;                   /* what may follow the last instruction is known */
	uint64_t after;               /* that instruction */
	uint64_t next[FLOW_MAX_NEXT];
	unsigned nnext;
	char mnemonic[16];
};

/* What may follow the instruction just recorded; `lstar` for a SYSCALL. */
void step_check_expect(struct step_check *c, const struct trace_step_out *o, struct gmem *m, uint64_t lstar);
bool step_check_allows(const struct step_check *c, uint64_t rip);

#endif
