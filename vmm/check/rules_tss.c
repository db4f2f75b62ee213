/* SPDX-License-Identifier: MIT */
/* Rules tss-rsp0 and ist: the stacks the CPU will switch to on the next entry
 * from user mode (RSP0) and on IST vectors are the ones the model promises. */
#include "rules_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include "entrybox/x86.h"

/* 64-bit TSS (SDM vol. 3 §8.7): RSP0 at 4, IST1..IST7 from 36. */

struct rsp0_expect {
	uint64_t top;
	char what[64];
};

static bool task_registered(const struct layout *l, uint32_t id)
{
	for (uint32_t i = 0; i < l->raw.ntasks; i++)
		if (l->raw.tasks[i].id == id)
			return true;
	return false;
}

/* RSP0 names the landing stack the layout flags (EBX_STACKF_LANDING): this
 * CPU's, or the running task's when the model lands per task. */
static bool expected_rsp0(const struct vcpu_snap *s, const struct layout *l, struct rsp0_expect *x,
			  struct violation *v)
{
	uint64_t gva = l->raw.cpus[s->cpu].current_task_gva;
	uint32_t id = UINT32_MAX;
	bool per_task;
	const struct ebx_stack_desc *st;

	x->top = 0;
	if (!layout_landing_stack(l, s->cpu, UINT32_MAX, &per_task) && !per_task)
		return rule_fail(v, "cpu %" PRIu32 " has no landing stack (no stack flagged as where user-mode events land)",
				 s->cpu);
	if (per_task) {
		if (!snap_read(s, l, gva, &id, sizeof(id)))
			return rule_fail(v, "cpu %" PRIu32 " current task at 0x%" PRIx64 " unreadable", s->cpu, gva);
		/* The CPU runs a kernel thread (boot or idle): no user task can enter
		 * from ring 3 here until the next context switch sets RSP0. */
		if (!task_registered(l, id) && s->cpl == 0 && s->point != SNAP_USER_BOUNDARY)
			return true;
	}
	st = layout_landing_stack(l, s->cpu, id, &per_task);
	if (!st)
		return rule_fail(v, "current task %" PRIu32 " of cpu %" PRIu32 " has no landing stack", id, s->cpu);
	x->top = st->base + st->size;
	snprintf(x->what, sizeof(x->what), "\"%s\", the landing stack of %s %" PRIu32, st->name,
		 per_task ? "task" : "cpu", per_task ? id : s->cpu);
	return true;
}

bool rule_tss_rsp0(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	struct rsp0_expect x;
	uint64_t tss, rsp0;

	if (!rule_have_layout(s, l, true, v))
		return false;
	/* A TR pointing elsewhere would make every TSS comparison meaningless. */
	tss = l->raw.cpus[s->cpu].tss_gva;
	if (s->tr_base != tss)
		return rule_fail(v, "TR.base=0x%" PRIx64 ": expects cpu %" PRIu32 " TSS 0x%" PRIx64,
				 s->tr_base, s->cpu, tss);
	if (!expected_rsp0(s, l, &x, v))
		return false;
	if (x.top == 0)
		return true;
	if (!snap_read(s, l, s->tr_base + TSS_RSP0, &rsp0, sizeof(rsp0)))
		return rule_fail(v, "TSS.RSP0 at 0x%" PRIx64 " unreadable", s->tr_base + TSS_RSP0);
	if (rsp0 != x.top)
		return rule_fail(v, "TSS.RSP0=0x%" PRIx64 ": expects 0x%" PRIx64 " (top of %s)", rsp0, x.top,
				 x.what);
	return true;
}

static const struct ebx_stack_desc *ist_stack(const struct layout *l, uint32_t cpu, uint32_t n)
{
	for (uint32_t i = 0; i < l->raw.nstacks; i++) {
		const struct ebx_stack_desc *st = &l->raw.stacks[i];
		if (st->ist_index == n && st->owner_id == cpu &&
		    st->owner_kind != EBX_OWNER_TASK)
			return st;
	}
	return NULL;
}

static bool check_ist_slot(const struct vcpu_snap *s, const struct layout *l, uint32_t n,
			   unsigned vector, struct violation *v)
{
	const struct ebx_stack_desc *st = ist_stack(l, s->cpu, n);
	uint64_t gva = s->tr_base + TSS_IST(n), val;

	if (!st)
		return rule_fail(v, "vector %u uses IST%" PRIu32 " but cpu %" PRIu32 " has no IST%" PRIu32
				 " stack", vector, n, s->cpu, n);
	if (!snap_read(s, l, gva, &val, sizeof(val)))
		return rule_fail(v, "TSS.IST%" PRIu32 " at 0x%" PRIx64 " unreadable", n, gva);
	if (val != st->base + st->size)
		return rule_fail(v, "TSS.IST%" PRIu32 "=0x%" PRIx64 " (vector %u): expects 0x%" PRIx64
				 " (top of \"%s\")", n, val, vector, st->base + st->size, st->name);
	return true;
}

bool rule_ist(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	bool seen[8] = { false };

	if (!rule_have_layout(s, l, true, v))
		return false;
	for (unsigned vec = 0; vec < sizeof(l->raw.ist_of_vector); vec++) {
		uint32_t n = l->raw.ist_of_vector[vec];
		if (n == 0 || n > 7 || seen[n])
			continue;
		seen[n] = true;
		if (!check_ist_slot(s, l, n, vec, v))
			return false;
	}
	return true;
}
