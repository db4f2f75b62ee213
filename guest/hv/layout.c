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

struct ebx_stack_desc *layout_add_stack(struct ebx_layout *l, uint32_t kind, uint32_t owner_kind,
				       uint32_t owner, uint64_t base, uint64_t size)
{
	if (l->nstacks == EBX_MAX_STACKS)
		panic("layout: more than %u stacks", EBX_MAX_STACKS);
	struct ebx_stack_desc *s = &l->stacks[l->nstacks++];
	s->kind = kind;
	s->owner_kind = owner_kind;
	s->owner_id = owner;
	s->base = base;
	s->size = size;
	return s;
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
	s = layout_add_stack(l, EBX_STACK_ENTRY, EBX_OWNER_CPU, cpu, ca->entry_stack, CEA_ENTRY_STACK_SIZE);
	s->guard_below = s->guard_above = 1;
	ksnprintf(s->name, sizeof(s->name), "entry%u", cpu);
	for (unsigned i = 0; i < IST_COUNT; i++) {
		s = layout_add_stack(l, EBX_STACK_IST, EBX_OWNER_CPU, cpu, ca->ist_stack[i], CEA_IST_SIZE);
		s->guard_below = s->guard_above = 1;
		s->ist_index = i + 1;
		ksnprintf(s->name, sizeof(s->name), "%s%u", ist_names[i], cpu);
	}
	if (ca->boot_stack) {
		/* An AP's idle context (the boot CPU's is boot0, in the image). */
		s = layout_add_stack(l, EBX_STACK_BOOT, EBX_OWNER_CPU, cpu, ca->boot_stack, ca->boot_stack_size);
		s->guard_below = s->guard_above = 1;
		s->has_canary = 1;
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
	s = layout_add_stack(l, EBX_STACK_TASK, EBX_OWNER_TASK, t->id, t->kstack_base, KSTACK_SIZE);
	s->guard_below = 1;
	s->guard_above = 1;
	s->has_canary = 1;
	ksnprintf(s->name, sizeof(s->name), "kstack-%s", t->name);
	s = layout_add_stack(l, EBX_STACK_USER, EBX_OWNER_TASK, t->id, t->ustack_lo, USER_STACK_SIZE);
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
	l->rsp0_policy = in->model->rsp0_policy;
	l->ncpus = in->ncpus;
	l->entry_text_start = (uint64_t)__entry_text_start;
	l->entry_text_end = (uint64_t)__entry_text_end;
	l->kernel_text_start = (uint64_t)_text;
	l->kernel_text_end = (uint64_t)_etext;
	l->syscall_entry = in->variant->syscall_entry;
	l->syscall_return = in->variant->syscall_return;
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
		      (uint64_t)(boot_stack_top - boot_stack_base));
	s->has_canary = 1;
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
