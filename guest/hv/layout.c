/* SPDX-License-Identifier: MIT */
#include "hv/layout.h"
#include "hv/hv.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "sched/task.h"

extern const char _text[], _etext[], __entry_text_start[], __entry_text_end[];
extern const char boot_stack_base[], boot_stack_top[];

/* Too big for the boot stack; filled once, from .bss zeroes (a memset of
 * 7 KiB would cost thousands of emulated instructions on kvm_pvm). */
static struct ebx_layout layout_buf;

const char *layout_stack_name(uint64_t addr)
{
	const struct ebx_layout *l = &layout_buf;
	unsigned n = l->nstacks < EBX_MAX_STACKS ? l->nstacks : EBX_MAX_STACKS;

	if (!l->version)
		return "unknown";
	/* RSP at a stack's very top is that stack, empty. */
	for (unsigned i = 0; i < n; i++) {
		const struct ebx_stack_desc *s = &l->stacks[i];
		if (addr >= s->base && addr <= s->base + s->size)
			return s->name;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct ebx_stack_desc *s = &l->stacks[i];
		if (addr >= s->base - (uint64_t)s->guard_below * 4096 &&
		    addr < s->base + s->size + (uint64_t)s->guard_above * 4096)
			return s->name;
	}
	return "unregistered";
}

struct ebx_stack_desc *layout_add_stack(struct ebx_layout *l, uint32_t kind, uint32_t owner_kind,
				       uint32_t owner, uint64_t base, uint64_t size, uint32_t flags)
{
	if (l->nstacks == EBX_MAX_STACKS)
		panic("layout: more than %u stacks", EBX_MAX_STACKS);
	struct ebx_stack_desc *s = &l->stacks[l->nstacks++];
	s->kind = kind;
	s->owner_kind = owner_kind;
	s->owner_id = owner;
	s->base = base;
	s->size = size;
	s->flags = flags;
	return s;
}

/* The flags the model's traits give the stacks the kernel itself provides:
 * the CPU's entry stack and a task's kernel stack. */
static uint32_t cpu_entry_stack_flags(const struct entry_traits *t)
{
	uint32_t f = EBX_STACKF_KERNEL | EBX_STACKF_USER_MAPPED | EBX_STACKF_SHARED;

	if (t->landing == ENTRY_LANDS_ON_CPU_ENTRY_STACK)
		f |= EBX_STACKF_LANDING | (t->c_on_landing ? EBX_STACKF_C_ENTRY : 0);
	return f;
}

static uint32_t task_stack_flags(const struct entry_traits *t)
{
	uint32_t f = EBX_STACKF_KERNEL | EBX_STACKF_CANARY;

	if (t->landing == ENTRY_LANDS_ON_TASK_STACK)
		f |= EBX_STACKF_LANDING;
	if (t->landing == ENTRY_LANDS_ON_TASK_STACK || !t->c_on_landing)
		f |= EBX_STACKF_C_ENTRY;
	return f;
}

struct ebx_stack_desc *layout_add_landing_stack(struct ebx_layout *l, uint32_t kind, uint32_t owner_kind,
					       uint32_t owner, uint64_t base, uint64_t size)
{
	const struct entry_traits *t = entry_traits_active();
	uint32_t f = EBX_STACKF_KERNEL | EBX_STACKF_USER_MAPPED | EBX_STACKF_LANDING;

	if (t->landing != ENTRY_LANDS_ON_MODEL_STACK)
		panic("layout: a landing stack from a model whose traits land elsewhere");
	if (owner_kind != EBX_OWNER_TASK)
		f |= EBX_STACKF_SHARED;
	if (t->c_on_landing)
		f |= EBX_STACKF_C_ENTRY;
	return layout_add_stack(l, kind, owner_kind, owner, base, size, f);
}

static uint32_t traits_word(const struct entry_traits *t)
{
	return (t->c_on_landing ? EBX_TRAIT_C_ON_LANDING : 0) | (t->c_on_user_cr3 ? EBX_TRAIT_C_ON_USER_CR3 : 0) |
	       (entry_traits_may_block_in_entry(t) ? EBX_TRAIT_BLOCK_IN_ENTRY : 0) |
	       (t->preempt_from_user ? EBX_TRAIT_PREEMPT_USER : 0) | (t->ring0_tasks ? EBX_TRAIT_RING0_APPS : 0);
}

