/* SPDX-License-Identifier: MIT */
#include "layout_fixture.h"

#include <stdio.h>
#include <string.h>

/* A cpu_entry_area-like block per CPU: GDT, TSS, entry stack, IST stacks. */
#define FX_CEA(c)     (0xfffffe0000000000ull + (uint64_t)(c) * 0x40000ull)
#define FX_PERCPU(c)  (0xffffffff82000000ull + (uint64_t)(c) * 0x10000ull)
#define FX_KSTACKS    0xffffc90000000000ull

static void fx_stack(struct ebx_layout *r, unsigned i, uint64_t base, uint64_t size, uint32_t kind,
		     uint32_t owner_kind, uint32_t owner_id, const char *name)
{
	struct ebx_stack_desc *s = &r->stacks[i];

	s->base = base;
	s->size = size;
	s->kind = kind;
	s->owner_kind = owner_kind;
	s->owner_id = owner_id;
	s->guard_below = 1;
	s->guard_above = 1;
	snprintf(s->name, sizeof(s->name), "%s", name);
}

static void fx_cpu(struct ebx_layout *r, unsigned c)
{
	static const char *const ist_names[] = { "", "df", "nmi", "db", "mc" };
	char name[EBX_NAME_LEN];

	r->cpus[c].percpu_gva = FX_PERCPU(c);
	r->cpus[c].current_task_gva = FX_PERCPU(c) + 0x100;
	r->cpus[c].gdt_gva = FX_CEA(c);
	r->cpus[c].tss_gva = FX_CEA(c) + 0x1000;
	r->cpus[c].idt_gva = 0xffffffff82100000ull;
	r->cpus[c].apic_id = c;

	snprintf(name, sizeof(name), "cpu%u-entry", c);
	fx_stack(r, FX_ST_ENTRY(c), FX_CEA(c) + 0x4000, 0x1000, EBX_STACK_ENTRY, EBX_OWNER_CPU, c, name);
	r->stacks[FX_ST_ENTRY(c)].has_canary = 1;
	/* IST stacks 0x4000 apart with one guard page each side: the guards touch. */
	for (unsigned n = 1; n <= 4; n++) {
		snprintf(name, sizeof(name), "cpu%u-ist-%s", c, ist_names[n]);
		fx_stack(r, FX_ST_IST(c, n), FX_CEA(c) + 0x8000 + (n - 1) * 0x4000ull, 0x2000, EBX_STACK_IST,
			 EBX_OWNER_CPU, c, name);
		r->stacks[FX_ST_IST(c, n)].ist_index = n;
	}
	snprintf(name, sizeof(name), "vcpu%u-stack", c);
	fx_stack(r, FX_ST_VCPU(c), FX_CEA(c) + 0x20000, 0x4000, EBX_STACK_VCPU, EBX_OWNER_VCPU, c, name);
	snprintf(name, sizeof(name), "cpu%u-boot", c);
	fx_stack(r, FX_ST_BOOT(c), 0xffffffff83000000ull + c * 0x10000ull, 0x4000, EBX_STACK_BOOT,
		 EBX_OWNER_CPU, c, name);
}

static void fx_task(struct ebx_layout *r, unsigned t, bool pti)
{
	static const char *const names[] = { "kthread", "user1", "ukl-app" };
	struct ebx_task_desc *d = &r->tasks[t];
	char name[EBX_NAME_LEN];

	d->id = t;
	d->ring = t == 1 ? 3 : 0;
	d->kernel_pgd = 0x100000ull + t * 0x2000ull;
	d->user_pgd = d->kernel_pgd + (pti ? 0x1000 : 0);
	snprintf(d->name, sizeof(d->name), "%s", names[t]);

	snprintf(name, sizeof(name), "task%u-kstack", t);
	fx_stack(r, FX_ST_TASK(t), FX_KSTACKS + t * 0x10000ull, 0x4000, EBX_STACK_TASK, EBX_OWNER_TASK, t,
		 name);
	r->stacks[FX_ST_TASK(t)].has_canary = 1;
	snprintf(name, sizeof(name), "task%u-pti", t);
	fx_stack(r, FX_ST_PTI(t), FX_KSTACKS + t * 0x10000ull + 0x8000, 0x2000, EBX_STACK_PTI,
		 EBX_OWNER_TASK, t, name);
}

void fx_build(struct ebx_layout *r, bool pti)
{
	static const uint8_t ist[][2] = { { 8, 1 }, { 2, 2 }, { 1, 3 }, { 18, 4 } };

	memset(r, 0, sizeof(*r));
	r->version = EBX_LAYOUT_VERSION;
	r->size = sizeof(*r);
	snprintf(r->model, sizeof(r->model), "kpti");
	r->pti = pti;
	r->pcid = 0;
	r->rsp0_policy = EBX_RSP0_CPU_ENTRY_STACK;
	r->ncpus = FX_NCPUS;
	r->ntasks = FX_NTASKS;
	r->nstacks = FX_NSTACKS;
	r->kernel_text_start = FX_KTEXT_START;
	r->kernel_text_end = FX_KTEXT_END;
	r->entry_text_start = FX_ENTRY_START;
	r->entry_text_end = FX_ENTRY_END;
	r->syscall_entry = FX_SYSCALL_ENTRY;
	r->syscall_return = FX_SYSCALL_RETURN;
	r->kernel_cs = 0x10;
	r->kernel_ss = 0x18;
	r->user_ss = 0x2b;
	r->user_cs = 0x33;
	for (unsigned i = 0; i < sizeof(ist) / sizeof(ist[0]); i++)
		r->ist_of_vector[ist[i][0]] = ist[i][1];
	for (unsigned c = 0; c < FX_NCPUS; c++)
		fx_cpu(r, c);
	for (unsigned t = 0; t < FX_NTASKS; t++)
		fx_task(r, t, pti);
	fx_stack(r, FX_ST_USER, 0x00007fffff000000ull, 0x10000, EBX_STACK_USER, EBX_OWNER_TASK, 1,
		 "user1-stack");
	fx_stack(r, FX_ST_UKL, 0xffffc90100000000ull, 0x8000, EBX_STACK_UKL, EBX_OWNER_TASK, 2,
		 "ukl-app-stack");
}

uint64_t fx_top(const struct ebx_layout *r, unsigned stack_index)
{
	return r->stacks[stack_index].base + r->stacks[stack_index].size;
}
