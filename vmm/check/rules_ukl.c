/* SPDX-License-Identifier: MIT */
/* Rule ukl-in-user: a UKL application runs in ring 0 on its own stack, so the
 * only thing that tells application code from kernel code is the in_user word
 * its entry and exit code maintain (0 kernel, 1 application, 2 entry/exit code
 * still on the application stack).  The word must agree with where the CPU is. */
#include "rules_impl.h"

#include <inttypes.h>

bool snap_in_user(const struct vcpu_snap *s, const struct layout *l, uint32_t *in_user)
{
	uint64_t gva = l->raw.cpus[s->cpu].in_user_gva;
	return gva && snap_read(s, l, gva, in_user, sizeof(*in_user));
}

bool rule_ukl_in_user(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	uint32_t in_user;
	bool guard;

	if (!rule_have_layout(s, l, true, v))
		return false;
	if (!l->raw.cpus[s->cpu].in_user_gva || s->cpl != 0 || s->point != SNAP_PLAIN)
		return true; /* not a UKL guest, or a ring-3 state the word does not describe */
	if (!snap_in_user(s, l, &in_user))
		return rule_fail(v, "cpu %" PRIu32 " in_user word at 0x%" PRIx64 " unreadable", s->cpu,
				 l->raw.cpus[s->cpu].in_user_gva);
	const struct ebx_stack_desc *st = snap_stack_of_rsp(l, s->rsp, &guard);
	bool on_app_stack = st && stack_is_app(st);
	switch (in_user) {
	case 0:
		if (on_app_stack)
			return rule_fail(v, "in_user=0 (kernel) but RSP=0x%" PRIx64 " is on application stack \"%s\"",
					 s->rsp, st->name);
		return true;
	case 1:
		/* Entry text with in_user still 1 is an event taken in application
		 * code (call, exception, interrupt) before its stub records it. */
		if (layout_in_entry_text(l, s->rip))
			return true;
		if (!on_app_stack)
			return rule_fail(v, "in_user=1 (application) but RIP=0x%" PRIx64 " RSP=0x%" PRIx64 " is on %s",
					 s->rip, s->rsp, st ? st->name : "no registered stack");
		return true;
	case 2:
		if (!layout_in_entry_text(l, s->rip))
			return rule_fail(v, "in_user=2 (entry/exit) but RIP=0x%" PRIx64 " is outside entry text", s->rip);
		return true;
	default:
		return rule_fail(v, "in_user=%" PRIu32 " (expects 0, 1 or 2)", in_user);
	}
}
