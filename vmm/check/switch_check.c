/* SPDX-License-Identifier: MIT */
#include "check/switch_check.h"

#include <inttypes.h>
#include <stdio.h>

#include "rules_impl.h"

static bool task_known(const struct layout *l, uint32_t id)
{
	for (uint32_t i = 0; i < l->raw.ntasks; i++)
		if (l->raw.tasks[i].id == id)
			return true;
	return false;
}

static bool leave(const struct vcpu_snap *s, const struct layout *l, const struct ebx_ev_switch *ev,
		  struct switch_cpu_state *cpu, struct violation *v)
{
	bool guard;
	const struct ebx_stack_desc *st = snap_stack_of_rsp(l, s->rsp, &guard);

	if (!st || guard || !(st->flags & EBX_STACKF_SHARED) || (ev->flags & EBX_SWITCH_ENDED))
		return true;
	if (ev->flags & EBX_SWITCH_RESERVED) {
		cpu->pinned = true;
		cpu->task = ev->task;
		snprintf(cpu->stack, sizeof(cpu->stack), "%s", st->name);
		return true;
	}
	return rule_fail(v, "task %" PRIu32 " leaves cpu %" PRIu32 " with its live frames on shared stack \"%s\" (RSP=0x%"
			 PRIx64 "): the next entry on the CPU overwrites them", ev->task, s->cpu, st->name, s->rsp);
}

static bool come_in(const struct vcpu_snap *s, const struct ebx_ev_switch *ev, struct switch_cpu_state *cpu,
		    struct violation *v)
{
	if (!cpu->pinned)
		return true;
	if (cpu->task == ev->task) {
		cpu->pinned = false;
		return true;
	}
	return rule_fail(v, "task %" PRIu32 " comes in on cpu %" PRIu32 ", reserved for task %" PRIu32
			 " whose live frames are on \"%s\"", ev->task, s->cpu, cpu->task, cpu->stack);
}

bool switch_check(const struct vcpu_snap *s, const struct layout *l, const struct ebx_ev_switch *ev,
		  struct switch_cpu_state *cpu, struct violation *v)
{
	if (!rule_have_layout(s, l, true, v))
		return false;
	if (ev->flags & ~EBX_SWITCH_FLAGS)
		return rule_fail(v, "switch checkpoint with unknown flags 0x%" PRIx32, ev->flags);
	if (!task_known(l, ev->task))
		return rule_fail(v, "switch checkpoint names task %" PRIu32 ", which the layout does not list", ev->task);
	return (ev->flags & EBX_SWITCH_OUT) ? leave(s, l, ev, cpu, v) : come_in(s, ev, cpu, v);
}
