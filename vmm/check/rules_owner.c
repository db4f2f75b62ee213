/* SPDX-License-Identifier: MIT */
/*
 * Rule stack-owner: a stack that belongs to a task is used only while that
 * task runs, a stack that belongs to a CPU only by that CPU, and a shared
 * stack the C part of entry runs on never holds the live frame of one task
 * while another runs -- the hazard of sleeping on a shared entry stack
 * (docs/design.md §5, §6).  The owner of a frame is told by its saved user
 * RSP: every task has its own user stack.
 */
#include "rules_impl.h"

#include <inttypes.h>
#include <stddef.h>

static bool registered(const struct layout *l, uint32_t id)
{
	for (uint32_t i = 0; i < l->raw.ntasks; i++)
		if (l->raw.tasks[i].id == id)
			return true;
	return false;
}

static bool task_owned(const struct ebx_stack_desc *st)
{
	return st->owner_kind == EBX_OWNER_TASK;
}

/* The task whose saved user frame sits at the top of a shared entry stack, if any. */
static bool frame_owner(const struct vcpu_snap *s, const struct layout *l, const struct ebx_stack_desc *st,
			uint32_t *owner)
{
	struct ebx_pt_regs regs;
	uint64_t frame = st->base + st->size - sizeof(regs);
	if (s->rsp > frame || !snap_read(s, l, frame, &regs, sizeof(regs)))
		return false; /* RSP above the frame: nothing of it is live */
	if (regs.cs != l->raw.user_cs)
		return false;
	bool guard;
	const struct ebx_stack_desc *user = snap_stack_of_rsp(l, regs.rsp, &guard);
	if (!user || !stack_is_user(user) || !task_owned(user))
		return false;
	*owner = user->owner_id;
	return true;
}

bool rule_stack_owner(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	bool guard;
	uint32_t current, owner;

	if (!rule_have_layout(s, l, true, v))
		return false;
	if (s->cpl != 0 || s->point == SNAP_USER_BOUNDARY)
		return true;
	const struct ebx_stack_desc *st = snap_stack_of_rsp(l, s->rsp, &guard);
	if (!st || guard)
		return true; /* stack-bounds speaks to that */
	if (st->owner_kind == EBX_OWNER_CPU || st->owner_kind == EBX_OWNER_VCPU) {
		if (st->owner_id != s->cpu)
			return rule_fail(v, "cpu %" PRIu32 " runs on \"%s\", which belongs to cpu %" PRIu32, s->cpu,
					 st->name, st->owner_id);
	}
	if (!snap_read(s, l, l->raw.cpus[s->cpu].current_task_gva, &current, sizeof(current)) ||
	    !registered(l, current))
		return true; /* a kernel thread (boot, idle, switch) owns no task stack */
	if (task_owned(st) && st->owner_id != current)
		return rule_fail(v, "task %" PRIu32 " runs on \"%s\", which belongs to task %" PRIu32, current, st->name,
				 st->owner_id);
	if ((st->flags & (EBX_STACKF_SHARED | EBX_STACKF_C_ENTRY)) == (EBX_STACKF_SHARED | EBX_STACKF_C_ENTRY) &&
	    !st->ist_index && frame_owner(s, l, st, &owner) && owner != current)
		return rule_fail(v, "\"%s\" holds the live frame of task %" PRIu32 " while task %" PRIu32 " runs",
				 st->name, owner, current);
	return true;
}
