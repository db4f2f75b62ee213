/* SPDX-License-Identifier: MIT */
/* Rule if-off-on-entry-stack: stacks shared by every task on a CPU (entry,
 * per-vCPU and IST stacks) hold a frame only for as long as interrupts cannot
 * take the CPU elsewhere: an interrupt taken on one could end in a switch to
 * a task that enters on the same stack, and an IST event resets RSP to its
 * top, over the frame still in use. */
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
	if (!st || guard || !(st->flags & EBX_STACKF_SHARED))
		return true;
	return rule_fail(v, "CPL%u RIP=0x%" PRIx64 " RFLAGS=0x%" PRIx64 " (IF=1, expects IF=0) with RSP=0x%"
			 PRIx64 " on shared %sstack \"%s\"", s->cpl, s->rip, s->rflags, s->rsp,
			 st->ist_index ? "IST " : "", st->name);
}
