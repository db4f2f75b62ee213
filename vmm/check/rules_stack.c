/* SPDX-License-Identifier: MIT */
/* Rule stack-bounds: the stack pointer is where the model says it may be, and
 * the stack it is on is still intact. */
#include "rules_impl.h"

#include <inttypes.h>

/* Below this much headroom the next exception frame (up to 48 bytes with the
 * error code) or a call would already reach the base. */
#define NEAR_BASE 64u

static bool check_health(const struct vcpu_snap *s, const struct layout *l,
			 const struct ebx_stack_desc *st, struct violation *v)
{
	uint64_t canary;

	if (s->rsp - st->base < NEAR_BASE)
		return rule_fail(v, "RSP=0x%" PRIx64 " within %u bytes of base 0x%" PRIx64 " of stack \"%s\""
				 ": about to overflow", s->rsp, NEAR_BASE, st->base, st->name);
	if (!(st->flags & EBX_STACKF_CANARY))
		return true;
	if (!snap_read(s, l, st->base, &canary, sizeof(canary)))
		return rule_fail(v, "canary of stack \"%s\" at 0x%" PRIx64 " unreadable (expected 0x%llx)",
				 st->name, st->base, EBX_STACK_CANARY);
	if (canary != EBX_STACK_CANARY)
		return rule_fail(v, "canary of stack \"%s\" at 0x%" PRIx64 " is 0x%" PRIx64
				 " (expected 0x%llx)", st->name, st->base, canary, EBX_STACK_CANARY);
	return true;
}

static bool check_user_rsp(const struct vcpu_snap *s, const struct layout *l,
			   const struct ebx_stack_desc *st, bool guard, struct violation *v)
{
	if (st && stack_is_kernel(st))
		return rule_fail(v, "CPL3 RSP=0x%" PRIx64 " inside kernel stack \"%s\"%s", s->rsp, st->name,
				 guard ? " (guard page)" : "");
	return st && !guard ? check_health(s, l, st, v) : true;
}

static bool check_kernel_rsp(const struct vcpu_snap *s, const struct layout *l,
			     const struct ebx_stack_desc *st, bool guard, struct violation *v)
{
	if (st && stack_is_kernel(st)) {
		if (guard)
			return rule_fail(v, "CPL%u RSP=0x%" PRIx64 " in a guard page %s stack \"%s\" [0x%" PRIx64
					 ", 0x%" PRIx64 ")", s->cpl, s->rsp,
					 s->rsp < st->base ? "below" : "above", st->name, st->base,
					 st->base + st->size);
		return check_health(s, l, st, v);
	}
	/* A UKL application and its entry/exit code run in ring 0 on the
	 * application's own stack; ukl-in-user judges whether that is the case. */
	uint32_t in_user;
	if (st && stack_is_app(st) && snap_in_user(s, l, &in_user) && (in_user == 1 || in_user == 2))
		return guard ? rule_fail(v, "CPL0 RSP=0x%" PRIx64 " in a guard page of \"%s\"", s->rsp, st->name)
			     : check_health(s, l, st, v);
	/* Between SYSCALL and the stack switch (and after the exit reloads it)
	 * the entry code runs on the user's stack pointer, untouched: a user
	 * address, or exactly what user mode left, whatever that is (0, a
	 * non-canonical or a kernel address: syscall-bad-rsp). */
	if (layout_in_entry_text(l, s->rip) &&
	    (s->rsp < RULE_USER_LIMIT || (s->user_rsp_known && s->rsp == s->user_rsp)))
		return true;
	if (st)
		return rule_fail(v, "CPL%u RIP=0x%" PRIx64 " RSP=0x%" PRIx64 " on non-kernel stack \"%s\""
				 " (expects a registered kernel stack)", s->cpl, s->rip, s->rsp, st->name);
	return rule_fail(v, "CPL%u RIP=0x%" PRIx64 " RSP=0x%" PRIx64 " in no registered stack"
			 " (expects a registered kernel stack)", s->cpl, s->rip, s->rsp);
}

bool rule_stack_bounds(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	const struct ebx_stack_desc *st;
	bool guard;

	if (!rule_have_layout(s, l, false, v))
		return false;
	st = snap_stack_of_rsp(l, s->rsp, &guard);
	if (s->cpl == 3)
		return check_user_rsp(s, l, st, guard, v);
	/* At the first entry instruction RSP is whatever the hardware left: the
	 * user's (SYSCALL) or the RSP0/IST frame; only its stack's health counts. */
	if (s->point == SNAP_USER_BOUNDARY)
		return st && !guard ? check_health(s, l, st, v) : true;
	return check_kernel_rsp(s, l, st, guard, v);
}