static void add_cpu(struct ebx_layout *l, unsigned cpu, const struct cpu_area *ca)
{
	static const char *const ist_names[IST_COUNT] = { "ist-df", "ist-nmi", "ist-db", "ist-mc" };
	struct ebx_stack_desc *s;

	l->cpus[cpu] = (struct ebx_cpu_desc){
		.percpu_gva = (uint64_t)ca->percpu,
		.tss_gva = (uint64_t)ca->tss,
		.gdt_gva = ca->gdt,
		.idt_gva = ca->idt,
		.current_task_gva = (uint64_t)ca->percpu + PCPU_CURRENT_TASK,
		.apic_id = cpu,
	};
	s = layout_add_stack(l, EBX_STACK_ENTRY, EBX_OWNER_CPU, cpu, ca->entry_stack, CEA_ENTRY_STACK_SIZE,
			     cpu_entry_stack_flags(entry_traits_active()));
	s->guard_below = s->guard_above = 1;
	ksnprintf(s->name, sizeof(s->name), "entry%u", cpu);
	for (unsigned i = 0; i < IST_COUNT; i++) {
		/* Paranoid entries run their C part right here, whoever was interrupted. */
		s = layout_add_stack(l, EBX_STACK_IST, EBX_OWNER_CPU, cpu, ca->ist_stack[i], CEA_IST_SIZE,
				     EBX_STACKF_KERNEL | EBX_STACKF_USER_MAPPED | EBX_STACKF_SHARED | EBX_STACKF_C_ENTRY);
		s->guard_below = s->guard_above = 1;
		s->ist_index = i + 1;
		ksnprintf(s->name, sizeof(s->name), "%s%u", ist_names[i], cpu);
	}
	if (ca->boot_stack) {
		/* An AP's idle context (the boot CPU's is boot0, in the image). */
		s = layout_add_stack(l, EBX_STACK_BOOT, EBX_OWNER_CPU, cpu, ca->boot_stack, ca->boot_stack_size,
				     EBX_STACKF_KERNEL | EBX_STACKF_CANARY);
		s->guard_below = s->guard_above = 1;
		ksnprintf(s->name, sizeof(s->name), "boot%u", cpu);
	}
}

static void add_task(struct ebx_layout *l, const struct task *t)
{
	struct ebx_stack_desc *s;

	l->tasks[l->ntasks++] = (struct ebx_task_desc){
		.kernel_pgd = t->kernel_pgd, .user_pgd = t->user_pgd, .id = t->id, .ring = 3,
	};
	strlcpy_k(l->tasks[l->ntasks - 1].name, t->name, EBX_NAME_LEN);
	s = layout_add_stack(l, EBX_STACK_TASK, EBX_OWNER_TASK, t->id, t->kstack_base, KSTACK_SIZE,
			     task_stack_flags(entry_traits_active()));
	s->guard_below = 1;
	s->guard_above = 1;
	ksnprintf(s->name, sizeof(s->name), "kstack-%s", t->name);
	s = layout_add_stack(l, EBX_STACK_USER, EBX_OWNER_TASK, t->id, t->ustack_lo, USER_STACK_SIZE, 0);
	ksnprintf(s->name, sizeof(s->name), "ustack-%s", t->name);
}

static void fill(struct ebx_layout *l, const struct layout_input *in)
{
	struct ebx_stack_desc *s;

	l->version = EBX_LAYOUT_VERSION;
	l->size = sizeof(*l);
	strlcpy_k(l->model, in->model->name, sizeof(l->model));
	l->pti = in->opts->pti;
	l->pcid = in->opts->pcid;
	l->traits = traits_word(entry_traits_active());
	l->ncpus = in->ncpus;
	l->entry_text_start = (uint64_t)__entry_text_start;
	l->entry_text_end = (uint64_t)__entry_text_end;
	l->kernel_text_start = (uint64_t)_text;
	l->kernel_text_end = (uint64_t)_etext;
	l->syscall_entry = in->variant->syscall_entry;
	l->syscall_return = in->variant->syscall_return;
	l->app_syscall_entry = in->variant->app_syscall_entry;
	l->app_syscall_return = in->variant->app_syscall_return;
	l->user_cs = GDT_USER_CS;
	l->user_ss = GDT_USER_SS;
	l->kernel_cs = GDT_KERNEL_CS;
	l->kernel_ss = GDT_KERNEL_SS;
	for (unsigned v = 0; v < X86_EXCEPTIONS; v++)
		l->ist_of_vector[v] = idt_ist_of_vector(v);
	for (unsigned c = 0; c < in->ncpus; c++)
		add_cpu(l, c, &in->cpus[c]);
	/* The boot stack lives in the image's .bss: inside a 2 MiB mapping, no guards. */
	s = layout_add_stack(l, EBX_STACK_BOOT, EBX_OWNER_CPU, 0, (uint64_t)boot_stack_base,
			     (uint64_t)(boot_stack_top - boot_stack_base), EBX_STACKF_KERNEL | EBX_STACKF_CANARY);
	strlcpy_k(s->name, "boot0", sizeof(s->name));
	for (unsigned i = 0; i < task_count(); i++)
		add_task(l, task_get(i));
	if (in->model->publish)
		in->model->publish(l);
}

void layout_publish(const struct layout_input *in)
{
	struct ebx_layout *l = &layout_buf;

	fill(l, in);
	hv_checkpoint(0, EBX_EV_LAYOUT, l, sizeof(*l));
	kprintf("@entrybox {\"event\":\"layout\",\"model\":\"%s\",\"pti\":\"%s\",\"pcid\":\"%s\",\"cpus\":%u,"
		"\"tasks\":%u,\"stacks\":%u,\"entry_text\":[\"0x%llx\",\"0x%llx\"],\"lstar\":\"0x%llx\","
		"\"sysret\":\"0x%llx\",\"vmm\":%s}\n",
		l->model, l->pti ? "on" : "off", l->pcid ? "on" : "off", l->ncpus, l->ntasks, l->nstacks,
		(unsigned long long)l->entry_text_start, (unsigned long long)l->entry_text_end,
		(unsigned long long)l->syscall_entry, (unsigned long long)l->syscall_return,
		hv_is_entrybox() ? "true" : "false");
}
