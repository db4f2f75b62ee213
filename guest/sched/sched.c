/* SPDX-License-Identifier: MIT */
#include "sched/sched.h"
#include "sched/switch.h"
#include "cpu/espfix.h"
#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "mm/mm.h"
#include "lib/panic.h"
#include "sched/task_stats.h"
#include "hv/hv.h"

struct cpu_sched {
	const struct cpu_area *ca;
	struct task *current;         /* NULL: the idle context */
	struct task *prev;            /* the task that just switched to the idle context */
	struct task *reserved;        /* non-NULL: the only task this CPU may run */
	struct task *last_preempted;  /* not taken back before the next tick while others could take it */
	unsigned long ticks, ticks_at_preempt;
	uint64_t idle_rsp;
};

struct sched {
	const struct entry_model *model;
	bool pcid, pti, preempt, keep_null_ss;
	unsigned ss_null_switches;
	unsigned ncpus;
	volatile bool started;        /* sched_run_all released the APs */
	int lock;
	unsigned cursor;              /* id of the task picked last: round robin starts after it */
	bool on_cpu[EBX_MAX_TASKS];   /* running, or still switching away: not pickable */
	struct cpu_sched cpu[EBX_MAX_CPUS];
};

static struct sched sched_state;

/* The VMM judges every context switch (abi.h EBX_EV_SWITCH) right before the
 * stack switch, on the stack the switch leaves. */
static void switch_checkpoint(const struct cpu_sched *cs, const struct task *t, uint32_t flags)
{
	struct ebx_ev_switch ev = { .task = t->id, .flags = flags };

	hv_checkpoint(cs->ca->percpu->cpu, EBX_EV_SWITCH, &ev, sizeof(ev));
}

static void lock(struct sched *s)
{
	while (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&s->lock, __ATOMIC_RELAXED))
			__asm__ volatile("pause");
	}
}

static void unlock(struct sched *s) { __atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE); }

/* The user FS and GS bases are the task's own (user mode writes them with
 * WRFSBASE/WRGSBASE where CR4.FSGSBASE is set): they move with it.  In the
 * kernel the user GS base waits in KERNEL_GS_BASE for the exit's swapgs. */
static void user_bases_load(const struct task *t)
{
	wrmsr(MSR_FS_BASE, t->user_fs_base);
	wrmsr(MSR_KERNEL_GS_BASE, t->user_gs_base);
}

static void user_bases_save(struct task *t)
{
	t->user_fs_base = rdmsr(MSR_FS_BASE);
	t->user_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
}

/* GS is the kernel's wherever the kernel runs C. */
static struct cpu_sched *this_sched(void) { return &sched_state.cpu[this_cpu()->cpu]; }

void sched_init(const struct sched_config *cfg)
{
	struct sched *s = &sched_state;

	if (cfg->ncpus == 0 || cfg->ncpus > EBX_MAX_CPUS)
		panic("sched: %u CPUs", cfg->ncpus);
	s->model = cfg->model;
	s->pcid = cfg->pcid;
	s->pti = cfg->pti;
	s->preempt = cfg->preempt;
	s->keep_null_ss = cfg->keep_null_ss;
	s->ncpus = cfg->ncpus;
	s->cursor = task_count() ? task_count() - 1 : 0;   /* task 0 first */
	for (unsigned c = 0; c < cfg->ncpus; c++)
		s->cpu[c].ca = &cfg->cpus[c];
}

unsigned sched_cpu_count(void) { return sched_state.ncpus; }

struct task *current_task(void)
{
	return this_sched()->current;
}

void sched_flush_user_pcid(struct task *t)
{
	struct sched *s = &sched_state;

	if (!s->pcid || !s->pti)
		return;
	/* The task may run next on any CPU, and each has its own TLB. */
	for (unsigned c = 0; c < s->ncpus; c++)
		__atomic_fetch_or(&s->cpu[c].ca->percpu->user_pcid_flush, 1ull << (t->id + 1), __ATOMIC_RELAXED);
}

