/* SPDX-License-Identifier: MIT */
/*
 * Which memory access of one instruction faults, found from the state before
 * it runs and the guest's page tables.  A triple fault leaves no witness of
 * its first exception on every backend (kvm_amd resets the vCPU at the
 * SHUTDOWN intercept, CR2 included), so the explanation names the first #PF
 * from the instruction itself: the same answer wherever the state comes from.
 */
#ifndef ENTRYBOX_EXPLAIN_FAULT_ACCESS_H
#define ENTRYBOX_EXPLAIN_FAULT_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagetables.h"

/* General-purpose registers in struct kvm_regs order. */
enum fa_gpr {
	FA_RAX, FA_RBX, FA_RCX, FA_RDX, FA_RSI, FA_RDI, FA_RSP, FA_RBP,
	FA_R8, FA_R9, FA_R10, FA_R11, FA_R12, FA_R13, FA_R14, FA_R15,
	FA_NGPR
};

struct fa_cpu {
	uint64_t gpr[FA_NGPR];
	uint64_t rip;
	uint64_t fs_base, gs_base;
	uint64_t cr3;
	uint8_t cpl;
	bool smap;          /* CR4.SMAP: a supervisor access to a user page faults unless RFLAGS.AC */
	bool rflags_ac;
};

struct fa_fault {
	unsigned vector;    /* 14 (#PF) when found */
	uint64_t cr2;
	uint32_t error_code;
	char access[96];    /* e.g. "write of 8 bytes at (%rsp)" */
};

/* True when the instruction at c->rip (fetch included) would take a #PF on
 * one of its accesses under c->cr3; *out names the first.  False when every
 * access translates, or the instruction cannot be read or decoded (then
 * out->access says which). */
bool fa_find_fault(const struct fa_cpu *c, const struct pt_env *env, struct fa_fault *out);

#endif
