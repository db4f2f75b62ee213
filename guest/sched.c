/* SPDX-License-Identifier: MIT */
#include "sched.h"
#include "cpu.h"
#include "mm.h"
#include "panic.h"

void sched_switch(uint64_t *save_rsp, uint64_t next_rsp);

struct sched {
	const struct entry_model *model;
	const struct cpu_area *ca;
	bool pcid, pti;
	struct task *current;    /* NULL: the main thread */
	uint64_t main_rsp;
};

static struct sched sched_state;

void sched_init(const struct entry_model *model, const struct cpu_area *ca, bool pcid, bool pti)
{
	sched_state = (struct sched){ .model = model, .ca = ca, .pcid = pcid, .pti = pti };
}

struct task *current_task(void)
{
	return sched_state.current;
}

void sched_flush_user_pcid(struct task *t)
{
	if (sched_state.pcid && sched_state.pti)
		sched_state.ca->percpu->user_pcid_flush |= 1ull << (t->id + 1);
}

static struct task *pick_next(const struct sched *s)
{
	unsigned n = task_count();
	unsigned first = s->current ? s->current->id + 1 : 0;

	for (unsigned k = 0; k < n; k++) {
		struct task *t = task_get((first + k) % n);
		if (t->state == TASK_READY)
			return t;
	}
	return NULL;
}

static void switch_to(struct sched *s, struct task *next)
{
	struct percpu *pc = s->ca->percpu;
	uint64_t *save = s->current ? &s->current->saved_rsp : &s->main_rsp;
	uint64_t cr3;

	if (next) {
		cr3 = task_kernel_cr3(next, s->pcid);
		if (!next->started)
			sched_flush_user_pcid(next);   /* its user PCID is fresh too */
		next->started = true;
		s->model->switch_task(pc, s->ca->tss, next->kstack_top);
		pc->current_task = next->id;
	} else {
		cr3 = mm_init_pgd();
		pc->current_task = PCPU_NO_TASK;
	}
	pc->kernel_cr3 = cr3 & ~(1ull << CR3_NOFLUSH_BIT);
	s->current = next;
	write_cr3(cr3);
	sched_switch(save, next ? next->saved_rsp : s->main_rsp);
}

void schedule(void)
{
	struct sched *s = &sched_state;
	struct task *next = pick_next(s);

	if (next == s->current)
		return;   /* the only ready task yielded to itself */
	switch_to(s, next);
}

void sched_run_all(void)
{
	struct sched *s = &sched_state;

	if (s->current)
		panic("sched_run_all called from task %u", s->current->id);
	while (pick_next(s))
		schedule();
}
