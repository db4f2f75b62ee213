/* SPDX-License-Identifier: MIT */
/* Rule pt-regs: the frame the entry code saved must equal the registers the
 * task had at its SYSCALL instruction, as the VMM itself saw them. */
#ifndef ENTRYBOX_PTREGS_CHECK_H
#define ENTRYBOX_PTREGS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include "entrybox/abi.h"

#define PTREGS_RULE "pt-regs"
#define PTREGS_RULE_SUMMARY \
	"the pt_regs the entry code saved equal the registers the VMM saw at the SYSCALL (syscall-regs checkpoint)"

/* Builds what pt_regs must contain from the GPRs at the SYSCALL boundary
 * (ModRM order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15) and the user selectors. */
void ptregs_expected_from_syscall(const uint64_t gpr[16], uint64_t user_cs, uint64_t user_ss,
				  struct ebx_pt_regs *out);

/* Compares every field but rax (the entry code may preset the return value);
 * on mismatch writes "field saved=0x.. expected=0x..; ..." into detail. */
bool ptregs_compare(const struct ebx_pt_regs *saved, const struct ebx_pt_regs *expected, char *detail,
		    size_t len);

#endif
