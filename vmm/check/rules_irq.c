/* SPDX-License-Identifier: MIT */
/* Rule if-off-on-entry-stack: per-CPU entry and IST stacks are shared by every
 * entry on that CPU, so an interrupt taken while on one would land on the same
 * stack and overwrite the frame still in use. */
#include "rules_impl.h"

#include <inttypes.h>

bool rule_if_off_on_entry_stack(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	const struct ebx_stack_desc *st;
	bool guard;

	if (!rule_have_layout(s, l, false, v))
		return false;
	if (s->cpl == 3 || !(s->rflags & RULE_RFLAGS_IF))
		return true;
	st = snap_stack_of_rsp(l, s->rsp, &guard);
	if (!st || guard || (st->kind != EBX_STACK_ENTRY && st->kind != EBX_STACK_IST))
		return true;
	return rule_fail(v, "CPL%u RIP=0x%" PRIx64 " RFLAGS=0x%" PRIx64 " (IF=1, expects IF=0) with RSP=0x%"
			 PRIx64 " on %s stack \"%s\"", s->cpl, s->rip, s->rflags, s->rsp,
			 st->kind == EBX_STACK_ENTRY ? "entry" : "IST", st->name);
}