static bool reserved_elsewhere(const struct sched *s, const struct cpu_sched *cs, const struct task *t)
{
	for (unsigned c = 0; c < s->ncpus; c++) {
		if (&s->cpu[c] != cs && s->cpu[c].reserved == t)
			return true;
	}
	return false;
}

static bool may_run(const struct sched *s, const struct cpu_sched *cs, const struct task *t)
{
	if (s->on_cpu[t->id])
		return false;
	if (cs->reserved)
		return cs->reserved == t;
	if (reserved_elsewhere(s, cs, t))
		return false;
	/* Give the task another CPU's next tick first, so it migrates; alone on
	 * one CPU it comes straight back. */
	if (t == cs->last_preempted && s->ncpus > 1 && cs->ticks == cs->ticks_at_preempt)
		return false;
	return true;
}

/* Under the lock. */
static struct task *pick_next(struct sched *s, struct cpu_sched *cs)
{
	unsigned n = task_count();

	for (unsigned k = 1; k <= n; k++) {
		struct task *t = task_get((s->cursor + k) % n);
		if (t->state == TASK_READY && may_run(s, cs, t))
			return t;
	}
	/* Idle: a sleeper's wait ends here rather than never. */
	for (unsigned k = 1; k <= n; k++) {
		struct task *t = task_get((s->cursor + k) % n);
		if (t->state == TASK_SLEEPING && may_run(s, cs, t)) {
			t->state = TASK_READY;
			return t;
		}
	}
	return NULL;
}

/* Under the lock: every task has ended and none is still leaving its CPU. */
static bool all_ended(const struct sched *s)
{
	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		if ((t->state != TASK_EXITED && t->state != TASK_KILLED) || s->on_cpu[i])
			return false;
	}
	return true;
}

/* From the idle context: run `next` until it switches back here. */
static void run_task(struct sched *s, struct cpu_sched *cs, struct task *next)
{
	struct percpu *pc = cs->ca->percpu;
	uint64_t cr3 = task_kernel_cr3(next, s->pcid);

	if (!next->started)
		sched_flush_user_pcid(next);   /* its user PCID is fresh too */
	next->started = true;
	task_stats(next->id)->cpus_seen |= 1u << pc->cpu;
	s->model->switch_task(pc, cs->ca->tss, next->kstack_top);
	debug_switch_to(next);
	ldt_load(next->ldt16);
	user_bases_load(next);
	pc->current_task = next->id;
	pc->kernel_cr3 = cr3 & ~PT_CR3_NOFLUSH;
	cs->current = next;
	write_cr3(cr3);
	switch_checkpoint(cs, next, 0);
	sched_switch(&cs->idle_rsp, next->saved_rsp);
	/* Back in the idle context: cs->prev says who left. */
	if (cs->prev)
		user_bases_save(cs->prev);
	cs->current = NULL;
	pc->current_task = PCPU_NO_TASK;
	cr3 = mm_init_pgd();
	pc->kernel_cr3 = cr3;
	write_cr3(cr3);
}

/* Wait for work: with the timer ticking, halt until the next interrupt;
 * otherwise spin (nothing would wake a halted CPU). */
static void idle_wait(const struct sched *s)
{
	if (s->preempt)
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	else
		for (int i = 0; i < 64; i++)
			__asm__ volatile("pause");
}

static void cpu_loop(struct sched *s, struct cpu_sched *cs)
{
	for (;;) {
		lock(s);
		if (cs->prev) {
			s->on_cpu[cs->prev->id] = false;
			cs->prev = NULL;
		}
		struct task *next = pick_next(s, cs);
		if (next) {
			s->on_cpu[next->id] = true;
			s->cursor = next->id;
			unlock(s);
			run_task(s, cs, next);
			continue;
		}
		bool done = all_ended(s);
		unlock(s);
		if (done)
			return;
		idle_wait(s);
	}
}

