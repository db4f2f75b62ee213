/* SPDX-License-Identifier: MIT */
/* How the rules classify a vCPU snapshot: mode, PGD, the stack in use, and
 * reading guest memory through the snapshot's reader. */
#include "rules_impl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include "pagetables.h"

bool rule_fail(struct violation *v, const char *fmt, ...)
{
	if (v) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
		va_end(ap);
	}
	return false;
}

bool rule_have_layout(const struct vcpu_snap *s, const struct layout *l, bool need_cpu,
		      struct violation *v)
{
	if (!l || !l->valid)
		return rule_fail(v, "no validated layout to check against");
	if (need_cpu && s->cpu >= l->raw.ncpus)
		return rule_fail(v, "cpu %" PRIu32 " is not in the layout (ncpus=%" PRIu32 ")", s->cpu,
				 l->raw.ncpus);
	return true;
}

bool snap_user_mode(const struct vcpu_snap *s)
{
	return s->cpl == 3 || s->point == SNAP_USER_BOUNDARY;
}

const char *snap_mode_name(const struct vcpu_snap *s)
{
	return s->cpl == 3 ? "CPL3" : "user boundary";
}

uint64_t snap_pgd(const struct vcpu_snap *s)
{
	return s->cr3 & PT_CR3_PGD_MASK;
}

bool snap_read(const struct vcpu_snap *s, const struct layout *l, uint64_t gva, void *dst, size_t len)
{
	bool user_half;
	int t;

	if (!s->read_virt)
		return false;
	if (s->read_virt(s->read_ctx, s->cr3, gva, dst, len))
		return true;
	/* Under KPTI the user half maps only the entry area; the question a rule
	 * asks (is the canary intact, what does the TSS say) is about memory, not
	 * about what the current half maps. */
	t = layout_task_of_pgd(l, snap_pgd(s), &user_half);
	if (t < 0 || !user_half || !l->raw.pti)
		return false;
	return s->read_virt(s->read_ctx, l->raw.tasks[t].kernel_pgd, gva, dst, len);
}

const struct ebx_stack_desc *snap_stack_of_rsp(const struct layout *l, uint64_t rsp, bool *in_guard)
{
	return layout_stack_of_rsp(l, rsp, in_guard);
}

bool stack_is_kernel(const struct ebx_stack_desc *st)
{
	return (st->flags & EBX_STACKF_KERNEL) != 0;
}

bool stack_is_app(const struct ebx_stack_desc *st)
{
	return (st->flags & EBX_STACKF_APP) != 0;
}

bool stack_is_user(const struct ebx_stack_desc *st)
{
	return !(st->flags & (EBX_STACKF_KERNEL | EBX_STACKF_APP));
}
