/* SPDX-License-Identifier: MIT */
/* Rules on CR3: which half of a KPTI pair is loaded where, and its PCID. */
#include "rules_impl.h"

#include <inttypes.h>
#include "pagetables.h"
#include <stdio.h>
#include "entrybox/x86.h"

/* With PCID, Linux keeps kernel and user TLB entries apart by giving the user
 * half the kernel PCID with bit 11 set; PCID 0 would share entries with
 * whatever ran before the model took over. */
static bool check_user_pcid(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	uint64_t pcid = s->cr3 & PT_CR3_PCID_MASK;

	if (pcid == 0)
		return rule_fail(v, "%s with CR3=0x%" PRIx64 ": PCID 0x000 (pcid=on expects a non-zero PCID)",
				 snap_mode_name(s), s->cr3);
	if (l->raw.pti && !(pcid & 0x800))
		return rule_fail(v, "%s with CR3=0x%" PRIx64 ": PCID 0x%03" PRIx64
				 " (pti=on, pcid=on expects a user PCID with bit 11 set)",
				 snap_mode_name(s), s->cr3, pcid);
	return true;
}

static int task_index_of_id(const struct layout *l, uint32_t id)
{
	for (uint32_t i = 0; i < l->raw.ntasks; i++)
		if (l->raw.tasks[i].id == id)
			return (int)i;
	return -1;
}

/* A context switch that forgot CR3 returns to user mode in another task's
 * address space.  Only judged when the CPU names a registered task: between
 * tasks (the guest's main thread) there is no owner to compare with. */
static bool check_current_task(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	uint32_t id;
	int cur;
	uint64_t want;

	if (s->cpu >= l->raw.ncpus || !snap_read(s, l, l->raw.cpus[s->cpu].current_task_gva, &id, sizeof(id)))
		return true;
	cur = task_index_of_id(l, id);
	if (cur < 0)
		return true;
	want = l->raw.pti ? l->raw.tasks[cur].user_pgd : l->raw.tasks[cur].kernel_pgd;
	if (snap_pgd(s) == want)
		return true;
	return rule_fail(v, "%s with CR3=0x%" PRIx64 ": cpu %" PRIu32 " runs task %" PRIu32
			 " (expects its PGD 0x%" PRIx64 ")", snap_mode_name(s), s->cr3, s->cpu, id, want);
}

bool rule_cr3_user_mode(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	bool user_half;
	int t;

	if (!rule_have_layout(s, l, false, v))
		return false;
	if (!snap_user_mode(s))
		return true;
	t = layout_task_of_pgd(l, snap_pgd(s), &user_half);
	if (t < 0)
		return rule_fail(v, "%s with CR3=0x%" PRIx64 ": PGD 0x%" PRIx64 " belongs to no task (pti=%s)",
				 snap_mode_name(s), s->cr3, snap_pgd(s), l->raw.pti ? "on" : "off");
	if (l->raw.pti && !user_half)
		return rule_fail(v, "%s with CR3=0x%" PRIx64 ": kernel PGD of task %" PRIu32
				 " (pti=on expects user PGD 0x%" PRIx64 ")", snap_mode_name(s), s->cr3,
				 l->raw.tasks[t].id, l->raw.tasks[t].user_pgd);
	if (!check_current_task(s, l, v))
		return false;
	return l->raw.pcid ? check_user_pcid(s, l, v) : true;
}

bool rule_user_cr3_only_in_entry(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	bool user_half;
	int t;

	if (!rule_have_layout(s, l, false, v))
		return false;
	/* With pti=off there is no user half to be caught on. */
	if (snap_user_mode(s) || !l->raw.pti)
		return true;
	t = layout_task_of_pgd(l, snap_pgd(s), &user_half);
	if (t < 0 || !user_half || layout_in_entry_text(l, s->rip))
		return true;
	return rule_fail(v, "CPL%u RIP=0x%" PRIx64 " outside entry text [0x%" PRIx64 ", 0x%" PRIx64
			 ") with CR3=0x%" PRIx64 " (user PGD of task %" PRIu32 ")", s->cpl, s->rip,
			 l->raw.entry_text_start, l->raw.entry_text_end, s->cr3, l->raw.tasks[t].id);
}

/* ---- user-cr3-kernel-access ------------------------------------------------------------------- */


static const char *pf_access(uint64_t error)
{
	return (error & PF_ERR_FETCH) ? "fetched" : (error & PF_ERR_WRITE) ? "wrote" : "read";
}

/* What lives at `addr`, for the detail: a registered stack's name, else kernel memory. */
static void name_address(const struct layout *l, uint64_t addr, char *buf, size_t len)
{
	bool guard;
	const struct ebx_stack_desc *st = layout_find_stack(l, addr, &guard);
	if (st)
		snprintf(buf, len, "%s\"%s\"", guard ? "a guard page of " : "", st->name);
	else if (layout_in_entry_text(l, addr))
		snprintf(buf, len, "entry text");
	else if (addr >= l->raw.kernel_text_start && addr < l->raw.kernel_text_end)
		snprintf(buf, len, "kernel text");
	else
		snprintf(buf, len, "kernel memory");
}

static bool mapped_under(const struct vcpu_snap *s, uint64_t pgd, uint64_t addr)
{
	uint8_t byte;
	return s->read_virt && s->read_virt(s->read_ctx, pgd, addr, &byte, 1);
}

/* While CR3 is a user PGD only what that PGD maps may be used: the entry code
 * and its data in the cpu_entry_area, the stacks flagged user-mapped.  A
 * kernel stack as RSP, or a #PF on an address only the task's kernel PGD
 * maps, is the kernel reaching for its half before the CR3 switch. */
bool rule_user_cr3_kernel_access(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	bool user_half, guard;
	int t;

	if (!rule_have_layout(s, l, false, v))
		return false;
	if (snap_user_mode(s) || !l->raw.pti)
		return true;
	t = layout_task_of_pgd(l, snap_pgd(s), &user_half);
	if (t < 0 || !user_half)
		return true;
	const struct ebx_task_desc *task = &l->raw.tasks[t];
	if (s->point == SNAP_FAULT && s->fault_vector == VEC_PF && s->cr2 >= RULE_USER_LIMIT &&
	    !mapped_under(s, task->user_pgd, s->cr2) && mapped_under(s, task->kernel_pgd, s->cr2)) {
		char what[64];
		name_address(l, s->cr2, what, sizeof(what));
		return rule_fail(v, "CPL%u %s 0x%" PRIx64 " (%s, kernel-only) with CR3=0x%" PRIx64 ", the user PGD 0x%"
				 PRIx64 " of task %" PRIu32 " (#PF error 0x%" PRIx64 ")", s->cpl, pf_access(s->fault_error),
				 s->cr2, what, s->cr3, task->user_pgd, task->id, s->fault_error);
	}
	const struct ebx_stack_desc *st = snap_stack_of_rsp(l, s->rsp, &guard);
	if (st && !guard && stack_is_kernel(st) && !(st->flags & EBX_STACKF_USER_MAPPED))
		return rule_fail(v, "CPL%u RSP=0x%" PRIx64 " on kernel stack \"%s\", which the user PGD 0x%" PRIx64
				 " of task %" PRIu32 " does not map (CR3=0x%" PRIx64 ")", s->cpl, s->rsp, st->name,
				 task->user_pgd, task->id, s->cr3);
	return true;
}
