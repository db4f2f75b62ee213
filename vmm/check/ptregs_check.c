/* SPDX-License-Identifier: MIT */
#include "check/ptregs_check.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void ptregs_expected_from_syscall(const uint64_t gpr[16], uint64_t user_cs, uint64_t user_ss,
				  struct ebx_pt_regs *out)
{
	memset(out, 0, sizeof(*out));
	out->rax = gpr[0];
	out->orig_rax = gpr[0];
	out->rcx = gpr[1];
	out->rdx = gpr[2];
	out->rbx = gpr[3];
	out->rsp = gpr[4];
	out->rbp = gpr[5];
	out->rsi = gpr[6];
	out->rdi = gpr[7];
	out->r8 = gpr[8];
	out->r9 = gpr[9];
	out->r10 = gpr[10];
	out->r11 = gpr[11];
	out->r12 = gpr[12];
	out->r13 = gpr[13];
	out->r14 = gpr[14];
	out->r15 = gpr[15];
	/* SYSCALL put the return RIP in RCX and RFLAGS in R11: that is all the
	 * hardware leaves of the user's RIP and RFLAGS. */
	out->rip = gpr[1];
	out->rflags = gpr[11];
	out->cs = user_cs;
	out->ss = user_ss;
}

struct field {
	const char *name;
	size_t offset;
};

#define F(n) { #n, offsetof(struct ebx_pt_regs, n) }
static const struct field fields[] = {
	F(r15), F(r14), F(r13), F(r12), F(rbp), F(rbx), F(r11), F(r10), F(r9), F(r8),
	F(rcx), F(rdx), F(rsi), F(rdi), F(orig_rax), F(rip), F(cs), F(rflags), F(rsp), F(ss),
};
#undef F

bool ptregs_compare(const struct ebx_pt_regs *saved, const struct ebx_pt_regs *expected, char *detail,
		    size_t len)
{
	size_t used = 0;
	bool same = true;
	if (len)
		detail[0] = '\0';
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t a, b;
		memcpy(&a, (const char *)saved + fields[i].offset, 8);
		memcpy(&b, (const char *)expected + fields[i].offset, 8);
		if (a == b)
			continue;
		same = false;
		if (used + 1 >= len)
			continue;
		int w = snprintf(detail + used, len - used, "%s%s saved=0x%" PRIx64 " expected=0x%" PRIx64,
				 used ? "; " : "", fields[i].name, a, b);
		if (w > 0)
			used += (size_t)w < len - used ? (size_t)w : len - used - 1;
	}
	return same;
}
