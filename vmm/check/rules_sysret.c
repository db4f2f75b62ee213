/* SPDX-License-Identifier: MIT */
/* Rule sysret-ss: at the fast exit's SYSRET, SS holds a data segment, not the
 * null selector an interrupt from user mode leaves in it.  SYSRET loads SS's
 * selector from MSR_STAR, but AMD CPUs keep its hidden attributes: after a
 * context switch carried SS = 0 into a syscall, the task comes back with an
 * unusable stack segment, and 32-bit code faults on its first push (Linux:
 * X86_BUG_SYSRET_SS_ATTRS).  Judged on every backend, since the selector
 * shows it before the CPU does. */
#include "rules_impl.h"

#include <inttypes.h>

#define SEL_INDEX_MASK 0xfff8u

/* SYSRET (0f 07, with REX.W for the 64-bit form) at the snapshot's RIP. */
static bool at_sysret(const struct vcpu_snap *s, const struct layout *l)
{
	uint8_t code[3];

	if (!snap_read(s, l, s->rip, code, 2))
		return false;
	if (code[0] == 0x0f && code[1] == 0x07)
		return true;
	return (code[0] & 0xf0) == 0x40 && code[1] == 0x0f && snap_read(s, l, s->rip, code, 3) && code[2] == 0x07;
}

bool rule_sysret_ss(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	if (!rule_have_layout(s, l, false, v))
		return false;
	if (s->point != SNAP_RETURN_POINT || s->cpl != 0 || (s->ss_sel & SEL_INDEX_MASK) != 0 || !at_sysret(s, l))
		return true;
	return rule_fail(v, "SYSRET at RIP=0x%" PRIx64 " with SS=0x%x (null, as an interrupt from user mode leaves it): "
			 "AMD's SYSRET keeps SS's unusable attributes", s->rip, s->ss_sel);
}