void sched_run_all(void)
{
	struct sched *s = &sched_state;
	struct cpu_sched *cs = this_sched();

	if (cs->current)
		panic("sched_run_all called from task %u", cs->current->id);
	__atomic_store_n(&s->started, true, __ATOMIC_RELEASE);
	cpu_loop(s, cs);
}

void sched_ap_loop(void)
{
	struct sched *s = &sched_state;

	while (!__atomic_load_n(&s->started, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	cpu_loop(s, this_sched());
}

/* An interrupt or exception from user mode loads SS with the null selector;
 * SS is nobody's to switch, so the code that runs after the switch -- another
 * task's syscall on its way to SYSRET -- would inherit it, and AMD's SYSRET
 * keeps the hidden attributes of SS: the task returns with an unusable stack
 * segment (fatal to 32-bit code).  Linux reloads SS at the switch
 * (X86_BUG_SYSRET_SS_ATTRS); so does this, on every CPU, for every model. */
static void switch_ss(struct sched *s)
{
	uint16_t ss;

	__asm__ volatile("movw %%ss, %0" : "=r"(ss));
	if ((ss & ~SEL_RPL_MASK) == 0) {
		__atomic_fetch_add(&s->ss_null_switches, 1, __ATOMIC_RELAXED);
		if (s->keep_null_ss)
			return;
	}
	if (ss != GDT_KERNEL_SS)
		__asm__ volatile("movw %w0, %%ss" : : "r"((uint16_t)GDT_KERNEL_SS));
}

unsigned sched_ss_null_switches(void)
{
	return __atomic_load_n(&sched_state.ss_null_switches, __ATOMIC_RELAXED);
}

void schedule(void)
{
	struct cpu_sched *cs = this_sched();
	struct task *t = cs->current;

	if (!t)
		panic("schedule() in an idle context");
	switch_ss(&sched_state);
	cs->prev = t;
	switch_checkpoint(cs, t, EBX_SWITCH_OUT | (cs->reserved == t ? EBX_SWITCH_RESERVED : 0) |
			  (t->state == TASK_EXITED || t->state == TASK_KILLED ? EBX_SWITCH_ENDED : 0));
	/* Resumes here when some CPU picks t again; cs is stale after this. */
	sched_switch(&t->saved_rsp, cs->idle_rsp);
}

void sched_tick(struct ebx_pt_regs *regs)
{
	struct cpu_sched *cs = this_sched();
	struct task *t = cs->current;

	cs->ticks++;
	/* The kernel is not preempted; user mode is CPL 3 or, for a model
	 * with ring-0 applications, what the model says it is. */
	if (!t || !entry_user_context(regs))
		return;
	struct task_stats *st = task_stats(t->id);
	st->ticks_in_user++;
	/* A model whose interrupt frames from user mode live on a stack
	 * that is not the task's (its preempt_from_user trait) would have the
	 * next entry on this CPU overwrite them: it is not preempted. */
	if (cs->reserved || !entry_traits_active()->preempt_from_user) {
		st->preempt_refused++;
		return;
	}
	st->preemptions++;
	cs->last_preempted = t;
	cs->ticks_at_preempt = cs->ticks;
	/* The model moves the tick's frame first if it is not the task's to keep. */
	entry_preempt(regs, schedule);
}

void sched_sleep(void)
{
	struct sched *s = &sched_state;
	struct task *t = current_task();

	if (!t)
		panic("sched_sleep in an idle context");
	lock(s);
	t->state = TASK_SLEEPING;
	unlock(s);
	schedule();
}

bool sched_wake(struct task *t)
{
	struct sched *s = &sched_state;
	bool woke = false;

	lock(s);
	if (t->state == TASK_SLEEPING) {
		t->state = TASK_READY;
		woke = true;
	}
	unlock(s);
	return woke;
}

void sched_reserve(struct task *t)
{
	struct sched *s = &sched_state;

	lock(s);
	this_sched()->reserved = t;
	unlock(s);
}
