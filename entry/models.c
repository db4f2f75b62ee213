/* SPDX-License-Identifier: MIT */
/* The guest's table of entry models (models.def, by cmdline index), the model
 * chosen at boot, and where the kernel asks that model about the context it
 * runs in: whether the stack a syscall runs on may be left while the task
 * waits, and whether an event came from the application. */
#include "entry_model.h"
#include "lib/printf.h"
#include "sched/sched.h"
#include "user/user_abi.h"

static const struct entry_model *const models[] = {
#define ENTRY_MODEL(id, name, summary) &entry_model_##id,
#include "models.def"
#undef ENTRY_MODEL
};

const struct entry_model *entry_model_get(unsigned index)
{
	return index < sizeof(models) / sizeof(models[0]) ? models[index] : NULL;
}

static struct {
	const struct entry_model *model;
	struct entry_traits traits;
} active;

void entry_model_activate(const struct entry_model *m, const struct entry_traits *t)
{
	active.model = m;
	active.traits = *t;
}

const struct entry_model *entry_model_active(void)
{
	return active.model;
}

const struct entry_traits *entry_traits_active(void)
{
	return &active.traits;
}

static long refuse(const struct entry_model *m)
{
	struct task *t = current_task();

	/* Once per task: a refused yield in a loop would flood the console. */
	if (t && t->block_refusals++)
		return -EDEADLK;
	kprintf("entrybox: task %u: entry model %s refuses to block in its entry context (-EDEADLK)\n",
		t ? t->id : PCPU_NO_TASK, m->name);
	return -EDEADLK;
}

long entry_block(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg)
{
	const struct entry_model *m = entry_model_active();

	if (m->block)
		return m->block(regs, in_entry, wait, arg);
	/* Without a hook the syscall runs on the task's kernel stack, past the
	 * entry context: blocking there is ordinary, blocking in the entry
	 * context is what such a model exists to avoid. */
	if (in_entry)
		return refuse(m);
	return wait(arg);
}

void entry_preempt(struct ebx_pt_regs *regs, void (*switch_fn)(void))
{
	const struct entry_model *m = entry_model_active();

	if (m->preempt)
		m->preempt(regs, switch_fn);
	else
		switch_fn();
}

long entry_block_refused(void)
{
	return refuse(entry_model_active());
}

void entry_apply_ist_bug(struct entry_variant *v, const struct entry_mode *mode, const entry_ist_bug_table *table)
{
	static const unsigned vectors[ENTRY_IST_VECTORS] = { VEC_DB, VEC_NMI, VEC_DF, VEC_MC };
	static uint64_t idt[IDT_ENTRIES];
	const uint64_t *row;

	switch (mode->opts->kernel_bug) {
	case EBX_KBUG_db_trust_cs:
		row = (*table)[ENTRY_IST_BUG_DB_TRUST_CS];
		break;
	case EBX_KBUG_paranoid_gs_sign:
		row = (*table)[ENTRY_IST_BUG_GS_SIGN];
		break;
	case EBX_KBUG_naive_nmi:
		row = (*table)[ENTRY_IST_BUG_NAIVE_NMI];
		break;
	default:
		return;
	}
	for (unsigned i = 0; i < IDT_ENTRIES; i++)
		idt[i] = v->idt_stubs[i];
	for (unsigned i = 0; i < ENTRY_IST_VECTORS; i++)
		if (row[i])
			idt[vectors[i]] = row[i];
	v->idt_stubs = idt;
}

bool entry_user_context(const struct ebx_pt_regs *regs)
{
	const struct entry_model *m = entry_model_active();

	if ((regs->cs & SEL_RPL_MASK) == 3)
		return true;
	return m && m->user_context && m->user_context(regs);
}
